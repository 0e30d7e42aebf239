"""Diary free text through the stores' text indexes (SQLite FTS5 trigram, PostgreSQL
pg_trgm): the same matches as a substring search, kept in step with every upsert."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from casestore import CaseStore, DiaryFilter
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


def case(i: int, title: str) -> Case:
    return Case(
        ref=CaseRef("byggr", f"{i}"),
        case_number=f"BN 2025/{i:04d}",
        main_case_number=None,
        type=PERMIT,
        title=title,
        status=CaseStatus.IN_PROGRESS,
        unit=BN,
        opened_at=T0 + timedelta(days=i),
        channel=Channel.E_SERVICE,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[CaseStore]:
    policy = StatisticsPolicy({}, 90)
    if request.param == "sqlite":
        async with CaseStore(":memory:", policy) as rep:
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
