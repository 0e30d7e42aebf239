"""KontaktcenterConnector's own behaviour (what it shares with the other case connectors is
in test_case_systems.py): every neutral code through its fillers, id chunks that page, the
event log read from a watermark, bad bodies and the generated sandbox."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from kp_case_systems import (
    CaseSystem,
    connected,
    contract_error,
    mocked,
    simulated,
)
from kp_case_table import KONTAKTCENTER_SYSTEM
from kp_expected_cases import KC, PROPOSAL, QUESTION
from kp_service_worlds import BENGT, kontaktcenter_world
from kp_service_worlds import KC_FILLERS as FILLERS
from kp_testing import CountingTransport as Counting
from kp_worlds import T0, at, mock_http

from connectors import kontaktcenter as kc
from connectors import paging
from connectors.domain import (
    CaseEventKind,
    CaseStatus,
    Channel,
    CollaborationKind,
    DocumentDirection,
)
from connectors.errors import UpstreamContractError
from connectors.http import UpstreamClient
from simulators import kontaktcenter_shapes as kc_shapes
from simulators import world as w
from simulators.generate import generate


@pytest.fixture
def system() -> CaseSystem[Any]:
    return KONTAKTCENTER_SYSTEM


async def test_every_state_entry_channel_and_direction_maps(connector: Any) -> None:
    cases = await connector.cases_for_persons([BENGT])
    assert {c.status for c in cases} == set(CaseStatus)
    assert {e.kind for c in cases for e in c.events} == set(CaseEventKind)
    assert {c.channel for c in cases} == set(Channel)
    assert {d.direction for c in cases for d in c.documents} == set(DocumentDirection)
    # the neutral vocabulary maps one to one onto the domain's
    for case in cases[1:]:
        world_status = w.STATUSES[(int(case.ref.local_id) - 7100) % len(w.STATUSES)]
        assert case.status is CaseStatus(world_status)


async def test_each_chunk_of_ids_follows_its_pages(connector: Any, counting: Counting) -> None:
    ids = [str(7100 + i) for i in range(FILLERS)] + [f"x{i}" for i in range(200)]
    cases = await connector.cases_by_ids(ids)
    assert len(cases) == FILLERS
    assert sorted(
        len(r.url.params["id"].split(","))
        for r in counting.requests
        if r.url.params["offset"] == "0"
    ) == [35, 200]


async def test_changed_cases_reads_the_log_then_fetches_one_batch(
    connector: Any, counting: Counting
) -> None:
    since, until = at(24), at(24 * 31)  # fillers 0..29, two log entries each
    cases = await connector.changed_cases(since, until)
    assert [c.ref.local_id for c in cases] == [str(7100 + i) for i in range(30)]
    log_calls = [r for r in counting.requests if r.url.path == "/api/eventlog"]
    case_calls = [r for r in counting.requests if r.url.path == "/api/cases"]
    assert len(log_calls) == 9  # 60 entries, 7 per page
    assert "since" in log_calls[0].url.params and "after" not in log_calls[0].url.params
    marks = [int(r.url.params["after"]) for r in log_calls[1:]]
    assert marks == sorted(set(marks))
    assert all(r.url.params["until"] == until.isoformat() for r in log_calls)
    assert len(case_calls) == 3  # one batch of 30 ids, pages of 10
    assert {r.url.params["id"] for r in case_calls} == {",".join(str(7100 + i) for i in range(30))}


async def test_changed_cases_of_an_empty_window(connector: Any, counting: Counting) -> None:
    assert await connector.changed_cases(at(-100), at(-50)) == []
    assert [r.url.path for r in counting.requests] == ["/api/eventlog"]


async def test_changed_cases_includes_the_proposal(connector: Any) -> None:
    cases = await connector.changed_cases(T0.astimezone(UTC), at(7))
    assert cases == [PROPOSAL, QUESTION]


def _good_record() -> dict[str, object]:
    world = kontaktcenter_world()
    case = world.cases["kontaktcenter"][0]
    return kc_shapes.render_case(case, world.case_types)


def _page(*cases: object) -> bytes:
    return json.dumps(
        {"total": len(cases), "offset": 0, "limit": 10, "cases": list(cases)}
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"total": 1, "offset": 0, "limit": 10}',
        b'{"total": "1", "offset": 0, "limit": 10, "cases": []}',
        b'{"total": 1, "offset": 5, "limit": 10, "cases": []}',
        _page({**_good_record(), "state": "PARKED"}),
        _page({**_good_record(), "channel": "PIGEON"}),
        _page({**_good_record(), "created_at": "2025-03-11 09:30"}),
        _page({**_good_record(), "restricted": "no"}),
        _page({**_good_record(), "handovers": [{"handover_type": "LOAN"}]}),
        _page({k: v for k, v in _good_record().items() if k != "reference"}),
    ],
)
async def test_malformed_case_pages_are_contract_errors(body: bytes) -> None:
    await contract_error(KONTAKTCENTER_SYSTEM, body, lambda c: c.cases_by_ids(["7001"]))


async def test_a_good_mock_page_maps() -> None:
    answer = _page(_good_record())
    connector = mocked(KONTAKTCENTER_SYSTEM, lambda r: httpx.Response(200, content=answer))
    assert await connector.cases_by_ids(["7001"]) == [PROPOSAL]


def _log(events: list[dict[str, object]], mark: int, more: bool) -> bytes:
    return json.dumps({"events": events, "nextWatermark": mark, "hasMore": more}).encode()


def _entry(seq: int, kind: str = "case.updated") -> dict[str, object]:
    return {"seq": seq, "caseId": "7001", "type": kind, "timestamp": "2025-03-11T09:30:00+01:00"}


@pytest.mark.parametrize(
    "pages",
    [
        [_log([_entry(5), _entry(5)], 5, False)],  # sequence not rising
        [_log([_entry(5)], 4, False)],  # watermark behind the page
        [_log([_entry(5)], 5, True), _log([], 5, True)],  # stuck watermark
        [_log([_entry(5, "case.renamed")], 5, False)],  # unknown entry type
        [b'{"events": [], "hasMore": false}'],
        [b"<xml/>"],
    ],
)
async def test_a_broken_event_log_is_a_contract_error(pages: list[bytes]) -> None:
    answers = iter(pages)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/cases":
            return httpx.Response(200, content=_page())
        return httpx.Response(200, content=next(answers))

    with pytest.raises(UpstreamContractError):
        await mocked(KONTAKTCENTER_SYSTEM, handler).changed_cases(T0, at(1))


async def test_an_endless_log_is_cut_at_the_bound() -> None:
    seq = iter(range(1, 10**6))

    def handler(request: httpx.Request) -> httpx.Response:
        n = next(seq)
        return httpx.Response(200, content=_log([_entry(n)], n, True))

    async with mock_http("kontaktcenter", handler) as http:
        client = UpstreamClient("kontaktcenter", http)
        connector = kc.KontaktcenterConnector(client)
        with pytest.raises(UpstreamContractError):
            await connector.changed_cases(T0, at(1))
    assert client.calls == paging.MAX_SYNC_PAGES


async def test_generated_sandbox_bengts_proposal_and_every_case_maps() -> None:
    world = generate(seed=1, reference_date=date(2026, 11, 1), scale=0.05)
    async with connected(KONTAKTCENTER_SYSTEM, simulated(KONTAKTCENTER_SYSTEM, world)) as connector:
        (proposal,) = [
            c
            for c in await connector.cases_for_persons([BENGT])
            if c.type.code == "KC-MEDBORGARFORSLAG"
        ]
        assert proposal.main_case_number is not None
        assert proposal in await connector.cases_by_numbers([proposal.main_case_number])
        everything = await connector.changed_cases(
            datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        )
    assert proposal.subject == BENGT and proposal.unit == KC
    assert proposal.main_case_number.startswith("KF ")
    (handover,) = proposal.collaborations
    assert handover.kind is CollaborationKind.FORWARDING
    assert handover.to_unit.code == "KF"
    assert handover.counterpart is not None and handover.counterpart.system == "diarium"
    assert handover.counterpart_number == proposal.main_case_number
    assert proposal.events[0].kind is CaseEventKind.SUBMITTED
    assert CaseEventKind.FORWARDED in {e.kind for e in proposal.events}
    assert len(everything) == len(world.cases["kontaktcenter"])
    assert {c.channel for c in everything} <= {
        Channel.CONTACT_CENTRE,
        Channel.PHONE,
        Channel.VISIT,
        Channel.EMAIL,
        Channel.MAIL,
    }
