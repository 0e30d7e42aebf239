"""Benchmark: signals through the gateway, and Mina Sidor with signalling systems cached.

A command, not a test:

    .venv/bin/python bench/signals_bench.py [--signals 1000] [--requests 200] [--scale 1]

Starts `knutpunkt sandbox` (real latencies; procapita ~150 ms is the slowest) and
`knutpunkt serve --config` with every case system signalling, as two processes.
Then, from this process over real sockets:

- throughput: N signed single-event signals for N different cases, 16 senders in
  parallel: accepted/s (202s) and applied/s (every case fetched, cache patched,
  store refreshed, note published), and the 202→applied lag p50/p99 read from the
  inbox's own timestamps;
- a flood: N signals for one case in batches of 100 (coalesced: refreshes counted);
- Mina Sidor warm p50 (Kalle) with the signalling systems answering from the cache,
  beside the slowest system's own latency for the same search.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from standardwebhooks import Webhook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.http import UpstreamClient  # noqa: E402
from connectors.procapita import ProcapitaConnector  # noqa: E402
from gateway.issuer import DemoIssuer  # noqa: E402
from signals.inbox import Inbox  # noqa: E402
from simulators.generate import generate  # noqa: E402
from simulators.personas import GRETA, KALLE, NILS  # noqa: E402
from simulators.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET  # noqa: E402
from simulators.signal_push import signal_body  # noqa: E402
from simulators.world import CASE_SYSTEMS  # noqa: E402

QUERY = """{ myPages { citizen { name } represents { basis citizen { name } }
  cases(first: 100) { totalCount edges { node { caseNumber title status system { id } } } }
  events(first: 50) { edges { node { occurredAt kind summary concerns { name } } } }
  unavailableSystems { id } } }"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def signed_headers(body: bytes, secret: str, batch: bool = False) -> dict[str, str]:
    message_id = f"msg_{secrets.token_hex(8)}"
    now = datetime.now(UTC)
    return {
        "content-type": "application/cloudevents-batch+json"
        if batch
        else "application/cloudevents+json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body.decode()),
    }


async def samples(client: httpx.AsyncClient) -> list[Sample]:
    text = (await client.get("/metrics")).text
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


async def metric(client: httpx.AsyncClient, name: str) -> float:
    """An unlabelled sample's value (0 while absent), e.g. knutpunkt_signals_applied_total."""
    return sum(s.value for s in await samples(client) if s.name == name and not s.labels)


async def upstream(client: httpx.AsyncClient) -> dict[str, int]:
    """HTTP attempts per source system so far (every outcome), from the upstream histogram."""
    found: dict[str, int] = {}
    for sample in await samples(client):
        if sample.name == "knutpunkt_upstream_request_duration_seconds_count":
            system = sample.labels["system"]
            found[system] = found.get(system, 0) + int(sample.value)
    return found


async def wait_applied(client: httpx.AsyncClient, target: float, within: float = 300) -> None:
    deadline = time.monotonic() + within
    while await metric(client, "knutpunkt_signals_applied_total") < target:
        if time.monotonic() > deadline:
            raise RuntimeError("signals not applied in time")
        await asyncio.sleep(0.02)


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="knutpunkt-signals-bench-"))
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    env = {
        **os.environ,
        "KNUTPUNKT_DEMO_KEY_FILE": str(tmp / "demo.jwk"),
        "PYTHONPATH": str(ROOT),
    }
    issuer = DemoIssuer(tmp / "demo.jwk")
    world = generate(seed=1, reference_date=date.today(), scale=args.scale)
    rng = random.Random(7)
    every_case = [c for system in CASE_SYSTEMS for c in world.cases[system]]
    picked = rng.sample(every_case, args.signals)
    hub = f"http://127.0.0.1:{args.port}"
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "sandbox", "--scale", str(args.scale),
         "--base-port", str(args.base_port), "--signals-to", f"{hub}/signals", "--signal-secret", secret],
        cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert sandbox.stdout is not None
    urls = dict(sandbox.stdout.readline().split() for _ in range(10))
    inbox_url = f"sqlite:///{tmp / 'signals.db'}"
    sections = [
        f'[demo]\nenabled = true\nkey_file = "{tmp / "demo.jwk"}"\n',
        f'[audit]\nurl = "sqlite:///{tmp / "audit.db"}"\n',
        f'[casestore]\nurl = "sqlite:///{tmp / "casestore.db"}"\nrefresh_seconds = 3600.0\n',
        f'[signals]\nurl = "{inbox_url}"\n',
    ]
    for system, url in urls.items():
        section = f'[systems.{system}]\nurl = "{url}"\n'
        if system in CASE_SYSTEMS:
            section += f'signals = true\nsignal_secret = "{secret}"\n'
        if system == "folkbokforing":
            section += (
                f'token_url = "{url}/oauth/token"\n'
                f'client_id = "{DEMO_CLIENT_ID}"\nclient_secret = "{DEMO_CLIENT_SECRET}"\n'
            )
        sections.append(section)
    config = tmp / "knutpunkt.toml"
    config.write_text("\n".join(sections), encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(args.port), "--config", str(config)],
        cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    report: list[str] = []
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if line.startswith("GraphiQL"):
                break
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=hub, timeout=60, limits=limits) as client:
            # let the case store's first sync finish so that it does not compete
            for _ in range(600):
                body = (
                    await client.post(
                        "/graphql", json={"query": "{ sourceSystems { id lastSyncedAt } }"}
                    )
                ).json()
                if all(
                    s["lastSyncedAt"]
                    for s in body["data"]["sourceSystems"]
                    if s["id"] in CASE_SYSTEMS
                ):
                    break
                await asyncio.sleep(0.1)

            # --- throughput: one signal per case, N cases ------------------------------
            bodies = [
                signal_body(
                    c.system,
                    c.id,
                    case_number=c.number,
                    personal_numbers=sorted(set(c.persons())),
                    kind="NOTICE",
                    at=datetime.now(UTC),
                )[1]
                for c in picked
            ]
            queue = list(bodies)
            since = datetime.now(UTC)
            started = time.perf_counter()

            async def sender() -> None:
                while queue:
                    body = queue.pop()
                    response = await client.post(
                        "/signals", content=body, headers=signed_headers(body, secret)
                    )
                    if response.status_code != 202:
                        raise RuntimeError(f"refused: {response.status_code} {response.text}")

            await asyncio.gather(*(sender() for _ in range(16)))
            accepted_s = time.perf_counter() - started
            await wait_applied(client, len(bodies))
            applied_s = time.perf_counter() - started
            inbox = await Inbox(inbox_url).open()
            lags = [x * 1000 for x in await inbox.lags(since)]
            await inbox.close()
            report += [
                f"throughput: {len(bodies)} signals for {len(bodies)} different cases, 16 senders",
                f"  accepted: {len(bodies) / accepted_s:.0f} signals/s ({accepted_s:.2f} s)",
                f"  applied:  {len(bodies) / applied_s:.0f} signals/s ({applied_s:.2f} s, each case fetched live)",
                f"  202->applied lag: p50 {percentile(lags, 50):.0f} ms  p99 {percentile(lags, 99):.0f} ms  max {max(lags):.0f} ms",
            ]

            # --- a flood for one case ---------------------------------------------------
            case = world.cases_of("byggr", [KALLE])[0]
            before_calls = (await upstream(client)).get("byggr", 0)
            applied_before = await metric(client, "knutpunkt_signals_applied_total")
            started = time.perf_counter()
            for _ in range(args.signals // 100):
                batch = [
                    json.loads(
                        signal_body(
                            "byggr",
                            case.id,
                            case_number=case.number,
                            personal_numbers=[KALLE],
                            kind="NOTICE",
                            at=datetime.now(UTC),
                        )[1]
                    )
                    for _ in range(100)
                ]
                body = json.dumps(batch).encode()
                response = await client.post(
                    "/signals", content=body, headers=signed_headers(body, secret, batch=True)
                )
                assert response.status_code == 202, response.text
            await wait_applied(client, applied_before + args.signals // 100 * 100)
            flood_s = time.perf_counter() - started
            refreshes = (await upstream(client)).get("byggr", 0) - before_calls
            report += [
                f"flood: {args.signals // 100 * 100} signals for one case in batches of 100: applied in {flood_s:.2f} s, {refreshes} upstream refresh(es)",
            ]

            # --- Mina Sidor with signalling systems cached --------------------------------
            kalle = issuer.issue("citizen", KALLE)

            async def one() -> float:
                t = time.perf_counter()
                response = await client.post(
                    "/graphql", json={"query": QUERY}, headers={"authorization": f"Bearer {kalle}"}
                )
                assert response.status_code == 200 and not response.json().get("errors"), (
                    response.text
                )
                return (time.perf_counter() - t) * 1000

            first = await one()
            for _ in range(10):
                await one()
            calls_before = await upstream(client)
            warm = [await one() for _ in range(args.requests)]
            calls_after = await upstream(client)
            per_query = {
                s: (calls_after[s] - calls_before.get(s, 0)) / args.requests
                for s in calls_after
                if calls_after[s] != calls_before.get(s, 0)
            }
        async with httpx.AsyncClient(base_url=urls["procapita"], timeout=30) as http:
            direct = ProcapitaConnector(UpstreamClient("procapita", http))
            slowest = []
            for _ in range(args.requests):
                t = time.perf_counter()
                await direct.cases_for_persons([KALLE, NILS, GRETA])
                slowest.append((time.perf_counter() - t) * 1000)
        report += [
            f"Mina Sidor (Kalle), signalling systems cached: first {first:.1f} ms, warm p50 {percentile(warm, 50):.1f} ms  p95 {percentile(warm, 95):.1f} ms",
            f"  upstream calls per warm query: {per_query or 'none'}",
            f"  slowest system alone (procapita, same search): p50 {percentile(slowest, 50):.1f} ms",
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
        sandbox.terminate()
        sandbox.wait(timeout=30)
    print(
        f"Signals benchmark (scale {args.scale}, {len(world.persons)} persons, {world.case_count()} cases)"
    )
    print("\n".join(report))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signals", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--base-port", type=int, default=9320)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
