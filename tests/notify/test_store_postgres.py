"""The notification store on PostgreSQL: the same behaviour as on SQLite, and claims
that two workers never share. Each test has its own schema."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest
from notify_testing import Clock

from notify import (
    Change,
    Channel,
    Message,
    MessageKind,
    MessageState,
    NotifySettings,
    NotifyStore,
    PreferenceService,
)
from notify.model import Preferences

pytestmark = pytest.mark.postgres

BASE = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    schema = f"notify_test_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(BASE, autocommit=True) as conn:
        await conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{BASE}?options=-csearch_path%3D{schema}"
    async with await psycopg.AsyncConnection.connect(BASE, autocommit=True) as conn:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")


async def test_settings_codes_digests_and_claims_on_postgres(pg_url: str, clock: Clock) -> None:
    store = await NotifyStore.open(pg_url)
    try:
        service = PreferenceService(store, NotifySettings(url=pg_url), clock)
        changed = await service.change(
            "195606055555",
            Change(channels=frozenset({Channel.EMAIL}), email="kalle@exempel.se", email_given=True),
        )
        assert changed == Preferences(
            "195606055555", email="kalle@exempel.se", channels=frozenset({Channel.EMAIL})
        )
        [code_message] = await store.entries()
        assert (code_message.kind, code_message.address) == (MessageKind.CODE, "kalle@exempel.se")
        claimed = await store.claim(clock().timestamp(), clock().timestamp() + 60, 10)
        code = next(w for w in claimed[0][0].body.split() if w.isdigit() and len(w) == 6)
        verified = await service.verify("195606055555", Channel.EMAIL, code)
        assert verified.email_verified and verified.address(Channel.EMAIL) == "kalle@exempel.se"
        assert await store.preferences_of(["195606055555", "191212121212"]) == {
            "195606055555": verified
        }

        now = clock().timestamp()
        await store.note_events("195606055555", ["e1", "e2"], [(Channel.EMAIL, now + 900)], now)
        await store.note_events("195606055555", ["e1"], [(Channel.EMAIL, now + 900)], now + 1)
        assert await store.digest_count() == 1
        [(pnr, channel, opened, _)] = await store.due_digests(now + 900)
        assert (pnr, channel, opened) == ("195606055555", Channel.EMAIL, now)

        messages = [
            Message(f"m{n}", MessageKind.NEWS, Channel.EMAIL, f"p{n}@exempel.se", "s", "b")
            for n in range(40)
        ]
        await store.run([NotifyStore.enqueue_step(m, now) for m in messages])
        await store.run([NotifyStore.enqueue_step(messages[0], now)])  # once per id
        other = await NotifyStore.open(pg_url)  # a second gateway replica
        try:
            mine, theirs = await asyncio.gather(
                store.claim(now + 1, now + 60, 25), other.claim(now + 1, now + 60, 25)
            )
        finally:
            await other.close()
        ids = [m.id for m, _ in mine] + [m.id for m, _ in theirs]
        assert len(ids) == len(set(ids)) == 40
        counts = await store.counts()
        assert counts == {MessageState.PENDING: 41, MessageState.SENT: 0, MessageState.PARKED: 0}
    finally:
        await store.close()
