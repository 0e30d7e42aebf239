"""Free text in the public diary through the store's own text index.

The diary's `search_text` (case number and masked title, casefolded) was searched
with `LIKE '%text%'`, a scan of every diary row (~860 ms–1.4 s at scale 10). Both
stores have an index made for substring search:

- SQLite: an FTS5 table with the trigram tokenizer over `search_text` (external
  content: the rows stay in `cases`), kept in step by triggers on `cases`; a store
  made before the index existed is indexed once when it is opened.
- PostgreSQL: a GIN index with pg_trgm's `gin_trgm_ops`, which the same `LIKE` uses.
  Where the extension cannot be created (no privilege), the search still works, as a
  scan, and the store logs that once.

Trigrams need three characters: a shorter search keeps the plain `LIKE`. Matching
is the same as before: substring of the casefolded text, `%` and `_` literal.

How a page (newest first) and its total are read (`text_rows`):

- PostgreSQL plans each search for its text (`replan`: never a prepared statement's
  generic plan) with the column's statistics (`CaseWriter.analyze`): a rare text goes
  through the GIN index, a common one down the newest-first index until the page is full.
  The count of a common text reads every entry; nothing makes that exact total cheap.
- SQLite answers from one FTS5 match when it has few hits, and reads newest entries
  with `instr` when it has many (see `_sqlite_rows`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .sql import DatabaseUnavailable, Row, SqlBackend

log = logging.getLogger(__name__)

#: the shortest text the trigram indexes can answer
MIN_INDEXED = 3
Result = tuple[int, list[Row]]


def _fts(p: str) -> str:
    return f"{p}diary_fts"


def sqlite_ddl(p: str) -> list[str]:
    fts = _fts(p)
    insert = f"INSERT INTO {fts}(rowid, search_text)"
    delete = f"INSERT INTO {fts}({fts}, rowid, search_text)"
    return [
        f"""CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text,
            content='{p}cases', content_rowid='rowid', tokenize='trigram')""",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {p}cases
            WHEN new.search_text IS NOT NULL
            BEGIN {insert} VALUES (new.rowid, new.search_text); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {p}cases
            WHEN old.search_text IS NOT NULL
            BEGIN {delete} VALUES ('delete', old.rowid, old.search_text); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF search_text ON {p}cases
            BEGIN
              {delete} SELECT 'delete', old.rowid, old.search_text
                WHERE old.search_text IS NOT NULL;
              {insert} SELECT new.rowid, new.search_text WHERE new.search_text IS NOT NULL;
            END""",
    ]


def drop(p: str) -> list[str]:
    return [f"DROP TABLE IF EXISTS {_fts(p)}"]


async def ensure_index(db: SqlBackend, p: str) -> None:
    """Create the text index of this store if it is missing (and fill it)."""
    if db.dialect == "sqlite":
        found = await db.fetch(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [_fts(p)]
        )
        steps: list[tuple[str, Any]] = [(sql, ()) for sql in sqlite_ddl(p)]
        if not found:  # new, or a store from before the index: index what is there
            steps.append((f"INSERT INTO {_fts(p)}({_fts(p)}) VALUES ('rebuild')", ()))
        await db.run(steps)
        return
    try:
        await db.run([("CREATE EXTENSION IF NOT EXISTS pg_trgm", ())])
    except DatabaseUnavailable:
        if not await db.fetch("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"):
            log.warning("pg_trgm cannot be created here: diary free text is searched by a scan")
            return
    await db.run(
        [
            (
                f"""CREATE INDEX IF NOT EXISTS {p}cases_search ON {p}cases
                    USING gin (search_text gin_trgm_ops) WHERE in_diary = 1""",
                (),
            )
        ]
    )


async def flush_index(db: SqlBackend, p: str) -> None:
    """PostgreSQL: move the GIN index's pending list into the index proper. Upserts add to
    the list (fast writes), every search reads all of it, and only autovacuum empties it
    (or the list's reaching 4 MB): a few MB after a load cost every search ~8 ms."""
    if db.dialect == "postgres":  # (only the index's owner may; no index, no row)
        await db.fetch(
            "SELECT gin_clean_pending_list(oid) FROM pg_class WHERE oid = to_regclass(?)"
            " AND pg_has_role(relowner, 'USAGE')",
            [f"{p}cases_search"],
        )


#: what a diary page reads of each entry, and its order (newest registrations first)
COLUMNS = (
    "system, local_id, case_number, opened_at, diary_title, unit_code, confidential, diary_docs"
)
NEWEST_FIRST = "ORDER BY opened_at DESC, system, local_id"
#: hits up to which SQLite answers from the index's list of them (see `_sqlite_rows`)
PROBE = 5000


@dataclass(frozen=True, slots=True)
class Scope:
    """A diary page's query but its text: all its conditions (`where`), those the diary's
    newest-first index answers alone (`span`: in the diary, registration dates), the
    keyset after a cursor, and how many rows to read."""

    where: str
    params: list[Any]
    span: str
    span_params: list[Any]
    keyset: str
    key_params: list[Any]
    limit: int


async def page_rows(db: SqlBackend, p: str, scope: Scope, *, replan: bool = False) -> Result:
    """The total matching `scope` (cursor aside) and the page's rows."""
    total = await _count(db, f"SELECT COUNT(*) FROM {p}cases WHERE {scope.where}", scope.params)
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM {p}cases WHERE {scope.where}{scope.keyset} {NEWEST_FIRST} LIMIT ?",
        [*scope.params, *scope.key_params, scope.limit],
        replan=replan,
    )
    return total, rows


async def text_rows(db: SqlBackend, p: str, scope: Scope, text: str, probe: int) -> Result:
    """`page_rows` of the entries whose case number or masked title contains `text`."""
    folded = text.casefold()
    if db.dialect == "sqlite" and len(folded) >= MIN_INDEXED:
        return await _sqlite_rows(db, p, scope, folded, probe)
    # PostgreSQL: the trigram index answers LIKE, and the planner, knowing the column's
    # statistics, takes it for a rare text and the newest-first index for a common one
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    where = f"{scope.where} AND search_text LIKE ? ESCAPE '\\'"
    params = [*scope.params, f"%{escaped}%"]
    return await page_rows(db, p, replace(scope, where=where, params=params), replan=True)


async def _sqlite_rows(db: SqlBackend, p: str, scope: Scope, folded: str, probe: int) -> Result:
    """FTS5 lists a text's entries in rowid order, not newest first: sorting many hits, and
    matching twice (count, page), is what costs. So the index is asked once for up to
    `probe` + 1 hits; when that is all of them, the count and the page come from that list.

    Beyond (a common text), entries are read newest first and checked one by one (`instr`:
    the same substring test), at most `reach` = 4 × `probe` of them: the page stops at its
    last row, the count reads a scope of no more entries than that (a short period), and
    otherwise is the index's (all its hits, or those among the scope's entries). A page
    whose hits are not all among the newest `reach` takes the index's list after all."""
    fts, reach = _fts(p), 4 * probe
    phrase = '"' + folded.replace('"', '""') + '"'  # one phrase: the text as it is
    hits = await db.fetch(
        f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? LIMIT ?", [phrase, probe + 1]
    )
    if len(hits) <= probe:
        listed = f"{scope.where} AND rowid IN (SELECT value FROM json_each(?))"
        ids = json.dumps([rowid for (rowid,) in hits])
        return await page_rows(db, p, replace(scope, where=listed, params=[*scope.params, ids]))
    checked = f"{scope.where} AND instr(search_text, ?) > 0"
    matched = f"{scope.where} AND rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)"
    edge = await _oldest_of(db, p, scope.span, scope.span_params, reach)
    if edge is None:
        sql, params = f"SELECT COUNT(*) FROM {p}cases WHERE {checked}", [*scope.params, folded]
    elif scope.where != "in_diary = 1":
        sql, params = f"SELECT COUNT(*) FROM {p}cases WHERE {matched}", [*scope.params, phrase]
    else:  # the index holds exactly the diary's entries (those with a search_text)
        sql, params = f"SELECT COUNT(*) FROM {fts} WHERE {fts} MATCH ?", [phrase]
    total = await _count(db, sql, params)
    if scope.keyset and edge is not None:
        span = f"{scope.span}{scope.keyset}"
        edge = await _oldest_of(db, p, span, [*scope.span_params, *scope.key_params], reach)
    bounded = (" AND opened_at >= ?", [edge]) if edge is not None else ("", [])
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM {p}cases WHERE {checked}{scope.keyset}{bounded[0]}"
        f" {NEWEST_FIRST} LIMIT ?",
        [*scope.params, folded, *scope.key_params, *bounded[1], scope.limit],
    )
    if len(rows) < scope.limit and edge is not None:  # not all among the newest: the list
        rows = await db.fetch(
            f"SELECT {COLUMNS} FROM {p}cases WHERE {matched}{scope.keyset} {NEWEST_FIRST} LIMIT ?",
            [*scope.params, phrase, *scope.key_params, scope.limit],
        )
    return total, rows


async def _oldest_of(
    db: SqlBackend, p: str, span: str, params: Sequence[Any], reach: int
) -> float | None:
    """The registration time of the entry `reach` places after the newest in `span` (read
    from the diary's index alone), or None when `span` holds no more than `reach`."""
    rows = await db.fetch(
        # (ties need no order here: any entry at the edge has its time)
        f"SELECT opened_at FROM {p}cases WHERE {span} ORDER BY opened_at DESC LIMIT 1 OFFSET ?",
        [*params, reach],
    )
    return float(rows[0][0]) if rows else None


async def _count(db: SqlBackend, sql: str, params: Sequence[Any]) -> int:
    ((total,),) = await db.fetch(sql, params, replan=True)
    return int(total)
