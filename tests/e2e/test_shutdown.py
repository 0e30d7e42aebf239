"""SIGTERM while a long request runs stops `knutpunkt serve` within 10 s (issue 9,
item 13): running requests get the grace period, then they and their upstream calls
are cancelled. A bound check over real processes and sockets, not a benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from simulators import personas

pytestmark = pytest.mark.sockets

ROOT = Path(__file__).resolve().parents[2]
KNUTPUNKT = [sys.executable, "-m", "gateway.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigterm_during_a_hanging_request_stops_the_server_within_ten_seconds(
    tmp_path: Path,
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KNUTPUNKT_DEMO_KEY_FILE": str(tmp_path / "demo.jwk"),
        "KNUTPUNKT_DEMO_SCALE": "0.05",
        "KNUTPUNKT_DEMO_BASE_PORT": "0",
        # the request would run a minute: only the shutdown may end it early
        "KNUTPUNKT_GATEWAY_DEADLINE_SECONDS": "60",
        "KNUTPUNKT_GATEWAY_MAX_EXECUTION_SECONDS": "120",
    }
    errors = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen(
        [*KNUTPUNKT, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    try:
        urls: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line or line.startswith("GraphiQL "):
                break
            system, url = line.split()
            urls[system] = url
        assert "byggr" in urls, urls
        hang = httpx.put(f"{urls['byggr']}/_admin/faults", json={"hang": True}, timeout=10)
        assert hang.status_code == 200
        token = subprocess.run(
            [*KNUTPUNKT, "token", "citizen", personas.KALLE],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        outcome: list[object] = []

        def long_request() -> None:
            try:
                outcome.append(
                    httpx.post(
                        f"http://127.0.0.1:{port}/graphql",
                        json={"query": "{ myPages { cases { totalCount } } }"},
                        headers={"authorization": f"Bearer {token}"},
                        timeout=90,
                    ).status_code
                )
            except httpx.HTTPError as exc:
                outcome.append(type(exc).__name__)

        client = threading.Thread(target=long_request, daemon=True)
        client.start()
        time.sleep(1.5)  # the request is in: byggr hangs under it
        assert not outcome, outcome
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail("knutpunkt serve was still running 15 s after SIGTERM")
        stopped_after = time.monotonic() - sent
        client.join(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
        errors.close()
    assert stopped_after < 10, f"stopped {stopped_after:.1f} s after SIGTERM"
    assert outcome == [503], outcome  # SHUTTING_DOWN, not a dropped connection
    print(f"stopped {stopped_after:.1f} s after SIGTERM")
    # the only tracebacks are the sandbox's: its deliberately hanging handler, cancelled
    crashes = (tmp_path / "stderr.txt").read_text().split("Traceback")[1:]
    assert all("simulators/faults.py" in crash for crash in crashes), crashes
    assert not any("gateway/" in crash or "resolvers/" in crash for crash in crashes), crashes
