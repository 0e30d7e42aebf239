"""Stale-if-error: the last good answer of a look-up, kept to be shown when the
system is down.

A successful look-up (e.g. one person's cases in one system) is kept in the shared
cache as an envelope `(stored_at, answer)` under its own key, for `max_age` seconds:
longer than any fresh cache entry, so that it outlives them. When the system then
fails (down, circuit open, no answer in time), the loaders serve the kept answer
and say so (`STALE_DATA` with its age). A failing cache is treated as empty. The
answers are unredacted domain objects like every cache entry; policies run after.

A key's copy is rewritten at most every `refresh` seconds by one process: a citizen
reloading Mina Sidor would otherwise rewrite eight copies per page view (eight Redis
writes, with several gateway replicas). The copy shown is then at most `refresh`
seconds older than the last good answer, and its age says so (it is the copy's own).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aiocache.base import BaseCache

PREFIX = "stale:"
#: default seconds between two writes of one key's copy by one process
REFRESH_SECONDS = 30.0
#: keys whose last write this process remembers; beyond it, it forgets them all
REMEMBERED_KEYS = 50_000

log = logging.getLogger(__name__)


class StaleCopies:
    """Kept answers per (system, operation, key), at most `max_age` seconds old."""

    def __init__(
        self,
        cache: BaseCache | None,
        max_age: float,
        *,
        clock: Callable[[], float] = time.time,
        refresh: float = REFRESH_SECONDS,
    ) -> None:
        self._cache = cache
        self.max_age = max_age
        self._clock = clock
        self.refresh = min(refresh, max_age)
        #: when this process last wrote each key's copy
        self._written: dict[str, float] = {}

    @property
    def enabled(self) -> bool:
        return self._cache is not None and self.max_age > 0

    async def keep(self, system: str, operation: str, answers: Mapping[str, Any]) -> None:
        """Keep each key's answer with the time it was fetched."""
        if self._cache is None or not self.enabled or not answers:
            return
        now = self._clock()
        written = self._written
        entries = []
        for k, v in answers.items():
            key = _key(system, operation, k)
            if now - written.get(key, -math.inf) >= self.refresh:
                entries.append((key, (now, v)))
        if not entries:
            return
        try:
            await self._cache.multi_set(entries, ttl=math.ceil(self.max_age))
        except Exception:  # a cache outage must not fail the read that succeeded
            log.warning("stale-if-error cache unavailable for %s", system, exc_info=True)
            return
        if len(written) + len(entries) > REMEMBERED_KEYS:
            written.clear()
        for key, _ in entries:
            written[key] = now

    async def recall(
        self, system: str, operation: str, keys: Sequence[str]
    ) -> dict[str, tuple[float, Any]]:
        """The kept answers still young enough, by key: (age in seconds, answer)."""
        if self._cache is None or not self.enabled or not keys:
            return {}
        try:
            hits = list(await self._cache.multi_get([_key(system, operation, k) for k in keys]))
        except Exception:
            log.warning("stale-if-error cache unavailable for %s", system, exc_info=True)
            return {}
        now = self._clock()
        found: dict[str, tuple[float, Any]] = {}
        for key, hit in zip(keys, hits, strict=True):
            if not (isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], float)):
                continue
            age = max(0.0, now - hit[0])
            if age <= self.max_age:
                found[key] = (age, hit[1])
        return found


def _key(system: str, operation: str, key: str) -> str:
    return f"{PREFIX}{system}:{operation}:{key}"
