"""`knutpunkt serve` as an operator runs it: JSON log lines on stderr, /metrics on a port of
its own behind a token, no personal number in any line."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
from kp_logcheck import persona_forms
from kp_procs import KNUTPUNKT, citizen_token, demo_env, demo_serve, free_ports
from kp_scrape import by, parse
from kp_testing import away_from_window_end

from simulators import personas

pytestmark = pytest.mark.sockets

KEYS = {"time", "level", "logger", "message", "request_id", "trace_id", "span_id"}


def test_serve_logs_json_and_serves_metrics_on_its_own_port(tmp_path: Path) -> None:
    gateway_port, metrics_port = free_ports(2)
    extra = {
        "KNUTPUNKT_LOGGING_FORMAT": "json",
        "KNUTPUNKT_METRICS_PORT": str(metrics_port),
        "KNUTPUNKT_METRICS_TOKEN": "scrape-me",
    }
    with demo_serve(tmp_path, gateway_port, last="metrics", **extra) as proc:
        assert list(proc.lines.items())[-2:] == [
            ("GraphiQL", f"http://127.0.0.1:{gateway_port}/graphql"),
            ("metrics", f"http://127.0.0.1:{metrics_port}/metrics"),
        ], proc.lines
        token = citizen_token(demo_env(tmp_path, **extra), personas.KALLE)
        base = f"http://127.0.0.1:{gateway_port}"
        query = {"query": "query Mina { myPages { cases { totalCount } } }"}
        ok = httpx.post(
            f"{base}/graphql", json=query, headers={"authorization": f"Bearer {token}"}, timeout=30
        )
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
        scraped = parse(
            httpx.get(metrics_url, headers={"authorization": "Bearer scrape-me"}, timeout=10).text
        )

    assert by(
        scraped, "knutpunkt_graphql_request_duration_seconds_count", "operation", "outcome"
    ) == {
        ("Mina", "ok"): 1.0,
        ("_unknown", "rejected"): 1.0,
    }
    text = proc.errors()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert records and all(set(r) - {"exception"} == KEYS for r in records), text
    refusals = [r for r in records if r["logger"] == "knutpunkt.auth"]
    assert [(r["level"], r["request_id"]) for r in refusals] == [("WARNING", "ops-e2e-1")]
    assert not any(form in text for form in persona_forms()) and token[:20] not in text


def serve_until_it_stops(
    cwd: Path, env: dict[str, str], port: int
) -> subprocess.CompletedProcess[str]:
    """`knutpunkt serve --port PORT` expected to stop by itself (at once, on an error)."""
    return subprocess.run(
        [*KNUTPUNKT, "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("taken", ["gateway", "metrics"])
def test_serve_on_a_taken_port_says_so_before_the_sandbox_starts(
    tmp_path: Path, taken: str
) -> None:
    """Our ports are bound first: a port in use is a coded error naming it, and no
    sandbox system has been started (nor can one take the gateway's port meanwhile)."""
    gateway_port, metrics_port = free_ports(2)
    env = demo_env(tmp_path, KNUTPUNKT_METRICS_PORT=str(metrics_port))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", gateway_port if taken == "gateway" else metrics_port))
        holder.listen()
        done = serve_until_it_stops(tmp_path, env, gateway_port)
    assert done.returncode == 2, done.stderr[-2000:]
    port = gateway_port if taken == "gateway" else metrics_port
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""  # not one sandbox system was started


def test_a_sandbox_port_on_the_gateways_says_so_instead_of_serving_a_simulator(
    tmp_path: Path,
) -> None:
    """The sandbox's fixed ports run over the gateway's: the gateway keeps its port (it
    listens before the sandbox starts) and the sandbox's start fails with a coded error —
    not a gateway that says it serves GraphQL on a port a simulator answers."""
    (gateway_port,) = free_ports(1)
    env = demo_env(tmp_path, KNUTPUNKT_DEMO_BASE_PORT=str(gateway_port - 3))
    done = serve_until_it_stops(tmp_path, env, gateway_port)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "the demo sandbox cannot listen" in done.stderr
    assert "GraphiQL" not in done.stdout


@pytest.mark.parametrize("proxies", ["127.0.0.1", ""])
async def test_anonymous_rate_limits_see_the_client_the_trusted_proxy_names(
    tmp_path: Path, proxies: str
) -> None:
    """Behind a reverse proxy every anonymous caller comes from its address: with the
    proxy trusted, its X-Forwarded-For names the client, so one client's burst does not
    lock everyone else out of the public diary; untrusted, the header is ignored."""
    await away_from_window_end(60)
    (port,) = free_ports(1)
    extra = {
        "KNUTPUNKT_GATEWAY_REQUESTS_PER_MINUTE": "2",
        "KNUTPUNKT_GATEWAY_TRUSTED_PROXIES": proxies,
    }
    query = {"query": "{ sourceSystems { id } }"}
    with demo_serve(tmp_path, port, **extra):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:

            async def status(client_address: str) -> int:
                headers = {"x-forwarded-for": client_address}
                return (await c.post("/graphql", json=query, headers=headers)).status_code

            burst = [await status("203.0.113.7") for _ in range(3)]
            other = await status("198.51.100.20")
    assert burst == [200, 200, 429]
    assert other == (200 if proxies else 429)
