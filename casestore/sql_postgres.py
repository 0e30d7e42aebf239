"""PostgreSQL through one psycopg 3 async connection (see `casestore.sql`).

The connection opens on first use, is dropped after any failure, and a connection that
died while idle (a server restart) gets one fresh try.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import psycopg

from .sql import DatabaseUnavailable, Row, Setup, Step, Tx, is_many, to_pg

T = TypeVar("T")
Conn = psycopg.AsyncConnection[Row]


class PostgresBackend:
    dialect = "postgres"

    def __init__(
        self,
        url: str,
        *,
        setup: Setup | None = None,
        connect_timeout: int | None = None,
        statement_timeout: str | None = None,
    ) -> None:
        self._url = url
        self._setup = setup
        self._connect_timeout = connect_timeout
        self._statement_timeout = statement_timeout
        self._conn: Conn | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        async with self._lock:
            await self._connection()

    async def close(self) -> None:
        async with self._lock:
            await self._discard()

    async def run(self, steps: Sequence[Step]) -> None:
        async def work(conn: Conn) -> None:
            async with conn.transaction(), conn.cursor() as cur:
                for sql, params in steps:
                    if is_many(params):
                        if params:
                            await cur.executemany(to_pg(sql), params)
                    else:
                        await cur.execute(to_pg(sql), params)

        await self._call(work)

    async def fetch(
        self, sql: str, params: Sequence[Any] = (), *, replan: bool = False
    ) -> list[Row]:
        async def work(conn: Conn) -> list[Row]:
            async with conn.cursor() as cur:
                # psycopg prepares a statement run five times; PostgreSQL may then use a
                # generic plan for it. Unprepared, each run is planned for its parameters.
                await cur.execute(to_pg(sql), params, prepare=False if replan else None)
                return await cur.fetchall()

        return await self._call(work)

    async def transaction(
        self, work: Callable[[Tx], Awaitable[T]], *, write: bool = False, snapshot: bool = False
    ) -> T:
        async def inside(conn: Conn) -> T:
            async with conn.transaction():
                if snapshot:
                    await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                return await work(_Tx(conn))

        return await self._call(inside)

    async def maintain(self, statements: Sequence[str]) -> None:
        try:
            async with await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=self._connect_timeout
            ) as conn:
                for sql in statements:
                    await conn.execute(sql)  # no statement_timeout: upkeep takes its time
        except psycopg.Error as exc:
            raise DatabaseUnavailable("query") from exc

    # -- connection handling ----------------------------------------------------------

    async def _call(self, fn: Callable[[Conn], Awaitable[T]]) -> T:
        async with self._lock:
            for attempt in (1, 2):
                reused = self._conn is not None
                conn = await self._connection()
                try:
                    return await fn(conn)
                except psycopg.OperationalError as exc:
                    await self._discard()
                    if not reused or attempt == 2:
                        raise DatabaseUnavailable("lost") from exc
                except psycopg.Error as exc:
                    await self._discard()
                    raise DatabaseUnavailable("query") from exc
                except BaseException:
                    await self._discard()  # e.g. cancelled mid-query: state unknown
                    raise
            raise AssertionError("unreachable")

    async def _connection(self) -> Conn:
        if self._conn is not None:
            return self._conn
        try:
            conn = await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=self._connect_timeout
            )
        except psycopg.Error as exc:
            raise DatabaseUnavailable("connect") from exc
        try:
            if self._statement_timeout is not None:
                await conn.execute(f"SET statement_timeout = '{self._statement_timeout}'")
            if self._setup is not None:
                await self._setup(_Tx(conn))
        except psycopg.Error as exc:
            await conn.close()
            raise DatabaseUnavailable("prepare") from exc
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        return conn

    async def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):  # already broken: nothing to release
                await conn.close()


class _Tx:
    dialect = "postgres"

    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._conn.execute(to_pg(sql), params)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            async with self._conn.cursor() as cur:
                await cur.executemany(to_pg(sql), rows)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = await self._conn.execute(to_pg(sql), params)
        return await cur.fetchall()
