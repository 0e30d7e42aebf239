"""The gateway's own refusal counters, as prometheus_client counters.

`Counters(registry)` puts them on the app's registry (`gateway.telemetry.Metrics`),
so `/metrics` shows them with everything else. Counters are in memory per process
(each replica is scraped on its own, as Prometheus expects).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from prometheus_client import CollectorRegistry, Counter

#: name → (help text, label): every counter the gateway keeps is declared here
COUNTERS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "knutpunkt_tokens_refused_total": ("Bearer tokens refused, by reason code.", "reason"),
        "knutpunkt_rate_limited_total": ("Requests refused with RATE_LIMITED, by limit.", "limit"),
        "knutpunkt_queries_refused_total": (
            "GraphQL requests refused or cut short, by code.",
            "code",
        ),
    }
)


class Counters:
    """Monotonic counters with one label each; `inc` and `value` take it as a keyword."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._counters = {
            name: Counter(name, help_text, [label], registry=self.registry)
            for name, (help_text, label) in COUNTERS.items()
        }

    def inc(self, name: str, amount: int = 1, **labels: str) -> None:
        self._counters[name].labels(**labels).inc(amount)  # KeyError: undeclared is a bug

    def value(self, name: str, **labels: str) -> int:
        found = self.registry.get_sample_value(name, labels)
        return int(found or 0)
