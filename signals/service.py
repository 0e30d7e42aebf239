"""Everything signals need in a running gateway, opened and closed as one."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiocache.base import BaseCache
from standardwebhooks import Webhook

from connectors.base import CaseSource
from connectors.signal_cache import SignalledSource

from .bus import Bus, bus_for
from .hub import Hub
from .inbox import Inbox
from .intake import signers
from .metrics import SignalMetrics
from .model import Signal
from .processor import CaseStore, Processor


class InboxFull(Exception):
    """More signals wait than the inbox takes (`max_pending`)."""


@dataclass
class Signals:
    """The running signal half: intake verifiers, inbox, processor, bus and hub."""

    inbox: Inbox
    processor: Processor
    bus: Bus
    hub: Hub
    verifiers: dict[str, Webhook]
    metrics: SignalMetrics
    max_pending: int

    #: (monotonic time, count) of the last look at how many signals wait
    _pending: tuple[float, int] = (-1.0, 0)

    async def accept(self, signals: list[Signal]) -> None:
        """Store `signals` durably (then the caller may answer 202) and wake the processor."""
        if await self._waiting() >= self.max_pending:
            raise InboxFull()
        await self.inbox.add(signals, datetime.now(UTC))
        self.metrics.received += len(signals)
        checked, count = self._pending
        self._pending = (checked, count + len(signals))
        self.processor.wake()

    async def _waiting(self) -> int:
        """How many signals wait: counted at most every second, estimated in between."""
        checked, count = self._pending
        now = time.monotonic()
        if now - checked >= 1.0 or checked < 0:
            count = await self.inbox.pending()
            self._pending = (now, count)
        return count

    async def last_signal_at(self) -> dict[str, datetime]:
        return await self.inbox.last_signal_at()


def wrap_sources(
    case_sources: dict[str, CaseSource], cache: BaseCache, cache_seconds: Mapping[str, int]
) -> dict[str, SignalledSource]:
    """Replace each signalling system's connector (in place) by its long-caching wrapper."""
    wrapped: dict[str, SignalledSource] = {}
    for system, seconds in cache_seconds.items():
        source = case_sources.get(system)
        if source is None:
            continue
        signalled = SignalledSource(source, cache, seconds)
        case_sources[system] = signalled
        wrapped[system] = signalled
    return wrapped


@contextlib.asynccontextmanager
async def open_signals(
    *,
    inbox_url: str,
    cache_url: str,
    sources: Mapping[str, SignalledSource],
    secrets: Mapping[str, str],
    store: CaseStore | None = None,
    retention: timedelta = timedelta(hours=72),
    max_pending: int = 100_000,
    max_attempts: int = 6,
    backoff: float = 0.5,
    prefix: str = "signal_",
    channel: str = "knutpunkt_signals",
    run: bool = True,
) -> AsyncIterator[Signals]:
    """Open the inbox and bus, start the processor (unless `run` is false)."""
    metrics = SignalMetrics()
    inbox = await Inbox(inbox_url, prefix=prefix).open()
    bus = bus_for(cache_url, inbox_url, channel)
    processor = Processor(
        inbox,
        sources,
        bus,
        store=store,
        metrics=metrics,
        max_attempts=max_attempts,
        backoff=backoff,
        retention=retention,
    )
    shared_cache = cache_url.startswith(("redis://", "rediss://"))
    hub = Hub(sources, node=processor.node, invalidate_remote=not shared_cache)
    task: asyncio.Task[None] | None = None
    try:
        await bus.start(hub.on_note)
        if run:
            task = asyncio.create_task(processor.run(), name="signal-processor")
        yield Signals(inbox, processor, bus, hub, signers(secrets), metrics, max_pending)
    finally:
        if task is not None:
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=0.2)
        await bus.close()
        await inbox.close()
