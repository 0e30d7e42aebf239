"""Batched REST look-ups: key hygiene, chunking, paging loops, capping and per-key caching.

The paging loops take a `fetch` callable doing ONE upstream request for one page
and follow the system's own paging style (cursor token, offset + total, page
number + total pages) to the end, within a page bound: a cursor that repeats,
a total that never comes, or paging beyond the bound is an
`UpstreamContractError` — a broken upstream must not keep us in a loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from aiocache.base import BaseCache

from .base import MAX_CASES_PER_CALL
from .domain import Case
from .errors import UpstreamContractError

T = TypeVar("T")

log = logging.getLogger(__name__)

#: Pages followed for a look-up by persons, ids or numbers.
MAX_PAGES = 50
#: Pages followed for a change window: the case store's sync needs every case of the window.
MAX_SYNC_PAGES = 2000
#: Keys per upstream request (the REST systems accept at most 200).
BATCH_LIMIT = 200

#: One upstream search for a chunk of at most `BATCH_LIMIT` keys, every page.
Fetch = Callable[[Sequence[str]], Awaitable[list[Case]]]


def is_personal_number(key: str) -> bool:
    """Twelve ASCII digits: anything else cannot be a key in a person index."""
    return len(key) == 12 and key.isascii() and key.isdigit()


def unique_keys(keys: Iterable[str], accept: Callable[[str], bool]) -> list[str]:
    """Keys without duplicates, dropping those the system cannot hold (no call for them)."""
    return [k for k in dict.fromkeys(keys) if accept(k)]


def chunks(keys: Sequence[str], size: int = BATCH_LIMIT) -> list[Sequence[str]]:
    return [keys[i : i + size] for i in range(0, len(keys), size)]


async def gather_chunks(keys: Sequence[str], fetch: Fetch) -> list[Case]:
    """One `fetch` per chunk of at most `BATCH_LIMIT` keys, in parallel; unique cases."""
    if not keys:
        return []
    if len(keys) <= BATCH_LIMIT:  # the usual case: one request, no task to schedule
        return unique_cases(await fetch(keys))
    results = await asyncio.gather(*(fetch(chunk) for chunk in chunks(keys)))
    return unique_cases(case for part in results for case in part)


async def follow_cursor(
    system: str,
    fetch: Callable[[str | None], Awaitable[tuple[list[T], str | None]]],
    max_pages: int = MAX_PAGES,
) -> list[T]:
    """Follow `next page token`s until there is none."""
    found: list[T] = []
    seen: set[str] = set()
    token: str | None = None
    for _ in range(max_pages):
        items, token = await fetch(token)
        found.extend(items)
        if token is None:
            return found
        if token in seen:
            raise UpstreamContractError(system)
        seen.add(token)
    raise UpstreamContractError(system)


async def follow_offsets(
    system: str,
    fetch: Callable[[int], Awaitable[tuple[list[T], int]]],
    max_pages: int = MAX_PAGES,
) -> list[T]:
    """Advance `offset` by the items received until it reaches the reported total."""
    found: list[T] = []
    offset = 0
    for _ in range(max_pages):
        items, total = await fetch(offset)
        found.extend(items)
        offset += len(items)
        if offset >= total:
            return found
        if not items:  # more promised, nothing given: it would never end
            raise UpstreamContractError(system)
    raise UpstreamContractError(system)


async def follow_page_numbers(
    system: str,
    fetch: Callable[[int], Awaitable[tuple[list[T], int]]],
    max_pages: int = MAX_PAGES,
) -> list[T]:
    """Ask page 1, 2, ... up to the reported number of pages."""
    found: list[T] = []
    page = 1
    while True:
        items, total_pages = await fetch(page)
        if total_pages > max_pages:
            raise UpstreamContractError(system)
        found.extend(items)
        if page >= total_pages:
            return found
        if not items:
            raise UpstreamContractError(system)
        page += 1


def unique_cases(cases: Iterable[Case]) -> list[Case]:
    seen: dict[str, Case] = {}
    for case in cases:
        seen.setdefault(case.ref.local_id, case)
    return list(seen.values())


def capped(cases: list[Case], limit: int = MAX_CASES_PER_CALL) -> list[Case]:
    """At most `limit` cases, the newest kept, so one huge history cannot exhaust memory."""
    if len(cases) <= limit:
        return cases
    return sorted(cases, key=lambda c: c.opened_at, reverse=True)[:limit]


async def cached_by_id(
    cache: BaseCache | None,
    prefix: str,
    ids: Sequence[str],
    fetch: Fetch,
    ttl: int,
) -> list[Case]:
    """Cases by local id: hits from `cache` (keys `prefix + id`), the rest in one `fetch`.

    An id the system does not know is cached too (as an empty tuple, for as long as a
    case): otherwise a repeated look-up would cost a call for a missing case and none
    for an existing one, telling them apart. A failing cache is treated as empty: the
    upstream answer is what counts.
    """
    if cache is None or not ids:
        return await fetch(ids)
    try:
        hits: list[object] = list(await cache.multi_get([prefix + i for i in ids]))
    except Exception:  # a cache outage must not fail the read
        log.warning("case cache unavailable for %s", prefix, exc_info=True)
        hits = [None] * len(ids)
    found = [hit for hit in hits if isinstance(hit, Case)]
    missing = [i for i, hit in zip(ids, hits, strict=True) if not isinstance(hit, Case | tuple)]
    if missing:
        fresh = await fetch(missing)
        found.extend(fresh)
        known = {c.ref.local_id for c in fresh}
        entries: list[tuple[str, object]] = [(prefix + c.ref.local_id, c) for c in fresh]
        entries += [(prefix + i, ()) for i in missing if i not in known]
        try:
            await cache.multi_set(entries, ttl=ttl)
        except Exception:
            log.warning("case cache unavailable for %s", prefix, exc_info=True)
    return found
