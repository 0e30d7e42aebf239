"""What keeps a failing system from being hammered: the circuit breaker per system,
the retry policy of idempotent reads and the retry budget that bounds them."""

from __future__ import annotations

import time
from dataclasses import dataclass


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; half-opens after `reset_after` s."""

    def __init__(self, threshold: int = 5, reset_after: float = 10.0) -> None:
        self.threshold = threshold
        self.reset_after = reset_after
        self.failures = 0
        self.opened_at: float | None = None
        self.last_ok: bool | None = None

    @property
    def is_open(self) -> bool:
        if self.opened_at is None:
            return False
        # after `reset_after` the breaker is half-open: one call may try the system
        return time.monotonic() - self.opened_at < self.reset_after

    @property
    def healthy(self) -> bool:
        return not self.is_open and self.last_ok is not False

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open`` (open, but the next call may try)."""
        if self.opened_at is None:
            return "closed"
        return "open" if self.is_open else "half_open"

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.last_ok = True

    def failure(self) -> None:
        self.failures += 1
        self.last_ok = False
        if self.failures >= self.threshold:
            self.opened_at = time.monotonic()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of idempotent reads: count, base back-off with full jitter."""

    attempts: int = 2
    backoff: float = 0.05


class RetryBudget:
    """A token bucket of retries per system: every first call earns `ratio` of a
    retry, every retry spends one; the bucket holds at most `burst` (and starts full).
    So a failing system gets at most about `ratio` extra calls, not `attempts` times."""

    def __init__(self, ratio: float = 0.1, burst: float = 5.0) -> None:
        self.ratio = ratio
        self.burst = burst
        self.tokens = burst
        self.spent = 0
        self.refused = 0

    def deposit(self) -> None:
        self.tokens = min(self.burst, self.tokens + self.ratio)

    def withdraw(self) -> bool:
        if self.tokens < 1.0:
            self.refused += 1
            return False
        self.tokens -= 1.0
        self.spent += 1
        return True
