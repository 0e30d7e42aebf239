"""The identity provider's signing keys: a JWKS fetched over HTTP and cached.

Keys are fetched on first use and refreshed when they are older than `ttl`, or
when a token names a `kid` we do not know — but never more often than once per
`min_refresh` seconds, so a flood of tokens with made-up `kid`s cannot turn the
gateway into a load generator against the identity provider. When the endpoint
fails, the last keys that were fetched successfully stay in use for at most
`max_stale` seconds after that fetch; after that we fail closed.

A JWKS is refused as a whole when it holds private key material or symmetric
(`kty: oct`) keys: such a document is a misconfiguration at best, and trusting it
would let anyone who can read it mint tokens.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from connectors.errors import JwksError

#: JWK members that only private (or symmetric) keys carry (RFC 7518 section 6).
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
MAX_JWKS_BYTES = 256 * 1024
MAX_KEYS = 50
#: the asymmetric signature algorithms we can verify, and the key type each needs
ALG_KEY_TYPES: Mapping[str, str] = {
    **{f"{family}{bits}": "RSA" for family in ("RS", "PS") for bits in (256, 384, 512)},
    **{f"ES{bits}": "EC" for bits in (256, 384, 512)},
    "EdDSA": "OKP",
    "Ed25519": "OKP",
}

logger = logging.getLogger("knutpunkt.auth")


@dataclass(frozen=True, slots=True)
class JwksSettings:
    """How keys of identity providers are fetched and kept."""

    #: refresh at most once per this many seconds (also on unknown `kid`s)
    min_refresh: float = 60.0
    #: last-known-good keys stay usable this long after the last successful fetch
    max_stale: float = 900.0
    #: routine refresh of keys older than this (key rotation without a new `kid` race)
    ttl: float = 300.0
    #: per-fetch timeout in seconds
    timeout: float = 5.0


def public_key_set(document: object) -> KeySet:
    """Parse a JWKS document; refuses private, symmetric or malformed keys."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise JwksError("jwks: not an object with a 'keys' list")
    raw_keys: list[Any] = document["keys"]
    if not raw_keys or len(raw_keys) > MAX_KEYS:
        raise JwksError(f"jwks: {len(raw_keys)} keys")
    for raw in raw_keys:
        if not isinstance(raw, Mapping):
            raise JwksError("jwks: a key is not an object")
        if raw.get("kty") not in ASYMMETRIC_KEY_TYPES:
            raise JwksError(f"jwks: refused key type {str(raw.get('kty'))[:10]!r}")
        if PRIVATE_MEMBERS & set(raw):
            raise JwksError("jwks: refused private key material")
    try:
        key_set = KeySet.import_key_set({"keys": [dict(raw) for raw in raw_keys]})
    except (JoseError, ValueError, TypeError) as exc:
        raise JwksError(f"jwks: unreadable key ({type(exc).__name__})") from exc
    return key_set


def find_key(key_set: KeySet, kid: str | None, alg: str) -> Key | None:
    """The signing key for `kid` fit for `alg`; without `kid`, the only such key."""
    key_type = ALG_KEY_TYPES.get(alg)
    candidates = [
        key
        for key in key_set.keys
        if key.key_type == key_type and key.get("use") in (None, "sig") and key.alg in (None, alg)
    ]
    if kid is None:
        return candidates[0] if len(candidates) == 1 else None
    return next((key for key in candidates if key.kid == kid), None)


class JwksCache:
    """Keys of one identity provider, fetched with GET on its `jwks_uri`."""

    def __init__(
        self,
        url: str,
        http: httpx.AsyncClient,
        min_refresh: float = 60.0,
        max_stale: float = 900.0,
        *,
        ttl: float = 300.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._http = http
        self._min_refresh = min_refresh
        self._max_stale = max_stale
        self._ttl = max(ttl, min_refresh)
        self._timeout = timeout
        self._clock = clock
        self._keys: KeySet | None = None
        self._fetched_at = 0.0  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None, alg: str) -> Key:
        """The key for a token header; one refresh on an unknown `kid` (rate-limited)."""
        key_set = await self._current(refresh_if_older_than=self._ttl)
        key = find_key(key_set, kid, alg)
        if key is None:
            key_set = await self._current(refresh_if_older_than=0.0)
            key = find_key(key_set, kid, alg)
        if key is None:
            raise JwksError("jwks: no key for the token's kid")
        return key

    async def key_set(self) -> KeySet:
        """The current keys (fetched on first use, refreshed after `ttl`)."""
        return await self._current(refresh_if_older_than=self._ttl)

    async def _current(self, refresh_if_older_than: float) -> KeySet:
        if self._lock.locked() or self._wants_refresh(refresh_if_older_than):
            async with self._lock:  # wait for a fetch in flight, or make one
                if self._wants_refresh(refresh_if_older_than):
                    await self._refresh()
        return self._usable_keys()

    def _wants_refresh(self, older_than: float) -> bool:
        now = self._clock()
        if self._attempted_at is not None and now - self._attempted_at < self._min_refresh:
            return False
        return self._keys is None or now - self._fetched_at >= older_than

    def _usable_keys(self) -> KeySet:
        if self._keys is None:
            raise JwksError("jwks: no keys fetched yet")
        if self._clock() - self._fetched_at > self._max_stale:
            raise JwksError("jwks: last-known-good keys are too old")
        return self._keys

    async def _refresh(self) -> None:
        self._attempted_at = self._clock()
        try:
            keys = await self._fetch()
        except JwksError as exc:
            logger.warning("JWKS refresh from %s failed: %s", self._url, exc.reason)
            return  # keep the last-known-good keys; `_usable_keys` decides
        self._keys = keys
        self._fetched_at = self._clock()

    async def _fetch(self) -> KeySet:
        try:
            async with self._http.stream(
                "GET",
                self._url,
                headers={"Accept": "application/jwk-set+json, application/json"},
                timeout=self._timeout,
            ) as response:
                if response.status_code != 200:
                    raise JwksError(f"jwks: HTTP {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_JWKS_BYTES:
                        raise JwksError("jwks: document too large")
        except httpx.HTTPError as exc:
            raise JwksError(f"jwks: {type(exc).__name__}") from exc
        try:
            document: object = json.loads(body)
        except ValueError as exc:
            raise JwksError("jwks: not JSON") from exc
        return public_key_set(document)
