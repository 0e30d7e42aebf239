"""The signal counters `/metrics` shows: one small object, easy to move to
prometheus_client (each attribute is one metric)."""

from __future__ import annotations

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

    def render(self) -> list[str]:
        """Prometheus text-format lines."""
        lines = [
            "# HELP knutpunkt_signals_received_total Signals accepted by POST /signals (202).",
            "# TYPE knutpunkt_signals_received_total counter",
            f"knutpunkt_signals_received_total {self.received}",
            "# HELP knutpunkt_signals_refused_total Requests to POST /signals refused, by reason.",
            "# TYPE knutpunkt_signals_refused_total counter",
            *(
                f'knutpunkt_signals_refused_total{{reason="{r}"}} {n}'
                for r, n in sorted(self.refused.items())
            ),
            "# HELP knutpunkt_signals_applied_total Signals applied (cache, store, subscribers).",
            "# TYPE knutpunkt_signals_applied_total counter",
            f"knutpunkt_signals_applied_total {self.applied}",
            "# HELP knutpunkt_signals_parked_total Signals given up after their retries.",
            "# TYPE knutpunkt_signals_parked_total counter",
            f"knutpunkt_signals_parked_total {self.parked}",
            "# HELP knutpunkt_signals_retried_total Signals put back for a later attempt.",
            "# TYPE knutpunkt_signals_retried_total counter",
            f"knutpunkt_signals_retried_total {self.retried}",
            "# HELP knutpunkt_signals_coalesced_total Signals applied by another signal's refresh.",
            "# TYPE knutpunkt_signals_coalesced_total counter",
            f"knutpunkt_signals_coalesced_total {self.coalesced}",
            "# HELP knutpunkt_signal_lag_seconds From 202 to applied.",
            "# TYPE knutpunkt_signal_lag_seconds histogram",
        ]
        for bound, n in zip(LAG_BUCKETS, self.lag_buckets, strict=True):
            lines.append(f'knutpunkt_signal_lag_seconds_bucket{{le="{bound}"}} {n}')
        lines += [
            f'knutpunkt_signal_lag_seconds_bucket{{le="+Inf"}} {self.lag_count}',
            f"knutpunkt_signal_lag_seconds_sum {self.lag_sum:.6f}",
            f"knutpunkt_signal_lag_seconds_count {self.lag_count}",
        ]
        return lines
