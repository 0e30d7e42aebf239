"""Small pieces every batched case connector needs: key hygiene, chunking above an
upstream's batch limit, the per-call result bound and the whole-answer cache.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence

from aiocache.base import BaseCache

from .base import MAX_CASES_PER_CALL
from .domain import Case

PNR = re.compile(r"^\d{12}$")
#: Most pages one connector call follows before calling the paging broken.
MAX_PAGES = 50
#: How long a whole batch answer stays in the cache (seconds).
CASES_TTL = 30


def clean_keys(
    keys: Sequence[str], *, pattern: re.Pattern[str] | None = None, max_length: int = 64
) -> list[str]:
    """Trimmed, de-duplicated, sorted keys; keys the upstream cannot hold are dropped."""
    found = {k.strip() for k in keys if isinstance(k, str)}
    return sorted(
        k
        for k in found
        if k and len(k) <= max_length and (pattern is None or pattern.fullmatch(k))
    )


def chunks(keys: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """`keys` in slices of at most `size` (one upstream call each)."""
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def bounded(cases: list[Case]) -> list[Case]:
    """At most `MAX_CASES_PER_CALL` cases, keeping the newest."""
    if len(cases) <= MAX_CASES_PER_CALL:
        return cases
    newest = sorted(cases, key=lambda c: c.opened_at, reverse=True)
    return newest[:MAX_CASES_PER_CALL]


class CaseCache:
    """Whole batch answers of one connector, keyed by the upstream request.

    The cache holds unredacted domain objects only; policies run after it. A
    failing cache (e.g. Redis down) is skipped: it is an optimisation, not a source.
    """

    def __init__(self, system: str, cache: BaseCache | None, ttl: int = CASES_TTL) -> None:
        self.system = system
        self.cache = cache
        self.ttl = ttl

    def key(self, operation: str, keys: Sequence[str]) -> str:
        digest = hashlib.sha256("\x1f".join(keys).encode()).hexdigest()[:40]
        return f"{self.system}:cases:{operation}:{digest}"

    async def get_or_fetch(
        self,
        operation: str,
        keys: Sequence[str],
        fetch: Callable[[], Awaitable[list[Case]]],
    ) -> list[Case]:
        if self.cache is None:
            return await fetch()
        key = self.key(operation, keys)
        try:
            hit = await self.cache.get(key)
        except Exception:  # the cache must never take a source system down with it
            hit = None
        if isinstance(hit, list):
            return list(hit)
        cases = await fetch()
        try:
            await self.cache.set(key, cases, ttl=self.ttl)
        except Exception:  # noqa: S110 - see above
            pass
        return cases
