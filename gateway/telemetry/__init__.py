"""Operations: Prometheus metrics, OpenTelemetry tracing and structured logs.

`Telemetry.create(settings)` builds what one app needs; `create_app` wires it into the
cache (hits and misses), the connectors (upstream calls), the access log (append
latency) and the request middleware (request id, span, duration per operation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .endpoint import METRICS_PATH, MetricsEndpoint, metrics_app
from .metrics import Metrics, Samples
from .request import (
    OperationNames,
    RequestInfo,
    RequestTelemetry,
    current_request,
    current_request_id,
    note_operation,
    note_result,
)
from .tracing import Tracing, tracing_enabled
from .upstream import UpstreamTelemetry

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from ..settings import Settings


@dataclass
class Telemetry:
    """The metrics, tracer and operation-name labels of one app."""

    metrics: Metrics
    tracing: Tracing
    operations: OperationNames
    upstream: UpstreamTelemetry

    @classmethod
    def create(cls, settings: Settings, span_exporter: SpanExporter | None = None) -> Telemetry:
        metrics = Metrics()
        tracing = Tracing.from_settings(settings.tracing, span_exporter)
        return cls(metrics, tracing, OperationNames(), UpstreamTelemetry(metrics, tracing))

    def count_cache(self, hits: int, misses: int) -> None:
        if hits:
            self.metrics.cache_results("hit").inc(hits)
        if misses:
            self.metrics.cache_results("miss").inc(misses)


__all__ = [
    "METRICS_PATH",
    "Metrics",
    "MetricsEndpoint",
    "OperationNames",
    "RequestInfo",
    "RequestTelemetry",
    "Samples",
    "Telemetry",
    "Tracing",
    "UpstreamTelemetry",
    "current_request",
    "current_request_id",
    "metrics_app",
    "note_operation",
    "note_result",
    "tracing_enabled",
]
