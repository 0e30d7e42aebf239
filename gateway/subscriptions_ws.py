"""Authentication and limits of GraphQL subscriptions (graphql-transport-ws on `/graphql`).

Browsers cannot set headers on a WebSocket, so the token travels in the
`connection_init` payload as `{"Authorization": "Bearer <token>"}`. A missing or
bad token closes the socket with 4401, a role that may not subscribe with 4403;
otherwise the connection's context gets the caller and is acknowledged.

The connection lives no longer than its token: at the token's `exp` the socket is
closed with 4401 "Token expired" (a client reconnects with a fresh token), so a
subscription cannot outlive the sign-in it was opened with. Opening a connection and
each `subscribe` count against the caller's request rate (`[gateway]
requests_per_minute`, as HTTP requests do): over it, the connection is closed with 4429,
a subscription answered with an `error` message coded `RATE_LIMITED`. A connection
holds at most `MAX_SUBSCRIPTIONS` operations, and must be initialised within
`INIT_SECONDS` of opening (4408); a caller holds at most `MAX_CONNECTIONS_PER_CALLER`
connections in one gateway process (4429). Queries and mutations are refused on the
socket (`SUBSCRIPTIONS_ONLY`): they go by POST, where the trusted documents, the
response and time limits and the access log's per-request accounting apply.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from contextlib import suppress
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    SubscribeMessage,
)

from connectors.errors import Unauthenticated
from policies.caller import Caller, Role
from resolvers.context import Context

from .auth import TokenValidator
from .rate_limits import Limited, caller_key, rate_limited_error

if TYPE_CHECKING:
    from .app import AppState

log = logging.getLogger("knutpunkt.auth")

#: roles with a subscription to use (the others are refused at connection_init)
SUBSCRIBERS = frozenset({Role.CITIZEN, Role.CONTACT_CENTRE, Role.CASE_OFFICER})
#: operations one connection may run at once (the schema has two subscriptions)
MAX_SUBSCRIPTIONS = 10
#: an opened socket that sends no connection_init is closed after this long (4408)
INIT_SECONDS = 10.0
#: open connections one caller may hold in this process (more: closed with 4429)
MAX_CONNECTIONS_PER_CALLER = 5
#: queries and mutations go by POST, where every limit and the trusted documents apply
SUBSCRIPTIONS_ONLY = {
    "message": "Över WebSocket tas bara prenumerationer emot. Skicka frågor och ändringar"
    " med POST till /graphql.",
    "extensions": {"code": "SUBSCRIPTIONS_ONLY"},
}


def _is_subscription(payload: Mapping[str, Any], max_tokens: int) -> bool:
    """Whether the operation a subscribe message names is a subscription (a document that
    does not parse is left to strawberry, which answers it with its errors)."""
    query = payload.get("query")
    if not isinstance(query, str):
        return True
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return True
    name = payload.get("operationName")
    operation = get_operation_ast(document, name if isinstance(name, str) else None)
    return operation is None or operation.operation is OperationType.SUBSCRIPTION


async def caller_from_init(
    payload: object, validator: TokenValidator
) -> tuple[Caller, float | None] | None:
    """The caller named by a connection_init payload and the seconds its token has left;
    None when it names no valid one."""
    if not isinstance(payload, dict):
        return None
    value = payload.get("Authorization", payload.get("authorization"))
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        caller = await validator.validate(token.strip())
    except Unauthenticated as exc:
        log.info("subscription token refused: %s", exc.reason)
        return None
    return caller, validator.seconds_left(token.strip())


class KnutpunktTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler with the token checked at
    connection_init, the socket closed when it expires, and the request rate applied."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["connection_init_wait_timeout"] = timedelta(seconds=INIT_SECONDS)
        kwargs["max_subscriptions_per_connection"] = MAX_SUBSCRIPTIONS
        super().__init__(*args, **kwargs)
        self._expiry: asyncio.Task[None] | None = None
        self._caller: Caller | None = None
        self._counted: str | None = None  # the key this connection counts under

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.connection_init_received:
            await super().handle_connection_init(message)  # refuses the second init
            return
        validator: TokenValidator = getattr(self.view, "validator")  # noqa: B009
        found = await caller_from_init(message.get("payload"), validator)
        if found is None:
            await self.websocket.close(code=4401, reason="Unauthorized")
            return
        caller, seconds_left = found
        if caller.role not in SUBSCRIBERS:
            await self.websocket.close(code=4403, reason="Forbidden")
            return
        if await self._rate_limited(caller) is not None:
            await self.websocket.close(code=4429, reason="Too many requests")
            return
        live = self._live()
        key = caller_key(caller, self._client())
        if live[key] >= MAX_CONNECTIONS_PER_CALLER:
            await self.websocket.close(code=4429, reason="Too many connections")
            return
        live[key] += 1
        self._counted = key
        self._caller = caller
        if seconds_left is not None:
            self._expiry = asyncio.create_task(self._close_when_expired(seconds_left))
        context: Any = self.context
        context.caller = caller
        await super().handle_connection_init(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self._caller is not None and self.connection_acknowledged:
            error = None
            max_tokens = self._state().settings.gateway.max_tokens
            if not _is_subscription(message["payload"], max_tokens):
                error = SUBSCRIPTIONS_ONLY
            elif (refused := await self._rate_limited(self._caller)) is not None:
                error = rate_limited_error(refused.retry_after)
            if error is not None:
                answer: ErrorMessage = {
                    "id": message["id"],
                    "type": "error",
                    "payload": [error],  # type: ignore[list-item]
                }
                await self.send_message(answer)
                return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        try:
            if self._expiry is not None:
                self._expiry.cancel()
                with suppress(asyncio.CancelledError):
                    await self._expiry
        finally:
            if self._counted is not None:
                live = self._live()
                live[self._counted] -= 1
                if live[self._counted] <= 0:
                    del live[self._counted]
                self._counted = None
            await super().shutdown()

    async def _close_when_expired(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
        log.info("subscription closed: token expired")
        try:
            await self.websocket.close(code=4401, reason="Token expired")
        except Exception:  # already closed (the client left): nothing to end
            log.debug("closing an expired subscription failed", exc_info=True)

    def _live(self) -> Counter[str]:
        live: Counter[str] = getattr(self.view, "live_subscribers")  # noqa: B009
        return live

    def _client(self) -> str:
        client = getattr(self.websocket, "ws", None)
        return client.client.host if client is not None and client.client else ""

    def _state(self) -> AppState:
        state: AppState = getattr(self.view, "state")  # noqa: B009
        return state

    async def _rate_limited(self, caller: Caller) -> Limited | None:
        state = self._state()
        if state.limits is None:
            return None
        refused = await state.limits.before_request(caller, self._client())
        if refused is not None:
            state.counters.inc("knutpunkt_rate_limited_total", limit=refused.limit)
        return refused
