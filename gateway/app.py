"""The ASGI app factory: everything the gateway runs on is wired here, explicitly."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from aiocache import RedisCache
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute, request_response
from starlette.types import ASGIApp

from casestore import LiveCaseStore, open_case_store
from connectors.registry import Connectors, open_connectors
from notify import Notifications, open_notifications
from policies.caller import Caller
from policies.policy import load_policy
from resolvers.context import Context, Services
from resolvers.schema import build_schema
from signals import open_signals, wrap_sources

from .audit import AuditSink, keying_from
from .auth_backend import KnutpunktAuthBackend, RefusalLog, auth_error_response
from .cache import LookupCounter, open_cache
from .cors import cors_middleware
from .demo_personas import TOKEN_PATH, DemoTokens, persona_options
from .graphiql import GraphiQLPage, GraphQLWithIDE
from .graphql_endpoint import KnutpunktGraphQL
from .issuer import DemoIssuer
from .limits import BodyLimit
from .metrics import Counters
from .rate_limits import MemoryCounter, RateLimits, RedisCounter
from .settings import Settings
from .signals_endpoint import signals_endpoint
from .telemetry import MetricsEndpoint, RequestTelemetry, Telemetry
from .telemetry.wiring import watch_outbox, watch_signals
from .token_cache import VerifiedTokens
from .trust import build_validator, claim_names
from .trusted_documents import TrustedDocuments, TrustedDocumentsGate
from .webhooks import eservice_webhook

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger("knutpunkt")


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
    telemetry: Telemetry | None = None


def create_app(
    settings: Settings,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    *,
    jwks_transport: httpx.AsyncBaseTransport | None = None,
    span_exporter: SpanExporter | None = None,
) -> Starlette:
    """Build the gateway. `transports` replaces the network per system (tests),
    `span_exporter` the OTLP exporter when tracing is on (tests: an in-memory one)."""
    telemetry = Telemetry.create(settings, span_exporter)
    metrics = telemetry.metrics
    state = AppState(settings=settings, telemetry=telemetry, counters=Counters(metrics.registry))
    metrics.watch_connectors(lambda: state.connectors)
    watch_signals(metrics, lambda: state.signals.metrics if state.signals else None)
    watch_outbox(metrics, lambda: n.outbox.metrics if (n := state.notifications) else None)
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
    ide_routes, ide = _graphiql_routes(settings)
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
            stack.callback(telemetry.tracing.shutdown)
            cache = await stack.enter_async_context(
                open_cache(settings.cache.url, [LookupCounter(telemetry.count_cache)])
            )
            connectors = await open_connectors(
                settings.systems,
                stack,
                transports=transports,
                cache=cache,
                observer=telemetry.upstream,
                rules=gw.call_rules(),
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
                audit_sink=telemetry.metrics.timed_access_log(sink.write),
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
            Route("/hooks/eservice", hook, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                RequestTelemetry,
                metrics=telemetry.metrics,
                tracing=telemetry.tracing,
                metrics_endpoint=_metrics_on_gateway_port(settings, telemetry),
            ),
            *cors_middleware(gw),
            # /signals takes up to 256 KiB and answers its own 413
            Middleware(BodyLimit, max_bytes=gw.max_body_bytes, exempt=("/signals",)),
            Middleware(
                AuthenticationMiddleware,
                backend=KnutpunktAuthBackend(
                    VerifiedTokens(validator),
                    RefusalLog(state.counters, settings.oidc.refusal_log_per_minute),
                ),
                on_error=auth_error_response,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.knutpunkt = state
    return app


def _metrics_on_gateway_port(settings: Settings, telemetry: Telemetry) -> ASGIApp | None:
    """`/metrics` on the gateway's port, unless `[metrics] port` gives it one of its own."""
    if settings.metrics.port:
        return None
    endpoint = MetricsEndpoint.for_settings(telemetry.metrics, settings, own_port=False)
    return request_response(endpoint.respond)


def _graphiql_routes(settings: Settings) -> tuple[list[Route], GraphiQLPage | None]:
    """GraphiQL's assets (in the demo, or when `[gateway] graphiql`) and, in the demo, its
    persona tokens."""
    if not (settings.gateway.graphiql or settings.demo.enabled):
        return [], None
    routes: list[Route] = []
    personas: list[tuple[str, str]] = []
    if settings.demo.enabled:
        issuer = DemoIssuer(settings.demo.key_file or None, claims=claim_names(settings))
        tokens = DemoTokens(issuer)
        routes.append(Route(TOKEN_PATH, tokens.endpoint, methods=["POST"]))
        personas = persona_options()
    page = GraphiQLPage(personas=personas, demo_token_url=TOKEN_PATH if personas else "")
    routes.append(Route("/graphiql/{version}/{name}", page.asset, methods=["GET"]))
    return routes, page


__all__ = ["AppState", "Caller", "create_app"]
