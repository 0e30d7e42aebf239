"""SQLite in one worker thread that owns the connection (see `casestore.sql`)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from .sql import DatabaseUnavailable, Row, Setup, Step, Tx, is_many

T = TypeVar("T")


class SqliteBackend:
    """`path` is a file path or ':memory:'. `create=False` opens an existing file only,
    read-only (a mistyped path then fails instead of creating a new, empty file)."""

    dialect = "sqlite"

    def __init__(
        self,
        path: str,
        *,
        create: bool = True,
        synchronous: str = "NORMAL",
        cache_kib: int | None = 65536,
        setup: Setup | None = None,
    ) -> None:
        self._path = path
        self._create = create
        self._synchronous = synchronous
        self._cache_kib = cache_kib
        self._setup = setup
        self._pool: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        async with self._lock:
            await self._connection()

    async def close(self) -> None:
        async with self._lock:
            pool, self._pool = self._pool, None
            if pool is None:
                return
            conn, self._conn = self._conn, None
            if conn is not None:
                await self._hop_on(pool, conn.close)
            pool.shutdown(wait=True)

    async def maintain(self, statements: Sequence[str]) -> None:
        """SQLite's plans need no statistics, and it has no dead rows to clear."""

    async def run(self, steps: Sequence[Step]) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN")
            try:
                for sql, params in steps:
                    if is_many(params):
                        conn.executemany(sql, params)
                    else:
                        conn.execute(sql, params)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        await self._call(work)

    async def fetch(
        self, sql: str, params: Sequence[Any] = (), *, replan: bool = False
    ) -> list[Row]:
        # `replan`: nothing to do, SQLite's plans do not depend on the parameters
        return await self._call(lambda conn: conn.execute(sql, params).fetchall())

    async def transaction(
        self, work: Callable[[Tx], Awaitable[T]], *, write: bool = False, snapshot: bool = False
    ) -> T:
        async with self._lock:
            conn = await self._connection()
            tx = _Tx(self, conn)
            try:  # a cancellation may land after any step: roll back what is open
                await tx.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                result = await work(tx)
                await tx.execute("COMMIT")
            except BaseException:
                await self._hop(lambda: conn.in_transaction and conn.execute("ROLLBACK"))
                raise
            return result

    # -- plumbing ---------------------------------------------------------------------

    async def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        async with self._lock:
            conn = await self._connection()
            return await self._hop(lambda: fn(conn))

    async def _hop(self, fn: Callable[[], T]) -> T:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        return await self._hop_on(self._pool, fn)

    @staticmethod
    async def _hop_on(pool: ThreadPoolExecutor, fn: Callable[[], T]) -> T:
        # the lock stays held until the thread is done, even if the caller is cancelled
        future = asyncio.get_running_loop().run_in_executor(pool, _guarded, fn)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            await asyncio.wait([future])
            raise

    async def _connection(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        conn = await self._hop(self._connect)
        try:
            if self._setup is not None:
                await self._setup(_Tx(self, conn))
        except DatabaseUnavailable as exc:
            await self._hop(conn.close)
            raise DatabaseUnavailable("prepare") from exc.__cause__
        except BaseException:
            await self._hop(conn.close)
            raise
        self._conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        memory = self._path == ":memory:"
        try:
            if self._create and not memory:
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable("directory") from exc
        try:
            if self._create:
                conn = sqlite3.connect(self._path, timeout=10, isolation_level=None)
            else:
                uri = Path(self._path).absolute().as_uri() + "?mode=rw"
                conn = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseUnavailable("connect") from exc
        try:
            conn.execute("PRAGMA busy_timeout = 10000")
            if not self._create:
                conn.execute("PRAGMA query_only = ON")
                return conn
            if not memory:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            if self._cache_kib is not None:
                conn.execute("PRAGMA temp_store = MEMORY")
                conn.execute(f"PRAGMA cache_size = -{int(self._cache_kib)}")
        except sqlite3.Error as exc:
            conn.close()
            raise DatabaseUnavailable("connect") from exc
        return conn


def _guarded(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except sqlite3.Error as exc:
        raise DatabaseUnavailable("query") from exc


class _Tx:
    dialect = "sqlite"

    def __init__(self, backend: SqliteBackend, conn: sqlite3.Connection) -> None:
        self._backend = backend
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._backend._hop(lambda: self._conn.execute(sql, params))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._backend._hop(lambda: self._conn.executemany(sql, rows))

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._backend._hop(lambda: self._conn.execute(sql, params).fetchall())
