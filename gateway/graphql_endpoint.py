"""`/graphql`: strawberry's ASGI GraphQL with our context, limits and coded errors.

Before the request: GET refused outside the demo, the per-caller rate limit. Around
it: the execution deadline, a clear answer when the server shuts down. After it:
every error coded, oversized answers replaced, RATE_LIMITED answered with 429.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING, Any, cast

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from resolvers.context import Context

from .auth_backend import caller_of
from .encoding import OrjsonResponses
from .limits import POST_ONLY, refused_get
from .rate_limits import rate_limited_error
from .subscriptions_ws import KnutpunktTransportWS
from .telemetry import current_request_id, note_operation, note_result

if TYPE_CHECKING:
    from .app import AppState

log = logging.getLogger("knutpunkt")

PARSE_FAILED, VALIDATION_FAILED = "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"
TIMED_OUT, TOO_LARGE, SHUTTING_DOWN = "REQUEST_TIMEOUT", "RESPONSE_TOO_LARGE", "SHUTTING_DOWN"
#: refusals by the query limits, counted in /metrics by code
COUNTED_REFUSALS = frozenset(
    {"QUERY_TOO_COSTLY", "TOO_MANY_ROOT_FIELDS", "INTROSPECTION_DISABLED", VALIDATION_FAILED}
)
MESSAGES = {
    TIMED_OUT: "Begäran tog för lång tid och avbröts.",
    TOO_LARGE: "Svaret blev för stort. Be om färre poster eller färre fält.",
    SHUTTING_DOWN: "Tjänsten startar om. Försök igen om en stund.",
}
TOO_DEEP = {
    "errors": [
        {"message": "Begäran är för djupt nästlad.", "extensions": {"code": "REQUEST_TOO_DEEP"}}
    ]
}


def error_body(code: str) -> dict[str, Any]:
    return {"errors": [{"message": MESSAGES[code], "extensions": {"code": code}}]}


def rate_limited_response(retry_after: int) -> JSONResponse:
    body = {"errors": [rate_limited_error(retry_after)]}
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(retry_after)})


def _retry_after(response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> int | None:
    answers = response_data if isinstance(response_data, list) else [response_data]
    for answer in answers:
        errors: list[dict[str, Any]] = answer.get("errors") or []  # type: ignore[assignment]
        for error in errors:
            extensions: dict[str, Any] = error.get("extensions") or {}
            if extensions.get("code") == "RATE_LIMITED":
                return int(extensions.get("retryAfter", 60))
    return None


class KnutpunktGraphQL(OrjsonResponses, GraphQL[Context, None]):
    """strawberry's ASGI GraphQL with our typed context (and subscriptions whose token
    comes in connection_init)."""

    graphql_transport_ws_handler_class = KnutpunktTransportWS

    def __init__(self, state: AppState, validator: Any = None, **kwargs: Any) -> None:
        super().__init__(subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,), **kwargs)
        self._state = state
        self.validator = validator
        #: open subscription connections per caller, in this process
        self.live_subscribers: collections.Counter[str] = collections.Counter()

    @property
    def state(self) -> AppState:
        return self._state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if refused_get(scope, allowed=self.allow_queries_via_get):
            await POST_ONLY(scope, receive, send)
            return
        gw = self._state.settings.gateway
        limits = self._state.limits
        if scope["type"] == "http" and limits is not None:
            conn = HTTPConnection(scope)
            host = conn.client.host if conn.client else ""
            refused = await limits.before_request(caller_of(conn), host)
            if refused is not None:
                self._state.counters.inc("knutpunkt_rate_limited_total", limit=refused.limit)
                await rate_limited_response(refused.retry_after)(scope, receive, send)
                return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(
                gw.max_execution_seconds if scope["type"] == "http" else None
            ):
                await super().__call__(scope, receive, tracking_send)
        except RecursionError:
            # a JSON body nested beyond what the parser recurses into: the caller's fault
            await JSONResponse(TOO_DEEP, status_code=400)(scope, receive, send)
        except asyncio.CancelledError:
            # the server cancels what still runs when its shutdown grace is over: answer
            # with a code instead of a dropped connection, and end here (uvicorn would
            # log a cancelled request as a crash)
            log.warning("request cancelled: the server is shutting down")
            if not started:
                with contextlib.suppress(Exception):
                    await JSONResponse(error_body(SHUTTING_DOWN), status_code=503)(
                        scope, receive, send
                    )
        except TimeoutError:
            self._state.counters.inc("knutpunkt_queries_refused_total", code=TIMED_OUT)
            log.warning("request stopped after %s s", gw.max_execution_seconds)
            if not started:
                await JSONResponse(error_body(TIMED_OUT), status_code=503)(scope, receive, send)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        """The answer, unless it is larger than `max_response_bytes` (RESPONSE_TOO_LARGE)."""
        response = super().create_response(response_data, sub_response)
        if len(response.body) > self._state.settings.gateway.max_response_bytes:
            self._state.counters.inc("knutpunkt_queries_refused_total", code=TOO_LARGE)
            refused = cast(GraphQLHTTPResponse, {"data": None, **error_body(TOO_LARGE)})
            response = super().create_response(refused, sub_response)
        retry_after = _retry_after(response_data)
        if retry_after is not None:
            response.status_code = 429
            response.headers["retry-after"] = str(retry_after)
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Every error carries a code, also those raised before execution (parse errors)."""
        response = await super().process_result(request, result)
        errors: list[dict[str, Any]] = response.get("errors") or []  # type: ignore[assignment]
        for error in errors:
            extensions: dict[str, Any] = error.setdefault("extensions", {})
            if "code" not in extensions:
                syntax = str(error.get("message", "")).startswith("Syntax Error")
                extensions["code"] = PARSE_FAILED if syntax else VALIDATION_FAILED
            if extensions["code"] in COUNTED_REFUSALS:
                self._state.counters.inc("knutpunkt_queries_refused_total", code=extensions["code"])
        note_result(response)  # type: ignore[arg-type]
        return response

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        if self._state.telemetry is not None:
            first = parsed[0] if isinstance(parsed, list) else parsed
            name = "_batch" if isinstance(parsed, list) else first.operation_name
            note_operation(first.query, name, self._state.telemetry.operations)
        return parsed

    async def get_context(self, request: Request, response: Any) -> Context:  # type: ignore[override]
        services = self._state.services
        assert services is not None, "the lifespan has not run"
        # the telemetry middleware fixed it for the logs; its rule, again, without it
        request_id = current_request_id() or request.headers.get("x-request-id", "")
        if not (0 < len(request_id) <= 64 and request_id.isprintable()):
            request_id = uuid.uuid4().hex
        if isinstance(response, Response):  # a WebSocket has no response headers to set
            response.headers["x-request-id"] = request_id
        return Context.create(caller_of(request), services, request_id)
