"""OpenTelemetry tracing: a span per GraphQL request and per upstream call.

Each app has its own `TracerProvider` (never the process-global one), so tests inject
an in-memory exporter through `create_app(..., span_exporter=...)` and several apps
don't mix their spans. Off by default (`[tracing] enabled`); `OTEL_SDK_DISABLED=true`
turns it off whatever the file says. The OTLP exporter, the sampler, the batch
processor and the resource read the standard `OTEL_*` variables
(`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER`,
`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, ...).

Spans carry no personal data: no URL paths or query strings (they hold personal
numbers), no exception messages, only system ids, methods, status codes and outcomes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import httpx
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from ..settings import TracingSettings

_PROPAGATOR = TraceContextTextMapPropagator()
_INCOMING = (b"traceparent", b"tracestate")


def tracing_enabled(settings: TracingSettings, env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    disabled = env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    return settings.enabled and not disabled


class Tracing:
    """The app's tracer, or nothing at all when tracing is off (`tracer is None`)."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self._provider = provider
        self.tracer = provider.get_tracer("knutpunkt") if provider is not None else None

    @classmethod
    def from_settings(
        cls,
        settings: TracingSettings,
        exporter: SpanExporter | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Tracing:
        """`exporter` replaces the OTLP exporter (tests: the SDK's in-memory one)."""
        env = os.environ if env is None else env
        if not tracing_enabled(settings, env):
            return cls()
        # OTEL_SERVICE_NAME (read by Resource.create) wins over the file's name
        attributes = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": settings.service_name}
        provider = TracerProvider(resource=Resource.create(attributes), shutdown_on_exit=False)
        if exporter is not None:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        return cls(provider)

    def shutdown(self) -> None:
        """Flush what is batched and stop exporting (the app's lifespan ends)."""
        if self._provider is not None:
            self._provider.shutdown()

    @contextlib.contextmanager
    def server_span(self, method: str, headers: list[tuple[bytes, bytes]]) -> Iterator[Span | None]:
        """The span of one GraphQL request, the child of the caller's `traceparent` if any."""
        if self.tracer is None:
            yield None
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers if k in _INCOMING}
        with self.tracer.start_as_current_span(
            "graphql",
            context=_PROPAGATOR.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "http.route": "/graphql"},
            record_exception=False,  # an exception's text may name a person
            set_status_on_exception=False,
        ) as span:
            try:
                yield span
            except BaseException as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise

    def client_span(self, system: str, request: httpx.Request) -> Span | None:
        """Start the span of one upstream attempt and put its `traceparent` on `request`."""
        if self.tracer is None:
            return None
        span = self.tracer.start_span(
            f"{request.method} {system}",
            kind=SpanKind.CLIENT,
            attributes={
                "knutpunkt.system": system,
                "http.request.method": request.method,
                "server.address": request.url.host,
            },
        )
        _PROPAGATOR.inject(request.headers, context=trace.set_span_in_context(span))
        return span


def end_client_span(span: Span, outcome: str, status: int | None) -> None:
    span.set_attribute("knutpunkt.outcome", outcome)
    if status is not None:
        span.set_attribute("http.response.status_code", status)
    if outcome != "ok":
        span.set_status(Status(StatusCode.ERROR, outcome))
    span.end()
