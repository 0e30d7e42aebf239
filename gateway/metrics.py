"""The gateway's own counters, in one small object, rendered as Prometheus text.

`/metrics` adds them after the per-system upstream figures. Counters are in memory
per process (each replica is scraped on its own, as Prometheus expects).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: name → (help text, type): every counter the gateway keeps is declared here
COUNTERS: Mapping[str, str] = MappingProxyType(
    {
        "knutpunkt_tokens_refused_total": "Bearer tokens refused, by reason code.",
        "knutpunkt_rate_limited_total": "Requests refused with RATE_LIMITED, by limit.",
        "knutpunkt_queries_refused_total": "GraphQL requests refused or cut short, by code.",
    }
)

Labels = tuple[tuple[str, str], ...]


class Counters:
    """Monotonic counters with labels; `inc` and `value` take labels as keywords."""

    def __init__(self) -> None:
        self._values: dict[str, dict[Labels, int]] = {name: {} for name in COUNTERS}

    def inc(self, name: str, amount: int = 1, **labels: str) -> None:
        series = self._values[name]  # KeyError: an undeclared counter is a bug
        key = tuple(sorted(labels.items()))
        series[key] = series.get(key, 0) + amount

    def value(self, name: str, **labels: str) -> int:
        return self._values[name].get(tuple(sorted(labels.items())), 0)

    def render(self) -> list[str]:
        lines: list[str] = []
        for name, help_text in COUNTERS.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
            for labels, count in sorted(self._values[name].items()):
                inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
                lines.append(f"{name}{{{inner}}} {count}" if inner else f"{name} {count}")
        return lines


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
