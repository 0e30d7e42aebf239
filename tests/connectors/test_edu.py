"""EduConnector against the simulated placement system."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiocache import SimpleMemoryCache
from kp_service_worlds import KARIN, NILS, edu_world
from kp_testing import CountingTransport as Counting
from kp_worlds import KALLE, at, connector_over

from connectors import edu
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
from simulators import edu as edu_sim
from simulators import edu_shapes
from simulators import world as w

BUN = Unit("BUN", "Barn- och utbildningsnämnden")


@pytest.fixture
def counting() -> Counting:
    return Counting(httpx.ASGITransport(app=edu_sim.create_app(edu_world())))


@pytest.fixture
async def connector(counting: Counting) -> AsyncIterator[edu.EduConnector]:
    async with httpx.AsyncClient(base_url="http://edu.test", transport=counting) as http:
        yield edu.EduConnector(UpstreamClient("edu", http), page_size=10)


PRESCHOOL = Case(
    ref=CaseRef("edu", "100234"),
    case_number="FSK-2025-00012",
    main_case_number="FSK-2025-00010",
    type=CaseType("EDU-FORSKOLA", "Förskoleplats"),
    title="Förskoleplats för Nils",
    description="Önskar Nyckelpigan i första hand.",
    status=CaseStatus.DECIDED,
    unit=BUN,
    subject=NILS,
    parties=(KALLE,),
    channel=Channel.E_SERVICE,
    opened_at=at(0),
    link="https://etjanster.exempelby.se/forskola/ansokan/100234",
    events=(
        CaseEvent(
            "edu:100234-e1",
            at(0),
            CaseEventKind.SUBMITTED,
            "Förskoleplats sökt",
            "Via e-tjänst",
            concerns=NILS,
        ),
        CaseEvent(
            "edu:100234-e2",
            at(24),
            CaseEventKind.STATUS_CHANGED,
            "Förskoleansökan ändrad",
            concerns=NILS,
        ),
        CaseEvent(
            "edu:100234-e3",
            at(48),
            CaseEventKind.DECIDED,
            "Förskoleplats tilldelad i Nyckelpigan",
            diary_event=True,
        ),
    ),
    documents=(Document("100234-d1", "Placeringsbesked", DocumentDirection.OUTGOING, at(48)),),
    collaborations=(
        Collaboration(
            CollaborationKind.REFERRAL,
            BUN,
            Unit("KS", "Kommunstyrelsen"),
            at(30),
            at(40),
            counterpart=CaseRef("diarium", "100412"),
            counterpart_number="KS 2025/0412",
        ),
    ),
)

HEALTH = Case(
    ref=CaseRef("edu", "100235"),
    case_number="EH-2025-00001",
    type=CaseType("EDU-ELEVHALSA", "Elevhälsa"),
    title="Elevhälsoärende",
    status=CaseStatus.WAITING_FOR_CITIZEN,
    unit=BUN,
    subject=NILS,
    channel=Channel.INTERNAL,
    opened_at=at(1),
    confidential=True,
    secrecy_ground="OSL 25 kap. 1 §",
    link="https://etjanster.exempelby.se/forskola/ansokan/100235",
    events=(
        CaseEvent(
            "edu:100235-e1",
            at(2),
            CaseEventKind.COMPLETION_REQUESTED,
            "Komplettering begärd",
            internal=True,
        ),
    ),
    documents=(
        Document(
            "100235-d1", "Journalanteckning", DocumentDirection.DRAFTED, at(2), confidential=True
        ),
    ),
)


async def test_is_a_case_source(connector: edu.EduConnector) -> None:
    assert isinstance(connector, CaseSource)
    assert connector.system == edu.INFO


async def test_a_custodian_gets_the_childs_cases_fully_mapped(
    connector: edu.EduConnector, counting: Counting
) -> None:
    assert await connector.cases_for_persons([KALLE]) == [PRESCHOOL, HEALTH]
    assert len(counting.requests) == 1
    assert PRESCHOOL.opened_at.tzinfo is not None


async def test_page_numbers_followed(connector: edu.EduConnector, counting: Counting) -> None:
    cases = await connector.cases_for_persons([KARIN, NILS])
    assert len(cases) == 33
    assert [r.url.params["page"] for r in counting.requests] == ["1", "2", "3", "4"]


async def test_every_status_and_event_code_maps(connector: edu.EduConnector) -> None:
    cases = {
        c.ref.local_id: c for c in await connector.cases_by_ids([str(300 + n) for n in range(7)])
    }
    for n, status in enumerate(w.STATUSES):
        case = cases[str(300 + n)]
        assert case.status is CaseStatus(status)
        assert case.channel is Channel(w.CHANNELS[n])
        assert [e.kind for e in case.events] == [CaseEventKind(k) for k in w.EVENT_KINDS]
    assert set(edu.STATUS) == set(edu_shapes.STATUS_TEXTS)
    assert set(edu.EVENT_KIND) == set(edu_shapes.EVENT_CODES.values())
    assert set(edu.CHANNEL) == set(edu_shapes.CHANNEL_CODES.values())


async def test_ids_numbers_and_key_hygiene(connector: edu.EduConnector, counting: Counting) -> None:
    assert await connector.cases_by_ids(["100234", "abc", "٣", "-1"]) == [PRESCHOOL]
    assert counting.requests[-1].url.params["ids"] == "100234"
    assert await connector.cases_by_numbers(["FSK-2025-00010"]) == [PRESCHOOL]
    assert len(counting.requests) == 2
    assert await connector.cases_by_ids(["abc"]) == []
    assert len(counting.requests) == 2


async def test_changed_cases_rounds_ms_outwards(
    connector: edu.EduConnector, counting: Counting
) -> None:
    since = at(48) + timedelta(microseconds=700)
    cases = await connector.changed_cases(since, at(110))
    assert [c.ref.local_id for c in cases] == ["100234", *(str(200000 + i) for i in range(10))]
    first = counting.requests[0].url.params
    assert int(first["fromMs"]) == int(
        (at(48) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000
    )
    assert len(counting.requests) == 2


async def test_cache_serves_repeated_ids(counting: Counting) -> None:
    async with httpx.AsyncClient(base_url="http://edu.test", transport=counting) as http:
        cached = edu.EduConnector(UpstreamClient("edu", http), cache=SimpleMemoryCache())
        await cached.cases_by_ids(["100234", "100235"])
        assert sorted(c.ref.local_id for c in await cached.cases_by_ids(["100235", "100234"])) == [
            "100234",
            "100235",
        ]
        assert len(counting.requests) == 1


def _record(**changes: object) -> dict[str, object]:
    world = edu_world()
    app = edu_sim._EduApi(world)
    rec = json.loads(json.dumps(app._application(world.case("edu", "100234"))))  # type: ignore[arg-type]
    rec.update(changes)
    return rec


def _page(*records: dict[str, object], total_pages: object = 1) -> bytes:
    body = {
        "page": 1,
        "pageSize": 500,
        "totalPages": total_pages,
        "totalItems": len(records),
        "data": list(records),
    }
    return json.dumps(body).encode()


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> edu.EduConnector:
    return connector_over(edu.EduConnector, "edu", handler, retries=True)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b'{"data": []}',
        _page(_record(statusCode=11)),
        _page(_record(statusCode="4")),
        _page(_record(createdMs=1.5e12)),
        _page(_record(createdMs=-1)),
        _page(_record(applicationId=True)),
        _page(_record(submittedVia=0)),
        _page(_record(guardians=[{"personalNumber": KALLE}])),
        _page(_record(history=[{"eventId": "e", "timestampMs": 1, "eventCode": 99, "text": "x"}])),
        _page(total_pages=2),  # page 1 empty although two pages promised
        _page(_record(), total_pages=51),
    ],
)
async def test_malformed_answers_are_contract_errors(body: bytes) -> None:
    with pytest.raises(UpstreamContractError) as caught:
        await _mock(lambda request: httpx.Response(200, content=body)).cases_for_persons([KALLE])
    assert caught.value.system == "edu"
    assert "edu.test" not in caught.value.message


async def test_integer_ids_become_text() -> None:
    (case,) = await _mock(lambda r: httpx.Response(200, content=_page(_record()))).cases_by_ids(
        ["100234"]
    )
    assert case.ref == CaseRef("edu", "100234")
    assert case == PRESCHOOL
