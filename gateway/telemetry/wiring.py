"""The signal and notification counters on the app's registry.

`signals/` and `notify/` keep plain numbers in small objects (`SignalMetrics`,
`OutboxMetrics`) and import nothing of the gateway; here they are registered with
`counter_from`/`gauge_from`/`histogram_from`, read at every scrape. `current()`
returns the object of the running app, or None when that part is off (its families
are then shown without samples).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from notify import OutboxMetrics
from signals import SignalMetrics

from .metrics import HistogramSample, Metrics, Samples

T = TypeVar("T")

#: the signal counters without labels: name (as exposed, less `_total`) → (help, attribute)
SIGNAL_TOTALS = {
    "knutpunkt_signals_received": ("Signals accepted by POST /signals (202).", "received"),
    "knutpunkt_signals_applied": ("Signals applied (cache, store, subscribers).", "applied"),
    "knutpunkt_signals_parked": ("Signals given up after their retries.", "parked"),
    "knutpunkt_signals_retried": ("Signals put back for a later attempt.", "retried"),
    "knutpunkt_signals_coalesced": ("Signals applied by another signal's refresh.", "coalesced"),
}


def _reader(current: Callable[[], T | None], read: Callable[[T], Samples]) -> Callable[[], Samples]:
    def samples() -> Samples:
        found = current()
        return {} if found is None else read(found)

    return samples


def _total(attribute: str) -> Callable[[SignalMetrics], Samples]:
    return lambda m: {(): float(getattr(m, attribute))}


def watch_signals(metrics: Metrics, current: Callable[[], SignalMetrics | None]) -> None:
    """`knutpunkt_signals_*_total` and the `knutpunkt_signal_lag_seconds` histogram."""
    for name, (documentation, attribute) in SIGNAL_TOTALS.items():
        metrics.counter_from(name, documentation, _reader(current, _total(attribute)))
    metrics.counter_from(
        "knutpunkt_signals_refused",
        "Requests to POST /signals refused, by reason.",
        _reader(current, SignalMetrics.refused_by_reason),
        ["reason"],
    )

    def lag() -> HistogramSample | None:
        found = current()
        return None if found is None else found.lag_histogram()

    metrics.histogram_from("knutpunkt_signal_lag_seconds", "From 202 to applied.", lag)


def watch_outbox(metrics: Metrics, current: Callable[[], OutboxMetrics | None]) -> None:
    """`knutpunkt_notify_messages_total` by outcome and channel, `knutpunkt_notify_outbox`
    by state (as the outbox worker last counted it)."""
    metrics.counter_from(
        "knutpunkt_notify_messages",
        "Outbox messages by outcome and channel.",
        _reader(current, OutboxMetrics.messages),
        ["outcome", "channel"],
    )
    metrics.gauge_from(
        "knutpunkt_notify_outbox",
        "Messages in the outbox by state.",
        _reader(current, OutboxMetrics.sizes),
        ["state"],
    )
