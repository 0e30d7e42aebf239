"""Authentication of GraphQL subscriptions (graphql-transport-ws on `/graphql`).

Browsers cannot set headers on a WebSocket, so the token travels in the
`connection_init` payload as `{"Authorization": "Bearer <token>"}`. A missing or
bad token closes the socket with 4401, a role that may not subscribe with 4403;
otherwise the connection's context gets the caller and is acknowledged.
"""

from __future__ import annotations

import logging
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from connectors.errors import Unauthenticated
from policies.caller import Caller, Role
from resolvers.context import Context

from .auth import TokenValidator

log = logging.getLogger("knutpunkt.auth")

#: roles with a subscription to use (the others are refused at connection_init)
SUBSCRIBERS = frozenset({Role.CITIZEN, Role.CONTACT_CENTRE, Role.CASE_OFFICER})


async def caller_from_init(payload: object, validator: TokenValidator) -> Caller | None:
    """The caller named by a connection_init payload, None when it names no valid one."""
    if not isinstance(payload, dict):
        return None
    value = payload.get("Authorization", payload.get("authorization"))
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return await validator.validate(token.strip())
    except Unauthenticated as exc:
        log.info("subscription token refused: %s", exc.reason)
        return None


class KnutpunktTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler with the token checked at connection_init."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.connection_init_received:
            await super().handle_connection_init(message)  # refuses the second init
            return
        validator: TokenValidator = getattr(self.view, "validator")  # noqa: B009
        caller = await caller_from_init(message.get("payload"), validator)
        if caller is None:
            await self.websocket.close(code=4401, reason="Unauthorized")
            return
        if caller.role not in SUBSCRIBERS:
            await self.websocket.close(code=4403, reason="Forbidden")
            return
        context: Any = self.context
        context.caller = caller
        await super().handle_connection_init(message)
