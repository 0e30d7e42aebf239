"""Benchmark: Kalle's Mina Sidor through the demo gateway, with the sandbox's real latencies.

A command, not a test:

    .venv/bin/python bench/mina_sidor.py [--requests 200] [--scale 1] [--port 8765]

Starts `knutpunkt sandbox` (the ten systems with their default latencies: procapita
~150 ms is the slowest) and `knutpunkt serve --config` (the gateway alone, pointed at
the sandbox, demo tokens trusted) as two processes, as in production where the
gateway does not share a CPU with the systems it calls. Then it measures from this
process over real sockets:

- cold: the first Mina Sidor of 40 different citizens (their population-register and
  mandate answers not yet cached);
- warm: Kalle's Mina Sidor repeated, at 1 and at 32 concurrent clients;
- upstream calls per query, read from the gateway's /metrics.

Targets (issue 3): warm p50 within 15 ms of the slowest system's latency; exactly one
call per relevant system per query.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.http import UpstreamClient  # noqa: E402
from connectors.procapita import ProcapitaConnector  # noqa: E402
from gateway.issuer import DemoIssuer  # noqa: E402
from simulators.generate import generate  # noqa: E402
from simulators.personas import GRETA, KALLE, NILS  # noqa: E402
from simulators.sandbox import DEFAULT_LATENCY_MS, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET  # noqa: E402

QUERY = """{ myPages { citizen { name } represents { basis citizen { name } }
  cases(first: 100) { totalCount edges { node { caseNumber title status system { id } } } }
  events(first: 50) { edges { node { occurredAt kind summary concerns { name } } } }
  unavailableSystems { id } } }"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def metrics(client: httpx.AsyncClient) -> dict[str, int]:
    """HTTP attempts per source system so far (every outcome), from the demo's /metrics."""
    text = (await client.get("/metrics")).text
    found: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "knutpunkt_upstream_request_duration_seconds_count":
                system = sample.labels["system"]
                found[system] = found.get(system, 0) + int(sample.value)
    return found


async def one(client: httpx.AsyncClient, token: str) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/graphql", json={"query": QUERY}, headers={"authorization": f"Bearer {token}"}
    )
    elapsed = time.perf_counter() - started
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"query failed: {response.status_code} {body.get('errors')}")
    return elapsed * 1000


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="knutpunkt-bench-"))
    env = {
        **os.environ,
        "KNUTPUNKT_DEMO_KEY_FILE": str(tmp / "demo.jwk"),
        "KNUTPUNKT_DEMO_SCALE": str(args.scale),
        "KNUTPUNKT_DEMO_BASE_PORT": str(args.base_port),
        "KNUTPUNKT_CASESTORE_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
    }
    issuer = DemoIssuer(tmp / "demo.jwk")
    world = generate(seed=1, reference_date=date.today(), scale=args.scale)
    rng = random.Random(7)
    citizens = [p for p in world.persons.values() if not p.protected and p.pnr[:4] < "2000"]
    cold_people = [p.pnr for p in rng.sample(citizens, 40)]
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "sandbox",
            "--scale",
            str(args.scale),
            "--base-port",
            str(args.base_port),
        ],
        cwd=tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert sandbox.stdout is not None
    urls = dict(sandbox.stdout.readline().split() for _ in range(10))
    config = tmp / "knutpunkt.toml"
    sections = [
        f'[demo]\nenabled = true\nkey_file = "{tmp / "demo.jwk"}"\n',
        f'[audit]\nurl = "sqlite:///{tmp / "audit.db"}"\n',
        "[casestore]\nenabled = false\n",
        # one token hammers the gateway here: the per-caller rate limit is not measured
        "[gateway]\nrequests_per_minute = 0\n",
    ]
    for system, url in urls.items():
        section = f'[systems.{system}]\nurl = "{url}"\n'
        if system == "folkbokforing":  # the sandbox's register wants OAuth2 client credentials
            section += (
                f'token_url = "{url}/oauth/token"\n'
                f'client_id = "{DEMO_CLIENT_ID}"\nclient_secret = "{DEMO_CLIENT_SECRET}"\n'
            )
        sections.append(section)
    config.write_text("\n".join(sections), encoding="utf-8")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "serve",
            "--port",
            str(args.port),
            "--config",
            str(config),
        ],
        cwd=tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if line.startswith("GraphiQL"):
                break
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{args.port}", timeout=30, limits=limits
        ) as client:
            kalle = issuer.issue("citizen", KALLE)
            cold = [await one(client, issuer.issue("citizen", pnr)) for pnr in cold_people]
            first_kalle = await one(client, kalle)
            for _ in range(10):  # warm-up
                await one(client, kalle)
            before = await metrics(client)
            warm = [await one(client, kalle) for _ in range(args.requests)]
            after = await metrics(client)
            per_query = {
                s: (after.get(s, 0) - before.get(s, 0)) / args.requests for s in sorted(after)
            }
            started = time.perf_counter()
            for _ in range(args.requests):
                await one(client, kalle)
            rps_1 = args.requests / (time.perf_counter() - started)

            async def worker(n: int) -> list[float]:
                return [await one(client, kalle) for _ in range(n)]

            concurrent_total = args.requests * 2
            started = time.perf_counter()
            results = await asyncio.gather(*(worker(concurrent_total // 32) for _ in range(32)))
            rps_32 = (concurrent_total // 32) * 32 / (time.perf_counter() - started)
            lat_32 = [x for r in results for x in r]
        # the slowest system on its own: the same batched search, straight from here
        async with httpx.AsyncClient(base_url=urls["procapita"], timeout=30) as http:
            direct = ProcapitaConnector(UpstreamClient("procapita", http))
            slowest_ms = []
            for _ in range(args.requests):
                started = time.perf_counter()
                await direct.cases_for_persons([KALLE, NILS, GRETA])
                slowest_ms.append((time.perf_counter() - started) * 1000)
    finally:
        server.terminate()
        server.wait(timeout=30)
        sandbox.terminate()
        sandbox.wait(timeout=30)
    slowest = max(DEFAULT_LATENCY_MS.items(), key=lambda kv: kv[1][0])
    print(
        f"Mina Sidor benchmark (scale {args.scale}, {len(world.persons)} persons, {world.case_count()} cases)"
    )
    print(f"slowest system: {slowest[0]} {slowest[1][0]} ms (+ up to {slowest[1][1]} ms jitter)")
    print(
        f"cold (first query of 40 citizens): p50 {percentile(cold, 50):.1f} ms  p95 {percentile(cold, 95):.1f} ms"
    )
    print(f"Kalle's first query: {first_kalle:.1f} ms")
    print(
        f"warm, 1 client:   p50 {percentile(warm, 50):.1f} ms  p95 {percentile(warm, 95):.1f} ms  {rps_1:.1f} req/s"
    )
    print(
        f"warm, 32 clients: p50 {percentile(lat_32, 50):.1f} ms  p95 {percentile(lat_32, 95):.1f} ms  {rps_32:.1f} req/s"
    )
    print(
        "upstream calls per warm query: " + ", ".join(f"{s} {n:.2f}" for s, n in per_query.items())
    )
    direct_p50 = percentile(slowest_ms, 50)
    print(f"procapita alone (same search, straight from the client): p50 {direct_p50:.1f} ms")
    overhead = percentile(warm, 50) - direct_p50
    verdict = "met" if overhead <= 15 else "NOT met"
    print(
        f"gateway p50 over the slowest system's p50: {overhead:.1f} ms (target <= 15 ms: {verdict})"
    )
    print(f"(mean of warm, 1 client: {statistics.mean(warm):.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--base-port", type=int, default=9300)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
