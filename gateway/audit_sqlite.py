"""The access log in a SQLite file (the embedded default).

The stdlib `sqlite3` runs in worker threads over one connection guarded by an asyncio
lock; appends take `BEGIN IMMEDIATE`, so even several processes on one file keep one
chain. Triggers reject UPDATE and DELETE; `verify` still catches tampering done by
someone who drops them.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

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
_COLS = ", ".join(COLUMNS)
_NO_SEQ = 2**63 - 1


class SqliteAuditLog:
    """Append-only, hash-chained access log in one SQLite table (`path` may be `:memory:`)."""

    def __init__(self, path: str, *, table: str = "audit_log", create: bool = True) -> None:
        self._path = path
        self._table = table  # a validated identifier (see gateway.audit.parse_audit_url)
        self._create = create
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Open the file and create the table, index and triggers when missing."""
        async with self._lock:
            await self._in_thread(self._connect)

    async def close(self) -> None:
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                await asyncio.to_thread(conn.close)

    async def append(self, records: Sequence[NewAuditRecord]) -> list[AuditRecord]:
        """Seal and insert one request's records in one transaction."""
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

        async def fetch(after_seq: int, limit: int) -> list[tuple[Any, ...]]:
            return await self._call(self._batch, after_seq, limit)

        return await verify_chain(fetch)

    # -- plumbing: everything below runs in a worker thread under the lock ---------

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        async with self._lock:
            return await self._in_thread(self._with_connection, fn, *args)

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        # the lock stays held until the thread is done, even if the caller is cancelled
        task = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            await asyncio.wait([task])
            raise

    def _with_connection(self, fn: Callable[..., T], *args: Any) -> T:
        conn = self._conn if self._conn is not None else self._connect()
        try:
            return fn(conn, *args)
        except sqlite3.Error as exc:
            raise AuditUnavailable("the audit log could not be written or read") from exc

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        try:
            conn = self._connect_file()
        except sqlite3.Error as exc:
            raise AuditUnavailable("the audit log database cannot be opened") from exc
        except OSError as exc:
            raise AuditUnavailable("the audit log directory cannot be created") from exc
        self._conn = conn
        return conn

    def _connect_file(self) -> sqlite3.Connection:
        memory = self._path == ":memory:"
        if self._create:
            if not memory:
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self._path, timeout=10, isolation_level=None, check_same_thread=False
            )
        else:  # read-only use (verify): never create a file for a mistyped path
            uri = Path(self._path).absolute().as_uri() + "?mode=rw"
            conn = sqlite3.connect(
                uri, uri=True, timeout=10, isolation_level=None, check_same_thread=False
            )
        try:
            conn.execute("PRAGMA busy_timeout = 10000")
            if self._create:
                if not memory:
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                conn.executescript(self._schema())
            else:
                conn.execute("PRAGMA query_only = ON")
                found = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (self._table,),
                ).fetchone()
                if found is None:
                    raise AuditUnavailable("no audit log at this location")
        except BaseException:
            conn.close()
            raise
        return conn

    def _schema(self) -> str:
        t = self._table
        return f"""
        BEGIN IMMEDIATE;
        CREATE TABLE IF NOT EXISTS "{t}" (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            request_id TEXT NOT NULL,
            actor TEXT NOT NULL,
            actor_role TEXT NOT NULL,
            actor_units TEXT NOT NULL,
            subject TEXT NOT NULL,
            purpose TEXT NOT NULL,
            operation TEXT NOT NULL,
            disclosed TEXT NOT NULL,
            outcome TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS "{t}_subject" ON "{t}" (subject, seq);
        CREATE TRIGGER IF NOT EXISTS "{t}_no_update" BEFORE UPDATE ON "{t}"
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS "{t}_no_delete" BEFORE DELETE ON "{t}"
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        COMMIT;
        """

    def _append(self, conn: sqlite3.Connection, records: list[NewAuditRecord]) -> list[AuditRecord]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            head = conn.execute(
                f'SELECT seq, hash FROM "{self._table}" ORDER BY seq DESC LIMIT 1'
            ).fetchone()
            last_seq, last_hash = head if head is not None else (0, GENESIS_HASH)
            sealed = seal_all(records, last_seq, last_hash, datetime.now(UTC))
            marks = ", ".join("?" * len(COLUMNS))
            conn.executemany(
                f'INSERT INTO "{self._table}" ({_COLS}) VALUES ({marks})',
                [to_row(r, at_as_text=True) for r in sealed],
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return sealed

    def _page(
        self, conn: sqlite3.Connection, subject: str, limit: int, before: int
    ) -> tuple[list[tuple[Any, ...]], int]:
        conn.execute("BEGIN")
        try:
            (total,) = conn.execute(
                f'SELECT count(*) FROM "{self._table}" WHERE subject = ?', (subject,)
            ).fetchone()
            rows = conn.execute(
                f'SELECT {_COLS} FROM "{self._table}" WHERE subject = ? AND seq < ? '
                "ORDER BY seq DESC LIMIT ?",
                (subject, before, limit),
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        return rows, int(total)

    def _batch(self, conn: sqlite3.Connection, after_seq: int, limit: int) -> list[tuple[Any, ...]]:
        return conn.execute(
            f'SELECT {_COLS} FROM "{self._table}" WHERE seq > ? ORDER BY seq LIMIT ?',
            (after_seq, limit),
        ).fetchall()
