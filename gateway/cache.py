"""The connectors' cache: in memory by default, Redis for several gateway replicas.

The cache holds only unredacted upstream answers keyed by the upstream request
(never by caller); policies always run after it.
"""

from __future__ import annotations

import contextlib
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


def build_cache(url: str, plugins: Sequence[BasePlugin] = ()) -> BaseCache:
    parts = urlsplit(url)
    # timeout=None: aiocache would otherwise wrap every call in asyncio.wait_for, which on
    # Python 3.11 can swallow a cancellation; Redis gets socket timeouts instead
    if parts.scheme == "memory":
        return SimpleMemoryCache(namespace=NAMESPACE, timeout=None, plugins=list(plugins))
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
