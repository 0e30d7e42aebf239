"""Per-key caching for the registers (population, mandates) with negative caching.

Each key's answer is cached as a tuple (a person as a 1-tuple, custody relations or
mandates as an n-tuple). A key the register does not know is cached too, as an
empty tuple with a shorter TTL, so a repeated question costs no upstream call.
All keys are looked up with one `multi_get`; only the missing ones are fetched, in
one call, and stored with `multi_set`. A failing cache is treated as empty.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from aiocache.base import BaseCache

T = TypeVar("T")

log = logging.getLogger(__name__)

Fetch = Callable[[Sequence[str]], Awaitable[Mapping[str, tuple[T, ...]]]]


async def cached_per_key(
    cache: BaseCache | None,
    prefix: str,
    keys: Sequence[str],
    fetch: Fetch[T],
    *,
    ttl: int,
    miss_ttl: int,
) -> dict[str, tuple[T, ...]]:
    """The answer for every key: from `cache` (keys `prefix + key`), the rest from one
    `fetch` of the missing keys. `fetch` leaves out the keys the register does not know.
    """
    if not keys:
        return {}
    if cache is None:
        fresh = await fetch(keys)
        return {k: fresh.get(k, ()) for k in keys}
    found: dict[str, tuple[T, ...]] = {}
    try:
        hits = list(await cache.multi_get([prefix + k for k in keys]))
    except Exception:  # a cache outage must not fail the read
        log.warning("register cache unavailable for %s", prefix, exc_info=True)
        hits = [None] * len(keys)
    for key, hit in zip(keys, hits, strict=True):
        if isinstance(hit, tuple):
            found[key] = hit
    missing = [k for k in keys if k not in found]
    if not missing:
        return found
    fresh = await fetch(missing)
    known = [(prefix + k, fresh[k]) for k in missing if k in fresh]
    unknown = [(prefix + k, ()) for k in missing if k not in fresh]
    for key in missing:
        found[key] = fresh.get(key, ())
    try:
        if known:
            await cache.multi_set(known, ttl=ttl)
        if unknown:
            await cache.multi_set(unknown, ttl=miss_ttl)
    except Exception:
        log.warning("register cache unavailable for %s", prefix, exc_info=True)
    return found
