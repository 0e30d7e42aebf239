"""One SQL layer for the hub's own stores (the case store and the access log):
SQLite (the embedded default) and PostgreSQL (psycopg 3), behind one interface.

Statements are written once, with ``?`` placeholders and the portable subset both
dialects share (``INSERT ... ON CONFLICT``, partial indexes, row values); identifiers
are quoted with `quote_ident`. SQLite runs in one worker thread that owns the
connection (so that ``:memory:`` works and the event loop never blocks); PostgreSQL
uses one async connection. Either serialises its work under one lock, connects on
first use and again after a failure, and reports every database failure as
`DatabaseUnavailable` with the stage that failed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, Protocol, TypeVar

Row = tuple[Any, ...]
#: a statement and either one parameter tuple (execute) or a list of them (executemany)
Step = tuple[str, Sequence[Any] | list[Sequence[Any]]]
T = TypeVar("T")
Stage = Literal["connect", "directory", "prepare", "lost", "query"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class DatabaseUnavailable(Exception):
    """The database failed. `stage`: could not `connect`, create the file's `directory`,
    `prepare` (the setup after connecting), the connection was `lost`, or a `query` failed."""

    def __init__(self, stage: Stage) -> None:
        super().__init__(f"database unavailable ({stage})")
        self.stage: Stage = stage


class Tx(Protocol):
    """Statements inside one transaction (or the setup after connecting)."""

    dialect: str

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


#: run once on every new connection (create tables, check they exist)
Setup = Callable[[Tx], Awaitable[None]]


class SqlBackend(Protocol):
    dialect: str

    async def open(self) -> None:
        """Connect now (otherwise the first call connects)."""
        ...

    async def close(self) -> None: ...

    async def run(self, steps: Sequence[Step]) -> None:
        """Run the steps in one transaction."""
        ...

    async def maintain(self, statements: Sequence[str]) -> None:
        """Upkeep statements that may not run in a transaction (PostgreSQL's VACUUM), one
        by one on a connection of their own, so that the statements of the store's own
        connection are not held up meanwhile. SQLite: nothing to do."""
        ...

    async def fetch(
        self, sql: str, params: Sequence[Any] = (), *, replan: bool = False
    ) -> list[Row]:
        """Rows of `sql`. `replan`: plan it for these very parameters every time (PostgreSQL
        would otherwise settle on one generic plan for a statement run often, whatever the
        parameters — wrong for a text search, where a common and a rare word want
        different plans)."""
        ...

    async def transaction(
        self, work: Callable[[Tx], Awaitable[T]], *, write: bool = False, snapshot: bool = False
    ) -> T:
        """Run `work` in one transaction: `write` takes the write lock up front (SQLite),
        `snapshot` reads one consistent snapshot (PostgreSQL's REPEATABLE READ)."""
        ...


def is_many(params: Sequence[Any] | list[Sequence[Any]]) -> bool:
    return isinstance(params, list)


def quote_ident(name: str) -> str:
    """`name` or `schema.name` as a quoted identifier (letters, digits, underscores)."""
    parts = name.split(".")
    if len(parts) > 2 or not all(_IDENT.fullmatch(p) for p in parts):
        raise ValueError(f"not an identifier: {name!r}")
    return ".".join(f'"{p}"' for p in parts)


def to_pg(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (our statements hold no literal '?')."""
    return sql.replace("%", "%%").replace("?", "%s")
