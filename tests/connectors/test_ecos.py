"""EcosConnector against the simulated Ecos: mapping, tables, paging, batching, bad bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiocache import SimpleMemoryCache
from kp_system_worlds import ecos_world
from kp_testing import CountingTransport as Counting
from kp_worlds import ANNA, TOLVAN, at, connector_over

from connectors import ecos
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
from simulators import ecos as ecos_sim
from simulators import world as w

MBN = Unit("MBN", "Miljö- och hälsoskyddsnämnden")


@pytest.fixture
def counting() -> Counting:
    return Counting(httpx.ASGITransport(app=ecos_sim.create_app(ecos_world())))


@pytest.fixture
async def connector(counting: Counting) -> AsyncIterator[ecos.EcosConnector]:
    async with httpx.AsyncClient(base_url="http://ecos.test", transport=counting) as http:
        yield ecos.EcosConnector(UpstreamClient("ecos", http), page_size=10)


EXPECTED_LITTERING = Case(
    ref=CaseRef("ecos", "4711"),
    case_number="MK-2025-837",
    main_case_number="MK-2025-837",
    type=CaseType("MILJO-NEDSKRAPNING", "Nedskräpning"),
    title="Nedskräpning vid återvinningsstationen",
    description="Soppåsar dumpade bakom containrarna.",
    status=CaseStatus.FORWARDED,
    unit=MBN,
    subject=ANNA,
    parties=(TOLVAN,),
    channel=Channel.E_SERVICE,
    opened_at=at(0),
    closed_at=None,
    confidential=True,
    secrecy_ground="OSL 21 kap. 7 §",
    link="https://etjanster.exempelby.se/miljo/arende/4711",
    events=(
        CaseEvent(
            "ecos:4711-e1", at(0), CaseEventKind.SUBMITTED, "Anmälan inkommen", diary_event=True
        ),
        CaseEvent(
            "ecos:4711-e2",
            at(2),
            CaseEventKind.REGISTERED,
            "Registrerad",
            "Intern notering",
            internal=True,
        ),
        CaseEvent(
            "ecos:4711-e3", at(5), CaseEventKind.FORWARDED, "Överlämnad till TN", concerns=TOLVAN
        ),
    ),
    documents=(
        Document("4711-d1", "Anmälan", DocumentDirection.INCOMING, at(0)),
        Document(
            "4711-d2", "Tjänsteanteckning", DocumentDirection.DRAFTED, at(3), confidential=True
        ),
    ),
    collaborations=(
        Collaboration(
            CollaborationKind.FORWARDING,
            MBN,
            Unit("TN", "Tekniska nämnden"),
            at(5),
            at(9),
            follow_up_retained=True,
            counterpart=CaseRef("teknik", "fr-2025-00042"),
            counterpart_number="FEL-2025-00042",
        ),
        Collaboration(CollaborationKind.REFERRAL, MBN, Unit("BN", "Byggnadsnämnden"), at(6)),
    ),
)


async def test_is_a_case_source(connector: ecos.EcosConnector) -> None:
    assert isinstance(connector, CaseSource)
    assert connector.system == ecos.INFO


async def test_cases_for_persons_maps_the_whole_case(
    connector: ecos.EcosConnector, counting: Counting
) -> None:
    cases = await connector.cases_for_persons([ANNA])
    assert cases == [EXPECTED_LITTERING]
    assert all(e.occurred_at.tzinfo is not None for e in cases[0].events)
    assert len(counting.requests) == 1


async def test_paging_is_followed_in_one_call_per_page(
    connector: ecos.EcosConnector, counting: Counting
) -> None:
    cases = await connector.cases_for_persons([TOLVAN, ANNA, TOLVAN])
    assert sorted(c.ref.local_id for c in cases) == sorted(
        ["4711", *(str(5000 + i) for i in range(35))]
    )
    assert len(counting.requests) == 4  # 36 cases, pages of 10
    assert {r.url.params["personalIdentityNumber"] for r in counting.requests} == {
        f"{TOLVAN},{ANNA}"
    }


async def test_every_status_and_event_code_maps(connector: ecos.EcosConnector) -> None:
    cases = await connector.cases_by_ids([f"7{n}" for n in range(len(w.STATUSES))])
    by_id = {c.ref.local_id: c for c in cases}
    for n, status in enumerate(w.STATUSES):
        case = by_id[f"7{n}"]
        assert case.status is CaseStatus(status)
        assert case.channel is Channel(w.CHANNELS[n])
        assert [e.kind for e in case.events] == [CaseEventKind(k) for k in w.EVENT_KINDS]
    assert set(ecos.STATUS) == set(ecos_sim.STATUS_CODES.values())
    assert set(ecos.EVENT_KIND) == set(ecos_sim.OCCURRENCE_TYPES.values())


async def test_numbers_match_case_or_main_number_in_one_request(
    connector: ecos.EcosConnector, counting: Counting
) -> None:
    cases = await connector.cases_by_numbers(["MK-2025-837", "MK-2025-999", "MK-1,2", "MK-0000-0"])
    assert len(cases) == 36
    assert counting.requests[0].url.params["caseNumber"] == "MK-2025-837,MK-2025-999,MK-0000-0"
    assert len(counting.requests) == 4  # one search, paged by 10


async def test_ids_chunk_only_above_the_batch_limit(
    connector: ecos.EcosConnector, counting: Counting
) -> None:
    ids = ["4711", *(f"missing-{i}" for i in range(250))]
    assert await connector.cases_by_ids(ids) == [EXPECTED_LITTERING]
    assert len(counting.requests) == 2


async def test_empty_keys_make_no_call(connector: ecos.EcosConnector, counting: Counting) -> None:
    assert await connector.cases_for_persons([]) == []
    assert await connector.cases_by_ids([]) == []
    assert await connector.cases_by_numbers(["", "a,b"]) == []
    assert await connector.cases_for_persons(["not-a-pnr"]) == []
    assert counting.requests == []


async def test_changed_cases_follows_every_page_of_the_window(
    connector: ecos.EcosConnector, counting: Counting
) -> None:
    cases = await connector.changed_cases(at(5), at(130))
    assert [c.ref.local_id for c in cases] == ["4711", *(str(5000 + i) for i in range(30))]
    assert len(counting.requests) == 4
    assert counting.requests[0].url.params["from"] == "2025-03-11T13:30:00Z"
    with pytest.raises(ValueError):
        await connector.changed_cases(datetime(2025, 1, 1), datetime(2025, 2, 1))


async def test_cases_by_ids_served_from_cache(counting: Counting) -> None:
    async with httpx.AsyncClient(base_url="http://ecos.test", transport=counting) as http:
        cached = ecos.EcosConnector(UpstreamClient("ecos", http), cache=SimpleMemoryCache())
        assert await cached.cases_by_ids(["4711"]) == [EXPECTED_LITTERING]
        assert await cached.cases_by_ids(["4711"]) == [EXPECTED_LITTERING]
        assert len(counting.requests) == 1
        await cached.cases_by_ids(["4711", "70"])
        assert counting.requests[-1].url.params["ids"] == "70"


def _record(**changes: object) -> dict[str, object]:
    rec = json.loads(json.dumps(ecos_sim._case(ecos_world().case("ecos", "4711"), {})))  # type: ignore[arg-type]
    rec.update(changes)
    return rec


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> ecos.EcosConnector:
    return connector_over(ecos.EcosConnector, "ecos", handler, retries=True)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\x00<<garbage",
        b"[]",
        b'{"items": {}}',
        b'{"nextPageToken": null}',
        json.dumps({"items": [_record(statusCode="PAUSAD")], "nextPageToken": None}).encode(),
        json.dumps({"items": [_record(statusCode=3)], "nextPageToken": None}).encode(),
        json.dumps(
            {"items": [_record(registeredDate="2025-03-11 08:30")], "nextPageToken": None}
        ).encode(),
        json.dumps({"items": [_record(isConfidential="no")], "nextPageToken": None}).encode(),
        json.dumps(
            {
                "items": [_record(parties=[{"role": "AGENT", "personalIdentityNumber": ANNA}])],
                "nextPageToken": None,
            }
        ).encode(),
        json.dumps({"items": [_record(occurrences=[{"id": "x"}])], "nextPageToken": None}).encode(),
        json.dumps({"items": [_record(id=None)], "nextPageToken": None}).encode(),
        json.dumps({"items": [_record()], "nextPageToken": 7}).encode(),
    ],
)
async def test_malformed_answers_are_contract_errors(body: bytes) -> None:
    connector = _mock(lambda request: httpx.Response(200, content=body))
    with pytest.raises(UpstreamContractError) as caught:
        await connector.cases_for_persons([ANNA])
    assert caught.value.system == "ecos"
    assert "ecos.test" not in caught.value.message and "garbage" not in caught.value.message


async def test_a_repeating_cursor_is_a_contract_error() -> None:
    body = {"items": [_record()], "nextPageToken": "same"}
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=body)

    with pytest.raises(UpstreamContractError):
        await _mock(handler).cases_by_ids(["4711"])
    assert len(calls) == 2


async def test_endless_paging_is_cut_at_the_bound() -> None:
    counter = iter(range(10_000))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [], "nextPageToken": f"t{next(counter)}"})

    with pytest.raises(UpstreamContractError):
        await _mock(handler).cases_by_numbers(["MK-2025-837"])
    assert next(counter) == 50


async def test_utc_times_become_aware_stockholm_times() -> None:
    body = {"items": [_record()], "nextPageToken": None}
    (case,) = await _mock(lambda r: httpx.Response(200, json=body)).cases_for_persons([ANNA])
    assert case.opened_at == datetime(2025, 3, 11, 8, 30, tzinfo=UTC)
    assert case.opened_at.utcoffset() == timedelta(hours=1)


def test_huge_answers_keep_the_newest_cases() -> None:
    from connectors import paging

    cases = [
        replace(EXPECTED_LITTERING, ref=CaseRef("ecos", str(i)), opened_at=at(i)) for i in range(7)
    ]
    kept = paging.capped(cases, limit=3)
    assert [c.ref.local_id for c in kept] == ["6", "5", "4"]
    assert paging.capped(cases) is cases
