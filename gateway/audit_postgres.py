"""The access log in PostgreSQL (production; several gateway replicas share one chain).

One psycopg 3 async connection per gateway process, guarded by an asyncio lock and
reopened after a failure. Appends serialize across replicas with a transaction-level
advisory lock keyed by the table name. A trigger function rejects UPDATE, DELETE and
TRUNCATE; `verify` still catches tampering done by someone who drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from connectors.errors import AuditUnavailable

from .audit_records import (
    COLUMNS,
    GENESIS_HASH,
    AuditRecord,
    NewAuditRecord,
    VerifyResult,
    check_first,
    decode_cursor,
    from_row,
    seal_all,
    to_row,
    verify_chain,
)

T = TypeVar("T")
Conn = psycopg.AsyncConnection[TupleRow]
_NO_SEQ = 2**63 - 1
_CONNECT_TIMEOUT_S = 5
_STATEMENT_TIMEOUT = "10s"


class PostgresAuditLog:
    """Append-only, hash-chained access log in one PostgreSQL table.

    `table` is `name` or `schema.name` (validated identifiers, see
    `gateway.audit.parse_audit_url`); `conninfo` is a libpq URL without our own keys.
    """

    def __init__(
        self, conninfo: str, *, table: str = "knutpunkt_audit_log", create: bool = True
    ) -> None:
        self._conninfo = conninfo
        schema, _, name = table.rpartition(".")
        self._schema = schema or None
        self._name = name
        self._table = sql.Identifier(schema, name) if schema else sql.Identifier(name)
        self._lock_key = int.from_bytes(
            hashlib.sha256(f"knutpunkt-audit:{table}".encode()).digest()[:8], "big", signed=True
        )
        self._create = create
        self._conn: Conn | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Connect and create the table, index and trigger when missing."""
        async with self._lock:
            await self._connection()

    async def close(self) -> None:
        async with self._lock:
            await self._discard()

    async def append(self, records: Sequence[NewAuditRecord]) -> list[AuditRecord]:
        """Seal and insert one request's records in one transaction under the advisory lock."""
        if not records:
            return []
        return await self._call(self._append, list(records))

    async def for_subject(
        self, subject: str, first: int = 50, after: str | None = None
    ) -> tuple[list[AuditRecord], bool, int]:
        """The subject's records newest first: (page, has_next, total)."""
        before = decode_cursor(after) if after is not None else _NO_SEQ
        rows, total = await self._call(self._page, subject, check_first(first) + 1, before)
        try:
            records = [from_row(row) for row in rows]
        except (ValueError, TypeError, KeyError) as exc:
            raise AuditUnavailable("unreadable record in the audit log") from exc
        return records[:first], len(records) > first, total

    async def verify(self) -> VerifyResult:
        """Check the whole chain in `seq` order, in batches."""

        async def fetch(after_seq: int, limit: int) -> list[TupleRow]:
            return await self._call(self._batch, after_seq, limit)

        return await verify_chain(fetch)

    # -- connection handling --------------------------------------------------------

    async def _call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        async with self._lock:
            for attempt in (1, 2):
                reused = self._conn is not None
                conn = await self._connection()
                try:
                    return await fn(conn, *args)
                except psycopg.OperationalError as exc:
                    # a connection that died while idle (server restart) gets one fresh try
                    await self._discard()
                    if not reused or attempt == 2:
                        raise AuditUnavailable("the audit log database failed") from exc
                except psycopg.Error as exc:
                    await self._discard()
                    raise AuditUnavailable("the audit log could not be written or read") from exc
                except BaseException:
                    await self._discard()  # e.g. cancelled mid-query: state unknown
                    raise
            raise AssertionError("unreachable")

    async def _connection(self) -> Conn:
        if self._conn is not None:
            return self._conn
        try:
            conn = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, connect_timeout=_CONNECT_TIMEOUT_S
            )
        except psycopg.Error as exc:
            raise AuditUnavailable("cannot connect to the audit log database") from exc
        try:
            await conn.execute(f"SET statement_timeout = '{_STATEMENT_TIMEOUT}'")
            if self._create:
                await self._create_schema(conn)
            else:
                await self._check_exists(conn)
        except psycopg.Error as exc:
            await conn.close()
            raise AuditUnavailable("cannot prepare the audit log table") from exc
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

    async def _check_exists(self, conn: Conn) -> None:
        cur = await conn.execute("SELECT to_regclass(%s)", (self._table.as_string(conn),))
        found = await cur.fetchone()
        if found is None or found[0] is None:
            raise AuditUnavailable("no audit log at this location")

    async def _create_schema(self, conn: Conn) -> None:
        ident = sql.Identifier
        fn = (
            ident(self._schema, f"{self._name}_append_only")
            if self._schema
            else ident(f"{self._name}_append_only")
        )
        names = {
            "t": self._table,
            "fn": fn,
            "idx": ident(f"{self._name}_subject"),
            "row_trg": ident(f"{self._name}_no_change"),
            "trunc_trg": ident(f"{self._name}_no_truncate"),
        }
        statements = [
            """CREATE TABLE IF NOT EXISTS {t} (
                seq bigint PRIMARY KEY,
                at timestamptz NOT NULL,
                request_id text NOT NULL,
                actor text NOT NULL,
                actor_role text NOT NULL,
                actor_units text NOT NULL,
                subject text NOT NULL,
                purpose text NOT NULL,
                operation text NOT NULL,
                disclosed text NOT NULL,
                outcome text NOT NULL,
                prev_hash text NOT NULL,
                hash text NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS {idx} ON {t} (subject, seq)",
            """CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$""",
            """CREATE OR REPLACE TRIGGER {row_trg} BEFORE UPDATE OR DELETE ON {t}
               FOR EACH ROW EXECUTE FUNCTION {fn}()""",
            """CREATE OR REPLACE TRIGGER {trunc_trg} BEFORE TRUNCATE ON {t}
               FOR EACH STATEMENT EXECUTE FUNCTION {fn}()""",
        ]
        async with conn.transaction():
            # replicas starting together must not race on the catalog
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
            if self._schema:
                await conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident(self._schema))
                )
            for statement in statements:
                await conn.execute(sql.SQL(statement).format(**names))

    # -- operations (run on the connection, under the lock) -------------------------

    async def _append(self, conn: Conn, records: list[NewAuditRecord]) -> list[AuditRecord]:
        insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            self._table,
            sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
            sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS)),
        )
        head_query = sql.SQL("SELECT seq, hash FROM {} ORDER BY seq DESC LIMIT 1")
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
            cur = await conn.execute(head_query.format(self._table))
            head = await cur.fetchone()
            last_seq, last_hash = (head[0], head[1]) if head is not None else (0, GENESIS_HASH)
            sealed = seal_all(records, last_seq, last_hash, datetime.now(UTC))
            async with conn.cursor() as insert_cur:
                await insert_cur.executemany(insert, [to_row(r, at_as_text=False) for r in sealed])
        return sealed

    def _select(self, where: str) -> sql.Composed:
        return sql.SQL("SELECT {} FROM {} WHERE " + where).format(
            sql.SQL(", ").join(map(sql.Identifier, COLUMNS)), self._table
        )

    async def _page(
        self, conn: Conn, subject: str, limit: int, before: int
    ) -> tuple[list[TupleRow], int]:
        count = sql.SQL("SELECT count(*) FROM {} WHERE subject = %s").format(self._table)
        query = self._select("subject = %s AND seq < %s ORDER BY seq DESC LIMIT %s")
        async with conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur = await conn.execute(count, (subject,))
            total_row = await cur.fetchone()
            cur = await conn.execute(query, (subject, before, limit))
            rows = await cur.fetchall()
        return rows, int(total_row[0]) if total_row is not None else 0

    async def _batch(self, conn: Conn, after_seq: int, limit: int) -> list[TupleRow]:
        cur = await conn.execute(self._select("seq > %s ORDER BY seq LIMIT %s"), (after_seq, limit))
        return await cur.fetchall()
