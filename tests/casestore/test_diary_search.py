"""Diary free text through the stores' text indexes (SQLite FTS5 trigram, PostgreSQL
pg_trgm): the same matches as a substring search, kept in step with every upsert."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from casestore import CaseStore, DiaryFilter, backend_for
from casestore.search import PROBE
from connectors.domain import Case, CaseRef, CaseStatus, CaseType, Channel, Unit
from policies.statistics import StatisticsPolicy

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BN = Unit("BN", "Byggnadsnämnden")
PERMIT = CaseType("BYGGLOV", "Bygglov", "Bygga och bo")

TITLES = [
    "Bygglov garage, Storgatan 3",
    "Bygglov för GARAGE och carport",
    "Rivningslov förråd",
    "Strandskyddsdispens, 100% inom zonen",
    'Ansökan om "tillfälligt" lov',
    "Ändrad användning av lokal_1",
    "Marklov, Östra vägen",
    "Förhandsbesked fritidshus",
    "Ärende 4711 om bygglov",
    "Nybyggnad ÄRENDE 47",
]
SEARCHES = [
    "garage",
    "GARAGE",
    "  bygglov ",
    "lov",
    "100%",
    "0%",
    "%",
    '"tillfälligt"',
    '"',
    "lokal_1",
    "l_1",
    "östra",
    "ärende 4711",
    "2025/0003",
    "bn 2025/00",
    "ab",
    "a",
    "ÄR",
    "ingen träff",
    "\n",
]


def case(i: int, title: str, unit: Unit = BN, day: int | None = None) -> Case:
    return Case(
        ref=CaseRef("byggr", f"{i}"),
        case_number=f"{unit.code} 2025/{i:04d}",
        main_case_number=None,
        type=PERMIT,
        title=title,
        status=CaseStatus.IN_PROGRESS,
        unit=unit,
        opened_at=T0 + timedelta(days=i if day is None else day),
        channel=Channel.E_SERVICE,
    )


@pytest.fixture(
    params=[
        "sqlite",
        # SQLite lists at most `text_probe` hits from its index before it reads the newest
        # entries instead (4 × text_probe of them, then the index's list after all)
        "sqlite-probe-1",
        "sqlite-probe-3",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[CaseStore]:
    policy = StatisticsPolicy({}, 90)
    if request.param.startswith("sqlite"):
        probe = int(request.param.split("-")[-1]) if "probe" in request.param else PROBE
        async with CaseStore(":memory:", policy, text_probe=probe) as rep:
            yield rep
        return
    rep = CaseStore(PG_URL, policy, prefix=f"s{uuid.uuid4().hex[:10]}_")
    await rep.open()
    try:
        yield rep
    finally:
        await rep.drop_tables()
        await rep.close()


async def numbers_for(store: CaseStore, text: str) -> list[str]:
    page = await store.diary(DiaryFilter(text=text), 500, None)
    assert page.total_count == len(page.items)
    return [e.case_number for e in page.items]


async def substring_oracle(store: CaseStore, text: str) -> list[str]:
    """What a plain substring search over the listed diary finds."""
    wanted = text.strip().casefold()
    listed = (await store.diary(DiaryFilter(), 500, None)).items
    return [e.case_number for e in listed if wanted in f"{e.case_number}\n{e.title}".casefold()]


async def test_every_search_finds_what_a_substring_search_finds(store: CaseStore) -> None:
    await store.upsert([case(i, t) for i, t in enumerate(TITLES)], NOW)
    for text in SEARCHES:
        assert await numbers_for(store, text) == await substring_oracle(store, text), text
    # and the oracle is not trivially empty or full
    assert await numbers_for(store, "garage") == ["BN 2025/0001", "BN 2025/0000"]
    assert await numbers_for(store, "100%") == ["BN 2025/0003"]
    assert await numbers_for(store, "l_1") == ["BN 2025/0005"]
    assert await numbers_for(store, '"tillfälligt"') == ["BN 2025/0004"]
    assert await numbers_for(store, "ärende 4711") == ["BN 2025/0008"]
    assert await numbers_for(store, "ingen träff") == []


async def test_the_index_follows_every_upsert(store: CaseStore) -> None:
    await store.upsert([case(1, "Bygglov garage"), case(2, "Marklov")], NOW)
    assert await numbers_for(store, "garage") == ["BN 2025/0001"]
    await store.upsert([case(1, "Bygglov carport")], NOW)  # new title
    assert await numbers_for(store, "garage") == []
    assert await numbers_for(store, "carport") == ["BN 2025/0001"]
    await store.upsert([case(2, "Marklov garage")], NOW, in_diary=False)  # leaves the diary
    assert await numbers_for(store, "garage") == []
    assert await numbers_for(store, "marklov") == []
    await store.upsert([case(2, "Marklov garage")], NOW)  # and comes back
    assert await numbers_for(store, "garage") == ["BN 2025/0002"]
    # paging and the total work the same over the index
    await store.upsert([case(i, f"Garage nummer {i}") for i in range(10, 15)], NOW)
    first = await store.diary(DiaryFilter(text="garage"), 4, None)
    rest = await store.diary(DiaryFilter(text="garage"), 4, first.end_cursor)
    assert (first.total_count, first.has_next_page, rest.has_next_page) == (6, True, False)
    assert [e.case_number for e in [*first.items, *rest.items]] == [
        "BN 2025/0014",
        "BN 2025/0013",
        "BN 2025/0012",
        "BN 2025/0011",
        "BN 2025/0010",
        "BN 2025/0002",
    ]


async def test_a_store_from_before_the_index_is_indexed_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "casestore.db"
    policy = StatisticsPolicy({}, 90)
    async with CaseStore(f"sqlite:///{path}", policy) as rep:
        await rep.upsert([case(1, "Bygglov garage"), case(2, "Marklov")], NOW)
    with sqlite3.connect(path) as conn:  # as a store made before the index existed
        conn.execute("DROP TABLE replica_diary_fts")
        for trigger in ("ai", "ad", "au"):
            conn.execute(f"DROP TRIGGER IF EXISTS replica_diary_fts_{trigger}")
    async with CaseStore(f"sqlite:///{path}", policy) as rep:
        assert await numbers_for(rep, "garage") == ["BN 2025/0001"]
        await rep.upsert([case(3, "Garage")], NOW)
        assert await numbers_for(rep, "garage") == ["BN 2025/0003", "BN 2025/0001"]


MBN = Unit("MBN", "Miljö- och hälsoskyddsnämnden")
WORDS = ["bygglov", "marklov", "rivningslov", "strandskydd", "garage", "förråd"]


def mixed() -> list[Case]:
    """60 entries over two units: some words in many titles, in few, only in old ones (the
    "rivningslov" of 0..5), and ties on the registration day (every third shares one)."""
    cases = []
    for i in range(60):
        words = [WORDS[i % 2]]
        if i < 6:
            words.append("rivningslov")
        if i % 7 == 0:
            words.append("strandskydd")
        if i % 10 == 4:
            words.append("garage")
        day = i - i % 3 if i % 3 != 2 else i
        cases.append(case(i, " ".join(words), BN if i % 4 else MBN, day))
    return cases


async def walk(store: CaseStore, flt: DiaryFilter, size: int) -> list[str]:
    """Every page in turn; each page's total must be the whole walk's length."""
    numbers: list[str] = []
    totals: set[int] = set()
    after = None
    while True:
        page = await store.diary(flt, size, after)
        numbers += [e.case_number for e in page.items]
        totals.add(page.total_count)
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert totals == {len(numbers)}, (flt, totals, len(numbers))
    return numbers


async def test_pages_and_counts_match_a_substring_search_under_filters(store: CaseStore) -> None:
    await store.upsert(mixed(), NOW)
    listed = await walk(store, DiaryFilter(), 500)
    assert len(listed) == 60
    entries = {e.case_number: e for e in (await store.diary(DiaryFilter(), 500, None)).items}
    filters = [
        DiaryFilter(),
        DiaryFilter(unit="MBN"),
        DiaryFilter(registered_from=(T0 + timedelta(days=40)).date()),
        DiaryFilter(registered_to=(T0 + timedelta(days=10)).date()),
    ]
    texts = [
        "lov",
        "bygglov",
        "marklov",
        "rivningslov",
        "strandskydd",
        "garage",
        "2025/00",
        "ingen",
    ]
    for base in filters:
        in_scope = await walk(store, base, 500)
        for text in texts:
            flt = DiaryFilter(base.unit, base.registered_from, base.registered_to, text)
            wanted = [n for n in in_scope if text in f"{n}\n{entries[n].title}".casefold()]
            for size in (1, 4, 50):
                assert await walk(store, flt, size) == wanted, (flt, size)
    # not trivially empty: the words are where they were put
    assert len(await walk(store, DiaryFilter(text="rivningslov"), 50)) == 6
    assert len(await walk(store, DiaryFilter(text="lov"), 50)) == 60
    assert len(await walk(store, DiaryFilter(unit="MBN", text="garage"), 50)) == 3


@pytest.mark.postgres
async def test_postgres_takes_planner_statistics_again_after_many_changes() -> None:
    """Without statistics PostgreSQL sorts every hit of a common word; autovacuum may be
    off or behind a bulk load, so the store runs VACUUM (ANALYZE) itself: on opening a
    store never analysed, and after a sync (`recount_overdue`) that changed over 50 + 10 %
    of the rows. The vacuum marks the pages all-visible: the diary's count then reads its
    index alone."""
    prefix = f"a{uuid.uuid4().hex[:10]}_"
    rep = CaseStore(PG_URL, StatisticsPolicy({}, 90), prefix=prefix)
    catalog = backend_for(PG_URL)

    async def believed() -> float:  # the rows the planner believes the table holds
        sql = "SELECT reltuples FROM pg_class WHERE oid = to_regclass(?)"
        return float((await catalog.fetch(sql, [f"{prefix}cases"]))[0][0])

    async def all_visible() -> tuple[int, int]:  # pages, and pages marked all-visible
        sql = "SELECT relpages, relallvisible FROM pg_class WHERE oid = to_regclass(?)"
        ((pages, visible),) = await catalog.fetch(sql, [f"{prefix}cases"])
        return int(pages), int(visible)

    async def load(numbers: range) -> None:
        await rep.upsert([case(i, f"Bygglov {i}") for i in numbers], NOW)
        await rep.recount_overdue(NOW)

    await rep.open()
    try:
        assert await believed() == 0  # analysed when opened (never analysed: -1)
        await load(range(60))
        assert await believed() == 60
        pages, visible = await all_visible()
        assert pages > 0 and visible == pages  # vacuumed, not only analysed
        await load(range(60, 65))  # 5 rows: no more than 50 + 10 % of 60
        assert await believed() == 60
        await load(range(65, 117))  # 57 changed since: more than 56
        assert await believed() == 117
        assert [
            e.case_number for e in (await rep.diary(DiaryFilter(text="bygglov 11"), 5, None)).items
        ] == ["BN 2025/0116", "BN 2025/0115", "BN 2025/0114", "BN 2025/0113", "BN 2025/0112"]
    finally:
        await rep.drop_tables()
        await rep.close()
        await catalog.close()


@pytest.mark.postgres
async def test_postgres_empties_the_text_index_pending_list_after_a_sync() -> None:
    """Upserts go to the GIN index's pending list, which every search reads through;
    `recount_overdue` (the end of every sync) moves it into the index proper."""
    prefix = f"g{uuid.uuid4().hex[:10]}_"
    rep = CaseStore(PG_URL, StatisticsPolicy({}, 90), prefix=prefix)
    catalog = backend_for(PG_URL)

    async def emptied_now() -> int:  # pages the pending list still held
        sql = "SELECT gin_clean_pending_list(to_regclass(?))"
        return int((await catalog.fetch(sql, [f"{prefix}cases_search"]))[0][0])

    await rep.open()
    try:
        await rep.upsert([case(i, f"Bygglov garage {i}") for i in range(200)], NOW)
        await rep.recount_overdue(NOW)
        assert await emptied_now() == 0
        await rep.upsert([case(i, f"Marklov förråd {i}") for i in range(200, 400)], NOW)
        assert await emptied_now() > 0  # what the store found, without a sync's end
        assert await numbers_for(rep, "marklov förråd 399") == ["BN 2025/0399"]
    finally:
        await rep.drop_tables()
        await rep.close()
        await catalog.close()
