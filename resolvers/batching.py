"""A per-request batching loader that waits for the event loop to settle.

Like a DataLoader, it collects the keys asked for and fetches them in one call,
caching each key's answer for the request. Unlike one that dispatches on the next
loop iteration, it dispatches only after the loop has gone `settle` iterations
without a new key: sibling resolvers of one query (aliases, list items) that reach
the same loader a few awaits apart still share one upstream call. The cost is a few
loop iterations (microseconds), not a timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

SETTLE_ITERATIONS = 2


class BatchLoader(Generic[K, V]):
    def __init__(
        self,
        fetch: Callable[[list[K]], Awaitable[Sequence[V]]],
        *,
        max_batch_size: int = 200,
        settle: int = SETTLE_ITERATIONS,
    ) -> None:
        self._fetch = fetch
        self._max = max_batch_size
        self._settle = settle
        self._futures: dict[K, asyncio.Future[V]] = {}
        self._pending: list[K] = []
        self._quiet = 0
        self._waiting = False

    def load(self, key: K) -> asyncio.Future[V]:
        found = self._futures.get(key)
        if found is not None:
            return found
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._futures[key] = future
        self._pending.append(key)
        self._quiet = 0
        if not self._waiting:
            self._waiting = True
            asyncio.get_running_loop().call_soon(self._tick)
        return future

    async def load_many(self, keys: Iterable[K]) -> list[V]:
        return list(await asyncio.gather(*(self.load(k) for k in keys)))

    def _tick(self) -> None:
        self._quiet += 1
        if self._quiet < self._settle:
            asyncio.get_running_loop().call_soon(self._tick)
            return
        self._waiting = False
        keys, self._pending = self._pending, []
        for start in range(0, len(keys), self._max):
            task = asyncio.ensure_future(self._run(keys[start : start + self._max]))
            task.add_done_callback(_retrieve)

    async def _run(self, keys: list[K]) -> None:
        try:
            values = await self._fetch(keys)
            if len(values) != len(keys):
                raise ValueError("a batch answered a different number of keys")
        except BaseException as exc:  # hand every waiter the failure, then let it go
            for key in keys:
                future = self._futures[key]
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for key, value in zip(keys, values, strict=True):
            future = self._futures[key]
            if not future.done():
                future.set_result(value)


def _retrieve(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()  # marks it retrieved; the waiters already have it
