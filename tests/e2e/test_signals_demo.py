"""The demo as a user runs it (`knutpunkt serve`): the sandbox signals the gateway, so
an event recorded in a sandbox system reaches Mina Sidor and an open subscription
within two seconds, and Mina Sidor reads in between cost no upstream call."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kp_live import subscriber
from kp_procs import citizen_token, demo_env, demo_serve, free_port
from kp_scrape import by, scrape

from simulators import personas

pytestmark = pytest.mark.sockets

CASE_SYSTEMS = (
    "diarium",
    "byggr",
    "procapita",
    "ecos",
    "teknik",
    "edu",
    "kontaktcenter",
    "eservice",
)
MY_PAGES = "{ myPages { events(first: 300) { edges { node { kind summary } } } unavailableSystems { id } } }"
UPSTREAM = "knutpunkt_upstream_request_duration_seconds_count"


async def upstream_calls(client: httpx.AsyncClient) -> dict[str, int]:
    """HTTP attempts per case system so far (every outcome), from /metrics."""
    calls = by(await scrape(client), UPSTREAM, "system")
    return {s: int(n) for (s,), n in calls.items() if s in CASE_SYSTEMS}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], str]]:
    """`knutpunkt serve` (the demo): its URL, the sandbox systems' URLs, Kalle's token."""
    port = free_port()
    # no background pull during the measurement (the first sync still runs)
    quiet = {"KNUTPUNKT_CASESTORE_REFRESH_SECONDS": "3600"}
    with demo_serve(tmp_path, port, **quiet) as proc:
        token = citizen_token(demo_env(tmp_path, **quiet), personas.KALLE)
        yield f"http://127.0.0.1:{port}", proc.lines, token


async def test_the_demo_signals_itself(demo: tuple[str, dict[str, str], str]) -> None:
    url, systems, token = demo
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def synced() -> bool:
            body = (
                await client.post(
                    "/graphql", json={"query": "{ sourceSystems { id lastSyncedAt } }"}
                )
            ).json()
            return all(
                s["lastSyncedAt"] for s in body["data"]["sourceSystems"] if s["id"] in CASE_SYSTEMS
            )

        for _ in range(300):
            if await synced():
                break
            await asyncio.sleep(0.1)

        async def my_pages() -> dict[str, object]:
            body = (await client.post("/graphql", json={"query": MY_PAGES}, headers=headers)).json()
            assert "errors" not in body, body
            page: dict[str, object] = body["data"]["myPages"]
            return page

        before = await my_pages()
        assert before["unavailableSystems"] == []
        calls = await upstream_calls(client)
        for _ in range(3):
            assert await my_pages() == before
        assert (
            await upstream_calls(client) == calls
        )  # zero upstream calls: signalling systems are cached

        async with subscriber(url, {"Authorization": f"Bearer {token}"}) as sub:
            assert await sub.next() == {"type": "connection_ack"}
            await sub.subscribe(
                "subscription { myCaseEvents { kind summary case { system { id } } } }"
            )
            started = time.monotonic()
            response = await client.post(
                f"{systems['byggr']}/_admin/case-events",
                json={
                    "caseNumber": "BN 2026/0193",
                    "kind": "DECIDED",
                    "summary": "Startbesked lämnat",
                },
            )
            assert response.status_code == 201, response.text
            message = await sub.next(timeout=2.0)
            assert message["payload"] == {
                "data": {
                    "myCaseEvents": {
                        "kind": "DECIDED",
                        "summary": "Startbesked lämnat",
                        "case": {"system": {"id": "byggr"}},
                    }
                }
            }
            while True:
                page = await my_pages()
                if {"node": {"kind": "DECIDED", "summary": "Startbesked lämnat"}} in page["events"][
                    "edges"
                ]:  # type: ignore[index]
                    break
                assert time.monotonic() - started < 2.0, json.dumps(page)[:300]
                await asyncio.sleep(0.05)
        after = await upstream_calls(client)
        # the one call: the processor fetching the changed case
        assert {s: after[s] - calls[s] for s in after if after[s] != calls[s]} == {"byggr": 1}
