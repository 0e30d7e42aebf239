"""Fan-out in one gateway process: every note from the bus goes to each open
subscription's queue (and, when the cache is per process, ends this process's
cache entries for the case first)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Mapping

from connectors.signal_cache import SignalledSource

from .model import ChangeNote

log = logging.getLogger("knutpunkt.signals.hub")

#: notes one slow subscriber may have waiting before the oldest are dropped
QUEUE_SIZE = 1000


class Hub:
    def __init__(
        self, sources: Mapping[str, SignalledSource], *, node: str, invalidate_remote: bool
    ) -> None:
        self._sources = sources
        self._node = node
        self._invalidate_remote = invalidate_remote
        self._queues: set[asyncio.Queue[ChangeNote]] = set()

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    async def on_note(self, note: ChangeNote) -> None:
        if self._invalidate_remote and note.origin != self._node:
            source = self._sources.get(note.system)
            if source is not None:
                await source.invalidate([note.case_id], note.personal_numbers, note.case_numbers)
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                log.warning("a subscriber fell behind; dropped its oldest note")
            queue.put_nowait(note)

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[ChangeNote]]:
        queue: asyncio.Queue[ChangeNote] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)
