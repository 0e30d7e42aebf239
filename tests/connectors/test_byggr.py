"""ByggrConnector against the simulated ByggR: mapping, paging, batching, faults, bad XML."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import httpx
import pytest
from aiocache import SimpleMemoryCache
from kp_full_case import expected_case
from kp_system_worlds import BYGGR_SPEC, byggr_world
from kp_testing import CountingTransport as Counting
from kp_worlds import KALLE, LISA, TOLVAN, at, connector_over

from connectors import byggr
from connectors.base import CaseSource
from connectors.domain import (
    CaseEventKind,
    CaseStatus,
    Channel,
    Unit,
)
from connectors.errors import UpstreamContractError, UpstreamRejected, UpstreamUnavailable
from connectors.http import RetryPolicy, UpstreamClient
from simulators import byggr as byggr_sim
from simulators import world as w
from simulators.faults import FaultInjector, Faults

BN = Unit("BN", "Byggnadsnämnden")
SPEC = BYGGR_SPEC
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture
def counting() -> Counting:
    return Counting(httpx.ASGITransport(app=byggr_sim.create_app(byggr_world())))


@pytest.fixture
async def connector(counting: Counting) -> AsyncIterator[byggr.ByggrConnector]:
    async with httpx.AsyncClient(base_url="http://byggr.test", transport=counting) as http:
        yield byggr.ByggrConnector(UpstreamClient("byggr", http), page_size=10)


MBN = Unit("MBN", "Miljö- och hälsoskyddsnämnden")

EXPECTED_PERMIT = expected_case(
    SPEC, link="https://etjanster.exempelby.se/bygglov/arende/BYGG-2025-000193"
)


async def test_is_a_case_source(connector: byggr.ByggrConnector) -> None:
    assert isinstance(connector, CaseSource)
    assert connector.system == byggr.INFO


async def test_cases_for_persons_maps_the_whole_case_in_one_request(
    connector: byggr.ByggrConnector, counting: Counting
) -> None:
    cases = await connector.cases_for_persons([KALLE])
    assert cases == [EXPECTED_PERMIT]
    assert all(e.occurred_at.utcoffset() == timedelta(hours=1) for e in cases[0].events)
    (request,) = counting.requests
    assert request.headers["SOAPAction"] == (
        '"http://www.tekis.se/ServiceContract/IArendeExportWS/GetRelateradeArendenByPersOrgNr"'
    )
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"


async def test_many_persons_are_one_request(
    connector: byggr.ByggrConnector, counting: Counting
) -> None:
    cases = await connector.cases_for_persons([TOLVAN, KALLE, LISA, TOLVAN, "not-a-pnr"])
    assert len(cases) == 36
    assert len(counting.requests) == 1
    body = counting.requests[0].content.decode()
    assert body.count("<t:PersOrgNr>") == 3


async def test_every_status_event_and_channel_code_maps(connector: byggr.ByggrConnector) -> None:
    cases = await connector.cases_by_ids([f"BYGG-2024-00000{n}" for n in range(len(w.STATUSES))])
    by_id = {c.ref.local_id: c for c in cases}
    for n, status in enumerate(w.STATUSES):
        case = by_id[f"BYGG-2024-00000{n}"]
        assert case.status is CaseStatus(status)
        assert case.channel is Channel(w.CHANNELS[n])
        assert [e.kind for e in case.events] == [CaseEventKind(k) for k in w.EVENT_KINDS]
    assert by_id["BYGG-2024-000000"].link == "https://byggr.exempelby.se/arende/x"
    assert set(byggr.STATUSES) == set(byggr_sim.STATUS_TEXTS.values())
    assert set(byggr.EVENT_KINDS) == set(byggr_sim.EVENT_TYPES.values())
    assert set(byggr.CHANNELS) == set(byggr_sim.CHANNELS.values())
    assert set(byggr.DIRECTIONS) == set(byggr_sim.DIRECTIONS.values())
    assert set(byggr.COLLABORATIONS) == set(byggr_sim.COLLABORATION_TYPES.values())


async def test_numbers_match_case_or_main_number(
    connector: byggr.ByggrConnector, counting: Counting
) -> None:
    cases = await connector.cases_by_numbers(["BN 2025/0190", "BN 2025/0999", "BN 1900/0000"])
    assert len(cases) == 36
    assert cases[0] == EXPECTED_PERMIT
    assert len(counting.requests) == 1


async def test_ids_chunk_only_above_the_batch_limit(
    connector: byggr.ByggrConnector, counting: Counting
) -> None:
    ids = ["BYGG-2025-000193", *(f"missing-{i}" for i in range(250))]
    assert await connector.cases_by_ids(ids) == [EXPECTED_PERMIT]
    assert len(counting.requests) == 2


async def test_empty_keys_make_no_call(connector: byggr.ByggrConnector, counting: Counting) -> None:
    assert await connector.cases_for_persons([]) == []
    assert await connector.cases_for_persons(["19560605-5555"]) == []
    assert await connector.cases_by_ids([]) == []
    assert await connector.cases_by_numbers(["", "x" * 65]) == []
    assert counting.requests == []


async def test_changed_cases_follows_every_page(
    connector: byggr.ByggrConnector, counting: Counting
) -> None:
    cases = await connector.changed_cases(at(200), at(430))
    assert [c.ref.local_id for c in cases] == [
        "BYGG-2025-000193",
        *(f"BYGG-2025-1{i:05d}" for i in range(30)),
    ]
    assert len(counting.requests) == 4  # 31 cases in pages of 10
    assert (
        "<t:FromDatum>2025-03-19T17:30:00+01:00</t:FromDatum>"
        in counting.requests[0].content.decode()
    )
    with pytest.raises(ValueError):
        await connector.changed_cases(datetime(2025, 1, 1), datetime(2025, 2, 1))


async def test_cases_by_ids_served_from_cache(counting: Counting) -> None:
    async with httpx.AsyncClient(base_url="http://byggr.test", transport=counting) as http:
        cached = byggr.ByggrConnector(UpstreamClient("byggr", http), cache=SimpleMemoryCache())
        assert await cached.cases_by_ids(["BYGG-2025-000193"]) == [EXPECTED_PERMIT]
        assert await cached.cases_by_ids(["BYGG-2025-000193"]) == [EXPECTED_PERMIT]
        assert len(counting.requests) == 1


# --- broken answers and faults ---------------------------------------------------------------


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> byggr.ByggrConnector:
    return connector_over(byggr.ByggrConnector, "byggr", handler)


async def _real_answer() -> str:
    transport = httpx.ASGITransport(app=byggr_sim.create_app(byggr_world()))
    async with httpx.AsyncClient(base_url="http://byggr.test", transport=transport) as http:
        captured: list[str] = []

        async def keep(response: httpx.Response) -> None:
            await response.aread()
            captured.append(response.text)

        http.event_hooks["response"] = [keep]
        await byggr.ByggrConnector(UpstreamClient("byggr", http)).cases_by_ids(["BYGG-2025-000193"])
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
        good.replace("Beslut fattat", "Makulerat").replace("Avslutat", "Makulerat").encode(),
        good.replace("<ns0:ArendeId>BYGG-2025-000193</ns0:ArendeId>", "").encode(),
        good.replace("2025-03-11T09:30:00+01:00", "11/3 2025").encode(),
        good.replace("<ns0:Sekretess>false", "<ns0:Sekretess>nej").encode(),
        good.replace("ETJANST", "BREVDUVA").encode(),
        good.replace("GetArendeResponse", "GetArendeSvar").encode(),
        good.encode("utf-16"),
        _envelope(""),
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + _envelope("&a;"),
    ]
    assert all(v != good.encode() for v in variants)  # every replacement hit
    for body in variants:
        connector = _mock(_answering(body))
        with pytest.raises(UpstreamContractError) as caught:
            await connector.cases_by_ids(["BYGG-2025-000193"])
        assert caught.value.system == "byggr"
        assert "byggr.test" not in caught.value.message


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


async def test_a_page_out_of_step_is_a_contract_error() -> None:
    inner = (
        '<r:GetUpdatedArendenResponse xmlns:r="http://www.tekis.se/ServiceContract">'
        "<r:GetUpdatedArendenResult><r:Arenden/><r:Sida>3</r:Sida><r:AntalSidor>5</r:AntalSidor>"
        "</r:GetUpdatedArendenResult></r:GetUpdatedArendenResponse>"
    )
    connector = _mock(lambda request: httpx.Response(200, content=_envelope(inner)))
    with pytest.raises(UpstreamContractError):
        await connector.changed_cases(at(0), at(1))


async def test_the_real_simulator_rejects_a_wrong_request_as_client_fault() -> None:
    transport = httpx.ASGITransport(app=byggr_sim.create_app(byggr_world()))
    async with httpx.AsyncClient(base_url="http://byggr.test", transport=transport) as http:
        client = UpstreamClient("byggr", http, retry=RetryPolicy(attempts=0))
        connector = byggr.ByggrConnector(client, page_size=100_000)
        with pytest.raises(UpstreamRejected):
            await connector.changed_cases(at(0), at(1))


async def test_works_under_the_fault_injector_and_maps_its_faults() -> None:
    injector = FaultInjector(byggr_sim.create_app(byggr_world()))
    transport = httpx.ASGITransport(app=injector)
    async with httpx.AsyncClient(base_url="http://byggr.test", transport=transport) as http:
        connector = byggr.ByggrConnector(
            UpstreamClient("byggr", http, retry=RetryPolicy(attempts=0))
        )
        assert len(await connector.cases_for_persons([KALLE])) == 1
        injector.set(Faults(malformed=True))
        with pytest.raises(UpstreamContractError):
            await connector.cases_for_persons([KALLE])
        injector.set(Faults(error_rate=1.0))
        with pytest.raises(UpstreamUnavailable):
            await connector.cases_for_persons([KALLE])
