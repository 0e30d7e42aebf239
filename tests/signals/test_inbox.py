"""The inbox on both backends: dedupe by (source, id), leases, backoff and parking,
retention; and the bus between processes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from signals import ChangeNote, Signal
from signals.bus import MemoryBus, PostgresBus, RedisBus, decode, encode
from signals.inbox import Inbox

PG = "postgresql://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 3, 11, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def inbox(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Inbox]:
    url = f"sqlite:///{tmp_path}/inbox.db" if request.param == "sqlite" else PG
    box = await Inbox(url, prefix=f"sigu{uuid.uuid4().hex[:10]}_").open()
    yield box
    await box.drop_tables()
    await box.close()


def signal(sid: str, subject: str = "BYGG-2026-000193", system: str = "byggr") -> Signal:
    return Signal(system, sid, subject, T0, "BN 2026/0193", ("195606055555",), "DECIDED")


async def test_signals_are_stored_once_per_source_and_id(inbox: Inbox) -> None:
    await inbox.add([signal("a"), signal("a"), signal("b")], T0)
    await inbox.add([signal("a"), signal("a", system="diarium")], T0 + timedelta(seconds=1))
    assert await inbox.counts() == {"pending": 3}
    claimed = await inbox.claim(T0 + timedelta(seconds=2))
    assert [(s.signal, s.received_at, s.attempts) for s in claimed] == [
        (signal("a"), T0, 0),
        (signal("b"), T0, 0),
        (signal("a", system="diarium"), T0 + timedelta(seconds=1), 0),
    ]
    assert await inbox.last_signal_at() == {
        "byggr": T0 + timedelta(seconds=1),
        "diarium": T0 + timedelta(seconds=1),
    }


async def test_a_claim_is_a_lease_and_failures_back_off_then_park(inbox: Inbox) -> None:
    await inbox.add([signal("a"), signal("b")], T0)
    first = await inbox.claim(T0, lease=10)
    assert len(first) == 2
    assert await inbox.claim(T0 + timedelta(seconds=5)) == []  # leased
    parked = await inbox.retry(first[:1], T0, "UNKNOWN_CASE", max_attempts=2, backoff=1.0)
    assert parked == []
    await inbox.done([first[1].seq], T0)
    assert await inbox.claim(T0 + timedelta(seconds=0.5)) == []  # backing off
    again = await inbox.claim(T0 + timedelta(seconds=1))
    assert [(s.signal.id, s.attempts) for s in again] == [("a", 1)]
    parked = await inbox.retry(
        again, T0 + timedelta(seconds=1), "UNKNOWN_CASE", max_attempts=2, backoff=1.0
    )
    assert [s.signal.id for s in parked] == ["a"]
    assert await inbox.counts() == {"done": 1, "parked": 1}
    assert await inbox.claim(T0 + timedelta(days=1)) == []
    await inbox.purge(T0 + timedelta(seconds=1))
    assert await inbox.counts() == {}
    await inbox.add([signal("a")], T0 + timedelta(days=2))  # forgotten: a new signal now
    assert await inbox.counts() == {"pending": 1}


async def test_a_lapsed_lease_is_claimed_again(inbox: Inbox) -> None:
    await inbox.add([signal("a")], T0)
    assert len(await inbox.claim(T0, lease=10)) == 1
    assert [s.signal.id for s in await inbox.claim(T0 + timedelta(seconds=11))] == ["a"]


@pytest.mark.postgres
async def test_two_processes_never_claim_the_same_signal() -> None:
    prefix = f"sigu{uuid.uuid4().hex[:10]}_"
    one, two = await Inbox(PG, prefix=prefix).open(), await Inbox(PG, prefix=prefix).open()
    try:
        await one.add([signal(str(i)) for i in range(300)], T0)
        a, b = await asyncio.gather(one.claim(T0, limit=200), two.claim(T0, limit=200))
        ids = [s.signal.id for s in a + b]
        assert len(ids) == len(set(ids)) == 300
    finally:
        await one.drop_tables()
        await one.close()
        await two.close()


NOTE = ChangeNote(
    "byggr", "BYGG-2026-000193", ("e1",), ("195606055555",), ("BN 2026/0193",), "node-1"
)


def test_notes_survive_the_wire_and_garbage_is_ignored() -> None:
    assert decode(encode(NOTE)) == NOTE
    assert decode(b"{not json") is None
    assert decode('{"system": "byggr"}') is None


@pytest.mark.parametrize(
    "kind",
    [
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ],
)
async def test_every_process_hears_a_note(kind: str) -> None:
    channel = f"sigtest_{uuid.uuid4().hex[:10]}"
    if kind == "memory":
        buses = [MemoryBus()]
    elif kind == "redis":
        buses = [
            RedisBus("redis://127.0.0.1:6379/13", channel),
            RedisBus("redis://127.0.0.1:6379/13", channel),
        ]
    else:
        buses = [PostgresBus(PG, channel), PostgresBus(PG, channel)]
    heard: list[list[ChangeNote]] = [[] for _ in buses]
    for bus, box in zip(buses, heard, strict=True):

        async def handler(note: ChangeNote, box: list[ChangeNote] = box) -> None:
            box.append(note)

        await bus.start(handler)
    try:
        await asyncio.sleep(0.1)  # subscriptions settle
        await buses[0].publish(NOTE)
        for _ in range(100):
            if all(heard):
                break
            await asyncio.sleep(0.02)
        assert heard == [[NOTE] for _ in buses]
    finally:
        for bus in buses:
            await bus.close()
