"""What makes a verified JWT an acceptable access token, and how refusals are told.

A refused token is `connectors.errors.Unauthenticated.invalid_token(reason, kind)`: a
free-text `reason` (logs only) and a short `kind` from `REFUSAL_KINDS` (logs, metrics).
`check_access_token` accepts only access tokens (`typ` at+jwt, RFC 9068; "JWT" or
untyped only where the IdP is configured so, and then not with the claims of ID or
refresh tokens) and caps their lifetime.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from joserfc.errors import ClaimError, ExpiredTokenError

from connectors.errors import Unauthenticated

#: `typ` header values of access tokens (RFC 9068), compared case-insensitively
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
#: payload `typ` claims some IdPs (Keycloak) put in tokens that are not access tokens
NON_ACCESS_TYP_CLAIMS = frozenset({"id", "refresh", "offline", "logout"})
#: claims only ID tokens carry (OpenID Connect Core 1.0, 2 and 3.1.3.6)
ID_TOKEN_CLAIMS = frozenset({"nonce", "at_hash", "c_hash", "auth_time"})
#: the reason codes of refused tokens, for logs and metrics
REFUSAL_KINDS = (
    "malformed",
    "header",
    "algorithm",
    "untrusted_issuer",
    "unknown_key",
    "signature",
    "expired",
    "not_yet_valid",
    "audience",
    "token_type",
    "lifetime",
    "claims",
    "scheme",
)


def check_access_token(
    typ: str | None, claims: Mapping[str, Any], *, plain_jwt: bool, max_lifetime: int
) -> None:
    """Only access tokens open the API (not ID or refresh tokens of the same issuer), and
    only for at most `max_lifetime` seconds from their issue (`exp - iat`)."""
    if typ is None or typ.lower() not in ACCESS_TOKEN_TYPES:
        if not plain_jwt or (typ is not None and typ.upper() != "JWT"):
            raise Unauthenticated.invalid_token(
                f"typ {str(typ)[:20]!r} is not an access token", "token_type"
            )
        payload_typ = claims.get("typ")
        if isinstance(payload_typ, str) and payload_typ.lower() in NON_ACCESS_TYP_CLAIMS:
            raise Unauthenticated.invalid_token(f"typ claim {payload_typ[:20]!r}", "token_type")
        if ID_TOKEN_CLAIMS & set(claims):
            raise Unauthenticated.invalid_token("claims of an ID token", "token_type")
    iat, exp = claims.get("iat"), claims.get("exp")
    if not _is_time(iat) or not _is_time(exp):
        raise Unauthenticated.invalid_token("no numeric iat and exp", "lifetime")
    if exp - iat > max_lifetime:
        raise Unauthenticated.invalid_token(
            f"lifetime {int(exp - iat)} s over {max_lifetime} s", "lifetime"
        )


def _is_time(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def claim_kind(exc: ClaimError) -> str:
    if isinstance(exc, ExpiredTokenError):
        return "expired"
    return {"nbf": "not_yet_valid", "iat": "not_yet_valid", "aud": "audience"}.get(
        exc.claim, "claims"
    )
