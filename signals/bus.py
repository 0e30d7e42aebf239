"""Pub/sub across gateway processes: every process hears what any one applied.

Redis pub/sub when the cache is Redis, PostgreSQL LISTEN/NOTIFY when the inbox is
PostgreSQL, in memory for one process. A note is small JSON (`ChangeNote`); the
case itself is read from the cache by whoever needs it. Delivery is at most once
and best effort: a process that misses a note still has the TTL and the periodic
pull, and subscribers simply miss that event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import psycopg
import redis.asyncio as redis
from psycopg import sql

from .model import ChangeNote

log = logging.getLogger("knutpunkt.signals.bus")

Handler = Callable[[ChangeNote], Awaitable[None]]
CHANNEL = "knutpunkt_signals"


def encode(note: ChangeNote) -> str:
    return json.dumps(
        {
            "system": note.system,
            "caseId": note.case_id,
            "eventIds": list(note.event_ids),
            "personalNumbers": list(note.personal_numbers),
            "caseNumbers": list(note.case_numbers),
            "origin": note.origin,
        }
    )


def decode(text: str | bytes) -> ChangeNote | None:
    try:
        data = json.loads(text)
        return ChangeNote(
            str(data["system"]),
            str(data["caseId"]),
            tuple(str(e) for e in data["eventIds"]),
            tuple(str(p) for p in data["personalNumbers"]),
            tuple(str(n) for n in data["caseNumbers"]),
            str(data["origin"]),
        )
    except (ValueError, KeyError, TypeError):
        log.warning("ignored a malformed note on the signal bus")
        return None


class Bus(Protocol):
    kind: str

    async def start(self, handler: Handler) -> None: ...

    async def publish(self, note: ChangeNote) -> None: ...

    async def close(self) -> None: ...


class _Reader:
    """Runs one handler per note, in order, so that a slow one cannot reorder notes; a
    lost connection is re-established in the background (notes meanwhile are missed)."""

    retry_seconds = 1.0

    def __init__(self) -> None:
        self._handler: Handler | None = None
        self._task: asyncio.Task[None] | None = None

    async def deliver(self, note: ChangeNote | None) -> None:
        if note is None or self._handler is None:
            return
        try:
            await self._handler(note)
        except Exception:
            log.exception("signal bus handler failed")

    async def _begin(self, name: str, listen: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        """Listen in a background task; wait (briefly) until the first subscription holds."""
        ready = asyncio.Event()

        async def forever() -> None:
            while True:
                try:
                    await listen(ready)
                except Exception:
                    log.warning("signal bus connection lost; reconnecting", exc_info=True)
                await asyncio.sleep(self.retry_seconds)

        self._task = asyncio.create_task(forever(), name=name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready.wait(), 2.0)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


class MemoryBus(_Reader):
    """One process: publish calls the handler directly."""

    kind = "memory"

    async def start(self, handler: Handler) -> None:
        self._handler = handler

    async def publish(self, note: ChangeNote) -> None:
        await self.deliver(note)

    async def close(self) -> None:
        self._handler = None


class RedisBus(_Reader):
    """Redis pub/sub on `channel` (the cache's Redis)."""

    kind = "redis"

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        super().__init__()
        self._client: redis.Redis = redis.Redis.from_url(url, socket_timeout=None)
        self._channel = channel

    async def start(self, handler: Handler) -> None:
        self._handler = handler

        async def listen(ready: asyncio.Event) -> None:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                ready.set()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await self.deliver(decode(message["data"]))
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call]

        await self._begin("signal-bus-redis", listen)

    async def publish(self, note: ChangeNote) -> None:
        await self._client.publish(self._channel, encode(note))

    async def close(self) -> None:
        await self.stop()
        await self._client.aclose()


class PostgresBus(_Reader):
    """PostgreSQL LISTEN/NOTIFY on `channel` (the inbox's database)."""

    kind = "postgres"

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        super().__init__()
        self._url = url
        self._channel = channel
        self._send: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self._lock = asyncio.Lock()

    async def start(self, handler: Handler) -> None:
        self._handler = handler

        async def listen(ready: asyncio.Event) -> None:
            conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
            async with conn:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                ready.set()
                async for notify in conn.notifies():
                    await self.deliver(decode(notify.payload))

        await self._begin("signal-bus-postgres", listen)

    async def publish(self, note: ChangeNote) -> None:
        async with self._lock:
            if self._send is None or self._send.closed:
                self._send = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
            try:
                await self._send.execute("SELECT pg_notify(%s, %s)", (self._channel, encode(note)))
            except psycopg.Error:
                await self._send.close()
                self._send = None
                raise

    async def close(self) -> None:
        await self.stop()
        if self._send is not None:
            await self._send.close()


def bus_for(cache_url: str, inbox_url: str, channel: str = CHANNEL) -> Bus:
    """Redis when the cache is Redis, PostgreSQL when the inbox is, else in memory."""
    if cache_url.startswith(("redis://", "rediss://")):
        return RedisBus(cache_url, channel)
    if inbox_url.startswith(("postgresql://", "postgres://")):
        return PostgresBus(inbox_url, channel)
    return MemoryBus()
