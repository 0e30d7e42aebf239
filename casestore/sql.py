"""the case store's two SQL backends: SQLite (default) and PostgreSQL (psycopg 3).

Both take SQL written with ``?`` placeholders and the portable subset both
dialects share (``INSERT ... ON CONFLICT``, partial indexes, row values).
SQLite runs in one dedicated worker thread that owns the connection (so that
``:memory:`` works and the event loop never blocks); PostgreSQL uses one async
connection. Either serialises its statements; the case store has one writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

import psycopg

Row = tuple[Any, ...]
#: a statement and either one parameter tuple (execute) or a list of them (executemany)
Step = tuple[str, Sequence[Any] | list[Sequence[Any]]]
T = TypeVar("T")


class SqlBackend(Protocol):
    dialect: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def run(self, steps: Sequence[Step]) -> None:
        """Run the steps in one transaction."""
        ...

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


def _is_many(params: Sequence[Any] | list[Sequence[Any]]) -> bool:
    return isinstance(params, list)


class SqliteBackend:
    """SQLite in a worker thread; `path` is a file path or ':memory:'."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self._path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="casestore-sqlite")
        self._conn: sqlite3.Connection | None = None

    async def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._with_conn, fn)

    def _with_conn(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            raise RuntimeError("case store is not open")
        return fn(self._conn)

    async def open(self) -> None:
        def connect() -> None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=True)
            if self._path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA temp_store=MEMORY")
            conn.execute("PRAGMA cache_size=-65536")
            self._conn = conn

        await asyncio.get_running_loop().run_in_executor(self._pool, connect)

    async def close(self) -> None:
        def disconnect() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._pool, disconnect)
        self._pool.shutdown(wait=True)

    async def run(self, steps: Sequence[Step]) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN")
            try:
                for sql, params in steps:
                    if _is_many(params):
                        conn.executemany(sql, params)
                    else:
                        conn.execute(sql, params)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        await self._call(work)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._call(lambda conn: conn.execute(sql, params).fetchall())


class PostgresBackend:
    """PostgreSQL through one psycopg 3 async connection."""

    dialect = "postgres"

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: psycopg.AsyncConnection[Row] | None = None
        self._lock = asyncio.Lock()

    def _connection(self) -> psycopg.AsyncConnection[Row]:
        if self._conn is None:
            raise RuntimeError("case store is not open")
        return self._conn

    async def open(self) -> None:
        self._conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def run(self, steps: Sequence[Step]) -> None:
        conn = self._connection()
        async with self._lock, conn.transaction(), conn.cursor() as cur:
            for sql, params in steps:
                if _is_many(params):
                    if params:
                        await cur.executemany(_pg(sql), params)
                else:
                    await cur.execute(_pg(sql), params)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        conn = self._connection()
        async with self._lock, conn.cursor() as cur:
            await cur.execute(_pg(sql), params)
            return await cur.fetchall()


def _pg(sql: str) -> str:
    # our statements contain no literal '?' or '%', so the swap is safe
    return sql.replace("%", "%%").replace("?", "%s")


def backend_for(url: str) -> SqlBackend:
    """`sqlite:///path`, `sqlite://:memory:`, ':memory:' or a `postgresql://` URL."""
    if url in (":memory:", "sqlite://:memory:", "sqlite:///:memory:"):
        return SqliteBackend(":memory:")
    if url.startswith("sqlite:///"):
        return SqliteBackend(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresBackend(url)
    raise ValueError("case store URL must be sqlite:///path, :memory: or postgresql://...")
