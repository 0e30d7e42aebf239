"""The durable outbox: every message is sent at least once, and at most once per key.

Messages are rows first (written in the same transaction as whatever caused them)
and sent by this worker afterwards. A worker claims due rows with one atomic
update that pushes their next attempt a lease ahead, so another worker or a
restarted one takes them only if this one died mid-send. A message is marked sent
once the relay took it; a failure is retried with exponential backoff and jitter;
after `max_attempts` tries, or at once when the relay says trying again is
useless, the message is parked for operators (`knutpunkt notify outbox --parked`).
The worker also turns due digests into messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .model import Channel, Message, MessageKind, MessageState
from .senders import Sender, SendFailed
from .settings import NotifySettings
from .store import NotifyStore
from .texts import news_text

log = logging.getLogger("knutpunkt.notify")

BATCH = 50
#: how long a person's "seen" marks of events are kept (a signal replayed later is ignored)
SEEN_DAYS = 7


@dataclass
class OutboxMetrics:
    """Plain numbers the gateway's registry reads at scrape time (no I/O there): the
    outcome counters, and the outbox's size by state as of the worker's last pass."""

    sent: dict[Channel, int] = field(default_factory=lambda: dict.fromkeys(Channel, 0))
    retried: dict[Channel, int] = field(default_factory=lambda: dict.fromkeys(Channel, 0))
    parked: dict[Channel, int] = field(default_factory=lambda: dict.fromkeys(Channel, 0))
    digests: int = 0
    states: dict[MessageState, int] = field(default_factory=lambda: dict.fromkeys(MessageState, 0))

    def messages(self) -> dict[tuple[str, ...], float]:
        """Messages keyed by (outcome, channel): sent, retried, parked per channel."""
        tables = (("sent", self.sent), ("retried", self.retried), ("parked", self.parked))
        return {
            (outcome, channel.value.lower()): float(n)
            for outcome, table in tables
            for channel, n in table.items()
        }

    def sizes(self) -> dict[tuple[str, ...], float]:
        """Messages in the outbox keyed by (state,), as counted at the end of the last pass."""
        return {(state.value.lower(),): float(n) for state, n in self.states.items()}


class Outbox:
    """Sends what the store holds; `run()` is the background loop, `drain()` one pass."""

    def __init__(
        self,
        store: NotifyStore,
        senders: Mapping[Channel, Sender],
        settings: NotifySettings,
        clock: Callable[[], datetime],
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._senders = dict(senders)
        self._settings = settings
        self._clock = clock
        self._rng = rng or random.Random()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self.metrics = OutboxMetrics()

    def wake(self) -> None:
        """Look now, not at the next poll (a code or a digest was just written)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Until `stop()`: flush due digests, send due messages, sleep until woken or polled."""
        while not self._stopping:
            # cleared before the pass: a wake-up during the pass makes the next one immediate
            self._wakeup.clear()
            try:
                busy = await self.drain()
            except Exception:  # the store was briefly unreachable: keep the loop alive
                log.exception("outbox pass failed")
                busy = 0
            if busy or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._settings.poll_seconds)

    def stop(self) -> None:
        """Finish the message in hand, then leave `run()`."""
        self._stopping = True
        self._wakeup.set()

    async def drain(self) -> int:
        """One pass: due digests into messages, one batch of due messages sent, then the
        outbox counted by state. Returns how many messages were tried."""
        now = self._clock().timestamp()
        await self.flush_digests(now)
        claimed = await self._store.claim(now, now + self._settings.lease_seconds, BATCH)
        gate = asyncio.Semaphore(max(1, self._settings.send_concurrency))
        untried: list[str] = []

        async def one(message: Message, attempts: int) -> None:
            async with gate:
                if self._stopping:  # not started: handed back below, not held for the lease
                    untried.append(message.id)
                    return
                await self._send(message, attempts)

        await asyncio.gather(*(one(m, a) for m, a in claimed))
        if untried:  # a restarted worker sends them at once (a crash leaves them to the lease)
            await self._store.release(untried, now)
        await self.count_states()
        return len(claimed)

    async def count_states(self) -> None:
        """Count the outbox by state into `metrics.states` (each pass does, so a scrape
        reads a number at most one poll old without a query of its own)."""
        self.metrics.states = await self._store.counts()

    async def flush_digests(self, now: float) -> None:
        due = await self._store.due_digests(now)
        if not due:
            return
        prefs = await self._store.preferences_of(pnr for pnr, _, _, _ in due)
        steps = []
        for pnr, channel, opened_at, message_id in due:
            steps.append(NotifyStore.close_digest_step(pnr, channel, opened_at))
            p = prefs.get(pnr)
            address = p.address(channel) if p else None
            if address is None:
                continue  # the channel was turned off or the address changed meanwhile
            subject, body = news_text(channel, self._settings.portal_url)
            message = Message(
                id=message_id,  # drawn when the digest opened: a retried flush sends once
                kind=MessageKind.NEWS,
                channel=channel,
                address=address,
                subject=subject,
                body=body,
            )
            steps.append(NotifyStore.enqueue_step(message, now))
            self.metrics.digests += 1
        await self._store.run(steps)
        await self._store.forget_seen(now - SEEN_DAYS * 86400)

    async def _send(self, message: Message, attempts: int) -> None:
        sender = self._senders.get(message.channel)
        try:
            if sender is None:
                raise SendFailed(f"no {message.channel.value} sender configured")
            await sender.send(message)
        except SendFailed as exc:
            now = self._clock().timestamp()
            tries = attempts + 1
            if exc.permanent or tries >= self._settings.max_attempts:
                await self._store.mark_failed(message.id, exc.reason, None, now)
                self.metrics.parked[message.channel] += 1
                log.warning("outbox message %s parked after %d tries", message.id, tries)
                return
            await self._store.mark_failed(message.id, exc.reason, now + self.backoff(tries), now)
            self.metrics.retried[message.channel] += 1
            return
        await self._store.mark_sent(message, self._clock().timestamp())
        self.metrics.sent[message.channel] += 1

    def backoff(self, tries: int) -> float:
        """Seconds before try number `tries + 1`: doubling from the base, capped, ±20 %."""
        s = self._settings
        delay = min(s.retry_max_seconds, s.retry_base_seconds * 2 ** (tries - 1))
        return float(delay * self._rng.uniform(0.8, 1.2))
