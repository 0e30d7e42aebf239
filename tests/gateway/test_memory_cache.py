"""The gateway's memory cache: aiocache's answers, expiry by deadline instead of timers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.cache import LookupCounter, MemoryCache, build_cache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cache(clock: Clock, **kwargs: Any) -> MemoryCache:
    return MemoryCache(namespace="t", timeout=None, clock=clock, **kwargs)


def test_memory_urls_get_it() -> None:
    assert isinstance(build_cache("memory://"), MemoryCache)


async def test_a_key_lives_until_its_ttl_then_reads_as_absent() -> None:
    clock = Clock()
    cache = _cache(clock)
    await cache.multi_set([("a", 1), ("b", (2.0, "x"))], ttl=10)
    await cache.set("c", 3)  # no TTL: forever
    clock.now += 9.9
    assert await cache.multi_get(["a", "b", "c", "d"]) == [1, (2.0, "x"), 3, None]
    assert await cache.exists("a")
    clock.now += 0.1
    assert await cache.multi_get(["a", "b", "c"]) == [None, None, 3]
    assert await cache.get("a") is None
    assert not await cache.exists("b")


async def test_writing_again_moves_the_deadline_and_no_timer_is_scheduled() -> None:
    clock = Clock()
    cache = _cache(clock)
    loop = asyncio.get_running_loop()
    timers_before = len(getattr(loop, "_scheduled", ()))
    for _ in range(100):
        await cache.multi_set([("k", "v")], ttl=5)
        clock.now += 4
    assert len(getattr(loop, "_scheduled", ())) == timers_before
    assert await cache.get("k") == "v"
    await cache.set("k", "forever")  # a write without TTL drops the deadline
    clock.now += 100
    assert await cache.get("k") == "forever"


async def test_expired_keys_nobody_reads_are_swept_on_a_later_write() -> None:
    clock = Clock()
    cache = _cache(clock, sweep_seconds=30)
    await cache.multi_set([(f"old{i}", i) for i in range(50)], ttl=1)
    clock.now += 31
    await cache.set("new", 1, ttl=60)
    assert set(cache._cache) == {"tnew"}
    assert len(cache._deadlines) == 1


async def test_delete_add_expire_increment_and_clear() -> None:
    clock = Clock()
    cache = _cache(clock)
    await cache.set("a", 1, ttl=5)
    with pytest.raises(ValueError):
        await cache.add("a", 2)
    clock.now += 5
    assert await cache.add("a", 2, ttl=5)  # the old one expired: add may
    assert await cache.get("a") == 2
    assert await cache.expire("a", 100)
    clock.now += 50
    assert await cache.get("a") == 2
    assert not await cache.expire("missing", 10)
    assert await cache.increment("n", 2) == 2
    assert await cache.increment("n", 3) == 5
    assert await cache.delete("a") == 1
    assert await cache.delete("a") == 0
    await cache.set("n", 7, ttl=1)
    clock.now += 1
    assert await cache.increment("n", 1) == 1  # expired: starts again
    await cache.clear()
    assert await cache.multi_get(["n"]) == [None]


async def test_lookups_are_still_counted_by_the_plugins() -> None:
    counted: list[tuple[int, int]] = []
    clock = Clock()
    cache = _cache(clock, plugins=[LookupCounter(lambda h, m: counted.append((h, m)))])
    await cache.multi_set([("a", 1)], ttl=5)
    await cache.multi_get(["a", "b"])
    clock.now += 5
    await cache.get("a")
    assert counted == [(1, 1), (0, 1)]
