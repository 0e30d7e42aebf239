"""ProcapitaConnector against the simulated Procapita: mapping, paging, faults, bad XML."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta

import httpx
import pytest
from aiocache import SimpleMemoryCache
from kp_full_case import expected_case
from kp_system_worlds import PROCAPITA_SPEC, procapita_world
from kp_testing import CountingTransport as Counting
from kp_worlds import KALLE, LISA, TOLVAN, at, connector_over

from connectors import procapita
from connectors.base import CaseSource
from connectors.domain import (
    CaseEventKind,
    CaseStatus,
    Channel,
    Unit,
)
from connectors.errors import UpstreamContractError, UpstreamRejected, UpstreamUnavailable
from connectors.http import RetryPolicy, UpstreamClient
from simulators import procapita as procapita_sim
from simulators import world as w
from simulators.faults import FaultInjector, Faults

SN = Unit("SN", "Socialnämnden")
SPEC = PROCAPITA_SPEC
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture
def counting() -> Counting:
    return Counting(httpx.ASGITransport(app=procapita_sim.create_app(procapita_world())))


@pytest.fixture
async def connector(counting: Counting) -> AsyncIterator[procapita.ProcapitaConnector]:
    async with httpx.AsyncClient(base_url="http://procapita.test", transport=counting) as http:
        yield procapita.ProcapitaConnector(UpstreamClient("procapita", http), page_size=10)


MBN = Unit("MBN", "Miljö- och hälsoskyddsnämnden")

EXPECTED_APPLICATION = expected_case(
    SPEC, link="https://etjanster.exempelby.se/socialtjanst/arende/PC00000193"
)


async def test_is_a_case_source(connector: procapita.ProcapitaConnector) -> None:
    assert isinstance(connector, CaseSource)
    assert connector.system == procapita.INFO


async def test_cases_for_persons_maps_the_whole_case_in_one_request(
    connector: procapita.ProcapitaConnector, counting: Counting
) -> None:
    cases = await connector.cases_for_persons([KALLE])
    assert cases == [EXPECTED_APPLICATION]
    assert all(e.occurred_at.utcoffset() == timedelta(hours=1) for e in cases[0].events)
    (request,) = counting.requests
    assert request.headers["SOAPAction"] == ('"urn:procapita:arende:ws:1/HamtaArendenForPersoner"')
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"


async def test_many_persons_are_one_request(
    connector: procapita.ProcapitaConnector, counting: Counting
) -> None:
    cases = await connector.cases_for_persons([TOLVAN, KALLE, LISA, TOLVAN, "not-a-pnr"])
    assert len(cases) == 36
    assert len(counting.requests) == 1
    body = counting.requests[0].content.decode()
    assert body.count("<t:Personnummer>") == 3


async def test_every_status_event_and_channel_code_maps(
    connector: procapita.ProcapitaConnector,
) -> None:
    cases = await connector.cases_by_ids([f"PC0000000{n}" for n in range(len(w.STATUSES))])
    by_id = {c.ref.local_id: c for c in cases}
    for n, status in enumerate(w.STATUSES):
        case = by_id[f"PC0000000{n}"]
        assert case.status is CaseStatus(status)
        assert case.channel is Channel(w.CHANNELS[n])
        assert [e.kind for e in case.events] == [CaseEventKind(k) for k in w.EVENT_KINDS]
    assert by_id["PC00000000"].link == "https://procapita.exempelby.se/arende/x"
    emitted = {code for code, _ in procapita_sim.STATUS_CODES.values()}
    assert emitted <= set(procapita.STATUSES)
    assert set(procapita.STATUSES) - emitted == {"40"}  # Verkställd: known, not simulated
    assert set(procapita.EVENT_KINDS) == set(procapita_sim.JOURNAL_TYPES.values())
    assert set(procapita.CHANNELS) == set(procapita_sim.CHANNELS.values())
    assert set(procapita.DIRECTIONS) == set(procapita_sim.DIRECTIONS.values())
    assert set(procapita.COLLABORATIONS) == set(procapita_sim.COLLABORATION_TYPES.values())


async def test_numbers_match_case_or_main_number(
    connector: procapita.ProcapitaConnector, counting: Counting
) -> None:
    cases = await connector.cases_by_numbers(["SN 2025/0190", "SN 2025/0999", "SN 1900/0000"])
    assert len(cases) == 36
    assert cases[0] == EXPECTED_APPLICATION
    assert len(counting.requests) == 1


async def test_ids_chunk_only_above_the_batch_limit(
    connector: procapita.ProcapitaConnector, counting: Counting
) -> None:
    ids = ["PC00000193", *(f"missing-{i}" for i in range(250))]
    assert await connector.cases_by_ids(ids) == [EXPECTED_APPLICATION]
    assert len(counting.requests) == 2


async def test_empty_keys_make_no_call(
    connector: procapita.ProcapitaConnector, counting: Counting
) -> None:
    assert await connector.cases_for_persons([]) == []
    assert await connector.cases_for_persons(["19560605-5555"]) == []
    assert await connector.cases_by_ids([]) == []
    assert await connector.cases_by_numbers(["", "x" * 65]) == []
    assert counting.requests == []


async def test_changed_cases_follows_every_page(
    connector: procapita.ProcapitaConnector, counting: Counting
) -> None:
    cases = await connector.changed_cases(at(200), at(430))
    assert [c.ref.local_id for c in cases] == [
        "PC00000193",
        *(f"PC1{i:05d}" for i in range(30)),
    ]
    assert len(counting.requests) == 4  # 31 cases in pages of 10
    assert "<t:FranTid>20250319T173000</t:FranTid>" in counting.requests[0].content.decode()
    with pytest.raises(ValueError):
        await connector.changed_cases(datetime(2025, 1, 1), datetime(2025, 2, 1))


async def test_cases_by_ids_served_from_cache(counting: Counting) -> None:
    async with httpx.AsyncClient(base_url="http://procapita.test", transport=counting) as http:
        cached = procapita.ProcapitaConnector(
            UpstreamClient("procapita", http), cache=SimpleMemoryCache()
        )
        assert await cached.cases_by_ids(["PC00000193"]) == [EXPECTED_APPLICATION]
        assert await cached.cases_by_ids(["PC00000193"]) == [EXPECTED_APPLICATION]
        assert len(counting.requests) == 1


# --- broken answers and faults ---------------------------------------------------------------


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> procapita.ProcapitaConnector:
    return connector_over(procapita.ProcapitaConnector, "procapita", handler)


async def _real_answer() -> str:
    transport = httpx.ASGITransport(app=procapita_sim.create_app(procapita_world()))
    async with httpx.AsyncClient(base_url="http://procapita.test", transport=transport) as http:
        captured: list[str] = []

        async def keep(response: httpx.Response) -> None:
            await response.aread()
            captured.append(response.text)

        http.event_hooks["response"] = [keep]
        await procapita.ProcapitaConnector(UpstreamClient("procapita", http)).cases_by_ids(
            ["PC00000193"]
        )
        return captured[0]


def _answering(body: bytes) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, content=body)


def _envelope(inner: str) -> bytes:
    return f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>{inner}</s:Body></s:Envelope>'.encode()


async def test_broken_answers_are_contract_errors() -> None:
    good = await _real_answer()
    variants = [
        b"\x00<<garbage",
        b"<not-closed>",
        good.replace('kod="90"', 'kod="99"').encode(),
        good.replace('id="PC00000193" ', "").encode(),
        good.replace("20250311T093000", "2025-03-11 09:30").encode(),
        good.replace('skyddad="J"', 'skyddad="kanske"').encode(),
        good.replace('satt="E"', 'satt="Q"').encode(),
        good.replace('typ="101"', 'typ="999"').encode(),
        good.replace('riktning="IN"', 'riktning="IN_OCH_UT"').encode(),
        good.replace("HamtaArendenResponse", "HamtaArendenSvar").encode(),
        good.encode("utf-16"),
        _envelope(""),
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + _envelope("&a;"),
    ]
    assert all(v != good.encode() for v in variants)  # every replacement hit
    for body in variants:
        connector = _mock(_answering(body))
        with pytest.raises(UpstreamContractError) as caught:
            await connector.cases_by_ids(["PC00000193"])
        assert caught.value.system == "procapita"
        assert "procapita.test" not in caught.value.message


async def test_every_case_is_confidential_even_when_upstream_forgets() -> None:
    good = await _real_answer()
    forgotten = good.replace('skyddad="J" grund="OSL 26 kap. 1 § (SoL)"', 'skyddad="N"')
    assert forgotten != good
    connector = _mock(lambda request: httpx.Response(200, content=forgotten.encode()))
    (case,) = await connector.cases_by_ids(["PC00000193"])
    assert case == replace(EXPECTED_APPLICATION, secrecy_ground="OSL 26 kap. 1 §")


def _fault(code: str) -> bytes:
    return _envelope(
        f"<s:Fault><faultcode>s:{code}</faultcode><faultstring>x</faultstring></s:Fault>"
    )


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, _fault("Client"), UpstreamRejected),
        (500, _fault("Client.Validation"), UpstreamRejected),
        (500, _fault("Server"), UpstreamUnavailable),
        (500, b"Internal Server Error", UpstreamUnavailable),
        (503, b"", UpstreamUnavailable),
        (200, _fault("Client"), UpstreamRejected),
        (200, _fault("Server"), UpstreamUnavailable),
    ],
)
async def test_soap_faults_map_by_fault_code(
    status: int, body: bytes, expected: type[Exception]
) -> None:
    connector = _mock(lambda request: httpx.Response(status, content=body))
    with pytest.raises(expected) as caught:
        await connector.cases_for_persons([KALLE])
    assert type(caught.value) is expected


async def test_a_repeating_continuation_is_a_contract_error() -> None:
    inner = (
        '<r:HamtaAndradeArendenResponse xmlns:r="urn:procapita:arende:ws:1">'
        "<r:Arenden/><r:Fortsattning>10-abc</r:Fortsattning></r:HamtaAndradeArendenResponse>"
    )
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, content=_envelope(inner))

    with pytest.raises(UpstreamContractError):
        await _mock(handler).changed_cases(at(0), at(1))
    assert len(calls) == 2
    assert "<t:Fortsattning>10-abc</t:Fortsattning>" in calls[1].content.decode()


async def test_the_real_simulator_rejects_a_wrong_request_as_client_fault() -> None:
    transport = httpx.ASGITransport(app=procapita_sim.create_app(procapita_world()))
    async with httpx.AsyncClient(base_url="http://procapita.test", transport=transport) as http:
        client = UpstreamClient("procapita", http, retry=RetryPolicy(attempts=0))
        connector = procapita.ProcapitaConnector(client, page_size=100_000)
        with pytest.raises(UpstreamRejected):
            await connector.changed_cases(at(0), at(1))


async def test_works_under_the_fault_injector_and_maps_its_faults() -> None:
    injector = FaultInjector(procapita_sim.create_app(procapita_world()))
    transport = httpx.ASGITransport(app=injector)
    async with httpx.AsyncClient(base_url="http://procapita.test", transport=transport) as http:
        connector = procapita.ProcapitaConnector(
            UpstreamClient("procapita", http, retry=RetryPolicy(attempts=0))
        )
        assert len(await connector.cases_for_persons([KALLE])) == 1
        injector.set(Faults(malformed=True))
        with pytest.raises(UpstreamContractError):
            await connector.cases_for_persons([KALLE])
        injector.set(Faults(error_rate=1.0))
        with pytest.raises(UpstreamUnavailable):
            await connector.cases_for_persons([KALLE])
