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
"""

from __future__ import annotations

import logging
from typing import Any

from .sql import DatabaseUnavailable, SqlBackend

log = logging.getLogger(__name__)

#: the shortest text the trigram indexes can answer
MIN_INDEXED = 3


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


def text_condition(dialect: str, p: str, text: str) -> tuple[str, list[Any]]:
    """The WHERE condition (and its parameters) for diary rows containing `text`."""
    folded = text.casefold()
    if dialect == "sqlite" and len(folded) >= MIN_INDEXED:
        phrase = '"' + folded.replace('"', '""') + '"'  # one phrase: the text as it is
        return f"rowid IN (SELECT rowid FROM {_fts(p)} WHERE {_fts(p)} MATCH ?)", [phrase]
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "search_text LIKE ? ESCAPE '\\'", [f"%{escaped}%"]
