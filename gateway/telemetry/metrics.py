"""The gateway's Prometheus metrics: one `Metrics` object per app, on its own registry.

A per-app `CollectorRegistry` (never prometheus_client's global one) lets tests and
several apps in one process keep their numbers apart. The instruments the gateway
updates itself are attributes; parts that keep their own counters in small objects
(the signal inbox, the notification outbox) expose them with `counter_from` and
`gauge_from`, read at scrape time, or hand any prometheus_client collector to
`register`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from connectors.registry import Connectors

T = TypeVar("T")
M = TypeVar("M", Counter, Histogram)

#: what a `counter_from`/`gauge_from` reader returns: label values → number
#: (one entry with the key ``()`` when the metric has no labels)
Samples = Mapping[tuple[str, ...], float]
#: what a `histogram_from` reader returns: (upper bound, cumulative count) pairs ending
#: with +Inf, and the sum of the observations
HistogramSample = tuple[Sequence[tuple[float, float]], float]

FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
CIRCUIT_STATES = ("closed", "half_open", "open")


class Children(Generic[M]):
    """A labelled metric's children, each looked up once: prometheus_client's `labels()`
    checks the values and takes a lock on every call. For label values from a bounded
    set (systems, outcomes, the bounded operation names)."""

    __slots__ = ("_children", "_metric")

    def __init__(self, metric: M) -> None:
        self._metric: M = metric
        self._children: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._metric.labels(*values)
        return child


class Metrics:
    """Every metric of one gateway app; `render()` is what `/metrics` answers."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        reg = self.registry
        self.graphql_duration = Histogram(
            "knutpunkt_graphql_request_duration_seconds",
            "GraphQL requests by operation name and outcome (ok, partial, error, rejected).",
            ["operation", "outcome"],
            registry=reg,
        )
        self.upstream_duration = Histogram(
            "knutpunkt_upstream_request_duration_seconds",
            "HTTP attempts to each source system by outcome (ok, timeout, unavailable, "
            "rejected, contract, cancelled).",
            ["system", "outcome"],
            registry=reg,
        )
        self.cache_lookups = Counter(
            "knutpunkt_cache_lookups",
            "Keys looked up in the connectors' cache, by result (hit, miss).",
            ["result"],
            registry=reg,
        )
        self.access_log_append = Histogram(
            "knutpunkt_access_log_append_seconds",
            "Writing one request's records to the access log, by outcome (ok, error).",
            ["outcome"],
            buckets=FAST_BUCKETS,
            registry=reg,
        )
        ProcessCollector(registry=reg)
        PlatformCollector(registry=reg)
        #: the children updated on every request, by label values
        self.graphql_durations = Children(self.graphql_duration)
        self.upstream_durations = Children(self.upstream_duration)
        self.cache_results = Children(self.cache_lookups)

    def register(self, collector: Collector) -> None:
        """Add any prometheus_client collector (its `collect()` runs at every scrape)."""
        self.registry.register(collector)

    def counter_from(
        self,
        name: str,
        documentation: str,
        read: Callable[[], Samples],
        labelnames: Sequence[str] = (),
    ) -> None:
        """Expose a counter kept elsewhere: `read()` is called at every scrape.

        `name` without ``_total`` (added on exposition), e.g.
        ``metrics.counter_from("knutpunkt_signals_received", "...", inbox.counts, ["source"])``.
        """
        self.register(_Read(name, documentation, read, tuple(labelnames), CounterMetricFamily))

    def gauge_from(
        self,
        name: str,
        documentation: str,
        read: Callable[[], Samples],
        labelnames: Sequence[str] = (),
    ) -> None:
        """Expose a gauge kept elsewhere (e.g. the outbox's queue length), read at scrape."""
        self.register(_Read(name, documentation, read, tuple(labelnames), GaugeMetricFamily))

    def histogram_from(
        self, name: str, documentation: str, read: Callable[[], HistogramSample | None]
    ) -> None:
        """Expose a histogram kept elsewhere (no labels); `read()` → None: no samples."""
        self.register(_ReadHistogram(name, documentation, read))

    def watch_connectors(self, connectors: Callable[[], Connectors]) -> None:
        """Circuit state and health per system, read from the running connectors."""
        self.register(_Systems(connectors))

    def timed_access_log(
        self, write: Callable[[T], Awaitable[None]]
    ) -> Callable[[T], Awaitable[None]]:
        """`write` (the access-log append of a request), observed in `access_log_append`."""

        async def timed(ctx: T) -> None:
            started = time.perf_counter()
            outcome = "error"
            try:
                await write(ctx)
                outcome = "ok"
            finally:
                self.access_log_append.labels(outcome).observe(time.perf_counter() - started)

        return timed

    def upstream_calls(self) -> dict[str, int]:
        """HTTP attempts per system so far (all outcomes), from the duration histogram."""
        found: dict[str, int] = {}
        for metric in self.upstream_duration.collect():
            for sample in metric.samples:
                if sample.name.endswith("_count"):
                    system = sample.labels["system"]
                    found[system] = found.get(system, 0) + int(sample.value)
        return found


class _Read(Collector):
    def __init__(
        self,
        name: str,
        documentation: str,
        read: Callable[[], Samples],
        labelnames: tuple[str, ...],
        family: type[CounterMetricFamily] | type[GaugeMetricFamily],
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._read = read
        self._labelnames = labelnames
        self._family = family

    def collect(self) -> Iterable[Metric]:
        metric = self._family(self._name, self._documentation, labels=self._labelnames)
        for labels, value in sorted(self._read().items()):
            metric.add_metric(list(labels), value)
        yield metric

    def describe(self) -> Iterable[Metric]:
        # describing (not collecting) at registration: a name clash fails at once, and
        # `read` is not called before the object it reads is ready
        yield self._family(self._name, self._documentation, labels=self._labelnames)


class _ReadHistogram(Collector):
    def __init__(
        self, name: str, documentation: str, read: Callable[[], HistogramSample | None]
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._read = read

    def collect(self) -> Iterable[Metric]:
        metric = HistogramMetricFamily(self._name, self._documentation, labels=())
        found = self._read()
        if found is not None:
            buckets, total = found
            metric.add_metric([], [(_le(b), n) for b, n in buckets], total)
        yield metric

    def describe(self) -> Iterable[Metric]:
        yield HistogramMetricFamily(self._name, self._documentation, labels=())


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


class _Systems(Collector):
    def __init__(self, connectors: Callable[[], Connectors]) -> None:
        self._connectors = connectors

    def collect(self) -> Iterable[Metric]:
        clients = self._connectors().clients
        state = GaugeMetricFamily(
            "knutpunkt_circuit_state",
            "1 for the state each system's circuit breaker is in (closed, half_open, open).",
            labels=["system", "state"],
        )
        healthy = GaugeMetricFamily(
            "knutpunkt_upstream_healthy",
            "1 while the system's circuit is closed and its last call succeeded.",
            labels=["system"],
        )
        not_sent = CounterMetricFamily(
            "knutpunkt_upstream_calls_not_sent",
            "Calls to a system never sent, by reason: circuit_open (refused at once), "
            "deadline (too little of the request's deadline left), retry_budget (a retry "
            "the system's retry budget refused).",
            labels=["system", "reason"],
        )
        retries = CounterMetricFamily(
            "knutpunkt_upstream_retries",
            "Attempts after the first of a read to a system (each also an attempt in "
            "knutpunkt_upstream_request_duration_seconds).",
            labels=["system"],
        )
        for system, client in sorted(clients.items()):
            current = client.breaker.state
            for name in CIRCUIT_STATES:
                state.add_metric([system, name], float(name == current))
            healthy.add_metric([system], float(client.breaker.healthy))
            not_sent.add_metric([system, "circuit_open"], float(client.short_circuited))
            not_sent.add_metric([system, "deadline"], float(client.skipped))
            not_sent.add_metric([system, "retry_budget"], float(client.retries_refused))
            retries.add_metric([system], float(client.retries))
        yield state
        yield healthy
        yield not_sent
        yield retries

    def describe(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("knutpunkt_circuit_state", "", labels=["system", "state"])
        yield GaugeMetricFamily("knutpunkt_upstream_healthy", "", labels=["system"])
        yield CounterMetricFamily(
            "knutpunkt_upstream_calls_not_sent", "", labels=["system", "reason"]
        )
        yield CounterMetricFamily("knutpunkt_upstream_retries", "", labels=["system"])
