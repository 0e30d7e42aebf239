"""The metrics other parts keep (refusal counters, signals, the notification outbox) on
the app's prometheus_client registry: every family once, read at scrape time."""

from __future__ import annotations

from typing import Any

import pytest
from kp_scrape import by, parse
from prometheus_client import CollectorRegistry, generate_latest

from gateway.metrics import Counters
from gateway.telemetry import Metrics
from gateway.telemetry.wiring import watch_outbox, watch_signals
from notify import Channel, MessageState, OutboxMetrics
from signals import SignalMetrics

#: every family of ours, as README "Operating it" lists them (name, type)
FAMILIES = {
    ("knutpunkt_graphql_request_duration_seconds", "histogram"),
    ("knutpunkt_upstream_request_duration_seconds", "histogram"),
    ("knutpunkt_circuit_state", "gauge"),
    ("knutpunkt_upstream_healthy", "gauge"),
    ("knutpunkt_upstream_calls_not_sent", "counter"),
    ("knutpunkt_upstream_retries", "counter"),
    ("knutpunkt_cache_lookups", "counter"),
    ("knutpunkt_access_log_append_seconds", "histogram"),
    ("knutpunkt_tokens_refused", "counter"),
    ("knutpunkt_rate_limited", "counter"),
    ("knutpunkt_queries_refused", "counter"),
    ("knutpunkt_signals_received", "counter"),
    ("knutpunkt_signals_refused", "counter"),
    ("knutpunkt_signals_applied", "counter"),
    ("knutpunkt_signals_parked", "counter"),
    ("knutpunkt_signals_retried", "counter"),
    ("knutpunkt_signals_coalesced", "counter"),
    ("knutpunkt_signal_lag_seconds", "histogram"),
    ("knutpunkt_notify_messages", "counter"),
    ("knutpunkt_notify_outbox", "gauge"),
}


def scrape_registry(metrics: Metrics) -> Any:
    return parse(generate_latest(metrics.registry).decode())


async def test_the_app_registry_holds_every_family_once(gateway: Any) -> None:
    registry = gateway.app.state.knutpunkt.telemetry.metrics.registry
    ours = {(m.name, m.type) for m in registry.collect() if m.name.startswith("knutpunkt_")}
    assert ours == FAMILIES


def test_refusal_counters_count_by_their_label() -> None:
    metrics = Metrics(CollectorRegistry())
    counters = Counters(metrics.registry)
    counters.inc("knutpunkt_tokens_refused_total", reason="expired")
    counters.inc("knutpunkt_tokens_refused_total", 2, reason="malformed")
    counters.inc("knutpunkt_rate_limited_total", limit="persons")
    scraped = scrape_registry(metrics)
    assert by(scraped, "knutpunkt_tokens_refused_total", "reason") == {
        ("expired",): 1.0,
        ("malformed",): 2.0,
    }
    assert by(scraped, "knutpunkt_rate_limited_total", "limit") == {("persons",): 1.0}
    assert "knutpunkt_queries_refused_total" not in scraped  # no refusal yet: no sample
    assert counters.value("knutpunkt_tokens_refused_total", reason="malformed") == 2
    assert counters.value("knutpunkt_queries_refused_total", code="QUERY_TOO_COSTLY") == 0


def test_signal_counters_and_the_lag_histogram() -> None:
    signals = SignalMetrics()
    current: list[SignalMetrics | None] = [None]
    metrics = Metrics(CollectorRegistry())
    watch_signals(metrics, lambda: current[0])
    assert not any(k.startswith("knutpunkt_signal") for k in scrape_registry(metrics))

    current[0] = signals
    signals.received, signals.applied, signals.parked = 4, 3, 1
    signals.retried, signals.coalesced = 2, 1
    signals.refuse("signature")
    signals.refuse("signature")
    for seconds in (0.07, 0.3, 40.0):
        signals.observe_lag(seconds)
    scraped = scrape_registry(metrics)

    totals = {
        name: scraped[f"knutpunkt_signals_{name}_total"]
        for name in ("received", "applied", "parked", "retried", "coalesced")
    }
    assert totals == {
        "received": {(): 4.0},
        "applied": {(): 3.0},
        "parked": {(): 1.0},
        "retried": {(): 2.0},
        "coalesced": {(): 1.0},
    }
    assert by(scraped, "knutpunkt_signals_refused_total", "reason") == {("signature",): 2.0}
    assert by(scraped, "knutpunkt_signal_lag_seconds_bucket", "le") == {
        ("0.05",): 0.0,
        ("0.1",): 1.0,
        ("0.25",): 1.0,
        ("0.5",): 2.0,
        ("1.0",): 2.0,
        ("2.0",): 2.0,
        ("5.0",): 2.0,
        ("30.0",): 2.0,
        ("+Inf",): 3.0,
    }
    assert scraped["knutpunkt_signal_lag_seconds_count"] == {(): 3.0}
    assert scraped["knutpunkt_signal_lag_seconds_sum"][()] == pytest.approx(40.37)


def test_outbox_messages_and_its_size_by_state() -> None:
    outbox = OutboxMetrics()
    metrics = Metrics(CollectorRegistry())
    watch_outbox(metrics, lambda: outbox)
    outbox.sent[Channel.EMAIL] = 5
    outbox.retried[Channel.SMS] = 2
    outbox.states = {**dict.fromkeys(MessageState, 0), MessageState.PARKED: 3}
    scraped = scrape_registry(metrics)

    channels = [c.value.lower() for c in Channel]
    expected = {(o, c): 0.0 for o in ("sent", "retried", "parked") for c in channels}
    expected[("sent", "email")] = 5.0
    expected[("retried", "sms")] = 2.0
    assert by(scraped, "knutpunkt_notify_messages_total", "outcome", "channel") == expected
    sizes = {(s.value.lower(),): 0.0 for s in MessageState} | {("parked",): 3.0}
    assert by(scraped, "knutpunkt_notify_outbox", "state") == sizes
