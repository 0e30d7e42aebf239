"""StaleCopies on its own: answers kept with their time, rewritten at most every
`refresh` seconds per key, a failing cache neither fails the read nor counts as kept."""

from __future__ import annotations

from typing import Any

from aiocache import SimpleMemoryCache

from connectors.stale import StaleCopies


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class BrokenOnce(SimpleMemoryCache):  # type: ignore[misc]
    """A memory cache whose first multi_set fails (a Redis blip)."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    async def multi_set(self, pairs: Any, *args: Any, **kwargs: Any) -> Any:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("cache down")
        return await super().multi_set(pairs, *args, **kwargs)


async def test_a_copy_is_rewritten_only_after_the_refresh_interval() -> None:
    clock = Clock()
    stale = StaleCopies(SimpleMemoryCache(), 3600, clock=clock, refresh=30)
    await stale.keep("byggr", "cases", {"195606055555": ["A"]})
    clock.now += 10
    await stale.keep("byggr", "cases", {"195606055555": ["B"], "193404124129": ["X"]})
    found = await stale.recall("byggr", "cases", ["195606055555", "193404124129"])
    assert found == {"195606055555": (10.0, ["A"]), "193404124129": (0.0, ["X"])}
    clock.now += 20  # 30 s after the first write: due again
    await stale.keep("byggr", "cases", {"195606055555": ["C"]})
    assert await stale.recall("byggr", "cases", ["195606055555"]) == {"195606055555": (0.0, ["C"])}


async def test_refresh_zero_rewrites_every_answer() -> None:
    clock = Clock()
    stale = StaleCopies(SimpleMemoryCache(), 3600, clock=clock, refresh=0)
    for answer in ("A", "B"):
        await stale.keep("edu", "cases", {"195606055555": [answer]})
        clock.now += 1
    assert await stale.recall("edu", "cases", ["195606055555"]) == {"195606055555": (1.0, ["B"])}


async def test_keys_are_per_system_and_operation() -> None:
    stale = StaleCopies(SimpleMemoryCache(), 3600, clock=Clock(), refresh=30)
    await stale.keep("edu", "cases", {"195606055555": ["E"]})
    await stale.keep("ecos", "cases", {"195606055555": ["M"]})
    await stale.keep("edu", "by_number", {"195606055555": ["N"]})
    assert (await stale.recall("ecos", "cases", ["195606055555"]))["195606055555"][1] == ["M"]
    assert (await stale.recall("edu", "by_number", ["195606055555"]))["195606055555"][1] == ["N"]


async def test_a_failed_write_is_not_counted_as_kept() -> None:
    clock = Clock()
    stale = StaleCopies(BrokenOnce(), 3600, clock=clock, refresh=30)
    await stale.keep("teknik", "cases", {"195606055555": ["A"]})  # the cache fails: logged
    assert await stale.recall("teknik", "cases", ["195606055555"]) == {}
    clock.now += 1
    await stale.keep("teknik", "cases", {"195606055555": ["B"]})  # written now, not skipped
    assert await stale.recall("teknik", "cases", ["195606055555"]) == {"195606055555": (0.0, ["B"])}
