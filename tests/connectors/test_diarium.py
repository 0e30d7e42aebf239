"""DiariumConnector against the simulated registry: mapping, paging, batching, JSON-RPC errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import httpx
import pytest
from aiocache import SimpleMemoryCache
from kp_full_case import expected_case
from kp_system_worlds import DIARIUM_SPEC, diarium_world
from kp_testing import CountingTransport as Counting
from kp_worlds import KALLE, LISA, TOLVAN, at, connector_over

from connectors import diarium
from connectors.base import CaseSource
from connectors.domain import (
    CaseEventKind,
    CaseStatus,
    Channel,
    Unit,
)
from connectors.errors import UpstreamContractError, UpstreamRejected, UpstreamUnavailable
from connectors.http import RetryPolicy, UpstreamClient
from simulators import diarium as diarium_sim
from simulators import world as w
from simulators.faults import FaultInjector, Faults

KFN = Unit("KFN", "Kultur- och fritidsnämnden")
SPEC = DIARIUM_SPEC
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture
def counting() -> Counting:
    return Counting(httpx.ASGITransport(app=diarium_sim.create_app(diarium_world())))


@pytest.fixture
async def connector(counting: Counting) -> AsyncIterator[diarium.DiariumConnector]:
    async with httpx.AsyncClient(base_url="http://diarium.test", transport=counting) as http:
        yield diarium.DiariumConnector(UpstreamClient("diarium", http), page_size=10)


MBN = Unit("MBN", "Miljö- och hälsoskyddsnämnden")

EXPECTED_GRANT = expected_case(SPEC, link="https://diarium.exempelby.se/arende/100193")


async def test_is_a_case_source(connector: diarium.DiariumConnector) -> None:
    assert isinstance(connector, CaseSource)
    assert connector.system == diarium.INFO


async def test_cases_for_persons_maps_the_whole_case_in_one_request(
    connector: diarium.DiariumConnector, counting: Counting
) -> None:
    cases = await connector.cases_for_persons([KALLE])
    assert cases == [EXPECTED_GRANT]
    assert all(e.occurred_at.utcoffset() == timedelta(hours=1) for e in cases[0].events)
    (request,) = counting.requests
    assert (request.method, request.url.path) == ("POST", "/rpc")
    assert json.loads(request.content) == {
        "jsonrpc": "2.0",
        "method": "Arende.SokPart",
        "params": {"personnummer": [KALLE], "sida": 1, "perSida": 10},
        "id": 1,
    }


async def test_many_persons_are_one_request(
    connector: diarium.DiariumConnector, counting: Counting
) -> None:
    cases = await connector.cases_for_persons([TOLVAN, KALLE, LISA, TOLVAN, "not-a-pnr"])
    assert len(cases) == 36
    calls = [json.loads(r.content) for r in counting.requests]
    assert [c["params"]["sida"] for c in calls] == [1, 2, 3, 4]  # one search, pages of 10
    assert all(c["params"]["personnummer"] == [TOLVAN, KALLE, LISA] for c in calls)


async def test_every_status_event_and_channel_code_maps(
    connector: diarium.DiariumConnector,
) -> None:
    cases = await connector.cases_by_ids([f"20000{n}" for n in range(len(w.STATUSES))])
    by_id = {c.ref.local_id: c for c in cases}
    for n, status in enumerate(w.STATUSES):
        case = by_id[f"20000{n}"]
        assert case.status is CaseStatus(status)
        assert case.channel is Channel(w.CHANNELS[n])
        assert [e.kind for e in case.events] == [CaseEventKind(k) for k in w.EVENT_KINDS]
    assert by_id["200000"].link == "https://diarium.exempelby.se/x"
    assert set(diarium.STATUSES) == set(diarium_sim.STATUS_TEXTS.values())
    assert set(diarium.EVENT_KINDS) == set(diarium_sim.EVENT_TYPES.values())
    assert set(diarium.CHANNELS) == set(diarium_sim.CHANNELS.values())
    assert set(diarium.DIRECTIONS) == set(diarium_sim.DIRECTIONS.values())
    assert set(diarium.COLLABORATIONS) == set(diarium_sim.COLLABORATION_TYPES.values())


async def test_numbers_match_case_or_main_number(
    connector: diarium.DiariumConnector, counting: Counting
) -> None:
    cases = await connector.cases_by_numbers(["KF 2025/0190", "KFN 2025/0999", "KFN 1900/0000"])
    assert len(cases) == 36
    assert cases[0] == EXPECTED_GRANT
    assert len(counting.requests) == 4  # one search, pages of 10


async def test_ids_chunk_only_above_the_batch_limit(
    connector: diarium.DiariumConnector, counting: Counting
) -> None:
    ids = ["100193", *(f"missing-{i}" for i in range(250))]
    assert await connector.cases_by_ids(ids) == [EXPECTED_GRANT]
    assert len(counting.requests) == 2


async def test_empty_keys_make_no_call(
    connector: diarium.DiariumConnector, counting: Counting
) -> None:
    assert await connector.cases_for_persons([]) == []
    assert await connector.cases_for_persons(["19560605-5555"]) == []
    assert await connector.cases_by_ids([]) == []
    assert await connector.cases_by_numbers(["", "x" * 65]) == []
    assert counting.requests == []


async def test_changed_cases_follows_every_page(
    connector: diarium.DiariumConnector, counting: Counting
) -> None:
    cases = await connector.changed_cases(at(200), at(430))
    assert [c.ref.local_id for c in cases] == [
        "100193",
        *(f"3{i:05d}" for i in range(30)),
    ]
    assert len(counting.requests) == 4  # 31 cases in pages of 10
    first = json.loads(counting.requests[0].content)["params"]
    assert first == {
        "changedSince": "2025-03-19 17:30:00",
        "until": "2025-03-29 07:30:00",
        "limit": 10,
    }
    later = json.loads(counting.requests[1].content)["params"]["changedSince"]
    assert later.startswith("c1.")
    with pytest.raises(ValueError):
        await connector.changed_cases(datetime(2025, 1, 1), datetime(2025, 2, 1))


async def test_cases_by_ids_served_from_cache(counting: Counting) -> None:
    async with httpx.AsyncClient(base_url="http://diarium.test", transport=counting) as http:
        cached = diarium.DiariumConnector(
            UpstreamClient("diarium", http), cache=SimpleMemoryCache()
        )
        assert await cached.cases_by_ids(["100193"]) == [EXPECTED_GRANT]
        assert await cached.cases_by_ids(["100193"]) == [EXPECTED_GRANT]
        assert len(counting.requests) == 1


# --- JSON-RPC errors and broken answers --------------------------------------------------------


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> diarium.DiariumConnector:
    return connector_over(diarium.DiariumConnector, "diarium", handler)


def _record(**changes: object) -> dict[str, object]:
    world = diarium_world()
    app = diarium_sim._DiariumRpc(world)
    case = world.case("diarium", "100193")
    assert case is not None
    rec: dict[str, object] = json.loads(json.dumps(app._arende(case)))
    rec.update(changes)
    return rec


def _answer(request: httpx.Request, result: object) -> httpx.Response:
    call_id = json.loads(request.content)["id"]
    return httpx.Response(200, json={"jsonrpc": "2.0", "result": result, "id": call_id})


def _page(*records: dict[str, object]) -> dict[str, object]:
    return {"arenden": list(records), "sida": 1, "antalSidor": 1, "totalt": len(records)}


async def test_a_hand_made_answer_maps_like_the_simulator() -> None:
    connector = _mock(lambda request: _answer(request, _page(_record())))
    assert await connector.cases_by_ids(["100193"]) == [EXPECTED_GRANT]


@pytest.mark.parametrize(
    "result",
    [
        [],
        {"arenden": {}, "sida": 1, "antalSidor": 1},
        {"arenden": [], "sida": 2, "antalSidor": 2},
        {"arenden": [], "sida": 1},
        _page(_record(status="Makulerad")),
        _page(_record(status=3)),
        _page(_record(registreringsdatum="2025-03-11T09:30:00+01:00")),
        _page(_record(sekretess="nej")),
        _page(_record(inkomstsatt="Brevduva")),
        _page(_record(parter=[{"roll": "Grannen", "personnummer": KALLE}])),
        _page(_record(diariehandelser=[{"id": "x"}])),
        _page(_record(handlingar=[{"id": "d", "titel": "T", "riktning": "X"}])),
        _page(_record(id=None)),
    ],
)
async def test_malformed_results_are_contract_errors(result: object) -> None:
    connector = _mock(lambda request: _answer(request, result))
    with pytest.raises(UpstreamContractError) as caught:
        await connector.cases_for_persons([KALLE])
    assert caught.value.system == "diarium"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\x00<<garbage",
        b"[]",
        b'{"jsonrpc": "2.0", "result": {}, "id": 999}',
        b'{"jsonrpc": "1.0", "result": {}, "id": 1}',
        b'{"jsonrpc": "2.0", "id": 1}',
        b'{"jsonrpc": "2.0", "error": {"code": "x"}, "id": 1}',
    ],
)
async def test_garbage_bodies_are_contract_errors(body: bytes) -> None:
    connector = _mock(lambda request: httpx.Response(200, content=body))
    with pytest.raises(UpstreamContractError) as caught:
        await connector.cases_by_numbers(["KFN 2025/0193"])
    assert "diarium.test" not in caught.value.message


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (-32700, UpstreamRejected),
        (-32600, UpstreamRejected),
        (-32601, UpstreamRejected),
        (-32602, UpstreamRejected),
        (-32603, UpstreamUnavailable),
        (-32001, UpstreamUnavailable),
    ],
)
async def test_rpc_errors_map_by_code(code: int, expected: type[Exception]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        call_id = json.loads(request.content)["id"]
        error = {"code": code, "message": "nej"}
        return httpx.Response(200, json={"jsonrpc": "2.0", "error": error, "id": call_id})

    with pytest.raises(expected) as caught:
        await _mock(handler).cases_for_persons([KALLE])
    assert type(caught.value) is expected


async def test_a_repeating_cursor_is_a_contract_error() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return _answer(request, {"arenden": [], "nextCursor": "c1.same"})

    with pytest.raises(UpstreamContractError):
        await _mock(handler).changed_cases(at(0), at(1))
    assert len(calls) == 2


async def test_endless_page_numbers_are_cut_at_the_bound() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return _answer(request, {"arenden": [], "sida": 1, "antalSidor": 51})

    with pytest.raises(UpstreamContractError):
        await _mock(handler).cases_by_ids(["100193"])


async def test_the_real_registry_rejects_a_wrong_request() -> None:
    transport = httpx.ASGITransport(app=diarium_sim.create_app(diarium_world()))
    async with httpx.AsyncClient(base_url="http://diarium.test", transport=transport) as http:
        connector = diarium.DiariumConnector(UpstreamClient("diarium", http), page_size=501)
        with pytest.raises(UpstreamRejected):
            await connector.cases_for_persons([KALLE])


async def test_sub_second_window_ends_are_kept() -> None:
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content)["params"])
        return _answer(request, {"arenden": [], "nextCursor": None})

    await _mock(handler).changed_cases(at(0) + timedelta(microseconds=250), at(1))
    assert seen == [
        {"changedSince": "2025-03-11 09:30:00.000250", "until": "2025-03-11 10:30:00", "limit": 200}
    ]


async def test_works_under_the_fault_injector_and_maps_its_faults() -> None:
    injector = FaultInjector(diarium_sim.create_app(diarium_world()))
    transport = httpx.ASGITransport(app=injector)
    async with httpx.AsyncClient(base_url="http://diarium.test", transport=transport) as http:
        connector = diarium.DiariumConnector(
            UpstreamClient("diarium", http, retry=RetryPolicy(attempts=0))
        )
        assert len(await connector.cases_for_persons([KALLE])) == 1
        injector.set(Faults(malformed=True))
        with pytest.raises(UpstreamContractError):
            await connector.cases_for_persons([KALLE])
        injector.set(Faults(error_rate=1.0))
        with pytest.raises(UpstreamUnavailable):
            await connector.cases_for_persons([KALLE])
