"""The connectors' cache: in memory by default, Redis for several gateway replicas.

The cache holds only unredacted upstream answers keyed by the upstream request
(never by caller); policies always run after it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.plugins import BasePlugin

from connectors.errors import SettingsError

from .cache_codec import DomainSerializer

NAMESPACE = "knutpunkt"


class LookupCounter(BasePlugin):  # type: ignore[misc]
    """An aiocache plugin: tells `count(hits, misses)` after every `get` and `multi_get`."""

    def __init__(self, count: Callable[[int, int], None]) -> None:
        self._count = count

    async def post_get(self, client: BaseCache, key: str, *, ret: Any = None, **kw: Any) -> None:
        self._count(int(ret is not None), int(ret is None))

    async def post_multi_get(
        self, client: BaseCache, keys: Sequence[str], *, ret: Any = None, **kw: Any
    ) -> None:
        hits = sum(1 for value in ret or () if value is not None)
        self._count(hits, len(keys) - hits)


class MemoryCache(SimpleMemoryCache):  # type: ignore[misc]
    """aiocache's memory cache with the same answers, but expiry kept as a deadline per
    key instead of a loop timer per key.

    aiocache's own cancels a timer and schedules a new one on every write of a key with
    a TTL; the connectors rewrite the same keys on every query (the stale-if-error copies
    of each case system), so that was most of a cache write's cost. Here a key past its
    deadline reads as absent (and goes when read), and a sweep at most every
    `sweep_seconds` drops the expired keys nobody read."""

    _cache: dict[str, Any]

    def __init__(
        self,
        *,
        sweep_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._deadlines: dict[str, float] = {}
        self._clock = clock
        self._sweep_every = sweep_seconds
        self._next_sweep = clock() + sweep_seconds

    def _live(self, key: str, now: float) -> bool:
        deadline = self._deadlines.get(key)
        if deadline is not None and deadline <= now:
            del self._deadlines[key]
            self._cache.pop(key, None)
            return False
        return key in self._cache

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self._sweep_every
        for key in [k for k, deadline in self._deadlines.items() if deadline <= now]:
            del self._deadlines[key]
            self._cache.pop(key, None)

    def _remove(self, key: str) -> int:
        self._deadlines.pop(key, None)
        return 1 if self._cache.pop(key, None) is not None else 0

    async def _get(self, key: str, encoding: str = "utf-8", _conn: Any = None) -> Any:
        return self._cache.get(key) if self._live(key, self._clock()) else None

    async def _multi_get(
        self, keys: Sequence[str], encoding: str = "utf-8", _conn: Any = None
    ) -> list[Any]:
        now = self._clock()
        return [self._cache.get(key) if self._live(key, now) else None for key in keys]

    async def _set(
        self,
        key: str,
        value: Any,
        ttl: float | None = None,
        _cas_token: Any = None,
        _conn: Any = None,
    ) -> Any:
        now = self._clock()
        if _cas_token is not None and _cas_token != (
            self._cache.get(key) if self._live(key, now) else None
        ):
            return 0
        self._store([(key, value)], ttl, now)
        return True

    async def _multi_set(
        self, pairs: Sequence[tuple[str, Any]], ttl: float | None = None, _conn: Any = None
    ) -> bool:
        self._store(pairs, ttl, self._clock())
        return True

    def _store(self, pairs: Sequence[tuple[str, Any]], ttl: float | None, now: float) -> None:
        """Keep each value with its deadline (none: no expiry); sweep when one is due."""
        for key, value in pairs:
            self._cache[key] = value
            if ttl:
                self._deadlines[key] = now + ttl
            else:
                self._deadlines.pop(key, None)
        if now >= self._next_sweep:
            self._sweep(now)

    async def _add(self, key: str, value: Any, ttl: float | None = None, _conn: Any = None) -> Any:
        if self._live(key, self._clock()):
            raise ValueError(f"Key {key} already exists, use .set to update the value")
        return await self._set(key, value, ttl=ttl)

    async def _exists(self, key: str, _conn: Any = None) -> bool:
        return self._live(key, self._clock())

    async def _increment(self, key: str, delta: int, _conn: Any = None) -> Any:
        if not self._live(key, self._clock()):
            self._cache[key] = delta
            return delta
        try:
            self._cache[key] = int(self._cache[key]) + delta
        except ValueError:
            raise TypeError("Value is not an integer") from None
        return self._cache[key]

    async def _expire(self, key: str, ttl: float | None, _conn: Any = None) -> bool:
        now = self._clock()
        if not self._live(key, now):
            return False
        if ttl:
            self._deadlines[key] = now + ttl
        else:
            self._deadlines.pop(key, None)
        return True

    async def _delete(self, key: str, _conn: Any = None) -> int:
        return self._remove(key)

    async def _clear(self, namespace: str | None = None, _conn: Any = None) -> bool:
        if namespace:
            for key in [k for k in self._cache if k.startswith(namespace)]:
                self._remove(key)
        else:
            self._cache = {}
            self._deadlines = {}
        return True

    async def _raw(
        self, command: str, *args: Any, encoding: str = "utf-8", _conn: Any = None, **kwargs: Any
    ) -> Any:
        self._sweep(self._clock())
        return getattr(self._cache, command)(*args, **kwargs)

    async def _redlock_release(self, key: str, value: Any) -> int:
        if self._live(key, self._clock()) and self._cache.get(key) == value:
            return self._remove(key)
        return 0


def build_cache(url: str, plugins: Sequence[BasePlugin] = ()) -> BaseCache:
    parts = urlsplit(url)
    # timeout=None: aiocache would otherwise wrap every call in asyncio.wait_for, which on
    # Python 3.11 can swallow a cancellation; Redis gets socket timeouts instead
    if parts.scheme == "memory":
        return MemoryCache(namespace=NAMESPACE, timeout=None, plugins=list(plugins))
    if parts.scheme in ("redis", "rediss"):
        db = parts.path.strip("/") or "0"
        if not db.isdigit():
            raise SettingsError("KNUTPUNKT_CACHE_URL: databasnumret ska vara ett heltal.")
        return RedisCache(
            endpoint=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            db=int(db),
            password=parts.password,
            ssl=parts.scheme == "rediss",
            namespace=NAMESPACE,
            serializer=DomainSerializer(),
            create_connection_timeout=2,
            connection_pool_kwargs={"socket_timeout": 2},
            timeout=None,
            plugins=list(plugins),
        )
    raise SettingsError("KNUTPUNKT_CACHE_URL ska börja med memory:// eller redis://.")


@contextlib.asynccontextmanager
async def open_cache(url: str, plugins: Sequence[BasePlugin] = ()) -> AsyncIterator[BaseCache]:
    cache = build_cache(url, plugins)
    try:
        yield cache
    finally:
        if isinstance(cache, RedisCache):
            # aiocache 0.12 closes with redis-py's deprecated close(); use aclose()
            await cache.client.aclose()
        else:
            await cache.close()
