"""`knutpunkt serve` as an operator runs it: JSON log lines on stderr, /metrics on a port of
its own behind a token, no personal number in any line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from kp_logcheck import persona_forms
from kp_scrape import by, parse

from simulators import personas

pytestmark = pytest.mark.sockets

KNUTPUNKT = [sys.executable, "-m", "gateway.cli"]
ROOT = Path(__file__).resolve().parents[2]
KEYS = {"time", "level", "logger", "message", "request_id", "trace_id", "span_id"}


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def test_serve_logs_json_and_serves_metrics_on_its_own_port(tmp_path: Path) -> None:
    gateway_port, metrics_port = _free_ports(2)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KNUTPUNKT_DEMO_KEY_FILE": str(tmp_path / "demo.jwk"),
        "KNUTPUNKT_DEMO_SCALE": "0.05",
        "KNUTPUNKT_DEMO_BASE_PORT": "0",
        "KNUTPUNKT_LOGGING_FORMAT": "json",
        "KNUTPUNKT_METRICS_PORT": str(metrics_port),
        "KNUTPUNKT_METRICS_TOKEN": "scrape-me",
    }
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as errors:
        proc = subprocess.Popen(
            [*KNUTPUNKT, "serve", "--port", str(gateway_port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            lines: list[str] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                line = proc.stdout.readline()  # type: ignore[union-attr]
                if not line:
                    break
                lines.append(line.strip())
                if line.startswith("metrics "):
                    break
            assert lines[-2:] == [
                f"GraphiQL http://127.0.0.1:{gateway_port}/graphql",
                f"metrics http://127.0.0.1:{metrics_port}/metrics",
            ], lines
            token = subprocess.run(
                [*KNUTPUNKT, "token", "citizen", personas.KALLE],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout.strip()
            base = f"http://127.0.0.1:{gateway_port}"
            query = {"query": "query Mina { myPages { cases { totalCount } } }"}
            ok = httpx.post(f"{base}/graphql", json=query, headers={"authorization": f"Bearer {token}"}, timeout=30)
            assert ok.json()["data"]["myPages"]["cases"]["totalCount"] >= 4
            refused = httpx.post(
                f"{base}/graphql",
                json=query,
                headers={"authorization": f"Bearer {token}x", "x-request-id": "ops-e2e-1"},
                timeout=30,
            )
            assert refused.status_code == 401
            assert httpx.get(f"{base}/metrics", timeout=10).status_code == 404
            metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
            assert httpx.get(metrics_url, timeout=10).status_code == 401
            scraped = parse(httpx.get(metrics_url, headers={"authorization": "Bearer scrape-me"}, timeout=10).text)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            proc.stdout.close()  # type: ignore[union-attr]

    assert by(scraped, "knutpunkt_graphql_request_duration_seconds_count", "operation", "outcome") == {
        ("Mina", "ok"): 1.0,
        ("_unknown", "rejected"): 1.0,
    }
    text = stderr.read_text()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert records and all(set(r) - {"exception"} == KEYS for r in records), text
    refusals = [r for r in records if r["logger"] == "knutpunkt.auth"]
    assert [(r["level"], r["request_id"]) for r in refusals] == [("WARNING", "ops-e2e-1")]
    assert not any(form in text for form in persona_forms()) and token[:20] not in text
