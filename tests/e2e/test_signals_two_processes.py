"""Two gateway processes in production mode (`knutpunkt serve --config`) sharing Redis and
PostgreSQL, behind `knutpunkt sandbox` whose systems signal gateway A: an event recorded
in ByggR shows in Kalle's Mina Sidor on gateway B within two seconds, although B's view
was cached (its warm reads made no call to ByggR). Once with one Redis cache for both
(and the Redis bus), once with a cache per process, where only the bus (PostgreSQL
LISTEN/NOTIFY over the shared inbox's database) can tell B."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from joserfc.jwk import KeySet
from kp_idp import AUDIENCE, ISSUER, FakeIdp
from kp_procs import free_port, knutpunkt, sample_total, served_json, toml, upstream_calls

from signals.inbox import Inbox
from simulators import personas
from simulators.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from simulators.world import CASE_SYSTEMS, SYSTEMS

pytestmark = [pytest.mark.sockets, pytest.mark.redis, pytest.mark.postgres]

PG = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_DB = 9
#: the scrapers' token: production `/metrics` on the gateway's port asks for one
METRICS_TOKEN = "e2e-two-processes"
MY_PAGES = """{ myPages {
  cases(first: 100) { edges { node { caseNumber system { id } } } }
  events(first: 300) { edges { node { kind summary case { caseNumber system { id } } } } }
  unavailableSystems { id }
} }"""


@dataclass
class Gateways:
    a: httpx.AsyncClient
    b: httpx.AsyncClient
    systems: dict[str, str]
    token: str
    prefix: str


def gateway_config(
    workdir: Path,
    name: str,
    systems: dict[str, str],
    jwks_url: str,
    secret: str,
    prefix: str,
    cache_url: str,
) -> Path:
    """Gateway `name`'s TOML: production mode, the sandbox's systems (case systems
    signalling), the test IdP, Redis and the PostgreSQL inbox shared, its own SQLite files."""
    sections: dict[str, dict[str, object]] = {
        "gateway": {"requests_per_minute": 0},
        "oidc": {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": jwks_url},
        "demo": {"enabled": False},
        "audit": {"url": f"sqlite:///{workdir}/{name}-audit.db"},
        "cache": {"url": cache_url},
        # one pull at start-up, then none during the test (signals do the rest)
        "casestore": {"url": f"sqlite:///{workdir}/{name}-casestore.db", "refresh_seconds": 3600},
        "signals": {"url": PG, "prefix": prefix},
        "notify": {"enabled": False, "url": f"sqlite:///{workdir}/{name}-notify.db"},
        "metrics": {"token": METRICS_TOKEN},
    }
    for system in SYSTEMS:
        conf: dict[str, object] = {"url": systems[system]}
        if system in CASE_SYSTEMS:
            conf.update(signals=True, signal_secret=secret)
        if system == "folkbokforing":
            conf.update(
                token_url=f"{systems[system]}/oauth/token",
                client_id=DEMO_CLIENT_ID,
                client_secret=DEMO_CLIENT_SECRET,
            )
        sections[f"systems.{system}"] = conf
    path = workdir / f"{name}.toml"
    path.write_text(toml(sections), encoding="utf-8")
    return path


async def flush_redis() -> None:
    client = redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}")
    await client.flushdb()
    await client.aclose()


@contextmanager
def processes(
    workdir: Path, prefix: str, idp: FakeIdp, cache_url: str
) -> Iterator[tuple[dict[str, str], str, str]]:
    """The sandbox (signalling A) and gateways A and B as processes, stopped at the end:
    the systems' URLs, A's URL and B's URL."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    port_a, port_b = free_port(), free_port()
    with ExitStack() as stack:
        jwks_url = stack.enter_context(
            served_json("/jwks.json", KeySet([idp.key]).as_dict(private=False))
        )
        sandbox = stack.enter_context(
            knutpunkt(
                [
                    "sandbox",
                    "--base-port",
                    "0",
                    "--scale",
                    "0.05",
                    "--signals-to",
                    f"http://127.0.0.1:{port_a}/signals",
                    "--signal-secret",
                    secret,
                ],
                workdir,
                "sandbox",
            )
        )
        systems = sandbox.read_until("sms")
        urls = []
        for name, port in (("a", port_a), ("b", port_b)):
            config = gateway_config(workdir, name, systems, jwks_url, secret, prefix, cache_url)
            gateway = stack.enter_context(
                knutpunkt(
                    ["serve", "--config", str(config), "--port", str(port)],
                    workdir,
                    name,
                    KNUTPUNKT_METRICS_TOKEN=METRICS_TOKEN,
                )
            )
            gateway.read_until("GraphiQL")
            urls.append(f"http://127.0.0.1:{port}")
        yield systems, urls[0], urls[1]


@pytest.fixture(params=["redis", "memory"])
async def gateways(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Gateways]:
    """redis: one cache for both (and the Redis bus); memory: a cache per process, so B
    hears of the signal only over the bus (PostgreSQL LISTEN/NOTIFY)."""
    cache_url = f"redis://127.0.0.1:6379/{REDIS_DB}" if request.param == "redis" else "memory://"
    prefix = f"e2e2p{uuid.uuid4().hex[:10]}_"
    idp = FakeIdp()
    await flush_redis()
    try:
        with processes(tmp_path, prefix, idp, cache_url) as (systems, url_a, url_b):
            async with (
                httpx.AsyncClient(base_url=url_a, timeout=30) as a,
                httpx.AsyncClient(base_url=url_b, timeout=30) as b,
            ):
                yield Gateways(a, b, systems, idp.token("citizen", personas.KALLE), prefix)
    finally:  # the processes have stopped
        await flush_redis()
        inbox = await Inbox(PG, prefix=prefix).open()
        await inbox.drop_tables()
        await inbox.close()


async def metrics(client: httpx.AsyncClient) -> str:
    auth = {"authorization": f"Bearer {METRICS_TOKEN}"}
    response = await client.get("/metrics", headers=auth)
    assert response.status_code == 200, response.text
    return response.text


async def case_system_calls(client: httpx.AsyncClient) -> dict[str, int]:
    calls = upstream_calls(await metrics(client))
    return {s: n for s, n in calls.items() if s in CASE_SYSTEMS}


async def synced(client: httpx.AsyncClient, token: str) -> None:
    """Until the gateway's case store has pulled every case system once."""
    query = {"query": "{ sourceSystems { id lastSyncedAt } }"}
    deadline = time.monotonic() + 60
    while True:
        response = await client.post(
            "/graphql", json=query, headers={"authorization": f"Bearer {token}"}
        )
        body = response.json()
        assert "errors" not in body, body
        pending = [
            s["id"]
            for s in body["data"]["sourceSystems"]
            if s["id"] in CASE_SYSTEMS and not s["lastSyncedAt"]
        ]
        if not pending:
            return
        assert time.monotonic() < deadline, f"not synced: {pending}"
        await asyncio.sleep(0.1)


async def my_pages(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": MY_PAGES}, headers={"authorization": f"Bearer {token}"}
    )
    body = response.json()
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["myPages"]
    return page


async def test_a_signal_accepted_by_gateway_a_updates_gateway_b_within_2_s(
    gateways: Gateways,
) -> None:
    a, b, token = gateways.a, gateways.b, gateways.token
    await synced(a, token)
    await synced(b, token)

    first = await my_pages(b, token)  # fills the shared cache
    assert first["unavailableSystems"] == []
    numbers = [
        e["node"]["caseNumber"]
        for e in first["cases"]["edges"]
        if e["node"]["system"]["id"] == "byggr"
    ]
    assert numbers, first["cases"]
    case_number = numbers[0]
    calls = await case_system_calls(b)
    for _ in range(2):  # warm: from the cache
        assert await my_pages(b, token) == first
    assert await case_system_calls(b) == calls  # not one call to a case system

    summary = f"Slutbesked utfärdat {uuid.uuid4().hex[:6]}"
    new_event = {
        "node": {
            "kind": "DECIDED",
            "summary": summary,
            "case": {"caseNumber": case_number, "system": {"id": "byggr"}},
        }
    }
    assert new_event not in first["events"]["edges"]
    started = time.monotonic()
    response = await a.post(
        f"{gateways.systems['byggr']}/_admin/case-events",
        json={"caseNumber": case_number, "kind": "DECIDED", "summary": summary},
    )
    assert response.status_code == 201, response.text
    while True:
        page = await my_pages(b, token)
        if new_event in page["events"]["edges"]:
            delay = time.monotonic() - started
            break
        assert time.monotonic() - started < 2.0, "gateway B still shows the old events"
        await asyncio.sleep(0.05)
    print(f"gateway B showed the event {delay * 1000:.0f} ms after it was recorded")
    assert delay < 2.0
    # B's page is the old one plus that event
    assert [e for e in page["events"]["edges"] if e != new_event] == first["events"]["edges"]

    # the signal went to A only, through the shared inbox, and was applied once
    assert sample_total(await metrics(a), "knutpunkt_signals_received_total") == 1
    assert sample_total(await metrics(b), "knutpunkt_signals_received_total") == 0
    inbox = await Inbox(PG, prefix=gateways.prefix).open()
    try:
        for _ in range(40):
            if await inbox.counts() == {"done": 1}:
                break
            await asyncio.sleep(0.05)
        assert await inbox.counts() == {"done": 1}
        assert sorted(await inbox.last_signal_at()) == ["byggr"]
    finally:
        await inbox.close()
