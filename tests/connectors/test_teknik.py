"""TeknikConnector against the simulated fault-report system."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from aiocache import SimpleMemoryCache
from kp_system_worlds import teknik_world
from kp_testing import CountingTransport as Counting
from kp_worlds import ANNA, TOLVAN, at, connector_over

from connectors import teknik
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
from simulators import teknik as teknik_sim
from simulators import world as w

TN = Unit("TN", "Tekniska nämnden")
AME = Unit("AME", "Arbetsmarknadsenheten")


@pytest.fixture
def counting() -> Counting:
    return Counting(httpx.ASGITransport(app=teknik_sim.create_app(teknik_world())))


@pytest.fixture
async def connector(counting: Counting) -> AsyncIterator[teknik.TeknikConnector]:
    async with httpx.AsyncClient(base_url="http://teknik.test", transport=counting) as http:
        yield teknik.TeknikConnector(UpstreamClient("teknik", http), page_size=10)


EXPECTED = Case(
    ref=CaseRef("teknik", "fr-2025-00042"),
    case_number="FEL-2025-00042",
    main_case_number="MK-2025-837",
    type=CaseType("TEK-STAD", "Skräpplockning/städning"),
    title="Städning vid återvinningsstationen",
    description="Överlämnat från miljö.",
    status=CaseStatus.CLOSED,
    unit=TN,
    subject=ANNA,
    parties=(TOLVAN,),
    channel=Channel.INTERNAL,
    opened_at=at(0),
    closed_at=at(48),
    confidential=False,
    secrecy_ground=None,
    link="https://felanmalan.example/42",
    events=(
        CaseEvent(
            "teknik:fr42-e1", at(0), CaseEventKind.REGISTERED, "Mottaget från MBN", diary_event=True
        ),
        CaseEvent(
            "teknik:fr42-e2",
            at(3),
            CaseEventKind.ASSIGNMENT_GIVEN,
            "Uppdrag till AME",
            "Plocka skräp",
            concerns=ANNA,
        ),
        CaseEvent(
            "teknik:fr42-e3",
            at(40),
            CaseEventKind.ASSIGNMENT_COMPLETED,
            "Klarmarkerat av AME",
            internal=True,
        ),
        CaseEvent("teknik:fr42-e4", at(48), CaseEventKind.CLOSED, "Avslutat"),
    ),
    documents=(Document("fr42-d1", "Uppdrag", DocumentDirection.OUTGOING, at(3)),),
    collaborations=(
        Collaboration(CollaborationKind.ASSIGNMENT, TN, AME, at(3), at(40)),
        Collaboration(
            CollaborationKind.FORWARDING,
            Unit("MBN", "Miljö- och hälsoskyddsnämnden"),
            TN,
            at(0),
            follow_up_retained=True,
            counterpart=CaseRef("ecos", "4711"),
            counterpart_number="MK-2025-837",
        ),
    ),
)


async def test_is_a_case_source(connector: teknik.TeknikConnector) -> None:
    assert isinstance(connector, CaseSource)
    assert connector.system == teknik.INFO


async def test_cases_for_persons_maps_the_whole_case(
    connector: teknik.TeknikConnector, counting: Counting
) -> None:
    assert await connector.cases_for_persons([ANNA]) == [EXPECTED]
    assert len(counting.requests) == 1
    assert counting.requests[0].url.params.get_list("pnr") == [ANNA]


async def test_offset_paging_followed(
    connector: teknik.TeknikConnector, counting: Counting
) -> None:
    cases = await connector.cases_for_persons([TOLVAN, ANNA])
    assert len(cases) == 34
    assert [r.url.params["offset"] for r in counting.requests] == ["0", "10", "20", "30"]
    assert all(r.url.params.get_list("pnr") == [TOLVAN, ANNA] for r in counting.requests)


async def test_every_status_and_event_code_maps(connector: teknik.TeknikConnector) -> None:
    cases = {c.ref.local_id: c for c in await connector.cases_by_ids([f"st-{n}" for n in range(9)])}
    emitted = {teknik_sim.status_of(teknik_world().case("teknik", f"st-{n}")) for n in range(9)}  # type: ignore[arg-type]
    assert emitted == set(teknik.STATUS) == set(teknik_sim.STATUSES)
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
    assert set(teknik.EVENT_KIND) == set(teknik_sim.EVENT_TYPES.values())
    assert set(teknik.CHANNEL) == set(teknik_sim.CHANNELS.values())


async def test_numbers_and_ids_in_one_request(
    connector: teknik.TeknikConnector, counting: Counting
) -> None:
    assert await connector.cases_by_numbers(["MK-2025-837", "FEL-1,2"]) == [EXPECTED]
    assert await connector.cases_by_ids(["fr-2025-00042", "nope"]) == [EXPECTED]
    assert len(counting.requests) == 2
    many = [f"x{i}" for i in range(401)]
    assert await connector.cases_by_ids(many) == []
    assert len(counting.requests) == 5  # 401 keys → 3 chunks of at most 200


async def test_empty_keys_make_no_call(
    connector: teknik.TeknikConnector, counting: Counting
) -> None:
    assert await connector.cases_for_persons(["19121212-1212"]) == []
    assert await connector.cases_by_numbers([]) == []
    assert counting.requests == []


async def test_changed_cases_window_and_paging(
    connector: teknik.TeknikConnector, counting: Counting
) -> None:
    cases = await connector.changed_cases(at(48), at(125))
    assert [c.ref.local_id for c in cases] == [
        "fr-2025-00042",
        *(f"fr-2025-{100 + i:05d}" for i in range(25)),
    ]
    assert len(counting.requests) == 3
    assert counting.requests[0].url.params["fran"] == "2025-03-13T09:30:00+01:00"


async def test_cache_serves_repeated_ids(counting: Counting) -> None:
    async with httpx.AsyncClient(base_url="http://teknik.test", transport=counting) as http:
        cached = teknik.TeknikConnector(UpstreamClient("teknik", http), cache=SimpleMemoryCache())
        await cached.cases_by_ids(["fr-2025-00042"])
        assert await cached.cases_by_ids(["fr-2025-00042"]) == [EXPECTED]
        assert len(counting.requests) == 1


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


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> teknik.TeknikConnector:
    return connector_over(teknik.TeknikConnector, "teknik", handler, retries=True)


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
    with pytest.raises(UpstreamContractError) as caught:
        await _mock(lambda request: httpx.Response(200, content=body)).cases_for_persons([ANNA])
    assert caught.value.system == "teknik"
    assert "teknik.test" not in caught.value.message


async def test_endless_offsets_are_cut_at_the_bound() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, content=_page(_record(), total=10**9))

    with pytest.raises(UpstreamContractError):
        await _mock(handler).cases_for_persons([ANNA])
    assert len(calls) == 50
