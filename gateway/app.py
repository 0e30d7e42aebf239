"""The ASGI app factory: everything the gateway runs on is wired here, explicitly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from aiocache import RedisCache
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from casestore import LiveCaseStore, open_case_store
from connectors.registry import Connectors, open_connectors
from notify import Notifications, open_notifications
from policies.caller import Caller
from policies.policy import load_policy
from resolvers.context import Context, Services
from resolvers.schema import build_schema
from signals import open_signals, wrap_sources

from .audit import AuditSink, keying_from
from .auth_backend import KnutpunktAuthBackend, RefusalLog, auth_error_response, caller_of
from .cache import open_cache
from .cors import cors_middleware
from .graphiql import GraphQLWithIDE
from .graphiql_routes import graphiql_routes
from .limits import POST_ONLY, BodyLimit, refused_get
from .metrics import Counters
from .rate_limits import MemoryCounter, RateLimits, RedisCounter
from .settings import Settings
from .signals_endpoint import signals_endpoint
from .subscriptions_ws import KnutpunktTransportWS
from .trust import build_validator
from .trusted_documents import TrustedDocuments, TrustedDocumentsGate
from .webhooks import eservice_webhook

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


def error_body(code: str) -> dict[str, Any]:
    return {"errors": [{"message": MESSAGES[code], "extensions": {"code": code}}]}


def rate_limited_response(retry_after: int) -> JSONResponse:
    body = {
        "errors": [
            {
                "message": "För många förfrågningar. Försök igen senare.",
                "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
            }
        ]
    }
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


TOO_DEEP = {
    "errors": [
        {"message": "Begäran är för djupt nästlad.", "extensions": {"code": "REQUEST_TOO_DEEP"}}
    ]
}


@dataclass
class AppState:
    """What the lifespan opened; reachable as `app.state.knutpunkt`."""

    settings: Settings
    services: Services | None = None
    connectors: Connectors = field(default_factory=Connectors)
    ready: bool = False
    signals: Any = None  # signals.Signals when a system signals
    case_store: LiveCaseStore | None = None
    counters: Counters = field(default_factory=Counters)
    limits: RateLimits | None = None
    notifications: Notifications | None = None


class KnutpunktGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI GraphQL with our typed context (and subscriptions whose token
    comes in connection_init)."""

    graphql_transport_ws_handler_class = KnutpunktTransportWS

    def __init__(self, state: AppState, validator: Any = None, **kwargs: Any) -> None:
        super().__init__(subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,), **kwargs)
        self._state = state
        self.validator = validator

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
        return response

    async def get_context(self, request: Request, response: Any) -> Context:  # type: ignore[override]
        services = self._state.services
        assert services is not None, "the lifespan has not run"
        request_id = request.headers.get("x-request-id", "")
        if not (0 < len(request_id) <= 64 and request_id.isprintable()):
            request_id = uuid.uuid4().hex
        if isinstance(response, Response):  # a WebSocket has no response headers to set
            response.headers["x-request-id"] = request_id
        return Context.create(caller_of(request), services, request_id)


def create_app(
    settings: Settings,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    *,
    jwks_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """Build the gateway. `transports` replaces the network per system (tests)."""
    state = AppState(settings=settings)
    gw = settings.gateway
    demo = settings.demo.enabled  # demo mode: introspection, suggestions, GET for everyone
    schema = build_schema(
        max_depth=gw.max_query_depth,
        max_aliases=gw.max_aliases,
        max_tokens=gw.max_tokens,
        introspection_roles=None if demo else frozenset(gw.introspection_roles),
        suggestions=demo,
        max_root_fields=gw.max_root_fields,
        max_cost=gw.max_query_cost,
    )
    validator = build_validator(settings, jwks_transport=jwks_transport)
    graphql = KnutpunktGraphQL(
        state, validator, schema=schema, graphql_ide=None, allow_queries_via_get=demo
    )
    ide_routes, ide = graphiql_routes(settings)
    endpoint = TrustedDocumentsGate(graphql, TrustedDocuments.from_settings(gw))

    async def person_budget(ctx: Context) -> int | None:
        if state.limits is None:
            return None
        read = (note.subject for note in ctx.access_notes)
        refused = await state.limits.after_reads(ctx.caller, read)
        if refused is None:
            return None
        state.counters.inc("knutpunkt_rate_limited_total", limit=refused.limit)
        return refused.retry_after

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            cache = await stack.enter_async_context(open_cache(settings.cache.url))
            connectors = await open_connectors(
                settings.systems, stack, transports=transports, cache=cache, rules=gw.call_rules()
            )
            policy = load_policy(Path(settings.policy.file) if settings.policy.file else None)
            keying = keying_from(settings.audit, generate=settings.demo.enabled)
            sink = await stack.enter_async_context(AuditSink.open(settings.audit.url, keying))
            await stack.enter_async_context(validator)
            signalling = settings.signalling()
            # before the store's first pull: signalling systems answer through their cache
            signalled = wrap_sources(
                connectors.case_sources, cache, {s: c.cache_seconds for s, c in signalling.items()}
            )
            if settings.casestore.enabled:
                store = settings.casestore
                state.case_store = await stack.enter_async_context(
                    open_case_store(store.url, store.refresh_seconds, policy, connectors)
                )
            notifications = None
            if settings.notify.enabled:
                notifications = await stack.enter_async_context(
                    open_notifications(
                        settings.notify,
                        policy,
                        connectors,
                        sms_transport=(transports or {}).get("sms"),
                    )
                )
            state.notifications = notifications
            if signalling:
                state.signals = await stack.enter_async_context(
                    open_signals(
                        inbox_url=settings.signals.url,
                        cache_url=settings.cache.url,
                        sources=signalled,
                        secrets={s: c.signal_secret for s, c in signalling.items()},
                        store=state.case_store.store if state.case_store else None,
                        retention=timedelta(hours=settings.signals.retention_hours),
                        max_pending=settings.signals.max_pending,
                        max_attempts=settings.signals.max_attempts,
                        backoff=settings.signals.backoff_seconds,
                        prefix=settings.signals.prefix,
                        channel="knutpunkt_" + settings.signals.prefix.strip("_"),
                    )
                )
                if notifications is not None:  # news in a refreshed case may tell its citizens
                    state.signals.processor.add_listener(notifications.notifier.on_case_change)
            state.connectors = connectors
            state.limits = RateLimits(
                RedisCounter(cache.client) if isinstance(cache, RedisCache) else MemoryCounter(),
                requests_per_minute=gw.requests_per_minute,
                staff_persons_per_hour=gw.staff_persons_per_hour,
                prefix=gw.rate_limit_prefix,
            )
            state.services = Services(
                connectors=connectors,
                policy=policy,
                access_log=sink.reader,
                case_store=state.case_store.store if state.case_store else None,
                deadline_seconds=gw.deadline_seconds,
                register_share=gw.register_share,
                audit_sink=sink.write,
                person_budget=person_budget,
                signals=state.signals,
                notifications=notifications.preferences if notifications else None,
            )
            state.ready = True
            try:
                yield
            finally:
                state.ready = False

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if not state.ready:
            return JSONResponse({"status": "starting"}, status_code=503)
        systems = {s.id: state.connectors.healthy(s.id) for s in state.connectors.systems}
        return JSONResponse({"status": "ready", "systems": systems})

    async def metrics(request: Request) -> Response:
        lines = [
            "# HELP knutpunkt_upstream_calls_total HTTP requests sent to each source system.",
            "# TYPE knutpunkt_upstream_calls_total counter",
        ]
        calls = state.connectors.upstream_calls()
        lines += [
            f'knutpunkt_upstream_calls_total{{system="{s}"}} {n}' for s, n in sorted(calls.items())
        ]
        lines += [
            "# HELP knutpunkt_upstream_healthy 1 while the system's circuit is closed.",
            "# TYPE knutpunkt_upstream_healthy gauge",
        ]
        lines += [
            f'knutpunkt_upstream_healthy{{system="{s}"}} {int(state.connectors.healthy(s))}'
            for s in sorted(calls)
        ]
        lines += state.counters.render()
        if state.signals is not None:
            lines += state.signals.metrics.render()
        if state.notifications is not None:
            lines += await state.notifications.outbox.prometheus()
        return PlainTextResponse("\n".join(lines) + "\n")

    async def root(request: Request) -> Response:
        return RedirectResponse("/graphql")

    async def signals(request: Request) -> Response:
        return await signals_endpoint(request, state.signals)

    async def hook(request: Request) -> Response:
        return await eservice_webhook(request, state)

    app = Starlette(
        routes=[
            Route("/", root),
            Route("/graphql", GraphQLWithIDE(endpoint, ide), methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/signals", signals, methods=["POST"]),
            *ide_routes,
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/hooks/eservice", hook, methods=["POST"]),
        ],
        middleware=[
            *cors_middleware(gw),
            # /signals takes up to 256 KiB and answers its own 413
            Middleware(BodyLimit, max_bytes=gw.max_body_bytes, exempt=("/signals",)),
            Middleware(
                AuthenticationMiddleware,
                backend=KnutpunktAuthBackend(
                    validator,
                    RefusalLog(state.counters, settings.oidc.refusal_log_per_minute),
                ),
                on_error=auth_error_response,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.knutpunkt = state
    return app


__all__ = ["AppState", "Caller", "create_app"]
