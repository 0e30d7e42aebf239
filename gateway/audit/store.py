"""The access log in SQL: a SQLite file (the embedded default) or PostgreSQL (production;
several gateway replicas share one chain), through the SQL layer the case store uses.

Appends serialize on the chain's head: SQLite takes `BEGIN IMMEDIATE` (so even several
processes on one file keep one chain), PostgreSQL a transaction-level advisory lock
keyed by the table name. Triggers reject UPDATE and DELETE (and TRUNCATE); `verify`
still catches tampering done by someone who drops them. With a key the chain is
HMAC-sealed, and with a checkpoint file every appended head is checkpointed outside
the database (`gateway.audit.checkpoints`), so that truncation is caught too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from casestore import DatabaseUnavailable, PostgresBackend, SqlBackend, SqliteBackend, Tx
from connectors.errors import AuditUnavailable

from .chain import first_keyed, seal_all, verify_chain
from .checkpoints import Checkpointer
from .records import (
    COLUMNS,
    GENESIS_HASH,
    REASON_CHECKPOINTS,
    AuditRecord,
    NewAuditRecord,
    VerifyResult,
    check_first,
    decode_cursor,
    from_row,
    to_row,
)
from .schema import create_statements, exists_query, table_ident

T = TypeVar("T")
_COLS = ", ".join(COLUMNS)
_NO_SEQ = 2**63 - 1
_FAILED = {
    ("sqlite", "connect"): "the audit log database cannot be opened",
    ("sqlite", "prepare"): "the audit log database cannot be opened",
    ("sqlite", "directory"): "the audit log directory cannot be created",
    ("postgres", "connect"): "cannot connect to the audit log database",
    ("postgres", "prepare"): "cannot prepare the audit log table",
    ("postgres", "lost"): "the audit log database failed",
}


class SqlAuditLog:
    """Append-only, hash-chained access log in one table.

    `kind` names the backend: "sqlite" (`target` a path or ':memory:') or "postgresql"
    (`target` a libpq URL without our own keys). `table` is `name` or `schema.name`
    (validated identifiers, see `gateway.audit.parse_audit_url`). `create=False` opens
    an existing log only and never creates one.
    """

    def __init__(
        self,
        kind: Literal["sqlite", "postgresql"],
        target: str,
        *,
        table: str,
        create: bool,
        key: bytes | None = None,
        checkpoints: Checkpointer | None = None,
    ) -> None:
        self._key = key
        self._checkpoints = checkpoints if key is not None else None
        self._ticker: asyncio.Task[None] | None = None
        self._table = table
        self._t = table_ident("sqlite" if kind == "sqlite" else "postgres", table)
        self._create = create
        self._lock_key = int.from_bytes(
            hashlib.sha256(f"knutpunkt-audit:{table}".encode()).digest()[:8], "big", signed=True
        )
        self._db: SqlBackend
        if kind == "sqlite":
            self._db = SqliteBackend(
                target, create=create, synchronous="FULL", cache_kib=None, setup=self._setup
            )
        else:
            self._db = PostgresBackend(
                target, setup=self._setup, connect_timeout=5, statement_timeout="10s"
            )

    async def open(self) -> None:
        """Connect and create the table, index and triggers when missing."""
        await self._guard(self._db.open())
        await self._start_checkpoints()

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        try:
            if self._checkpoints is not None:
                await self._checkpoints.flush()  # the head at shutdown
        finally:
            await self._db.close()

    async def _start_checkpoints(self) -> None:
        checkpoints = self._checkpoints
        if (
            checkpoints is None
            or checkpoints.keyed_from is not None
            or self._key is None
            or not self._create  # `audit verify` reads, never writes a checkpoint
        ):
            return
        key = self._key
        rows = await self._guard(
            self._db.fetch(f"SELECT seq, hash FROM {self._t} ORDER BY seq DESC LIMIT 1", ())
        )
        head = (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS_HASH)

        async def keyed_from() -> int | None:
            return await first_keyed(self._fetch_after, key) if rows else None

        await checkpoints.start(head, keyed_from)
        self._ticker = asyncio.create_task(checkpoints.tick(), name="audit-checkpoints")

    async def append(self, records: Sequence[NewAuditRecord]) -> list[AuditRecord]:
        """Seal and insert one request's records in one transaction, after the head."""
        if not records:
            return []
        batch = list(records)
        await self._start_checkpoints()  # when the database was not there at start-up

        async def work(tx: Tx) -> list[AuditRecord]:
            if tx.dialect == "postgres":
                await tx.execute("SELECT pg_advisory_xact_lock(?)", (self._lock_key,))
            head = await tx.fetch(f"SELECT seq, hash FROM {self._t} ORDER BY seq DESC LIMIT 1")
            last_seq, last_hash = (head[0][0], head[0][1]) if head else (0, GENESIS_HASH)
            sealed = seal_all(batch, last_seq, last_hash, datetime.now(UTC), self._key)
            marks = ", ".join("?" * len(COLUMNS))
            as_text = tx.dialect == "sqlite"
            await tx.executemany(
                f"INSERT INTO {self._t} ({_COLS}) VALUES ({marks})",
                [to_row(r, at_as_text=as_text) for r in sealed],
            )
            return sealed

        sealed = await self._guard(self._db.transaction(work, write=True))
        if self._checkpoints is not None:
            try:
                await self._checkpoints.note(sealed[-1].seq, sealed[-1].hash, len(sealed))
            except OSError as exc:
                raise AuditUnavailable("the audit checkpoint file cannot be written") from exc
        return sealed

    async def for_subject(
        self, subject: str, first: int = 50, after: str | None = None
    ) -> tuple[list[AuditRecord], bool, int]:
        """The subject's records newest first: (page, has_next, total)."""
        before = decode_cursor(after) if after is not None else _NO_SEQ
        limit = check_first(first) + 1

        async def work(tx: Tx) -> tuple[list[tuple[Any, ...]], int]:
            (total,) = (
                await tx.fetch(f"SELECT count(*) FROM {self._t} WHERE subject = ?", (subject,))
            )[0]
            rows = await tx.fetch(
                f"SELECT {_COLS} FROM {self._t} WHERE subject = ? AND seq < ? "
                "ORDER BY seq DESC LIMIT ?",
                (subject, before, limit),
            )
            return rows, int(total)

        rows, total = await self._guard(self._db.transaction(work, snapshot=True))
        try:
            records = [from_row(row) for row in rows]
        except (ValueError, TypeError, KeyError) as exc:
            raise AuditUnavailable("unreadable record in the audit log") from exc
        return records[:first], len(records) > first, total

    async def verify(self) -> VerifyResult:
        """Check the whole chain in `seq` order, in batches: under the key where keyed,
        and against the checkpoints (a missing or unsigned checkpoint file fails)."""
        anchors = None
        if self._checkpoints is not None:
            try:
                anchors = self._checkpoints.file.anchors()
            except (ValueError, OSError):
                anchors = None
            if anchors is None:
                return VerifyResult(False, 0, None, REASON_CHECKPOINTS)
        return await verify_chain(self._fetch_after, key=self._key, anchors=anchors)

    async def _fetch_after(self, after_seq: int, limit: int) -> list[tuple[Any, ...]]:
        query = f"SELECT {_COLS} FROM {self._t} WHERE seq > ? ORDER BY seq LIMIT ?"
        return await self._guard(self._db.fetch(query, (after_seq, limit)))

    async def _setup(self, tx: Tx) -> None:
        """On every new connection: create the table when missing, or check it exists."""
        if not self._create:
            query, param = exists_query(tx.dialect, self._table)
            found = await tx.fetch(query, (param,))
            if not found or found[0][0] is None:
                raise AuditUnavailable("no audit log at this location")
            return
        for statement in create_statements(tx.dialect, self._table):
            await tx.execute(statement, (self._lock_key,) if "?" in statement else ())

    async def _guard(self, pending: Awaitable[T]) -> T:
        try:
            return await pending
        except DatabaseUnavailable as exc:
            message = _FAILED.get(
                (self._db.dialect, exc.stage), "the audit log could not be written or read"
            )
            raise AuditUnavailable(message) from exc.__cause__
