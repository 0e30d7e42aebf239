"""Structured logs: JSON lines stamped with request and trace ids, scrubbed of personal data."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from kp_logcheck import LogLeakCheck
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from connectors.errors import SettingsError
from gateway.settings import LoggingSettings
from gateway.telemetry.logs import (
    ContextFilter,
    JsonFormatter,
    TextFormatter,
    formatter_for,
    log_level,
)
from gateway.telemetry.scrub import scrub
from simulators import personas

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJrYWxsZSJ9.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("person 195606055555 hittades", "person [personnummer] hittades"),
        ("url /persons/19560605-5555?x=1", "url /persons/[personnummer]?x=1"),
        ("kort 560605-5555 och 5606055555.", "kort [personnummer] och [personnummer]."),
        ("samordningsnummer 197001632391", "samordningsnummer [personnummer]"),
        (f"token {JWT} refused", "token [jwt] refused"),
        ("Authorization: Bearer abc.def-ghi-jkl", "Authorization: Bearer [redacted]"),
        ("bearer token refused", "bearer token refused"),
        ("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw=", "secret whsec_[redacted]"),
        # not personal numbers: a duration, a count, a 13-digit epoch in milliseconds
        (
            "took 1234 ms, 20000 persons at 1733212345678",
            "took 1234 ms, 20000 persons at 1733212345678",
        ),
    ],
)
def test_scrub(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.fixture
def auth_log() -> Iterator[io.StringIO]:
    """The JSON lines `knutpunkt.auth` writes (its INFO record of a refused token)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("knutpunkt.auth")
    logger.addHandler(handler)
    try:
        yield out
    finally:
        logger.removeHandler(handler)


async def test_a_log_line_carries_request_and_trace_ids_and_no_token(
    make_settings: Any, start_gateway: Any, auth_log: io.StringIO
) -> None:
    exporter = InMemorySpanExporter()
    settings = make_settings(KNUTPUNKT_TRACING_ENABLED="true")
    forged = JWT  # a JWT not signed by any trusted issuer
    async with start_gateway(settings, span_exporter=exporter) as gw:
        response = await gw.client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"authorization": f"Bearer {forged}", "x-request-id": "req-4711"},
        )
    assert response.status_code == 401
    (span,) = exporter.get_finished_spans()
    lines = [json.loads(line) for line in auth_log.getvalue().splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert line.pop("time").endswith("Z")
    assert line == {
        "level": "WARNING",  # a refused token is logged at WARNING (with its reason)
        "logger": "knutpunkt.auth",
        "message": line["message"],
        "request_id": "req-4711",
        "trace_id": f"{span.context.trace_id:032x}",
        "span_id": f"{span.context.span_id:016x}",
    }
    assert line["message"].startswith("bearer token refused: ")
    assert "eyJ" not in auth_log.getvalue()


def test_exceptions_are_scrubbed_and_the_text_format_too() -> None:
    try:
        raise KeyError(personas.KALLE)
    except KeyError:
        record = logging.LogRecord(
            "knutpunkt.test",
            logging.ERROR,
            __file__,
            1,
            "lookup of %s failed",
            (personas.GRETA,),
            sys.exc_info(),
        )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "lookup of [personnummer] failed"
    assert "KeyError: '[personnummer]'" in line["exception"]
    text = TextFormatter().format(record)
    assert " ERROR knutpunkt.test [] lookup of [personnummer] failed" in text
    assert personas.KALLE not in text and personas.GRETA not in text + json.dumps(line)


def test_the_suite_log_check_can_fail() -> None:
    """Without the scrubbing formatter the check sees the leak; with it, nothing."""
    leaky = LogLeakCheck(logging.Formatter("%(message)s"))
    clean = LogLeakCheck()
    record = logging.LogRecord(
        "knutpunkt.x", logging.INFO, __file__, 7, "pnr %s tok %s", (personas.ANNA, JWT), None
    )
    third_party = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "GET /p/%s", (personas.ANNA,), None
    )
    for check in (leaky, clean):
        check.handle(record)
        check.handle(third_party)
    assert len(leaky.leaks) == 2 and leaky.seen == 2
    assert clean.leaks == []
    # our own call site is reported even when scrubbing saved the line; httpx's is not ours
    assert clean.call_sites == [f"knutpunkt.x:7: pnr {personas.ANNA} tok {JWT}"]


def test_format_and_level_settings() -> None:
    assert isinstance(formatter_for("json"), JsonFormatter)
    assert isinstance(formatter_for("text"), TextFormatter)
    with pytest.raises(SettingsError):
        formatter_for("xml")
    assert log_level(LoggingSettings(level="debug"), env={}) == logging.DEBUG
    assert log_level(LoggingSettings(), env={"KNUTPUNKT_LOG_LEVEL": "warning"}) == logging.WARNING
    assert log_level(LoggingSettings(), env={}) == logging.INFO
    with pytest.raises(SettingsError):
        log_level(LoggingSettings(level="loud"), env={})
