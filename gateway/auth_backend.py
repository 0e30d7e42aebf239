"""The Starlette side of authentication: bearer token → `Caller` on `request.user`,
and the generic 401 every refused token gets (never a silent fall-back to anonymous)."""

from __future__ import annotations

import logging

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from connectors.errors import Unauthenticated
from policies.caller import Caller, Role

from .auth import TokenValidator
from .token_cache import VerifiedTokens

logger = logging.getLogger("knutpunkt.auth")


class CallerUser(BaseUser):
    """`request.user` as the auth backend leaves it: a wrapper around the `Caller`."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    @property
    def is_authenticated(self) -> bool:
        return self.caller.role is not Role.PUBLIC

    @property
    def display_name(self) -> str:
        return self.caller.name or ""

    @property
    def identity(self) -> str:
        return self.caller.subject or ""


def caller_of(conn: HTTPConnection) -> Caller:
    """The `Caller` of a request that passed `AuthenticationMiddleware`, else anonymous."""
    user = conn.scope.get("user")
    return user.caller if isinstance(user, CallerUser) else Caller.anonymous()


class KnutpunktAuthBackend(AuthenticationBackend):
    """Authorization: Bearer <JWT> → `CallerUser`; no header → anonymous."""

    def __init__(self, validator: TokenValidator | VerifiedTokens) -> None:
        self._validator = validator

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        values = conn.headers.getlist("authorization")
        if not values:
            return AuthCredentials(), CallerUser(Caller.anonymous())
        if len(values) > 1:
            raise _refused("several Authorization headers")
        scheme, _, token = values[0].strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _refused("not a Bearer Authorization header")
        try:
            caller = await self._validator.validate(token.strip())
        except Unauthenticated as exc:
            raise _refused(exc.reason) from exc
        scopes = ["authenticated", caller.role.value.lower()]
        return AuthCredentials(scopes), CallerUser(caller)


def _refused(reason: str) -> AuthenticationError:
    logger.info("bearer token refused: %s", reason)
    return AuthenticationError("invalid_token")


UNAUTHENTICATED_BODY = {
    "errors": [
        {
            "message": "Ogiltig eller utgången inloggning.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}


def auth_error_response(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    """`on_error` for `AuthenticationMiddleware`: 401, a generic body, no details."""
    return JSONResponse(
        UNAUTHENTICATED_BODY,
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
