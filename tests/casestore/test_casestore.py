"""The case store over SQLite and PostgreSQL: upserts, chains, statistics, overdue, diary."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from casestore import (
    CaseStore,
    DiaryFilter,
    Dimension,
    OverdueFilter,
    StatisticsFilter,
    parse_dimensions,
)
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
from connectors.errors import ValidationError
from policies.statistics import StatisticsPolicy, publish
from policies.suppression import GroupFigures

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
TYPES = {
    "BYGGLOV": CaseType("BYGGLOV", "Bygglov", "Bygga och bo"),
    "LITTER": CaseType("LITTER", "Anmälan om nedskräpning", "Miljö"),
    "FELANM": CaseType("FELANM", "Felanmälan", "Gata och park"),
    "ETJ": CaseType("ETJ", "E-tjänsteärende", "Övrigt"),
}
UNITS = {
    u: Unit(u, n)
    for u, n in {
        "BN": "Byggnadsnämnden",
        "MBN": "Miljö- och hälsoskyddsnämnden",
        "TN": "Tekniska nämnden",
        "AME": "Arbetsmarknadsenheten",
        "KC": "Kontaktcenter",
    }.items()
}
PROMISES = {"BYGGLOV": 70, "LITTER": 14, "FELANM": 10}


def d(days: float) -> datetime:
    return T0 + timedelta(days=days)


def mk(
    system: str,
    lid: str,
    type_code: str,
    unit: str,
    opened: float,
    closed: float | None = None,
    *,
    channel: Channel | None = Channel.E_SERVICE,
    title: str = "Ärende",
    main: str | None = None,
    number: str | None = None,
    subject: str | None = None,
    confidential: bool = False,
    collabs: tuple[Collaboration, ...] = (),
    events: tuple[CaseEvent, ...] = (),
    docs: tuple[Document, ...] = (),
) -> Case:
    return Case(
        ref=CaseRef(system, lid),
        case_number=number or f"{unit} 2025/{lid}",
        main_case_number=main,
        type=TYPES[type_code],
        title=title,
        status=CaseStatus.CLOSED if closed is not None else CaseStatus.IN_PROGRESS,
        unit=UNITS[unit],
        opened_at=d(opened),
        closed_at=d(closed) if closed is not None else None,
        channel=channel,
        subject=subject,
        confidential=confidential,
        collaborations=collabs,
        events=events,
        documents=docs,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[CaseStore]:
    policy = StatisticsPolicy(PROMISES, 90)
    if request.param == "sqlite":
        async with CaseStore(":memory:", policy) as rep:
            yield rep
        return
    rep = CaseStore(PG_URL, policy, prefix=f"t{uuid.uuid4().hex[:10]}_")
    await rep.open()
    try:
        yield rep
    finally:
        await rep.drop_tables()
        await rep.close()


async def figures(
    rep: CaseStore, group_by: tuple[Dimension, ...], threshold: int = 5, **kw: object
) -> list[GroupFigures]:
    flt = StatisticsFilter(group_by=group_by, **kw)  # type: ignore[arg-type]
    return publish(await rep.statistics(flt, threshold, NOW), group_by, threshold)


def building_permits() -> list[Case]:
    """Six BN e-service permits in January (lead 10..60 days), two by mail (a hidden cell)."""
    cases = [mk("byggr", f"{i}", "BYGGLOV", "BN", i, i + 10 * (i + 1)) for i in range(6)]
    cases += [
        mk("byggr", "m1", "BYGGLOV", "BN", 3, 5, channel=Channel.MAIL),
        mk("byggr", "m2", "BYGGLOV", "BN", 4, channel=Channel.MAIL),
    ]
    return cases


async def test_statistics_from_upserted_cases(store: CaseStore) -> None:
    litter = [mk("ecos", f"L{i}", "LITTER", "MBN", 30 + i, channel=Channel.PHONE) for i in range(5)]
    await store.upsert([*building_permits(), *litter], NOW)
    assert await figures(store, (Dimension.UNIT,)) == [
        GroupFigures(
            None,
            UNITS["BN"],
            None,
            None,
            suppressed=False,
            opened=6,
            closed=6,
            lead_time_days_median=30.0,
            lead_time_days_p90=60.0,
            within_service_promise_share=1.0,
            overdue_open=0,
        ),
        GroupFigures(
            None,
            UNITS["MBN"],
            None,
            None,
            suppressed=False,
            opened=5,
            closed=0,
            lead_time_days_median=None,
            lead_time_days_p90=None,
            within_service_promise_share=None,
            overdue_open=5,
        ),
    ]
    by_channel = await figures(store, (Dimension.CHANNEL, Dimension.MONTH), unit="BN")
    assert [(g.channel, g.month, g.suppressed, g.opened) for g in by_channel] == [
        (Channel.E_SERVICE, "2025-01", False, 6),
        (Channel.MAIL, "2025-01", True, None),
    ]


async def test_reupsert_moves_a_case_between_cells_without_double_counting(
    store: CaseStore,
) -> None:
    await store.upsert(building_permits(), NOW)
    moved = mk("byggr", "0", "BYGGLOV", "BN", 40, 45)  # now opened in February
    await store.upsert([moved], NOW)
    groups = await figures(store, (Dimension.MONTH,), threshold=1)
    assert [(g.month, g.opened, g.closed) for g in groups] == [("2025-01", 7, 6), ("2025-02", 1, 1)]


def anna_chain() -> list[Case]:
    main = "MK-2025-837"
    teknik = mk(
        "teknik",
        "T77",
        "FELANM",
        "TN",
        1,
        6,
        channel=Channel.INTERNAL,
        main=main,
        collabs=(Collaboration(CollaborationKind.ASSIGNMENT, UNITS["TN"], UNITS["AME"], d(2)),),
    )
    ecos = mk(
        "ecos",
        "E837",
        "LITTER",
        "MBN",
        0.5,
        8,
        number=main,
        main=main,
        collabs=(
            Collaboration(
                CollaborationKind.FORWARDING,
                UNITS["MBN"],
                UNITS["TN"],
                d(1),
                follow_up_retained=True,
                counterpart=teknik.ref,
            ),
        ),
    )
    eservice = mk("eservice", "F1", "ETJ", "KC", 0, 0.5, main=main)
    return [teknik, ecos, eservice]


async def test_anna_chain_has_one_a_to_o_lead_time_whatever_the_arrival_order(
    store: CaseStore,
) -> None:
    teknik, ecos, eservice = anna_chain()
    for batch in ([teknik], [ecos], [eservice]):
        await store.upsert(batch, NOW, in_diary=False)
    total = await figures(store, (), threshold=1)
    assert [(g.opened, g.closed, g.lead_time_days_median) for g in total] == [(3, 3, 8.0)]
    per_unit = await figures(store, (Dimension.UNIT,), threshold=1)
    assert {g.unit.code: g.lead_time_days_median for g in per_unit if g.unit} == {
        "KC": None,
        "MBN": 8.0,
        "TN": None,
    }
    assert [g.within_service_promise_share for g in per_unit] == [None, 1.0, None]


async def test_overdue_list_oldest_breach_first_with_pages_and_units(store: CaseStore) -> None:
    cases = [mk("ecos", f"L{i}", "LITTER", "MBN", i) for i in range(4)]  # breach at 14 + i
    cases += [mk("teknik", f"F{i}", "FELANM", "TN", 2 * i) for i in range(3)]  # 10, 12, 14
    cases.append(mk("teknik", "done", "FELANM", "TN", 0, 30))
    cases.append(mk("teknik", "fresh", "FELANM", "TN", 140))  # not yet breached at NOW
    await store.upsert(cases, NOW)
    page = await store.overdue(OverdueFilter(), 3, None, NOW)
    assert [(i.ref.local_id, i.breach_at) for i in page.items] == [
        ("F0", d(10)),
        ("F1", d(12)),
        ("L0", d(14)),
    ]
    assert (page.total_count, page.has_next_page) == (7, True)
    rest = await store.overdue(OverdueFilter(), 10, page.end_cursor, NOW)
    assert [i.ref.local_id for i in rest.items] == ["F2", "L1", "L2", "L3"]
    assert not rest.has_next_page
    mine = await store.overdue(OverdueFilter(units_allowed=frozenset({"TN"})), 50, None, NOW)
    assert [i.ref.local_id for i in mine.items] == ["F0", "F1", "F2"]
    assert mine.items[0].target_days == 10
    typed = await store.overdue(OverdueFilter(case_type="LITTER", unit="MBN"), 50, None, NOW)
    assert typed.total_count == 4
    nobody = await store.overdue(OverdueFilter(units_allowed=frozenset()), 50, None, NOW)
    assert (nobody.items, nobody.total_count) == ([], 0)
    with pytest.raises(ValidationError) as bad:
        await store.overdue(OverdueFilter(), 5, "not-a-cursor", NOW)
    assert bad.value.code == "INVALID_CURSOR"


async def test_public_diary_is_masked_filtered_and_paged(store: CaseStore) -> None:
    kalle = mk(
        "byggr",
        "193",
        "BYGGLOV",
        "BN",
        10,
        number="BN 2025/0193",
        title="Bygglov garage, Kalle Testson 195606055555",
        subject="195606055555",
        docs=(Document("d1", "Ritning Kalle Testson", DocumentDirection.INCOMING, d(10)),),
    )
    secret = mk(
        "byggr", "194", "BYGGLOV", "BN", 11, title="Ärende om Greta Testson", confidential=True
    )
    other = mk("ecos", "E1", "LITTER", "MBN", 12, title="Nedskräpning vid Storgatan 3")
    internal = mk("teknik", "X", "FELANM", "TN", 13, title="Trasig lykta")
    await store.upsert([kalle, secret, other], NOW, names={"195606055555": "Kalle Testson"})
    await store.upsert([internal], NOW, in_diary=False)
    page = await store.diary(DiaryFilter(), 2, None)
    assert [(e.case_number, e.title, e.confidential) for e in page.items] == [
        ("MBN 2025/E1", "Nedskräpning vid Storgatan 3", False),
        ("BN 2025/194", "Sekretessbelagt ärende", True),
    ]
    assert (page.total_count, page.has_next_page) == (3, True)
    last = await store.diary(DiaryFilter(), 2, page.end_cursor)
    (entry,) = last.items
    assert entry.title == "Bygglov garage, [personuppgift] [personuppgift]"
    assert [doc.title for doc in entry.documents] == ["Ritning [personuppgift]"]
    assert entry.registered_at == d(10) and entry.unit == UNITS["BN"]
    assert not last.has_next_page
    for text in ("Testson", "5555"):
        assert (await store.diary(DiaryFilter(text=text), 50, None)).total_count == 0
    found = await store.diary(DiaryFilter(text="GARAGE"), 50, None)
    assert [e.case_number for e in found.items] == ["BN 2025/0193"]
    by_number = await store.diary(DiaryFilter(text="2025/0193"), 50, None)
    assert by_number.total_count == 1
    assert (await store.diary(DiaryFilter(text="100%"), 50, None)).total_count == 0
    bn = await store.diary(DiaryFilter(unit="BN"), 50, None)
    assert [e.case_number for e in bn.items] == ["BN 2025/194", "BN 2025/0193"]
    day = (T0 + timedelta(days=11)).date()
    window = await store.diary(DiaryFilter(registered_from=day, registered_to=day), 50, None)
    assert [e.case_number for e in window.items] == ["BN 2025/194"]


@pytest.mark.parametrize(
    ("flt", "code"),
    [
        (StatisticsFilter(from_date=date(2025, 5, 1), to_date=date(2025, 1, 1)), "INVALID_PERIOD"),
        (StatisticsFilter(from_date=date(2001, 1, 1), to_date=date(2025, 1, 1)), "INVALID_PERIOD"),
        (StatisticsFilter(from_date=date(1999, 12, 31)), "INVALID_PERIOD"),
        (StatisticsFilter(to_date=date(2101, 1, 1)), "INVALID_PERIOD"),
        (StatisticsFilter(case_type="NOPE"), "UNKNOWN_CASE_TYPE"),
        (StatisticsFilter(unit="XX"), "UNKNOWN_UNIT"),
        (StatisticsFilter(group_by=(Dimension.UNIT, Dimension.UNIT)), "UNKNOWN_DIMENSION"),
    ],
)
async def test_statistics_validation(store: CaseStore, flt: StatisticsFilter, code: str) -> None:
    await store.upsert(building_permits(), NOW)
    with pytest.raises(ValidationError) as bad:
        await store.statistics(flt, 5, NOW)
    assert bad.value.code == code


async def test_page_size_and_period_validation(store: CaseStore) -> None:
    for first in (0, 501):
        with pytest.raises(ValidationError) as bad:
            await store.overdue(OverdueFilter(), first, None, NOW)
        assert (bad.value.code, bad.value.field) == ("INVALID_PAGE_SIZE", "first")
        with pytest.raises(ValidationError):
            await store.diary(DiaryFilter(), first, None)
    reversed_period = DiaryFilter(registered_from=date(2025, 2, 1), registered_to=date(2025, 1, 1))
    with pytest.raises(ValidationError) as bad:
        await store.diary(reversed_period, 10, None)
    assert bad.value.code == "INVALID_PERIOD"
    assert (await store.diary(DiaryFilter(), 500, None)).items == []


def test_dimension_names_are_checked() -> None:
    assert parse_dimensions(["MONTH", "UNIT"]) == (Dimension.MONTH, Dimension.UNIT)
    for names in (["WEEK"], ["unit"], ["UNIT", "UNIT"]):
        with pytest.raises(ValidationError) as bad:
            parse_dimensions(names)
        assert bad.value.code == "UNKNOWN_DIMENSION"


async def test_pause_for_the_citizen_is_net_of_waiting_in_statistics(store: CaseStore) -> None:
    req = CaseEvent("e1", d(2), CaseEventKind.COMPLETION_REQUESTED, "")
    rec = CaseEvent("e2", d(12), CaseEventKind.COMPLETION_RECEIVED, "")
    cases = [mk("byggr", f"{i}", "BYGGLOV", "BN", 0, 30, events=(req, rec)) for i in range(5)]
    await store.upsert(cases, NOW)
    (total,) = await figures(store, ())
    assert (total.lead_time_days_median, total.lead_time_days_p90) == (20.0, 20.0)
    reopened = [replace(c, closed_at=None, status=CaseStatus.IN_PROGRESS) for c in cases]
    await store.upsert(reopened, NOW)
    (total,) = await figures(store, ())
    assert (total.closed, total.lead_time_days_median, total.overdue_open) == (0, None, 5)
