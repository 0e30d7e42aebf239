"""TeknikConnector's own behaviour (what it shares with the other case connectors is in
test_case_systems.py): the status codes it emits, broken bodies and endless offsets."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from kp_case_systems import CaseSystem, contract_error, mocked
from kp_case_table import TEKNIK_SYSTEM
from kp_system_worlds import teknik_world
from kp_worlds import ANNA

from connectors import teknik
from connectors.domain import CaseEventKind
from connectors.errors import UpstreamContractError
from simulators import teknik as teknik_sim
from simulators import world as w


@pytest.fixture
def system() -> CaseSystem[Any]:
    return TEKNIK_SYSTEM


async def test_every_status_code_the_system_emits_maps(connector: Any) -> None:
    cases = {c.ref.local_id: c for c in await connector.cases_by_ids([f"st-{n}" for n in range(9)])}
    emitted = {teknik_sim.status_of(teknik_world().case("teknik", f"st-{n}")) for n in range(9)}  # type: ignore[arg-type]
    assert emitted == set(teknik.STATUS)
    expected = [
        "RECEIVED",
        "RECEIVED",
        "IN_PROGRESS",
        "WAITING_FOR_CITIZEN",
        "WAITING_FOR_OTHER_PARTY",
        "WAITING_FOR_OTHER_PARTY",
        "DECIDED",
        "CLOSED",
        "FORWARDED",
    ]
    assert [cases[f"st-{n}"].status.value for n in range(9)] == expected
    assert [e.kind for e in cases["st-2"].events] == [CaseEventKind(k) for k in w.EVENT_KINDS]


def _record(**changes: object) -> dict[str, object]:
    world = teknik_world()
    rec = json.loads(
        json.dumps(teknik_sim._report(world.case("teknik", "fr-2025-00042"), world.case_types))
    )  # type: ignore[arg-type]
    rec.update(changes)
    return rec


def _page(*records: dict[str, object], total: object = 1) -> bytes:
    return json.dumps(
        {"total": total, "offset": 0, "limit": 500, "felanmalningar": list(records)}
    ).encode()


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    return mocked(TEKNIK_SYSTEM, handler)


@pytest.mark.parametrize(
    "body",
    [
        b"<html>oops</html>",
        b'{"total": 1}',
        _page(_record(), total="1"),
        _page(_record(status="parkerad")),
        _page(_record(kanal="brevduva")),
        _page(_record(registrerad="2025-03-11T09:30:00")),
        _page(
            _record(
                handelser=[{"id": "e", "tidpunkt": "2025-03-11T09:30:00+01:00", "typ": "okand"}]
            )
        ),
        _page(_record(samverkan=[{"typ": "remiss"}])),
        _page(_record(kategori="TEK-STAD")),
        _page(total=5),  # more promised than ever delivered
    ],
)
async def test_malformed_answers_are_contract_errors(body: bytes) -> None:
    await contract_error(TEKNIK_SYSTEM, body, lambda c: c.cases_for_persons([ANNA]))


async def test_endless_offsets_are_cut_at_the_bound() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, content=_page(_record(), total=10**9))

    with pytest.raises(UpstreamContractError):
        await _mock(handler).cases_for_persons([ANNA])
    assert len(calls) == 50
