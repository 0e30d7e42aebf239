"""Several gateway processes: a signal accepted by one is applied in every one's view
within two seconds — with a shared Redis cache (Redis pub/sub) and with per-process
caches over one PostgreSQL inbox (LISTEN/NOTIFY)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from kp_signals import eventually, signalling_env, signed

from signals.inbox import Inbox
from simulators import personas
from simulators.signal_push import signal_body
from simulators.world import World

PG = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_DB = 13
MY_PAGES = "{ myPages { events(first: 300) { edges { node { kind summary } } } } }"


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    name = f"sigt{uuid.uuid4().hex[:10]}_"
    yield name
    inbox = await Inbox(PG, prefix=name).open()
    await inbox.drop_tables()
    await inbox.close()


async def flush_redis() -> None:
    client = redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}")
    await client.flushdb()
    await client.aclose()


async def summaries(gw: Any, token: str) -> list[str]:
    body = await gw.query(MY_PAGES, token=token)
    assert "errors" not in body, body
    return [e["node"]["summary"] for e in body["data"]["myPages"]["events"]["edges"]]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("cache", ["redis", "memory"])
async def test_a_signal_accepted_by_one_gateway_updates_the_other_within_2_s(
    cache: str, start_gateway: Any, make_settings: Any, prefix: str, sandbox: Any, world: World
) -> None:
    cache_url = f"redis://127.0.0.1:6379/{REDIS_DB}" if cache == "redis" else "memory://"
    if cache == "redis":
        await flush_redis()
    settings = make_settings(
        **signalling_env(
            ("byggr",),
            KNUTPUNKT_SIGNALS_URL=PG,
            KNUTPUNKT_SIGNALS_PREFIX=prefix,
            KNUTPUNKT_CACHE_URL=cache_url,
        )
    )
    case = world.cases_of("byggr", [personas.KALLE])[0]
    summary = f"Slutbesked utfärdat ({cache})"
    async with start_gateway(settings) as a, start_gateway(settings) as b:
        token = a.token("citizen", personas.KALLE)
        assert a.app.state.knutpunkt.signals.bus.kind == (
            "redis" if cache == "redis" else "postgres"
        )
        before = await summaries(b, token)
        assert summary not in before
        b.reset_counts()
        assert await summaries(b, token) == before
        assert b.upstream_calls().get("byggr", 0) == 0  # b's view is cached

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sandbox.apps["byggr"]), base_url="http://sim"
        ) as sim:
            # the system records the event but its own push is off: we deliver to `a` by hand
            response = await sim.post(
                "/_admin/case-events",
                json={"caseId": case.id, "kind": "DECIDED", "summary": summary},
            )
            assert response.status_code == 201
        _, body = signal_body(
            "byggr",
            case.id,
            case_number=case.number,
            personal_numbers=[personas.KALLE],
            kind="DECIDED",
            at=datetime.now(UTC),
        )
        headers = {**signed(body), "content-type": "application/cloudevents+json"}
        response = await a.client.post("/signals", content=body, headers=headers)
        assert (response.status_code, response.json()) == (202, {"accepted": 1})

        async def b_sees_it() -> bool:
            return summary in await summaries(b, token)

        await eventually(b_sees_it, timeout=2.0)
        signals_a = a.app.state.knutpunkt.signals

        async def marked_done() -> bool:  # (b may see the case a moment before that)
            return await signals_a.inbox.counts() == {"done": 1}

        await eventually(marked_done)
        assert json.loads(json.dumps(sorted(await signals_a.inbox.last_signal_at()))) == ["byggr"]
