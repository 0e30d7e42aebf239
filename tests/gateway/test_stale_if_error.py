"""Stale-if-error through the whole app, on the memory and the Redis cache: a system
that is down (or whose circuit is open) has its last case lists shown, marked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis_client

from simulators import personas

MY_PAGES = """{ myPages {
  cases { edges { node { caseNumber title status system { id } } } }
  unavailableSystems { id }
  staleSystems { id healthy cachedAnswerAgeSeconds }
} }"""
#: a Redis database of this test file's own (the tests of other files use others)
REDIS_DB = 14


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def cache_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if request.param == "memory":
        yield "memory://"
        return
    redis = redis_client.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    await redis.flushdb()
    try:
        yield f"redis://127.0.0.1:6379/{REDIS_DB}"
    finally:
        await redis.flushdb()
        await redis.aclose()


def _byggr(body: dict[str, Any]) -> list[dict[str, Any]]:
    edges = body["data"]["myPages"]["cases"]["edges"]
    return [e["node"] for e in edges if e["node"]["system"]["id"] == "byggr"]


async def test_a_down_system_shows_its_last_case_list_marked_stale(
    cache_url: str, make_settings: Any, start_gateway: Any
) -> None:
    settings = make_settings(KNUTPUNKT_CACHE_URL=cache_url)
    assert settings.gateway.stale_if_error_seconds == 3600  # the default
    async with start_gateway(settings) as gw:
        token = gw.token("citizen", personas.KALLE)
        live = await gw.query(MY_PAGES, token=token)
        assert "errors" not in live
        assert _byggr(live) != []  # Kalle's building permit
        await gw.faults("byggr", down=True)

        for _ in range(3):  # down, then (after 5 failures) with its circuit open
            body = await gw.query(MY_PAGES, token=token)
            [error] = body["errors"]
            age = error["extensions"]["ageSeconds"]
            assert 0 <= age <= 30
            assert error["extensions"] == {
                "code": "STALE_DATA",
                "system": "byggr",
                "ageSeconds": age,
            }
            assert "byggr" in error["message"]
            assert body["data"]["myPages"]["unavailableSystems"] == []
            assert body["data"]["myPages"]["staleSystems"] == [
                {"id": "byggr", "healthy": False, "cachedAnswerAgeSeconds": age}
            ]
            assert _byggr(body) == _byggr(live)
            # everything else is as live as before
            assert body["data"]["myPages"]["cases"] == live["data"]["myPages"]["cases"]
        assert gw.app.state.knutpunkt.connectors.clients["byggr"].breaker.is_open


async def test_no_stale_answer_when_turned_off_or_too_old(
    cache_url: str, make_settings: Any, start_gateway: Any
) -> None:
    for max_age, pause in (("0", 0.0), ("1", 1.5)):
        settings = make_settings(
            KNUTPUNKT_CACHE_URL=cache_url, KNUTPUNKT_GATEWAY_STALE_IF_ERROR_SECONDS=max_age
        )
        async with start_gateway(settings) as gw:
            token = gw.token("citizen", personas.KALLE)
            assert _byggr(await gw.query(MY_PAGES, token=token)) != []
            await gw.faults("byggr", down=True)
            await asyncio.sleep(pause)
            body = await gw.query(MY_PAGES, token=token)
            await gw.faults("byggr")
            assert [e["extensions"] for e in body["errors"]] == [
                {"code": "UPSTREAM_UNAVAILABLE", "system": "byggr"}
            ]
            assert _byggr(body) == []
            assert body["data"]["myPages"]["staleSystems"] == []
            assert body["data"]["myPages"]["unavailableSystems"] == [{"id": "byggr"}]
