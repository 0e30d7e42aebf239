"""A per-request batching loader that waits for the event loop to settle.

Like a DataLoader, it collects the keys asked for and fetches them in one call,
caching each key's answer for the request. Unlike one that dispatches on the next
loop iteration, it dispatches only after the loop has gone `settle` iterations
without a new key: sibling resolvers of one query (aliases, list items) that reach
the same loader a few awaits apart still share one upstream call. The cost is a few
loop iterations (microseconds), not a timer.

`load` registers a key at once and returns its future; `Gathered` awaits a list of
such futures without a task or a coroutine per key, so that a resolver can register
the keys of several loaders before its first await and they all share the batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")

SETTLE_ITERATIONS = 2


class BatchLoader(Generic[K, V]):
    __slots__ = ("_fetch", "_futures", "_max", "_pending", "_quiet", "_settle", "_waiting")

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
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        self._futures[key] = future
        self._pending.append(key)
        self._quiet = 0
        if not self._waiting:
            self._waiting = True
            loop.call_soon(self._tick)
        return future

    def load_many(self, keys: Iterable[K]) -> Gathered[V, list[V]]:
        """The answers of `keys`, in order; the keys are registered before this returns."""
        return Gathered([self.load(k) for k in keys], list)

    def _tick(self) -> None:
        self._quiet += 1
        if self._quiet < self._settle:
            asyncio.get_running_loop().call_soon(self._tick)
            return
        self._waiting = False
        keys, self._pending = self._pending, []
        loop = asyncio.get_running_loop()
        for start in range(0, len(keys), self._max):
            task = loop.create_task(self._run(keys[start : start + self._max]))
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


class Gathered(Generic[V, R]):
    """Awaitable: `finish` of the futures' values in order, once every one is done.

    Unlike `asyncio.gather` it wraps nothing in a task and adds no callback per
    future: the awaiting task sleeps on the first future not yet done, and the rest
    of one batch are done by then. A failure is raised once; the other futures'
    outcomes are marked seen, as gather would."""

    __slots__ = ("_finish", "_futures")

    def __init__(self, futures: list[asyncio.Future[V]], finish: Callable[[list[V]], R]) -> None:
        self._futures = futures
        self._finish = finish

    def __await__(self) -> Generator[Any, None, R]:
        values: list[V] = []
        try:
            for future in self._futures:
                values.append((yield from future.__await__()))
        except BaseException:
            for future in self._futures:
                if future.done() and not future.cancelled():
                    future.exception()
            raise
        return self._finish(values)


def _retrieve(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()  # marks it retrieved; the waiters already have it
