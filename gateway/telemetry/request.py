"""Per request: its id (for logs and the access log), its span and its metrics.

`RequestTelemetry` is the outermost ASGI middleware. For every HTTP request it fixes
the request id (a sane `X-Request-Id` from the caller, else a new one) in the
`current_request` context variable, which the log formatter and the GraphQL context
read. For GraphQL requests (not the GraphiQL page) it opens the request's span and
observes its duration by operation name and outcome; the GraphQL view fills both in
through `note_operation` and `note_result` once it knows them.
"""

from __future__ import annotations

import contextvars
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.trace import Span, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..graphiql import wants_html
from .endpoint import METRICS_PATH
from .metrics import Metrics
from .tracing import Tracing

GRAPHQL_PATH = "/graphql"
#: distinct operation names kept as metric labels; later new names count as "_other"
MAX_OPERATIONS = 200
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
_DEFINITION = re.compile(r"\b(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")


@dataclass
class RequestInfo:
    """What is known about the request being served (read by logs, filled by the view)."""

    request_id: str
    operation: str = "_unknown"
    operation_type: str = "query"
    outcome: str | None = None
    span: Span | None = field(default=None, repr=False)


current_request: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar(
    "current_request", default=None
)


def current_request_id() -> str | None:
    info = current_request.get()
    return info.request_id if info is not None else None


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's `X-Request-Id` when it is short and printable, else a fresh one."""
    for key, value in headers:
        if key == b"x-request-id":
            text = value.decode("latin-1")
            if 0 < len(text) <= 64 and text.isprintable():
                return text
            break
    return uuid.uuid4().hex


class OperationNames:
    """Operation names as metric labels, bounded: a client must not grow the label set."""

    def __init__(self, limit: int = MAX_OPERATIONS) -> None:
        self._limit = limit
        self._seen: set[str] = set()

    def label(self, name: str) -> str:
        if name in self._seen:
            return name
        if len(self._seen) >= self._limit:
            return "_other"
        self._seen.add(name)
        return name


def operation_of(query: object, operation_name: object) -> tuple[str, str]:
    """(type, name) of the operation a request runs, as far as can be seen without parsing."""
    text = query if isinstance(query, str) else ""
    definitions: list[tuple[str, str]] = _DEFINITION.findall(text)
    if isinstance(operation_name, str) and _NAME.match(operation_name):
        kind = next((k for k, n in definitions if n == operation_name), "query")
        return kind, operation_name
    if definitions:
        return definitions[0]
    return "query", "_anonymous"


def note_operation(query: object, operation_name: object, names: OperationNames) -> None:
    """Called by the GraphQL view once the request body is parsed."""
    info = current_request.get()
    if info is None:
        return
    kind, name = operation_of(query, operation_name)
    info.operation, info.operation_type = names.label(name), kind
    if info.span is not None:
        info.span.update_name(f"{kind} {name}")
        info.span.set_attribute("graphql.operation.name", name)
        info.span.set_attribute("graphql.operation.type", kind)


def note_result(response: dict[str, Any]) -> None:
    """Called by the GraphQL view with the response it is about to send."""
    info = current_request.get()
    if info is None:
        return
    if not response.get("errors"):
        info.outcome = "ok"
    else:
        info.outcome = "partial" if response.get("data") else "error"


class RequestTelemetry:
    """ASGI middleware: request id for everything; span and duration for GraphQL.

    `metrics_endpoint` (when /metrics is on the gateway's port) answers `/metrics` here,
    ahead of the token authentication meant for GraphQL callers: a scraper's bearer
    token is the metrics token, not a JWT.
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        tracing: Tracing,
        metrics_endpoint: ASGIApp | None = None,
    ) -> None:
        self.app = app
        self._metrics = metrics
        self._tracing = tracing
        self._metrics_endpoint = metrics_endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == METRICS_PATH and self._metrics_endpoint is not None:
            await self._metrics_endpoint(scope, receive, send)
            return
        info = RequestInfo(request_id_of(scope["headers"]))
        token = current_request.set(info)
        try:
            if scope["path"] != GRAPHQL_PATH or wants_html(scope):
                await self.app(scope, receive, send)
            else:
                await self._graphql(info, scope, receive, send)
        finally:
            current_request.reset(token)

    async def _graphql(self, info: RequestInfo, scope: Scope, receive: Receive, send: Send) -> None:
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with self._tracing.server_span(scope["method"], scope["headers"]) as span:
            info.span = span
            try:
                await self.app(scope, receive, send_status)
            finally:
                outcome = info.outcome or _outcome_of_status(status)
                self._metrics.graphql_durations(info.operation, outcome).observe(
                    time.perf_counter() - started
                )
                if span is not None:
                    span.set_attribute("http.response.status_code", status)
                    span.set_attribute("knutpunkt.outcome", outcome)
                    span.set_attribute("knutpunkt.request_id", info.request_id)
                    if outcome == "error":
                        span.set_status(Status(StatusCode.ERROR, outcome))


def _outcome_of_status(status: int) -> str:
    # no GraphQL result was made: refused before execution (bad body, too large, bad
    # token, not a trusted document), unless the server failed
    return "error" if status >= 500 else "rejected"
