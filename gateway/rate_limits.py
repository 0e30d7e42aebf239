"""Per-caller rate limits and the per-staff budget of distinct persons read.

Two limits, both answered with `RATE_LIMITED`, HTTP 429 and `Retry-After`:

- requests per caller per minute (`[gateway] requests_per_minute`), checked before a
  request is parsed; a caller is the token's issuer and subject, an anonymous caller
  its client address;
- distinct persons a staff member (contact centre, case officer) reads per hour
  (`[gateway] staff_persons_per_hour`): checked before a request (an exhausted budget
  costs no upstream call) and after it, before any data leaves (a request of many
  aliased look-ups that crosses the budget gets no data).

The counters live in memory, or in Redis when the cache is Redis, so that every
gateway replica shares them (keys under `[gateway] rate_limit_prefix`, expiring with
their window).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from policies.caller import Caller, Role

log = logging.getLogger("knutpunkt.limits")

STAFF = frozenset({Role.CONTACT_CENTRE, Role.CASE_OFFICER})
REQUEST_WINDOW = 60
PERSON_WINDOW = 3600


#: what a refused request is told (HTTP 429, or a subscription's `error` message)
RATE_LIMITED_MESSAGE = "För många förfrågningar. Försök igen senare."


def rate_limited_error(retry_after: int) -> dict[str, Any]:
    """The GraphQL error of a refused request."""
    return {
        "message": RATE_LIMITED_MESSAGE,
        "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
    }


@dataclass(frozen=True, slots=True)
class Limited:
    """A refusal: which limit, and in how many whole seconds to try again."""

    limit: str  # "requests" | "persons"
    retry_after: int


class Counter(Protocol):
    async def incr(self, key: str, ttl: int) -> int: ...

    async def add_members(self, key: str, members: Iterable[str], ttl: int) -> int: ...

    async def members(self, key: str) -> int: ...


class MemoryCounter:
    """One process's counters (a single gateway, the demo, tests)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counts: dict[str, tuple[float, int]] = {}
        self._sets: dict[str, tuple[float, set[str]]] = {}

    async def incr(self, key: str, ttl: int) -> int:
        self._expire()
        expires, count = self._counts.get(key, (self._clock() + ttl, 0))
        self._counts[key] = (expires, count + 1)
        return count + 1

    async def add_members(self, key: str, members: Iterable[str], ttl: int) -> int:
        self._expire()
        found = self._sets.setdefault(key, (self._clock() + ttl, set()))[1]
        found.update(members)
        return len(found)

    async def members(self, key: str) -> int:
        self._expire()
        return len(self._sets.get(key, (0.0, set()))[1])

    def _expire(self) -> None:
        now = self._clock()
        for store in (self._counts, self._sets):
            for key in [k for k, (expires, _) in store.items() if expires <= now]:
                del store[key]


class RedisCounter:
    """Counters shared by every replica through Redis (`redis.asyncio.Redis`)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def incr(self, key: str, ttl: int) -> int:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def add_members(self, key: str, members: Iterable[str], ttl: int) -> int:
        found = list(members)
        async with self._client.pipeline(transaction=True) as pipe:
            if found:
                pipe.sadd(key, *found)
            pipe.expire(key, ttl, nx=True)
            pipe.scard(key)
            *_, size = await pipe.execute()
        return int(size)

    async def members(self, key: str) -> int:
        return int(await self._client.scard(key))


class RateLimits:
    """The two limits over one `Counter`; 0 switches a limit off."""

    def __init__(
        self,
        counter: Counter,
        *,
        requests_per_minute: int,
        staff_persons_per_hour: int,
        prefix: str = "knutpunkt:limits:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._counter = counter
        self._requests = requests_per_minute
        self._persons = staff_persons_per_hour
        self._prefix = prefix
        self._clock = clock
        self._logged: set[tuple[str, str, int]] = set()

    async def before_request(self, caller: Caller, client: str) -> Limited | None:
        """Count the request; refuse it over the rate, or when a staff member's person
        budget is already used up."""
        now = self._clock()
        if self._requests:
            window = int(now // REQUEST_WINDOW)
            key = f"{self._prefix}req:{caller_key(caller, client)}:{window}"
            if await self._counter.incr(key, REQUEST_WINDOW + 1) > self._requests:
                return self._refuse("requests", caller, (window + 1) * REQUEST_WINDOW - now)
        if self._persons and caller.role in STAFF:
            key, ends = self._person_key(caller, now)
            if await self._counter.members(key) > self._persons:  # over it: nothing more
                return self._refuse("persons", caller, ends - now)
        return None

    async def after_reads(self, caller: Caller, persons: Iterable[str]) -> Limited | None:
        """Add the persons a staff request read; refuse its data when that goes over."""
        wanted = sorted(set(persons))
        if not self._persons or caller.role not in STAFF or not wanted:
            return None
        now = self._clock()
        key, ends = self._person_key(caller, now)
        if await self._counter.add_members(key, wanted, PERSON_WINDOW + 1) > self._persons:
            return self._refuse("persons", caller, ends - now)
        return None

    def _person_key(self, caller: Caller, now: float) -> tuple[str, float]:
        window = int(now // PERSON_WINDOW)
        key = f"{self._prefix}persons:{caller_key(caller, '')}:{window}"
        return key, (window + 1) * PERSON_WINDOW

    def _refuse(self, limit: str, caller: Caller, seconds: float) -> Limited:
        # one WARNING per caller, limit and window: a client hammering on refusals
        # must not flood the log (the metrics count every refusal)
        mark = (limit, caller_key(caller, ""), int(self._clock() + seconds))
        if mark not in self._logged:
            if len(self._logged) > 10_000:
                self._logged.clear()
            self._logged.add(mark)
            log.warning(
                "rate limited: limit=%s role=%s subject=%r",
                limit,
                caller.role.value,
                (caller.subject or "")[:80],
            )
        return Limited(limit, max(1, math.ceil(seconds)))


def caller_key(caller: Caller, client: str) -> str:
    if caller.role is Role.PUBLIC or not caller.subject:
        return f"anon:{client}"
    return f"{caller.issuer or ''}|{caller.subject}"
