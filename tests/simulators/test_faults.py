"""Fault injection through the admin endpoint, on a tiny app (the sandbox uses the same middleware)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from simulators.faults import FaultInjector, Faults
from simulators.oauth import TokenGate, TokenService


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "världen", "padding": "x" * 100})


def _client(injector: FaultInjector) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=injector), base_url="http://sim.test"
    )


@pytest.fixture
def injector() -> FaultInjector:
    return FaultInjector(
        Starlette(routes=[Route("/", hello)]), defaults=Faults(latency_ms=0), seed=7
    )


async def test_admin_round_trip(injector: FaultInjector) -> None:
    async with _client(injector) as client:
        put = await client.put("/_admin/faults", json={"latency_ms": 5, "down": True})
        assert put.status_code == 200
        assert put.json() == {
            "latency_ms": 5,
            "jitter_ms": 0,
            "error_rate": 0.0,
            "hang": False,
            "drip": False,
            "malformed": False,
            "down": True,
            "retry_after": 0,
        }
        down = await client.get("/")
        assert (down.status_code, down.headers.get("retry-after")) == (503, None)
        await client.put("/_admin/faults", json={"down": True, "retry_after": 7})
        down = await client.get("/")
        assert (down.status_code, down.headers.get("retry-after")) == (503, "7")
        assert (await client.delete("/_admin/faults")).json()["down"] is False
        assert (await client.get("/")).json()["hello"] == "världen"


@pytest.mark.parametrize(
    "body",
    [{"latency_ms": -1}, {"error_rate": 2}, {"hang": "yes"}, {"unknown": 1}, [1, 2]],
)
async def test_admin_rejects_bad_faults(injector: FaultInjector, body: object) -> None:
    async with _client(injector) as client:
        response = await client.put("/_admin/faults", json=body)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_faults"
        assert (await client.get("/_admin/faults")).json()["latency_ms"] == 0


async def test_latency(injector: FaultInjector) -> None:
    async with _client(injector) as client:
        await client.put("/_admin/faults", json={"latency_ms": 80})
        started = time.perf_counter()
        await client.get("/")
        assert time.perf_counter() - started >= 0.08


async def test_error_rate_is_a_rate(injector: FaultInjector) -> None:
    async with _client(injector) as client:
        await client.put("/_admin/faults", json={"error_rate": 0.5})
        codes = [(await client.get("/")).status_code for _ in range(200)]
        assert 60 < codes.count(500) < 140
        assert set(codes) == {200, 500}


async def test_malformed_body(injector: FaultInjector) -> None:
    async with _client(injector) as client:
        await client.put("/_admin/faults", json={"malformed": True})
        response = await client.get("/")
        with pytest.raises(ValueError):
            response.json()


async def test_drip_sends_the_same_body_slowly(injector: FaultInjector) -> None:
    async with _client(injector) as client:
        normal = (await client.get("/")).content
        await client.put("/_admin/faults", json={"drip": True})
        started = time.perf_counter()
        dripped = (await client.get("/")).content
        assert dripped == normal
        assert time.perf_counter() - started > 0.2


async def test_hang_never_answers(injector: FaultInjector) -> None:
    async with _client(injector) as client:
        await client.put("/_admin/faults", json={"hang": True})
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await client.get("/")


async def test_token_gate() -> None:
    tokens = TokenService({"client": "secret"})
    app = TokenGate(Starlette(routes=[Route("/", hello)]), tokens)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://s"
    ) as client:
        assert (await client.get("/")).status_code == 401
        bad = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("client", "wrong")
        )
        assert bad.status_code == 401
        wrong_grant = await client.post(
            "/oauth/token", data={"grant_type": "password"}, auth=("client", "secret")
        )
        assert wrong_grant.json() == {"error": "unsupported_grant_type"}
        good = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("client", "secret")
        )
        token = good.json()["access_token"]
        assert good.json()["token_type"] == "Bearer"
        ok = await client.get("/", headers={"authorization": f"Bearer {token}"})
        assert ok.json()["hello"] == "världen"
        forged = await client.get("/", headers={"authorization": "Bearer forged"})
        assert forged.status_code == 401
