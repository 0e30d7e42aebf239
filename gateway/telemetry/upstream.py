"""The connectors' `CallObserver`: every upstream attempt timed and, with tracing, spanned."""

from __future__ import annotations

import time

import httpx

from connectors.http import FinishCall

from .metrics import Metrics
from .tracing import Tracing, end_client_span


class UpstreamTelemetry:
    """Handed to `open_connectors(observer=...)`; the connectors never import the gateway."""

    def __init__(self, metrics: Metrics, tracing: Tracing) -> None:
        self._metrics = metrics
        self._tracing = tracing

    def start(self, system: str, request: httpx.Request) -> FinishCall:
        started = time.perf_counter()
        span = self._tracing.client_span(system, request)
        histograms = self._metrics.upstream_durations

        def finish(outcome: str, status: int | None) -> None:
            histograms(system, outcome).observe(time.perf_counter() - started)
            if span is not None:
                end_client_span(span, outcome, status)

        return finish
