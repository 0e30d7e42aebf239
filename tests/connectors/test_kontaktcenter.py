"""KontaktcenterConnector against the simulated contact centre: mapping, tables, batching,
the event log read from a watermark, caching and bad bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from aiocache import SimpleMemoryCache
from kp_service_worlds import BENGT, kontaktcenter_world
from kp_service_worlds import KC_FILLERS as FILLERS
from kp_testing import CountingTransport as Counting
from kp_worlds import KALLE, T0, TOLVAN, at, mock_http

from connectors import kontaktcenter as kc
from connectors.base import CaseSource
from connectors.domain import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseRef,
    CaseStatus,
    CaseType,
    Channel,
    Collaboration,
    CollaborationKind,
    Document,
    DocumentDirection,
    Unit,
)
from connectors.errors import UpstreamContractError
from connectors.http import UpstreamClient
from simulators import kontaktcenter as kc_sim
from simulators import kontaktcenter_shapes as kc_shapes
from simulators import world as w
from simulators.generate import generate

KC = Unit("KC", "Kontaktcenter")


@pytest.fixture
def counting() -> Counting:
    return Counting(httpx.ASGITransport(app=kc_sim.create_app(kontaktcenter_world())))


@pytest.fixture
async def connector(counting: Counting) -> AsyncIterator[kc.KontaktcenterConnector]:
    async with httpx.AsyncClient(transport=counting, base_url="http://kontaktcenter.test") as http:
        yield kc.KontaktcenterConnector(
            UpstreamClient("kontaktcenter", http), page_size=10, log_page_size=7
        )


PROPOSAL = Case(
    ref=CaseRef("kontaktcenter", "7001"),
    case_number="KC-2025-0042",
    main_case_number="KF 2025/0117",
    type=CaseType("KC-MEDBORGARFORSLAG", "Medborgarförslag"),
    title="Medborgarförslag om utegym",
    description="Förslag om ett utegym i Stadsparken.",
    status=CaseStatus.FORWARDED,
    unit=KC,
    subject=BENGT,
    parties=(),
    channel=Channel.CONTACT_CENTRE,
    opened_at=T0,
    closed_at=None,
    confidential=False,
    secrecy_ground=None,
    link="https://etjanster.exempelby.se/kontaktcenter/arende/7001",
    events=(
        CaseEvent(
            "kontaktcenter:e1",
            T0,
            CaseEventKind.SUBMITTED,
            "Förslaget togs emot",
            description="Via telefon",
        ),
        CaseEvent(
            "kontaktcenter:e2",
            at(2),
            CaseEventKind.FORWARDED,
            "Överlämnat till registraturen",
            diary_event=True,
        ),
        CaseEvent(
            "kontaktcenter:e3", at(3), CaseEventKind.NOTICE, "Intern notering", internal=True
        ),
    ),
    documents=(
        Document("d1", "Medborgarförslag", DocumentDirection.INCOMING, T0),
        Document("d2", "Tjänsteanteckning", DocumentDirection.DRAFTED, at(1), confidential=True),
    ),
    collaborations=(
        Collaboration(
            CollaborationKind.FORWARDING,
            KC,
            Unit("KF", "Kommunfullmäktige"),
            at(2),
            follow_up_retained=False,
            counterpart=CaseRef("diarium", "D-1001"),
            counterpart_number="KF 2025/0117",
        ),
        Collaboration(
            CollaborationKind.FORWARDING,
            KC,
            Unit("KS", "Kommunstyrelsen"),
            at(3),
            follow_up_retained=True,
        ),
        Collaboration(
            CollaborationKind.REFERRAL,
            KC,
            Unit("TN", "Tekniska nämnden"),
            at(4),
            completed_at=at(30),
        ),
    ),
)

SECRET = Case(
    ref=CaseRef("kontaktcenter", "7002"),
    case_number="KC-2025-0043",
    type=CaseType("KC-FRAGA", "Fråga till kommunen"),
    title="Fråga om försörjningsstöd",
    status=CaseStatus.CLOSED,
    unit=KC,
    subject=TOLVAN,
    parties=(KALLE,),
    channel=Channel.VISIT,
    opened_at=at(5),
    closed_at=at(6),
    confidential=True,
    secrecy_ground="OSL 26 kap. 1 §",
    link="https://kontaktcenter.exempelby.se/fall/7002",
    events=(
        CaseEvent(
            "kontaktcenter:s1",
            at(5),
            CaseEventKind.SUBMITTED,
            "Besök i receptionen",
            concerns=TOLVAN,
        ),
    ),
)


async def test_is_a_case_source(connector: kc.KontaktcenterConnector) -> None:
    assert isinstance(connector, CaseSource)
    assert connector.system == kc.INFO


async def test_cases_for_persons_maps_whole_cases_in_one_request(
    connector: kc.KontaktcenterConnector, counting: Counting
) -> None:
    cases = await connector.cases_for_persons([TOLVAN, KALLE, "not-a-pnr"])
    assert cases == [SECRET]
    assert len(counting.requests) == 1
    assert counting.requests[0].url.params["contact"] == f"{TOLVAN},{KALLE}"
    assert cases[0].opened_at.tzinfo is not None and cases[0].opened_at.utcoffset() == timedelta(
        hours=1
    )


async def test_paging_is_followed(connector: kc.KontaktcenterConnector, counting: Counting) -> None:
    cases = await connector.cases_for_persons([BENGT])
    assert len(cases) == FILLERS + 1
    assert cases[0] == PROPOSAL
    assert [r.url.params["offset"] for r in counting.requests] == ["0", "10", "20", "30"]


async def test_every_state_entry_channel_and_direction_maps(
    connector: kc.KontaktcenterConnector,
) -> None:
    assert set(kc.STATUS) == set(kc_shapes.STATES.values())
    assert set(kc.EVENT_KIND) == set(kc_shapes.ENTRY_TYPES.values())
    assert set(kc.CHANNEL) == set(kc_shapes.CHANNELS.values())
    assert set(kc.DIRECTION) == set(kc_shapes.DIRECTIONS.values())
    assert {"case.created", "case.updated", *kc_shapes.LOG_TYPES.values()} == kc.LOG_TYPES
    cases = await connector.cases_for_persons([BENGT])
    assert {c.status for c in cases} == set(CaseStatus)
    assert {e.kind for c in cases for e in c.events} == set(CaseEventKind)
    assert {c.channel for c in cases} == set(Channel)
    assert {d.direction for c in cases for d in c.documents} == set(DocumentDirection)
    # the neutral vocabulary maps one to one onto the domain's
    for case in cases[1:]:
        world_status = w.STATUSES[(int(case.ref.local_id) - 7100) % len(w.STATUSES)]
        assert case.status is CaseStatus(world_status)


async def test_by_ids_and_numbers_one_request_each(
    connector: kc.KontaktcenterConnector, counting: Counting
) -> None:
    by_id = await connector.cases_by_ids(["7002", "7001", "7002", "x,y", "nope"])
    assert sorted(c.ref.local_id for c in by_id) == ["7001", "7002"]
    assert counting.requests[-1].url.params["id"] == "7002,7001,nope"
    by_number = await connector.cases_by_numbers(["KF 2025/0117", "KC-2025-0043"])
    assert by_number == [PROPOSAL, SECRET]
    assert len(counting.requests) == 2


async def test_ids_chunk_only_above_the_batch_limit(
    connector: kc.KontaktcenterConnector, counting: Counting
) -> None:
    ids = [str(7100 + i) for i in range(FILLERS)] + [f"x{i}" for i in range(200)]
    cases = await connector.cases_by_ids(ids)
    assert len(cases) == FILLERS
    assert sorted(
        len(r.url.params["id"].split(","))
        for r in counting.requests
        if r.url.params["offset"] == "0"
    ) == [35, 200]


async def test_empty_keys_make_no_call(
    connector: kc.KontaktcenterConnector, counting: Counting
) -> None:
    assert await connector.cases_for_persons([]) == []
    assert await connector.cases_by_ids([]) == []
    assert await connector.cases_by_numbers([]) == []
    assert await connector.cases_for_persons(["12345"]) == []
    assert counting.requests == []


async def test_changed_cases_reads_the_log_then_fetches_one_batch(
    connector: kc.KontaktcenterConnector, counting: Counting
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


async def test_changed_cases_of_an_empty_window(
    connector: kc.KontaktcenterConnector, counting: Counting
) -> None:
    assert await connector.changed_cases(at(-100), at(-50)) == []
    assert [r.url.path for r in counting.requests] == ["/api/eventlog"]


async def test_changed_cases_includes_the_proposal(connector: kc.KontaktcenterConnector) -> None:
    cases = await connector.changed_cases(T0.astimezone(UTC), at(7))
    assert cases == [PROPOSAL, SECRET]


async def test_cases_by_ids_served_from_cache(counting: Counting) -> None:
    async with httpx.AsyncClient(transport=counting, base_url="http://kontaktcenter.test") as http:
        cached = kc.KontaktcenterConnector(
            UpstreamClient("kontaktcenter", http), cache=SimpleMemoryCache()
        )
        assert await cached.cases_by_ids(["7001"]) == [PROPOSAL]
        assert await cached.cases_by_ids(["7001"]) == [PROPOSAL]
        both = await cached.cases_by_ids(["7001", "7002"])
    assert sorted(c.ref.local_id for c in both) == ["7001", "7002"]
    assert [r.url.params["id"] for r in counting.requests] == ["7001", "7002"]


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return mock_http("kontaktcenter", handler)


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
    async with _mock(lambda r: httpx.Response(200, content=body)) as http:
        connector = kc.KontaktcenterConnector(UpstreamClient("kontaktcenter", http))
        with pytest.raises(UpstreamContractError) as caught:
            await connector.cases_by_ids(["7001"])
    assert "kontaktcenter" in caught.value.message and "http" not in caught.value.message


async def test_a_good_mock_page_maps() -> None:
    async with _mock(lambda r: httpx.Response(200, content=_page(_good_record()))) as http:
        connector = kc.KontaktcenterConnector(UpstreamClient("kontaktcenter", http))
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

    async with _mock(handler) as http:
        connector = kc.KontaktcenterConnector(UpstreamClient("kontaktcenter", http))
        with pytest.raises(UpstreamContractError):
            await connector.changed_cases(T0, at(1))


async def test_an_endless_log_is_cut_at_the_bound() -> None:
    seq = iter(range(1, 10**6))

    def handler(request: httpx.Request) -> httpx.Response:
        n = next(seq)
        return httpx.Response(200, content=_log([_entry(n)], n, True))

    async with _mock(handler) as http:
        client = UpstreamClient("kontaktcenter", http)
        connector = kc.KontaktcenterConnector(client)
        with pytest.raises(UpstreamContractError):
            await connector.changed_cases(T0, at(1))
    assert client.calls == kc.paging.MAX_SYNC_PAGES


async def test_generated_sandbox_bengts_proposal_and_every_case_maps() -> None:
    world = generate(seed=1, reference_date=date(2026, 11, 1), scale=0.05)
    transport = httpx.ASGITransport(app=kc_sim.create_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://kontaktcenter.test") as http:
        connector = kc.KontaktcenterConnector(UpstreamClient("kontaktcenter", http))
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
