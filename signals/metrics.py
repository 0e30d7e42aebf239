"""The signal counters `/metrics` shows: one small object of plain numbers (each
attribute is one metric), read at scrape time by the gateway's prometheus_client
registry (`gateway/telemetry/wiring.py`)."""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field

#: upper bounds (seconds) of the lag histogram's buckets
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 30.0)


@dataclass
class SignalMetrics:
    received: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    applied: int = 0
    parked: int = 0
    retried: int = 0
    coalesced: int = 0
    lag_buckets: list[int] = field(default_factory=lambda: [0] * len(LAG_BUCKETS))
    lag_sum: float = 0.0
    lag_count: int = 0
    recent_lags: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))

    def refuse(self, reason: str) -> None:
        self.refused[reason] += 1

    def observe_lag(self, seconds: float) -> None:
        self.lag_sum += seconds
        self.lag_count += 1
        self.recent_lags.append(seconds)
        for i, bound in enumerate(LAG_BUCKETS):
            if seconds <= bound:
                self.lag_buckets[i] += 1

    def refused_by_reason(self) -> dict[tuple[str, ...], float]:
        """Refusals keyed by (reason,), for a labelled counter."""
        return {(reason,): float(n) for reason, n in self.refused.items()}

    def lag_histogram(self) -> tuple[list[tuple[float, float]], float]:
        """The lag histogram: (upper bound, cumulative count) pairs ending with +Inf, and
        the sum of the observed seconds."""
        buckets = [(b, float(n)) for b, n in zip(LAG_BUCKETS, self.lag_buckets, strict=True)]
        return [*buckets, (math.inf, float(self.lag_count))], self.lag_sum
