"""The Starlette side of authentication: bearer token → `Caller` on `request.user`,
and the generic 401 every refused token gets (never a silent fall-back to anonymous)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

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
from .metrics import Counters

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

    def __init__(self, validator: TokenValidator, refusals: RefusalLog | None = None) -> None:
        self._validator = validator
        self._refusals = refusals or RefusalLog(Counters())

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        values = conn.headers.getlist("authorization")
        if not values:
            return AuthCredentials(), CallerUser(Caller.anonymous())
        if len(values) > 1:
            raise self._refusals.refused("scheme", "several Authorization headers")
        scheme, _, token = values[0].strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise self._refusals.refused("scheme", "not a Bearer Authorization header")
        try:
            caller = await self._validator.validate(token.strip())
        except Unauthenticated as exc:
            raise self._refusals.refused(exc.kind or "malformed", exc.reason) from exc
        scopes = ["authenticated", caller.role.value.lower()]
        return AuthCredentials(scopes), CallerUser(caller)


class RefusalLog:
    """Every refused token is counted by reason code; at most `per_minute` are logged
    at WARNING per minute (a flood of bad tokens must not flood the log), and the
    number left out is logged when the minute is over. The token itself never is."""

    def __init__(
        self,
        counters: Counters,
        per_minute: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._counters = counters
        self._per_minute = per_minute
        self._clock = clock
        self._window_start = clock()
        self._logged = 0
        self._left_out = 0

    def refused(self, kind: str, detail: str) -> AuthenticationError:
        self._counters.inc("knutpunkt_tokens_refused_total", reason=kind)
        now = self._clock()
        if now - self._window_start >= 60.0:
            if self._left_out:
                logger.warning("%d more bearer tokens refused, not logged", self._left_out)
            self._window_start, self._logged, self._left_out = now, 0, 0
        if self._logged < self._per_minute:
            self._logged += 1
            logger.warning("bearer token refused: reason=%s detail=%r", kind, detail[:200])
        else:
            self._left_out += 1
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
