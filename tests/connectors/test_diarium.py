"""DiariumConnector's own behaviour (what it shares with the other case connectors is in
test_case_systems.py): its JSON-RPC calls, cursor and page numbers, RPC errors, broken
results and the shape of its times."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from kp_case_systems import CaseSystem, connected, contract_error, mocked, simulated
from kp_case_table import DIARIUM_SYSTEM
from kp_system_worlds import DIARIUM_SPEC, diarium_world
from kp_testing import CountingTransport as Counting
from kp_worlds import KALLE, at

from connectors.errors import UpstreamContractError, UpstreamRejected, UpstreamUnavailable
from simulators import diarium as diarium_sim

EXPECTED = DIARIUM_SYSTEM.known[DIARIUM_SPEC.id]


@pytest.fixture
def system() -> CaseSystem[Any]:
    return DIARIUM_SYSTEM


async def test_a_person_search_is_one_json_rpc_call(connector: Any, counting: Counting) -> None:
    assert await connector.cases_for_persons([KALLE]) == [EXPECTED]
    (request,) = counting.requests
    assert (request.method, request.url.path) == ("POST", "/rpc")
    assert json.loads(request.content) == {
        "jsonrpc": "2.0",
        "method": "Arende.SokPart",
        "params": {"personnummer": [KALLE], "sida": 1, "perSida": 10},
        "id": 1,
    }


async def test_the_change_window_goes_as_registry_times_then_a_cursor(
    connector: Any, counting: Counting
) -> None:
    await connector.changed_cases(at(200), at(430))
    first = json.loads(counting.requests[0].content)["params"]
    assert first == {
        "changedSince": "2025-03-19 17:30:00",
        "until": "2025-03-29 07:30:00",
        "limit": 10,
    }
    later = [json.loads(r.content)["params"]["changedSince"] for r in counting.requests[1:]]
    assert later and all(cursor.startswith("c1.") for cursor in later)


# --- JSON-RPC errors and broken answers --------------------------------------------------------


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    return mocked(DIARIUM_SYSTEM, handler)


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
    assert await connector.cases_by_ids(["100193"]) == [EXPECTED]


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
    assert "http" not in caught.value.message


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
    await contract_error(DIARIUM_SYSTEM, body, lambda c: c.cases_by_numbers(["KFN 2025/0193"]))


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
    async with connected(DIARIUM_SYSTEM, simulated(DIARIUM_SYSTEM), page_size=501) as connector:
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


@pytest.mark.parametrize(
    "text",
    [
        "2026-3-11 09:30:00",
        "2026-03-11T09:30:00",
        "2026-03-11 09:30",
        "２０２６-03-11 09:30:00",
        "",
    ],
)
async def test_registry_times_must_have_the_registry_shape(text: str) -> None:
    connector = _mock(lambda request: _answer(request, _page(_record(registreringsdatum=text))))
    with pytest.raises(UpstreamContractError):
        await connector.cases_by_ids(["100193"])


async def test_registry_times_are_stockholm_time() -> None:
    record = _record(registreringsdatum="2026-03-11 09:30:05")
    (case,) = await _mock(lambda request: _answer(request, _page(record))).cases_by_ids(["100193"])
    assert case.opened_at == datetime(2026, 3, 11, 9, 30, 5, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert case.opened_at.utcoffset() == timedelta(hours=1)
