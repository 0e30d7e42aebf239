"""/metrics with prometheus_client: scraped from the whole app and parsed, never read by hand."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from kp_scrape import by, parse, scrape
from prometheus_client import CollectorRegistry

from gateway.telemetry import Metrics, OperationNames, metrics_app
from simulators import personas
from simulators.world import SYSTEMS

MY_PAGES = """query KallesSidor { myPages {
  cases(first: 100) { edges { node { caseNumber system { id } } } }
  unavailableSystems { id } } }"""
LOOKUP = """query Uppslag($pnr: String!, $purpose: String!) {
  citizen(personalNumber: $pnr, purpose: $purpose) { citizen { name } } }"""
DURATION = "knutpunkt_graphql_request_duration_seconds_count"
UPSTREAM = "knutpunkt_upstream_request_duration_seconds_count"


async def test_a_query_is_counted_by_operation_outcome_and_system(gateway: Any) -> None:
    token = gateway.token("citizen", personas.KALLE)
    body = await gateway.query(MY_PAGES, token=token)
    assert body["data"]["myPages"]["unavailableSystems"] == []
    scraped = await scrape(gateway.client)

    assert by(scraped, DURATION, "operation", "outcome") == {("KallesSidor", "ok"): 1.0}
    # every HTTP attempt the simulators saw, per system, all successful
    upstream = by(scraped, UPSTREAM, "system", "outcome")
    assert upstream == {(s, "ok"): float(n) for s, n in gateway.upstream_calls().items()}
    assert len(upstream) == 10
    systems = sorted(SYSTEMS)  # the connectors (not the sandbox's SMS gateway)
    assert by(scraped, "knutpunkt_circuit_state", "system", "state") == {
        (s, state): float(state == "closed")
        for s in systems
        for state in ("closed", "half_open", "open")
    }
    assert by(scraped, "knutpunkt_upstream_healthy", "system") == {(s,): 1.0 for s in systems}
    # the process collector is on the app's own registry too
    assert scraped["process_cpu_seconds_total"][()] > 0


async def test_the_second_look_is_served_by_the_cache(gateway: Any) -> None:
    token = gateway.token("citizen", personas.KALLE)
    await gateway.query(MY_PAGES, token=token)
    first = by(await scrape(gateway.client), "knutpunkt_cache_lookups_total", "result")
    calls_before = sum(gateway.upstream_calls().values())
    await gateway.query(MY_PAGES, token=token)
    second = by(await scrape(gateway.client), "knutpunkt_cache_lookups_total", "result")
    calls_second = sum(gateway.upstream_calls().values()) - calls_before

    assert first[("miss",)] > 0
    new_hits = second.get(("hit",), 0) - first.get(("hit",), 0)
    new_misses = second[("miss",)] - first[("miss",)]
    assert new_hits > 0 and new_misses < first[("miss",)]
    assert calls_second < calls_before


async def test_a_failing_system_shows_in_outcomes_and_its_circuit(gateway: Any) -> None:
    await gateway.faults("byggr", down=True)
    token = gateway.token("citizen", personas.KALLE)
    for _ in range(2):  # 3 attempts each: the breaker opens after 5 failures
        body = await gateway.query(MY_PAGES, token=token)
        assert body["data"]["myPages"]["unavailableSystems"] == [{"id": "byggr"}]
    scraped = await scrape(gateway.client)

    assert by(scraped, DURATION, "operation", "outcome") == {("KallesSidor", "partial"): 2.0}
    byggr = {k: v for k, v in by(scraped, UPSTREAM, "system", "outcome").items() if k[0] == "byggr"}
    assert byggr == {("byggr", "unavailable"): float(gateway.upstream_calls()["byggr"])}
    assert by(scraped, "knutpunkt_circuit_state", "system", "state")[("byggr", "open")] == 1.0
    assert by(scraped, "knutpunkt_upstream_healthy", "system")[("byggr",)] == 0.0
    # the attempts after the first of each read are counted as retries (the others: none)
    retries = by(scraped, "knutpunkt_upstream_retries_total", "system")
    assert 1 <= retries[("byggr",)] < gateway.upstream_calls()["byggr"]
    assert {k for k, v in retries.items() if v} == {("byggr",)}
    not_sent = by(scraped, "knutpunkt_upstream_calls_not_sent_total", "system", "reason")
    assert not_sent[("byggr", "circuit_open")] == 0.0

    # with the circuit open, the next query sends byggr nothing: counted as not sent
    calls = gateway.upstream_calls()["byggr"]
    body = await gateway.query(MY_PAGES, token=token)
    assert body["data"]["myPages"]["unavailableSystems"] == [{"id": "byggr"}]
    assert gateway.upstream_calls()["byggr"] == calls
    scraped = await scrape(gateway.client)
    not_sent = by(scraped, "knutpunkt_upstream_calls_not_sent_total", "system", "reason")
    assert not_sent[("byggr", "circuit_open")] >= 1.0
    assert not_sent[("diarium", "circuit_open")] == 0.0


async def test_access_log_appends_are_timed(gateway: Any) -> None:
    token = gateway.token("contact_centre", name="Maja KC")
    variables = {"pnr": personas.KALLE, "purpose": "Samtal om bygglov"}
    body = await gateway.query(LOOKUP, variables, token)
    assert body["data"]["citizen"]["citizen"]["name"]
    scraped = await scrape(gateway.client)

    assert by(scraped, "knutpunkt_access_log_append_seconds_count", "outcome") == {("ok",): 1.0}
    assert scraped["knutpunkt_access_log_append_seconds_sum"][(("outcome", "ok"),)] > 0
    assert by(scraped, DURATION, "operation", "outcome") == {("Uppslag", "ok"): 1.0}


async def test_refused_and_anonymous_requests_have_their_own_labels(gateway: Any) -> None:
    await gateway.query("{ __typename }")
    bad = await gateway.client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400
    invalid = await gateway.query("query Fel { nosuchfield }")
    assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    scraped = await scrape(gateway.client)

    assert by(scraped, DURATION, "operation", "outcome") == {
        ("_anonymous", "ok"): 1.0,
        ("_unknown", "rejected"): 1.0,
        ("Fel", "error"): 1.0,
    }


async def test_metrics_need_the_token_in_production(make_settings: Any, start_gateway: Any) -> None:
    settings = make_settings(KNUTPUNKT_METRICS_TOKEN="scrape-secret")
    production = replace(settings, demo=replace(settings.demo, enabled=False))
    async with start_gateway(production) as gw:
        refused = await gw.client.get("/metrics")
        wrong = await gw.client.get("/metrics", headers={"authorization": "Bearer nope"})
        scraped = await scrape(gw.client, token="scrape-secret")
    assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Bearer")
    assert wrong.status_code == 401
    assert "knutpunkt_upstream_healthy" in scraped


async def test_without_a_token_production_metrics_stay_closed(
    make_settings: Any, start_gateway: Any
) -> None:
    settings = make_settings()
    production = replace(settings, demo=replace(settings.demo, enabled=False))
    async with start_gateway(production) as gw:
        assert (await gw.client.get("/metrics")).status_code == 401


async def test_a_port_of_its_own_serves_the_same_metrics(
    make_settings: Any, start_gateway: Any
) -> None:
    settings = make_settings(KNUTPUNKT_METRICS_PORT="9464")
    production = replace(settings, demo=replace(settings.demo, enabled=False))
    async with start_gateway(production) as gw:
        await gw.query("query Hej { __typename }")
        assert (await gw.client.get("/metrics")).status_code == 404
        metrics = gw.app.state.knutpunkt.telemetry.metrics
        own = metrics_app(metrics, production)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=own), base_url="http://m"
        ) as c:
            scraped = await scrape(c)
    assert by(scraped, DURATION, "operation", "outcome") == {("Hej", "ok"): 1.0}


def test_other_parts_register_counters_they_keep_themselves() -> None:
    """How `signals` and `notify` expose their small counter objects."""
    counts = {("accepted",): 3.0, ("duplicate",): 1.0}
    queued = {(): 7.0}
    metrics = Metrics(CollectorRegistry())
    metrics.counter_from("knutpunkt_signals", "Signals by outcome.", lambda: counts, ["outcome"])
    metrics.gauge_from("knutpunkt_outbox_pending", "Messages waiting.", lambda: queued)
    counts[("refused",)] = 2.0  # read at scrape time, not at registration
    from prometheus_client import generate_latest

    scraped = parse(generate_latest(metrics.registry).decode())
    assert by(scraped, "knutpunkt_signals_total", "outcome") == {
        ("accepted",): 3.0,
        ("duplicate",): 1.0,
        ("refused",): 2.0,
    }
    assert scraped["knutpunkt_outbox_pending"] == {(): 7.0}
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        metrics.counter_from("knutpunkt_signals", "again", lambda: counts, ["outcome"])


def test_operation_labels_are_bounded() -> None:
    names = OperationNames(limit=2)
    assert [names.label(n) for n in ("A", "B", "C", "A", "D")] == [
        "A",
        "B",
        "_other",
        "A",
        "_other",
    ]
