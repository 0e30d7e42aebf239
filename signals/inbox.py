"""The durable inbox: every accepted signal, deduplicated by (source, id).

    intake ──add()──► inbox (pending) ──claim()──► processor ──done()/retry()──► done | parked

`add` returns only after the rows are committed, so a `202` means "stored"; a
signal stored before a crash is claimed after the restart. Claims are leases: a
process that dies mid-work leaves its rows to be claimed again when the lease
ends, and several gateway processes sharing one PostgreSQL never claim the same
row twice (`FOR UPDATE SKIP LOCKED`). Done and parked rows are kept for
`retention` (dedupe holds that long), then purged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from casestore import SqlBackend, backend_for

from .model import Signal, StoredSignal, source_of

PENDING, DONE, PARKED = "pending", "done", "parked"


def _epoch(at: datetime) -> float:
    return at.timestamp()


def _at(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _encode(signal: Signal) -> str:
    return json.dumps(
        {
            "time": signal.time.isoformat() if signal.time else None,
            "caseNumber": signal.case_number,
            "personalNumbers": list(signal.personal_numbers),
            "kind": signal.kind,
            **({"owedEvents": list(signal.owed_events)} if signal.owed_events else {}),
        }
    )


def _decode(system: str, signal_id: str, subject: str, body: str) -> Signal:
    data = json.loads(body)
    time = datetime.fromisoformat(data["time"]) if data.get("time") else None
    return Signal(
        system,
        signal_id,
        subject,
        time,
        data.get("caseNumber"),
        tuple(data.get("personalNumbers") or ()),
        data.get("kind"),
        tuple(data.get("owedEvents") or ()),
    )


class Inbox:
    """Signals in SQLite (`sqlite:///path`) or PostgreSQL, tables named `<prefix>...`."""

    def __init__(self, url: str, *, prefix: str = "signal_") -> None:
        if not prefix.replace("_", "").isalnum():
            raise ValueError("table prefix must be letters, digits and underscores")
        self._db: SqlBackend = backend_for(url)
        self._p = prefix
        self.url = url

    @property
    def dialect(self) -> str:
        return self._db.dialect

    async def open(self) -> Inbox:
        await self._db.open()
        seq = "BIGSERIAL" if self._db.dialect == "postgres" else "INTEGER"
        real = "DOUBLE PRECISION" if self._db.dialect == "postgres" else "REAL"
        p = self._p
        await self._db.run(
            [
                (
                    f"CREATE TABLE IF NOT EXISTS {p}inbox (seq {seq} PRIMARY KEY,"
                    " source TEXT NOT NULL, id TEXT NOT NULL, system TEXT NOT NULL,"
                    f" subject TEXT NOT NULL, body TEXT NOT NULL, received_at {real} NOT NULL,"
                    f" state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
                    f" next_at {real} NOT NULL, lease_until {real} NOT NULL DEFAULT 0,"
                    f" applied_at {real}, last_error TEXT, UNIQUE (source, id))",
                    (),
                ),
                (
                    f"CREATE INDEX IF NOT EXISTS {p}inbox_pending ON {p}inbox (next_at)"
                    " WHERE state = 'pending'",
                    (),
                ),
                (
                    f"CREATE TABLE IF NOT EXISTS {p}systems (system TEXT PRIMARY KEY,"
                    f" last_signal_at {real} NOT NULL)",
                    (),
                ),
            ]
        )
        return self

    async def close(self) -> None:
        await self._db.close()

    async def drop_tables(self) -> None:
        await self._db.run(
            [
                (f"DROP TABLE IF EXISTS {self._p}inbox", ()),
                (f"DROP TABLE IF EXISTS {self._p}systems", ()),
            ]
        )

    async def add(self, signals: Sequence[Signal], now: datetime, *, sent: bool = True) -> None:
        """Store `signals` durably (one transaction); a known (source, id) is left as it is.
        `sent`: the systems sent them (their last signal is now); else the hub made them."""
        if not signals:
            return
        at = _epoch(now)
        rows = [
            (source_of(s.system), s.id, s.system, s.subject, _encode(s), at, PENDING, at)
            for s in signals
        ]
        systems = sorted({s.system for s in signals}) if sent else []
        await self._db.run(
            [
                (
                    f"INSERT INTO {self._p}inbox (source, id, system, subject, body, received_at,"
                    " state, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (source, id) DO NOTHING",
                    rows,
                ),
                (
                    f"INSERT INTO {self._p}systems (system, last_signal_at) VALUES (?, ?)"
                    " ON CONFLICT (system) DO UPDATE SET last_signal_at = excluded.last_signal_at",
                    [(s, at) for s in systems],
                ),
            ]
        )

    async def pending(self) -> int:
        rows = await self._db.fetch(
            f"SELECT count(*) FROM {self._p}inbox WHERE state = ?", (PENDING,)
        )
        return int(rows[0][0])

    async def counts(self) -> dict[str, int]:
        rows = await self._db.fetch(f"SELECT state, count(*) FROM {self._p}inbox GROUP BY state")
        return {str(state): int(n) for state, n in rows}

    async def claim(
        self, now: datetime, *, limit: int = 200, lease: float = 15.0
    ) -> list[StoredSignal]:
        """Lease up to `limit` due signals, oldest first."""
        at = _epoch(now)
        lock = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgres" else ""
        rows = await self._db.fetch(
            f"UPDATE {self._p}inbox SET lease_until = ? WHERE seq IN (SELECT seq FROM"
            f" {self._p}inbox WHERE state = ? AND next_at <= ? AND lease_until <= ?"
            f" ORDER BY seq LIMIT ?{lock})"
            " RETURNING seq, system, id, subject, body, received_at, attempts",
            (at + lease, PENDING, at, at, limit),
        )
        found = [
            StoredSignal(
                int(seq), _decode(system, sid, subject, body), _at(received) or now, attempts
            )
            for seq, system, sid, subject, body, received, attempts in rows
        ]
        found.sort(key=lambda s: s.seq)
        return found

    async def done(self, seqs: Sequence[int], now: datetime) -> None:
        await self._db.run(
            [
                (
                    f"UPDATE {self._p}inbox SET state = ?, applied_at = ?, lease_until = 0"
                    " WHERE seq = ?",
                    [(DONE, _epoch(now), seq) for seq in seqs],
                )
            ]
        )

    async def retry(
        self,
        stored: Sequence[StoredSignal],
        now: datetime,
        error: str,
        *,
        max_attempts: int,
        backoff: float,
    ) -> list[StoredSignal]:
        """Try again later (exponential backoff), or park after `max_attempts`; each
        signal kept as given (with the events still owed to listeners, if any).
        Returns the parked ones."""
        parked = [s for s in stored if s.attempts + 1 >= max_attempts]
        rows = [
            (
                PARKED if s.attempts + 1 >= max_attempts else PENDING,
                s.attempts + 1,
                _epoch(now) + min(backoff * 2**s.attempts, 300.0),
                error,
                _encode(s.signal),
                s.seq,
            )
            for s in stored
        ]
        await self._db.run(
            [
                (
                    f"UPDATE {self._p}inbox SET state = ?, attempts = ?, next_at = ?,"
                    " last_error = ?, body = ?, lease_until = 0 WHERE seq = ?",
                    rows,
                )
            ]
        )
        return parked

    async def purge(self, before: datetime) -> None:
        """Forget done and parked signals received before `before`."""
        await self._db.run(
            [
                (
                    f"DELETE FROM {self._p}inbox WHERE state <> ? AND received_at < ?",
                    (PENDING, _epoch(before)),
                )
            ]
        )

    async def last_signal_at(self) -> dict[str, datetime]:
        rows = await self._db.fetch(f"SELECT system, last_signal_at FROM {self._p}systems")
        return {str(system): _at(at) or datetime.min.replace(tzinfo=UTC) for system, at in rows}

    async def lags(self, since: datetime) -> list[float]:
        """Seconds from storing to applying, for signals applied since `since` (benchmarks)."""
        rows = await self._db.fetch(
            f"SELECT applied_at - received_at FROM {self._p}inbox"
            " WHERE state = ? AND applied_at >= ?",
            (DONE, _epoch(since)),
        )
        return [float(r[0]) for r in rows]
