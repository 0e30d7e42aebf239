"""Verified bearer tokens remembered until they expire: one signature check per token.

A portal sends the same token with every query of a session; checking its signature
again each time (ES256/RS256 verification, claims parsing) was a visible share of
the per-query CPU. `VerifiedTokens` sits in front of `TokenValidator`: a token the
validator accepted is answered from memory until its `exp` (never later, so an
expired token is refused again by the validator itself), and at most `max_age`
seconds, which bounds how long a key withdrawn from the issuer's JWKS still counts.

Keyed by the SHA-256 of the token string (the cache holds no tokens), bounded to
`max_entries` (least recently used leave first). Refused tokens are never cached:
every attempt with a bad token pays the full check and is logged as before.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

from policies.caller import Caller

from .auth import TokenValidator, parse_compact

MAX_ENTRIES = 10_000
MAX_AGE_SECONDS = 300.0


class VerifiedTokens:
    """`validate(token) -> Caller` like `TokenValidator`, remembering what it accepted."""

    def __init__(
        self,
        validator: TokenValidator,
        *,
        max_entries: int = MAX_ENTRIES,
        max_age: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_entries < 1 or max_age <= 0:
            raise ValueError("the token cache needs room for one entry and a positive age")
        self._validator = validator
        self._max_entries = max_entries
        self._max_age = max_age
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[Caller, float]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    async def validate(self, token: str) -> Caller:
        """The caller a token stands for; raises `Unauthenticated` like the validator."""
        key = hashlib.sha256(token.encode()).digest()
        now = self._clock()
        found = self._entries.get(key)
        if found is not None:
            caller, until = found
            if now < until:
                self._entries.move_to_end(key)
                self.hits += 1
                return caller
            del self._entries[key]
        self.misses += 1
        caller = await self._validator.validate(token)
        # the validator accepted the token, so its claims are the verified ones
        exp = parse_compact(token).claims.get("exp")
        until = min(float(exp), now + self._max_age) if isinstance(exp, int | float) else now
        if until > now:
            self._entries[key] = (caller, until)
            if len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return caller
