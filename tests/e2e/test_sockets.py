"""End to end over real loopback sockets: ten simulators and the gateway under uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from kp_procs import free_port
from kp_worlds import wait_until

from gateway.serve import with_sandbox_urls
from simulators import personas

pytestmark = pytest.mark.sockets


@pytest.fixture
async def live(sandbox: Any, settings: Any, issuer: Any) -> AsyncIterator[tuple[str, Any]]:
    from gateway.app import create_app

    servers = await sandbox.serve("127.0.0.1", 0)
    settings = with_sandbox_urls(settings, sandbox.urls)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, timeout=5.0)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}", issuer
    finally:
        server.should_exit = True
        await task
        for sim in servers:
            sim.should_exit = True
        await asyncio.gather(*sandbox._tasks)


async def test_kalles_mina_sidor_over_real_sockets(live: tuple[str, Any]) -> None:
    url, issuer = live
    token = issuer.issue("citizen", personas.KALLE)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = (await client.get("/readyz")).json()
        assert ready["status"] == "ready"
        assert set(ready["systems"]) == {
            "diarium",
            "byggr",
            "procapita",
            "ecos",
            "teknik",
            "edu",
            "kontaktcenter",
            "eservice",
            "folkbokforing",
            "ombud",
        }
        response = await client.post(
            "/graphql",
            json={
                "query": "{ myPages { citizen { name } cases(first: 100) { totalCount } unavailableSystems { id } } }"
            },
            headers={"authorization": f"Bearer {token}"},
        )
        body = response.json()
        assert response.status_code == 200
        assert "errors" not in body, body
        assert body["data"]["myPages"]["citizen"]["name"] == "Kalle Testson"
        assert body["data"]["myPages"]["cases"]["totalCount"] >= 4
        assert body["data"]["myPages"]["unavailableSystems"] == []
        assert response.headers["x-request-id"]
        graphiql = await client.get("/graphql", headers={"accept": "text/html"})
        assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
