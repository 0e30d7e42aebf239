"""Bearer tokens → `Caller`: JWT validation against trusted issuers' keys.

The token's unverified `iss` only chooses among the configured issuers; the
signature is then checked with that issuer's keys alone, under its algorithm
allow list. Keys never come from the token (`jwk`, `jku`, `x5u`, `x5c` are
refused), `alg=none` and HMAC are refused whatever the configuration says. Only
access tokens within the lifetime cap pass (`token_rules.check_access_token`).

`KnutpunktAuthBackend` puts the result on `request.user`, a `CallerUser` whose
`.caller` is the `Caller` (read it with `caller_of(conn)`). A request without
an Authorization header is anonymous (`Role.PUBLIC`); a request with a bad one is
answered 401 by `auth_error_response` — it never falls back to anonymous.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import ClaimError, JoseError, SecurityWarning
from joserfc.jwk import Key, KeySet
from joserfc.jws import JWSRegistry

from connectors.errors import JwksError, Unauthenticated, ValidationError
from connectors.personal_number import parse_personal_number
from policies.caller import Caller, Role

from .jwks import ALG_KEY_TYPES, JwksCache, JwksSettings, find_key
from .token_rules import check_access_token, claim_kind

logger = logging.getLogger("knutpunkt.auth")

DEFAULT_ALGORITHMS = ("RS256", "ES256", "PS256", "EdDSA")
ROLE_CLAIM_VALUES: Mapping[str, Role] = {
    "citizen": Role.CITIZEN,
    "contact_centre": Role.CONTACT_CENTRE,
    "case_officer": Role.CASE_OFFICER,
    "analyst": Role.ANALYST,
}
#: staff roles whose work is tied to units (the analyst may have none)
ROLES_NEEDING_UNITS = frozenset({Role.CONTACT_CENTRE, Role.CASE_OFFICER})
UNIT_CODE = re.compile(r"^[A-ZÅÄÖ][A-ZÅÄÖ0-9]{0,9}$")
MAX_UNITS = 50
MAX_SUBJECT = 255
MAX_NAME = 200
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_TOKEN_CHARS = 8 * 1024
COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
#: header members that carry or point at keys (we never take keys from a token), or
#: change how the token is read (`crit` extensions, unencoded payloads): all refused
REFUSED_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit", "b64"})
MAX_KID = 256


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """An identity provider whose tokens we accept: by JWKS URL or by fixed public keys."""

    issuer: str
    audience: str
    jwks_url: str | None
    keys: KeySet | None = None
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    #: also accept `typ` "JWT" or no `typ` (IdPs that issue access tokens so); ID and
    #: refresh tokens are still told apart by their claims
    plain_jwt: bool = False

    def __post_init__(self) -> None:
        if not self.issuer or not self.audience:
            raise ValueError("a trusted issuer needs an issuer and an audience")
        if (self.jwks_url is None) == (self.keys is None):
            raise ValueError(f"issuer {self.issuer}: give exactly one of jwks_url and keys")
        if not self.algorithms or not set(self.algorithms) <= set(ALG_KEY_TYPES):
            raise ValueError(f"issuer {self.issuer}: only asymmetric algorithms are allowed")
        if self.jwks_url is not None:
            url = urlsplit(self.jwks_url)
            if url.scheme != "https" and not (
                url.scheme == "http" and url.hostname in LOOPBACK_HOSTS
            ):
                raise ValueError(f"issuer {self.issuer}: the JWKS URL must use https")
        if self.keys is not None:
            for key in self.keys.keys:
                if key.key_type not in ("RSA", "EC", "OKP") or key.is_private:
                    raise ValueError(f"issuer {self.issuer}: give public asymmetric keys only")


@dataclass(frozen=True, slots=True)
class ClaimNames:
    """Where the claims we read live in the token (configurable per deployment)."""

    role: str = "role"
    personal_number: str = "https://id.oidc.se/claim/personalIdentityNumber"
    units: str = "units"
    name: str = "name"


def default_http_factory() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(5.0),
        limits=httpx.Limits(max_connections=10, max_keepalive_connections=2),
        follow_redirects=False,
    )


class TokenValidator:
    """Validates bearer JWTs of the trusted issuers into `Caller`s.

    Owns the HTTP client it gets from `http_factory` (one, made on first JWKS
    fetch) and closes it in `aclose()` (or on leaving `async with validator:`).
    """

    def __init__(
        self,
        issuers: Sequence[TrustedIssuer],
        claims: ClaimNames | None = None,
        leeway: int = 30,
        http_factory: Callable[[], httpx.AsyncClient] = default_http_factory,
        *,
        jwks: JwksSettings | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        max_lifetime: int = 3600,
    ) -> None:
        self._max_lifetime = max_lifetime
        self._issuers = {issuer.issuer: issuer for issuer in issuers}
        if len(self._issuers) != len(issuers):
            raise ValueError("an issuer is configured twice")
        self._claims = claims or ClaimNames()
        self._leeway = leeway
        self._http_factory = http_factory
        self._jwks = jwks or JwksSettings()
        self._clock = clock
        self._monotonic = monotonic
        self._http: httpx.AsyncClient | None = None
        self._caches: dict[str, JwksCache] = {}

    async def validate(self, token: str) -> Caller:
        """The caller a token stands for; raises `Unauthenticated`."""
        parts = parse_compact(token)
        issuer = self._issuer_for(parts)
        key = await self._key_for(issuer, parts)
        claims = verify_signature_and_claims(
            token,
            key,
            parts.alg,
            issuer=issuer.issuer,
            audience=issuer.audience,
            now=int(self._clock()),
            leeway=self._leeway,
        )
        check_access_token(
            parts.typ, claims, plain_jwt=issuer.plain_jwt, max_lifetime=self._max_lifetime
        )
        return self._caller(claims, issuer)

    def seconds_left(self, token: str) -> float | None:
        """Seconds until a validated token's `exp`; None when it names none."""
        exp = parse_compact(token).claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            return None
        return float(exp) - self._clock()

    async def __aenter__(self) -> TokenValidator:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _issuer_for(self, parts: TokenParts) -> TrustedIssuer:
        iss = parts.claims.get("iss")
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise Unauthenticated.invalid_token(
                f"untrusted issuer {str(iss)[:80]!r}", "untrusted_issuer"
            )
        if parts.alg not in issuer.algorithms:
            raise Unauthenticated.invalid_token(
                f"algorithm {parts.alg} not allowed for {issuer.issuer}", "algorithm"
            )
        return issuer

    async def _key_for(self, issuer: TrustedIssuer, parts: TokenParts) -> Key:
        if issuer.keys is not None:
            key = find_key(issuer.keys, parts.kid, parts.alg)
            if key is None:
                raise Unauthenticated.invalid_token(
                    f"no key of {issuer.issuer} for the token's kid", "unknown_key"
                )
            return key
        try:
            return await self._cache_for(issuer).key(parts.kid, parts.alg)
        except JwksError as exc:
            raise Unauthenticated.invalid_token(
                f"{issuer.issuer}: {exc.reason}", "unknown_key"
            ) from exc

    def _cache_for(self, issuer: TrustedIssuer) -> JwksCache:
        cache = self._caches.get(issuer.issuer)
        if cache is None:
            assert issuer.jwks_url is not None
            if self._http is None:
                self._http = self._http_factory()
            cache = JwksCache(
                issuer.jwks_url,
                self._http,
                self._jwks.min_refresh,
                self._jwks.max_stale,
                ttl=self._jwks.ttl,
                timeout=self._jwks.timeout,
                clock=self._monotonic,
            )
            self._caches[issuer.issuer] = cache
        return cache

    def _caller(self, claims: Mapping[str, Any], issuer: TrustedIssuer) -> Caller:
        subject = claims["sub"]
        if len(subject) > MAX_SUBJECT:
            raise Unauthenticated.invalid_token("sub too long", "claims")
        raw_role = claims.get(self._claims.role)
        role = ROLE_CLAIM_VALUES.get(raw_role) if isinstance(raw_role, str) else None
        if role is None:
            raise Unauthenticated.invalid_token("missing or unknown role", "claims")
        name = claims.get(self._claims.name)
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
            raise Unauthenticated.invalid_token("malformed name", "claims")
        if role is Role.CITIZEN:
            return Caller(
                role=role,
                subject=subject,
                personal_number=self._personal_number(claims),
                name=name,
                issuer=issuer.issuer,
            )
        return Caller(
            role=role,
            subject=subject,
            name=name,
            units=self._units(claims, role),
            issuer=issuer.issuer,
        )

    def _personal_number(self, claims: Mapping[str, Any]) -> str:
        raw = claims.get(self._claims.personal_number)
        if not isinstance(raw, str):
            raise Unauthenticated.invalid_token("citizen token without a personal number", "claims")
        try:
            return parse_personal_number(raw)
        except ValidationError as exc:
            raise Unauthenticated.invalid_token(
                "citizen token with an invalid personal number", "claims"
            ) from exc

    def _units(self, claims: Mapping[str, Any], role: Role) -> frozenset[str]:
        raw = claims.get(self._claims.units)
        if raw is None and role not in ROLES_NEEDING_UNITS:
            return frozenset()
        least = 1 if role in ROLES_NEEDING_UNITS else 0
        if (
            not isinstance(raw, list)
            or not least <= len(raw) <= MAX_UNITS
            or not all(isinstance(unit, str) and UNIT_CODE.match(unit) for unit in raw)
        ):
            raise Unauthenticated.invalid_token(
                "staff token without a list of unit codes", "claims"
            )
        return frozenset(raw)


@dataclass(frozen=True, slots=True)
class TokenParts:
    """What a compact JWS says before its signature is checked: for routing only."""

    alg: str
    kid: str | None
    claims: Mapping[str, Any]
    typ: str | None = None


def parse_compact(token: str) -> TokenParts:
    """Read header and claims unverified, refusing what must never reach a key."""
    if len(token) > MAX_TOKEN_CHARS:
        raise Unauthenticated.invalid_token("token too long")
    if not COMPACT_JWS.match(token):
        raise Unauthenticated.invalid_token("not a compact JWS")
    encoded_header, encoded_claims, _ = token.split(".")
    header = _json_object(encoded_header, "header")
    claims = _json_object(encoded_claims, "claims")
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise Unauthenticated.invalid_token("no alg")
    if alg.lower() == "none" or alg.upper().startswith("HS"):
        raise Unauthenticated.invalid_token(f"refused algorithm {alg[:10]!r}", "algorithm")
    if alg not in ALG_KEY_TYPES:
        raise Unauthenticated.invalid_token(f"unsupported algorithm {alg[:10]!r}", "algorithm")
    refused = REFUSED_HEADERS & set(header)
    if refused:
        raise Unauthenticated.invalid_token(f"refused header members {sorted(refused)}", "header")
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID):
        raise Unauthenticated.invalid_token("malformed kid", "header")
    typ = header.get("typ")
    if typ is not None and not isinstance(typ, str):
        raise Unauthenticated.invalid_token("malformed typ", "header")
    return TokenParts(alg=alg, kid=kid, claims=claims, typ=typ)


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise Unauthenticated.invalid_token(f"{what} is not base64url JSON") from exc
    if not isinstance(value, dict):
        raise Unauthenticated.invalid_token(f"{what} is not a JSON object")
    return value


def verify_signature_and_claims(
    token: str, key: Key, alg: str, *, issuer: str, audience: str, now: int, leeway: int
) -> dict[str, Any]:
    """Check the signature with `key` under `alg` alone, then the registered claims."""
    registry = JWSRegistry(algorithms=[alg], strict_check_header=False)
    try:
        with warnings.catch_warnings():
            # joserfc flags "EdDSA" as deprecated by RFC 9864; we allow it on purpose
            warnings.simplefilter("ignore", SecurityWarning)
            claims = jwt.decode(token, key, algorithms=[alg], registry=registry).claims
        jwt.JWTClaimsRegistry(
            now=now,
            leeway=leeway,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(claims)
    except ClaimError as exc:
        raise Unauthenticated.invalid_token(
            f"{exc.error}({exc.claim}): {exc.description}", claim_kind(exc)
        ) from exc
    except JoseError as exc:
        raise Unauthenticated.invalid_token(
            f"{exc.error or type(exc).__name__}: {exc.description}", "signature"
        ) from exc
    except (ValueError, TypeError) as exc:
        raise Unauthenticated.invalid_token(
            f"unverifiable token ({type(exc).__name__})", "signature"
        ) from exc
    return claims
