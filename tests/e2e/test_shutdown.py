"""SIGTERM while a long request runs stops `knutpunkt serve` within 10 s (issue 9,
item 13): running requests get the grace period, then they and their upstream calls
are cancelled. A bound check over real processes and sockets, not a benchmark."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from kp_procs import Proc, citizen_token, demo_env, free_port

from simulators import personas

pytestmark = pytest.mark.sockets


def test_sigterm_during_a_hanging_request_stops_the_server_within_ten_seconds(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = demo_env(
        tmp_path,
        # the request would run a minute: only the shutdown may end it early
        KNUTPUNKT_GATEWAY_DEADLINE_SECONDS="60",
        KNUTPUNKT_GATEWAY_MAX_EXECUTION_SECONDS="120",
    )
    proc = Proc.start(["serve", "--port", str(port)], tmp_path, env)
    try:
        urls = proc.read_until("GraphiQL")
        assert "byggr" in urls, urls
        hang = httpx.put(f"{urls['byggr']}/_admin/faults", json={"hang": True}, timeout=10)
        assert hang.status_code == 200
        token = citizen_token(env, personas.KALLE)
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
        proc.popen.send_signal(signal.SIGTERM)
        try:
            proc.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail("knutpunkt serve was still running 15 s after SIGTERM")
        stopped_after = time.monotonic() - sent
        client.join(timeout=10)
    finally:
        proc.stop(signal.SIGKILL)
    assert stopped_after < 10, f"stopped {stopped_after:.1f} s after SIGTERM"
    assert outcome == [503], outcome  # SHUTTING_DOWN, not a dropped connection
    print(f"stopped {stopped_after:.1f} s after SIGTERM")
    # the only tracebacks are the sandbox's: its deliberately hanging handler, cancelled
    crashes = proc.errors().split("Traceback")[1:]
    assert all("simulators/faults.py" in crash for crash in crashes), crashes
    assert not any("gateway/" in crash or "resolvers/" in crash for crash in crashes), crashes
