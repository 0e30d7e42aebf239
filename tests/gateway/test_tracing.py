"""OpenTelemetry: a span per GraphQL request and per upstream call, `traceparent` sent on.

The SDK's in-memory exporter is handed to the app factory (`span_exporter=`); nothing
global is patched, and each app has its own tracer provider.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from gateway.settings import TracingSettings
from gateway.telemetry import Tracing
from simulators import personas

MY_PAGES = """query KallesSidor { myPages {
  cases(first: 100) { edges { node { caseNumber } } } unavailableSystems { id } } }"""
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_PARENT = "00f067aa0ba902b7"


def sent(gw: Any) -> list[tuple[str, Any]]:
    """(system, request) for every request the simulators received, token fetches aside."""
    return [
        (system, request)
        for system, transport in gw.transports.items()
        for request in transport.requests
        if request.url.path != "/oauth/token"
    ]


async def test_a_request_span_parents_one_span_per_upstream_call(
    make_settings: Any, start_gateway: Any
) -> None:
    exporter = InMemorySpanExporter()
    settings = make_settings(KNUTPUNKT_TRACING_ENABLED="true")
    async with start_gateway(settings, span_exporter=exporter) as gw:
        body = await gw.query(MY_PAGES, token=gw.token("citizen", personas.KALLE))
        received = sent(gw)
    assert body["data"]["myPages"]["unavailableSystems"] == []

    spans = exporter.get_finished_spans()
    servers = [s for s in spans if s.kind is SpanKind.SERVER]
    clients = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert [s.name for s in servers] == ["query KallesSidor"]
    root = servers[0]
    assert root.parent is None
    assert dict(root.attributes or {}) == {
        "http.request.method": "POST",
        "http.route": "/graphql",
        "graphql.operation.name": "KallesSidor",
        "graphql.operation.type": "query",
        "http.response.status_code": 200,
        "knutpunkt.outcome": "ok",
        "knutpunkt.request_id": root.attributes["knutpunkt.request_id"],  # type: ignore[index]
    }
    assert len(spans) == 1 + len(clients)
    # every upstream call is a child of the request, in the same trace
    assert len(clients) == len(received) > 0
    for span in clients:
        assert span.parent is not None and span.parent.span_id == root.context.span_id
        assert span.context.trace_id == root.context.trace_id
        assert span.status.status_code is StatusCode.UNSET
        assert span.attributes["knutpunkt.outcome"] == "ok"  # type: ignore[index]
    assert sorted(s.name for s in clients) == sorted(
        f"{r.method} {system}" for system, r in received
    )
    # each simulator received the W3C traceparent of the span of its own call
    trace_id = f"{root.context.trace_id:032x}"
    client_ids = {f"{s.context.span_id:016x}" for s in clients}
    parents = []
    for _, request in received:
        version, trace, parent, flags = request.headers["traceparent"].split("-")
        assert (version, trace, int(flags, 16) & 1) == ("00", trace_id, 1)  # sampled
        parents.append(parent)
    assert sorted(parents) == sorted(client_ids)


async def test_the_callers_traceparent_continues_its_trace(
    make_settings: Any, start_gateway: Any
) -> None:
    exporter = InMemorySpanExporter()
    settings = make_settings(KNUTPUNKT_TRACING_ENABLED="true")
    async with start_gateway(settings, span_exporter=exporter) as gw:
        response = await gw.client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"traceparent": f"00-{CALLER_TRACE}-{CALLER_PARENT}-01"},
        )
    assert response.json() == {"data": {"__typename": "Query"}}
    (span,) = exporter.get_finished_spans()
    assert span.name == "query _anonymous"
    assert f"{span.context.trace_id:032x}" == CALLER_TRACE
    assert span.parent is not None and f"{span.parent.span_id:016x}" == CALLER_PARENT


async def test_a_failing_system_marks_its_spans_and_they_name_no_person(
    make_settings: Any, start_gateway: Any
) -> None:
    exporter = InMemorySpanExporter()
    settings = make_settings(KNUTPUNKT_TRACING_ENABLED="true")
    async with start_gateway(settings, span_exporter=exporter) as gw:
        await gw.faults("byggr", down=True)
        body = await gw.query(MY_PAGES, token=gw.token("citizen", personas.KALLE))
    assert body["data"]["myPages"]["unavailableSystems"] == [{"id": "byggr"}]
    spans = exporter.get_finished_spans()
    byggr = [s for s in spans if s.kind is SpanKind.CLIENT and s.name.endswith(" byggr")]
    assert len(byggr) == 3  # the first try and two retries
    for span in byggr:
        assert span.status.status_code is StatusCode.ERROR
        assert (span.attributes or {})["knutpunkt.outcome"] == "unavailable"
        assert (span.attributes or {})["http.response.status_code"] == 503
    (root,) = [s for s in spans if s.kind is SpanKind.SERVER]
    assert (root.attributes or {})["knutpunkt.outcome"] == "partial"
    # no URL path, query string or message: nothing that could carry a personal number
    for span in spans:
        text = repr((span.name, dict(span.attributes or {}), span.events, span.status.description))
        assert personas.KALLE not in text and personas.KALLE[2:8] not in text


async def test_tracing_is_off_by_default(make_settings: Any, start_gateway: Any) -> None:
    exporter = InMemorySpanExporter()
    async with start_gateway(make_settings(), span_exporter=exporter) as gw:
        await gw.query(MY_PAGES, token=gw.token("citizen", personas.KALLE))
        received = sent(gw)
    assert exporter.get_finished_spans() == ()
    assert received and all("traceparent" not in r.headers for _, r in received)


def test_otel_sdk_disabled_wins_over_the_settings() -> None:
    on = TracingSettings(enabled=True)
    exporter = InMemorySpanExporter()
    assert Tracing.from_settings(on, exporter, env={"OTEL_SDK_DISABLED": "true"}).tracer is None
    assert (
        Tracing.from_settings(on, exporter, env={"OTEL_SDK_DISABLED": "false"}).tracer is not None
    )
    assert Tracing.from_settings(TracingSettings(), exporter, env={}).tracer is None


def test_without_an_injected_exporter_spans_go_to_otlp_over_http() -> None:
    """Built from the settings alone: the OTLP/HTTP exporter (endpoint from OTEL_*), batched."""
    tracing = Tracing.from_settings(TracingSettings(enabled=True, service_name="kp-test"), env={})
    assert tracing.tracer is not None
    tracing.shutdown()  # nothing was recorded: no export is attempted
