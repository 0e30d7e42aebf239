"""Benchmark: signal → mail latency through the running demo, end to end.

A command, not a test:

    .venv/bin/python bench/signal_to_mail.py [--events 100]

Starts `knutpunkt serve` (the demo: sandbox, mail sink and signals in one process, on
free loopback ports) with the digest window at 0; Kalle turns e-mail on and verifies it
through GraphQL as in the README. Then, `--events` times one after the other, a
decision is recorded on his building permit case through the sandbox's admin
(`POST <byggr>/_admin/case-events`), and the latency runs from just before that POST
until the sink received the mail (its `receivedAt`, same clock): ByggR's signed
signal, `POST /signals`, the durable inbox, the processor's live fetch of the case,
the notifier (who may be told: settings, registers), the digest, the outbox and one
SMTP exchange. Compare `bench/notify_bench.py`, which starts at the notifier.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
KNUTPUNKT = [sys.executable, "-m", "gateway.cli"]
KALLE = "195606055555"
SET = """mutation { setNotificationSettings(input: {email: "kalle@exempel.se", channels: [EMAIL]})
  { emailVerified } }"""
VERIFY = """mutation ($code: String!) { verifyNotificationChannel(channel: EMAIL, code: $code)
  { emailVerified } }"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_mails(mail: str, count: int, timeout: float = 30.0) -> list[dict[str, str]]:
    deadline = time.monotonic() + timeout
    while True:
        found: list[dict[str, str]] = httpx.get(f"{mail}/messages", timeout=10).json()
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise SystemExit(f"no mail number {count} within {timeout} s")
        time.sleep(0.002)


def run(events: int, tmp: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KNUTPUNKT_DEMO_KEY_FILE": str(tmp / "demo.jwk"),
        "KNUTPUNKT_DEMO_SCALE": os.environ.get("KNUTPUNKT_DEMO_SCALE", "0.05"),
        "KNUTPUNKT_DEMO_BASE_PORT": "0",
        "KNUTPUNKT_NOTIFY_DIGEST_MINUTES": "0",
    }
    errors = (tmp / "stderr.txt").open("w")
    proc = subprocess.Popen(
        [*KNUTPUNKT, "serve", "--port", str(port)],
        cwd=tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    try:
        urls: dict[str, str] = {}
        while True:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                raise SystemExit("knutpunkt serve ended: " + (tmp / "stderr.txt").read_text())
            name, _, url = line.strip().partition(" ")
            urls[name] = url
            if name == "GraphiQL":
                break
        token = subprocess.run(
            [*KNUTPUNKT, "token", "citizen", KALLE], env=env, capture_output=True, text=True
        ).stdout.strip()
        gql = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"authorization": f"Bearer {token}"},
            timeout=30,
        )
        mail = urls["mail"]
        assert gql.post("/graphql", json={"query": SET}).json()["data"]
        code = re.findall(r"\b[0-9]{6}\b", wait_mails(mail, 1)[0]["body"])[0]
        verified = gql.post("/graphql", json={"query": VERIFY, "variables": {"code": code}})
        assert verified.json()["data"]["verifyNotificationChannel"]["emailVerified"], verified
        httpx.delete(f"{mail}/messages", timeout=10)
        admin = httpx.Client(base_url=urls["byggr"], timeout=30)
        latencies: list[float] = []
        for n in range(1, events + 1):
            started = time.time()
            response = admin.post(
                "/_admin/case-events",
                json={"caseNumber": "BN 2026/0193", "kind": "DECIDED", "summary": f"Beslut {n}"},
            )
            assert response.status_code == 201, response.text
            arrived = wait_mails(mail, n)[-1]["receivedAt"]
            latencies.append(datetime.fromisoformat(arrived).timestamp() - started)
        received = httpx.get(f"{mail}/_admin/received", timeout=10).json()
        assert received == {"kept": events, "duplicates": 0}, received
        metrics = gql.get("/metrics").text
        lag = {
            k: float(v)
            for k, v in re.findall(
                r"^knutpunkt_signal_lag_seconds_(sum|count) (\S+)$", metrics, re.M
            )
        }
        ms = [x * 1000 for x in latencies]
        print(
            f"signal → mail through the demo, {events} decisions, digest 0 (ms): "
            f"p50 {percentile(ms, 50):.1f}, p90 {percentile(ms, 90):.1f}, "
            f"p99 {percentile(ms, 99):.1f}, max {max(ms):.1f}, mean {statistics.fmean(ms):.1f}"
        )
        if lag.get("count"):  # the signal's part: stored (202) until applied, listeners included
            print(f"  of which 202 → applied (mean): {lag['sum'] / lag['count'] * 1000:.1f} ms")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        errors.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100, help="decisions (default 100)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.events, Path(tmp))
