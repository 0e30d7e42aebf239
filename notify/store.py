"""The hub's notification store: settings, one-time codes, digests and the outbox.

One SQL layer for SQLite (default) and PostgreSQL: the hub's shared backends
(`casestore.sql`, also behind the case store and the access log), which run a
list of statements in one transaction and fetch rows. Every change that must not
happen half (settings + codes + the code messages; a digest turning into a
message) is one transaction; the claims that must not be taken twice are single
`UPDATE ... RETURNING` statements.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from casestore.sql import SqlBackend, Step
from casestore.sql_open import backend_for

from .model import Channel, Message, MessageKind, MessageState, OutboxEntry, Preferences

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS notify_settings (
        pnr TEXT PRIMARY KEY,
        email TEXT,
        email_verified INTEGER NOT NULL DEFAULT 0,
        phone TEXT,
        phone_verified INTEGER NOT NULL DEFAULT 0,
        channels TEXT NOT NULL DEFAULT '',
        include_represented INTEGER NOT NULL DEFAULT 1,
        updated_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS notify_codes (
        pnr TEXT NOT NULL,
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        salt TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        locked_until DOUBLE PRECISION NOT NULL DEFAULT 0,
        PRIMARY KEY (pnr, channel))""",
    """CREATE TABLE IF NOT EXISTS notify_seen (
        key TEXT PRIMARY KEY,
        token TEXT NOT NULL,
        seen_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS notify_digests (
        pnr TEXT NOT NULL,
        channel TEXT NOT NULL,
        opened_at DOUBLE PRECISION NOT NULL,
        due_at DOUBLE PRECISION NOT NULL,
        events INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        PRIMARY KEY (pnr, channel))""",
    """CREATE TABLE IF NOT EXISTS notify_outbox (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at DOUBLE PRECISION NOT NULL,
        next_attempt_at DOUBLE PRECISION NOT NULL,
        sent_at DOUBLE PRECISION,
        last_error TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX IF NOT EXISTS notify_outbox_due ON notify_outbox (state, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS notify_digests_due ON notify_digests (due_at)",
)

_SETTINGS_COLUMNS = (
    "pnr, email, email_verified, phone, phone_verified, channels, include_represented"
)
_OUTBOX_COLUMNS = (
    "id, kind, channel, address, state, attempts, created_at, next_attempt_at, sent_at, last_error"
)


class NotifyStore:
    """Open with `await NotifyStore.open(url)`; close with `await store.close()`."""

    def __init__(self, backend: SqlBackend) -> None:
        self._db = backend

    @classmethod
    async def open(cls, url: str) -> NotifyStore:
        backend = backend_for(url)
        await backend.open()
        store = cls(backend)
        await backend.run([(sql, ()) for sql in SCHEMA])
        return store

    async def close(self) -> None:
        await self._db.close()

    async def run(self, steps: Sequence[Step]) -> None:
        await self._db.run(steps)

    # -- settings ----------------------------------------------------------------

    async def preferences(self, pnr: str) -> Preferences | None:
        rows = await self._db.fetch(
            f"SELECT {_SETTINGS_COLUMNS} FROM notify_settings WHERE pnr = ?", (pnr,)
        )
        return _preferences(rows[0]) if rows else None

    async def preferences_of(self, pnrs: Iterable[str]) -> dict[str, Preferences]:
        wanted = sorted(set(pnrs))
        found: dict[str, Preferences] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = await self._db.fetch(
                f"SELECT {_SETTINGS_COLUMNS} FROM notify_settings WHERE pnr IN ({marks})",
                chunk,
            )
            found.update((row[0], _preferences(row)) for row in rows)
        return found

    @staticmethod
    def save_preferences_step(p: Preferences, now: float) -> Step:
        return (
            f"INSERT INTO notify_settings ({_SETTINGS_COLUMNS}, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pnr) DO UPDATE SET"
            " email = excluded.email, email_verified = excluded.email_verified,"
            " phone = excluded.phone, phone_verified = excluded.phone_verified,"
            " channels = excluded.channels, include_represented = excluded.include_represented,"
            " updated_at = excluded.updated_at",
            (
                p.personal_number,
                p.email,
                int(p.email_verified),
                p.phone,
                int(p.phone_verified),
                ",".join(sorted(c.value for c in p.channels)),
                int(p.include_represented),
                now,
            ),
        )

    # -- one-time codes ------------------------------------------------------------

    async def code_state(self, pnr: str, channel: Channel) -> tuple[float, float] | None:
        """(expires_at, locked_until) of the channel's code row, if any."""
        rows = await self._db.fetch(
            "SELECT expires_at, locked_until FROM notify_codes WHERE pnr = ? AND channel = ?",
            (pnr, channel.value),
        )
        return (float(rows[0][0]), float(rows[0][1])) if rows else None

    @staticmethod
    def save_code_step(
        pnr: str, channel: Channel, address: str, salt: str, code_hash: str, expires_at: float
    ) -> Step:
        return (
            "INSERT INTO notify_codes (pnr, channel, address, salt, code_hash, expires_at,"
            " attempts, locked_until) VALUES (?, ?, ?, ?, ?, ?, 0, 0)"
            " ON CONFLICT (pnr, channel) DO UPDATE SET address = excluded.address,"
            " salt = excluded.salt, code_hash = excluded.code_hash,"
            " expires_at = excluded.expires_at, attempts = 0, locked_until = 0",
            (pnr, channel.value, address, salt, code_hash, expires_at),
        )

    @staticmethod
    def drop_code_step(pnr: str, channel: Channel) -> Step:
        return ("DELETE FROM notify_codes WHERE pnr = ? AND channel = ?", (pnr, channel.value))

    async def take_attempt(
        self, pnr: str, channel: Channel, max_attempts: int, now: float
    ) -> tuple[str, str, str, float, int] | None:
        """Count one try at the channel's code, atomically; None when there is no code to
        try (none, used up, or locked). Returns (address, salt, hash, expires_at, attempts)."""
        rows = await self._db.fetch(
            "UPDATE notify_codes SET attempts = attempts + 1"
            " WHERE pnr = ? AND channel = ? AND attempts < ? AND code_hash <> ''"
            " AND locked_until <= ?"
            " RETURNING address, salt, code_hash, expires_at, attempts",
            (pnr, channel.value, max_attempts, now),
        )
        if not rows:
            return None
        address, salt, code_hash, expires_at, attempts = rows[0]
        return str(address), str(salt), str(code_hash), float(expires_at), int(attempts)

    async def lock_code(self, pnr: str, channel: Channel, until: float) -> None:
        await self._db.run(
            [
                (
                    "UPDATE notify_codes SET code_hash = '', locked_until = ?"
                    " WHERE pnr = ? AND channel = ?",
                    (until, pnr, channel.value),
                )
            ]
        )

    # -- digests -------------------------------------------------------------------

    async def note_events(
        self,
        pnr: str,
        event_keys: Sequence[str],
        windows: Sequence[tuple[Channel, float]],
        now: float,
    ) -> None:
        """Count the events into a digest per channel, each event once per person ever
        (a signal processed twice must not open a second window). `windows`: (channel,
        due time should this event open the channel's window)."""
        token = uuid.uuid4().hex
        steps: list[Step] = [
            (
                "INSERT INTO notify_seen (key, token, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                [(key, token, now) for key in event_keys],
            )
        ]
        for channel, due_at in windows:
            steps.append(
                (
                    "INSERT INTO notify_digests (pnr, channel, opened_at, due_at, events,"
                    " message_id) SELECT ?, ?, ?, ?, 1, ? WHERE EXISTS"
                    " (SELECT 1 FROM notify_seen WHERE token = ?)"
                    " ON CONFLICT (pnr, channel) DO UPDATE"
                    " SET events = notify_digests.events + 1",
                    (pnr, channel.value, now, due_at, secrets.token_hex(16), token),
                )
            )
        await self._db.run(steps)

    async def due_digests(
        self, now: float, limit: int = 500
    ) -> list[tuple[str, Channel, float, str]]:
        """(pnr, channel, opened_at, message id) of the digests due by `now`."""
        rows = await self._db.fetch(
            "SELECT pnr, channel, opened_at, message_id FROM notify_digests WHERE due_at <= ?"
            " ORDER BY due_at LIMIT ?",
            (now, limit),
        )
        return [(str(r[0]), Channel(r[1]), float(r[2]), str(r[3])) for r in rows]

    async def digest_count(self) -> int:
        rows = await self._db.fetch("SELECT COUNT(*) FROM notify_digests")
        return int(rows[0][0])

    @staticmethod
    def close_digest_step(pnr: str, channel: Channel, opened_at: float) -> Step:
        return (
            "DELETE FROM notify_digests WHERE pnr = ? AND channel = ? AND opened_at = ?",
            (pnr, channel.value, opened_at),
        )

    async def forget_seen(self, before: float) -> None:
        await self._db.run([("DELETE FROM notify_seen WHERE seen_at < ?", (before,))])

    # -- outbox --------------------------------------------------------------------

    @staticmethod
    def enqueue_step(message: Message, now: float) -> Step:
        """Insert once: the same id again (a retried flush, another replica) is a no-op."""
        return (
            "INSERT INTO notify_outbox (id, kind, channel, address, subject, body, state,"
            " attempts, created_at, next_attempt_at, last_error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, '') ON CONFLICT (id) DO NOTHING",
            (
                message.id,
                message.kind.value,
                message.channel.value,
                message.address,
                message.subject,
                message.body,
                MessageState.PENDING.value,
                now,
                now,
            ),
        )

    async def claim(self, now: float, lease_until: float, limit: int) -> list[tuple[Message, int]]:
        """Take up to `limit` due messages for sending (each by one worker only)."""
        # PostgreSQL: replicas claiming at once skip each other's rows instead of waiting
        skip = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgres" else ""
        rows = await self._db.fetch(
            "UPDATE notify_outbox SET next_attempt_at = ?"
            " WHERE id IN (SELECT id FROM notify_outbox WHERE state = 'PENDING'"
            f" AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?{skip})"
            " AND state = 'PENDING' AND next_attempt_at <= ?"
            " RETURNING id, kind, channel, address, subject, body, attempts",
            (lease_until, now, limit, now),
        )
        return [
            (
                Message(
                    id=str(r[0]),
                    kind=MessageKind(r[1]),
                    channel=Channel(r[2]),
                    address=str(r[3]),
                    subject=str(r[4]),
                    body=str(r[5]),
                ),
                int(r[6]),
            )
            for r in rows
        ]

    async def release(self, message_ids: Sequence[str], due: float) -> None:
        """Hand claimed messages that were not tried back: due at `due`, lease ended."""
        marks = ", ".join("?" for _ in message_ids)
        await self._db.run(
            [
                (
                    "UPDATE notify_outbox SET next_attempt_at = ?"
                    f" WHERE state = 'PENDING' AND id IN ({marks})",
                    (due, *message_ids),
                )
            ]
        )

    async def mark_sent(self, message: Message, now: float) -> None:
        # a code is worthless once delivered: it does not stay readable in the outbox
        body = "" if message.kind is MessageKind.CODE else message.body
        await self._db.run(
            [
                (
                    "UPDATE notify_outbox SET state = 'SENT', sent_at = ?, body = ?,"
                    " attempts = attempts + 1, last_error = '' WHERE id = ?",
                    (now, body, message.id),
                )
            ]
        )

    async def mark_failed(
        self, message_id: str, error: str, retry_at: float | None, now: float
    ) -> None:
        """One more failed try: retry at `retry_at`, or park (None)."""
        if retry_at is None:
            sql = (
                "UPDATE notify_outbox SET state = 'PARKED', attempts = attempts + 1,"
                " last_error = ?, next_attempt_at = ? WHERE id = ?"
            )
            params: tuple[Any, ...] = (error[:500], now, message_id)
        else:
            sql = (
                "UPDATE notify_outbox SET attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = ? WHERE id = ?"
            )
            params = (error[:500], retry_at, message_id)
        await self._db.run([(sql, params)])

    async def entries(
        self, state: MessageState | None = None, limit: int = 200
    ) -> list[OutboxEntry]:
        where, params = ("WHERE state = ?", (state.value,)) if state else ("", ())
        rows = await self._db.fetch(
            f"SELECT {_OUTBOX_COLUMNS} FROM notify_outbox {where}"
            " ORDER BY created_at DESC, id LIMIT ?",
            (*params, limit),
        )
        return [
            OutboxEntry(
                id=str(r[0]),
                kind=MessageKind(r[1]),
                channel=Channel(r[2]),
                address=str(r[3]),
                state=MessageState(r[4]),
                attempts=int(r[5]),
                created_at=float(r[6]),
                next_attempt_at=float(r[7]),
                sent_at=None if r[8] is None else float(r[8]),
                last_error=str(r[9]),
            )
            for r in rows
        ]

    async def counts(self) -> dict[MessageState, int]:
        rows = await self._db.fetch("SELECT state, COUNT(*) FROM notify_outbox GROUP BY state")
        found = {state: 0 for state in MessageState}
        found.update((MessageState(r[0]), int(r[1])) for r in rows)
        return found


def _preferences(row: Sequence[Any]) -> Preferences:
    pnr, email, email_verified, phone, phone_verified, channels, include_represented = row
    return Preferences(
        personal_number=str(pnr),
        email=email,
        email_verified=bool(email_verified),
        phone=phone,
        phone_verified=bool(phone_verified),
        channels=frozenset(Channel(c) for c in str(channels).split(",") if c),
        include_represented=bool(include_represented),
    )
