"""The connectors' cache: in memory by default, Redis for several gateway replicas.

The cache holds only unredacted upstream answers keyed by the upstream request
(never by caller); policies always run after it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache

from connectors.errors import SettingsError

from .cache_codec import DomainSerializer

NAMESPACE = "knutpunkt"


def build_cache(url: str) -> BaseCache:
    parts = urlsplit(url)
    # timeout=None: aiocache would otherwise wrap every call in asyncio.wait_for, which on
    # Python 3.11 can swallow a cancellation; Redis gets socket timeouts instead
    if parts.scheme == "memory":
        return SimpleMemoryCache(namespace=NAMESPACE, timeout=None)
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
        )
    raise SettingsError("KNUTPUNKT_CACHE_URL ska börja med memory:// eller redis://.")


@contextlib.asynccontextmanager
async def open_cache(url: str) -> AsyncIterator[BaseCache]:
    cache = build_cache(url)
    try:
        yield cache
    finally:
        if isinstance(cache, RedisCache):
            # aiocache 0.12 closes with redis-py's deprecated close(); use aclose()
            await cache.client.aclose()
        else:
            await cache.close()
