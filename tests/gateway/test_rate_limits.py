"""Per-caller rate limits and the per-staff budget of distinct persons read (issue 9,
item 4): `RATE_LIMITED`, 429 and `Retry-After`, logged and counted; in memory, and
shared by every replica through Redis."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis_client
from kp_scrape import Scrape, by, scrape
from kp_testing import away_from_window_end

from simulators import personas

VIEWER = "{ viewer { role } }"
LOOKUP = (
    'query ($p: String!) { citizen(personalNumber: $p, purpose: "Samtal") { citizen { name } } }'
)
PAIR = """query ($a: String!, $b: String!) {
  a: citizen(personalNumber: $a, purpose: "Samtal") { citizen { name } }
  b: citizen(personalNumber: $b, purpose: "Samtal") { citizen { name } } }"""


def assert_rate_limited(response: Any, window: int) -> None:
    assert response.status_code == 429
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window
    body = response.json()
    assert body.get("data") is None
    assert body["errors"] == [
        {
            "message": body["errors"][0]["message"],
            "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
        }
    ]


def counted(metrics: Scrape) -> dict[tuple[str, ...], float]:
    return by(metrics, "knutpunkt_rate_limited_total", "limit")


async def test_requests_per_caller_and_minute(
    make_settings: Any, start_gateway: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="knutpunkt.limits")
    await away_from_window_end(60)
    async with start_gateway(make_settings(KNUTPUNKT_GATEWAY_REQUESTS_PER_MINUTE="3")) as gw:
        kalle = gw.token("citizen", personas.KALLE)
        answers = [await gw.post(VIEWER, token=kalle) for _ in range(3)]
        refused = await gw.post(VIEWER, token=kalle)
        again = await gw.post(VIEWER, token=kalle)
        anna = await gw.post(VIEWER, token=gw.token("citizen", personas.ANNA))
        anonymous = await gw.post(VIEWER)
        metrics = await scrape(gw.client)
    assert [a.json() for a in answers] == [{"data": {"viewer": {"role": "CITIZEN"}}}] * 3
    assert_rate_limited(refused, 60)
    assert_rate_limited(again, 60)
    assert anna.json() == {"data": {"viewer": {"role": "CITIZEN"}}}  # another caller
    assert anonymous.json() == {"data": {"viewer": {"role": "PUBLIC"}}}
    assert counted(metrics) == {("requests",): 2}
    # logged once per caller and window, not once per refusal
    assert [r.getMessage().split(" subject=")[0] for r in caplog.records] == [
        "rate limited: limit=requests role=CITIZEN"
    ]


async def test_a_staff_members_budget_of_distinct_persons(
    make_settings: Any, start_gateway: Any
) -> None:
    await away_from_window_end(3600)
    settings = make_settings(KNUTPUNKT_GATEWAY_STAFF_PERSONS_PER_HOUR="3")
    async with start_gateway(settings) as gw:
        agent = gw.token("contact_centre", name="Maja KC")
        first = await gw.query(LOOKUP, {"p": personas.ANNA}, agent)
        second = await gw.query(LOOKUP, {"p": personas.BENGT}, agent)
        same_again = await gw.query(LOOKUP, {"p": personas.ANNA}, agent)  # no new person
        # two more persons in one request of aliases: over the budget, no data leaves
        harvest = await gw.post(PAIR, {"a": personas.LISA, "b": personas.TOLVAN}, agent)
        gw.reset_counts()
        after = await gw.post(LOOKUP, {"p": personas.ANNA}, agent)
        calls_after = gw.upstream_calls()
        colleague = await gw.query(LOOKUP, {"p": personas.LISA}, gw.token("contact_centre"))
        metrics = await scrape(gw.client)
        # the withheld look is in Tolvan's access log as withheld, not as shown
        tolvans_log = await gw.query(ACCESS_LOG, token=gw.token("citizen", personas.TOLVAN))
        annas_log = await gw.query(ACCESS_LOG, token=gw.token("citizen", personas.ANNA))
    assert first == {"data": {"citizen": {"citizen": {"name": "Anna Andersson"}}}}
    assert second == {"data": {"citizen": {"citizen": {"name": "Bengt Berg"}}}}
    assert same_again == first
    assert_rate_limited(harvest, 3600)
    assert_rate_limited(after, 3600)
    assert calls_after == {}  # refused before any upstream call
    assert colleague == {"data": {"citizen": {"citizen": {"name": "Lisa Lund"}}}}
    assert counted(metrics) == {("persons",): 2}
    assert outcomes(tolvans_log) == [("CONTACT_CENTRE", "DENIED")]
    # Anna's: two looks shown; the refused one never reached a resolver, so no entry
    assert outcomes(annas_log) == [("CONTACT_CENTRE", "ALLOWED")] * 2


ACCESS_LOG = "{ myAccessLog { edges { node { actorRole outcome } } } }"


def outcomes(body: dict[str, Any]) -> list[tuple[str, str]]:
    edges = body["data"]["myAccessLog"]["edges"]
    return [(e["node"]["actorRole"], e["node"]["outcome"]) for e in edges]


@pytest.fixture
async def redis_settings(make_settings: Any) -> AsyncIterator[Any]:
    """Settings on the shared Redis, under a key prefix of this test's own."""
    prefix = f"kp-test-harden-{uuid.uuid4().hex}:"
    url = "redis://127.0.0.1:6379/0"

    def make(**env: str) -> Any:
        return make_settings(
            KNUTPUNKT_CACHE_URL=url, KNUTPUNKT_GATEWAY_RATE_LIMIT_PREFIX=prefix, **env
        )

    yield make
    client = redis_client.Redis(host="127.0.0.1", port=6379, db=0)
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.mark.redis
async def test_the_limits_are_shared_by_replicas_through_redis(
    redis_settings: Any, start_gateway: Any
) -> None:
    await away_from_window_end(60)
    settings = redis_settings(
        KNUTPUNKT_GATEWAY_REQUESTS_PER_MINUTE="2", KNUTPUNKT_GATEWAY_STAFF_PERSONS_PER_HOUR="1"
    )
    async with start_gateway(settings) as one, start_gateway(settings) as two:
        kalle = one.token("citizen", personas.KALLE)
        on_one = [await one.post(VIEWER, token=kalle) for _ in range(2)]
        on_two = await two.post(VIEWER, token=kalle)  # the third of the minute, elsewhere
        agent = one.token("contact_centre", name="Redis KC")
        read = await one.query(LOOKUP, {"p": personas.ANNA}, agent)
        over = await two.post(LOOKUP, {"p": personas.BENGT}, agent)
        refused_before = await one.post(LOOKUP, {"p": personas.ANNA}, agent)
    assert [r.json() for r in on_one] == [{"data": {"viewer": {"role": "CITIZEN"}}}] * 2
    assert_rate_limited(on_two, 60)
    assert read == {"data": {"citizen": {"citizen": {"name": "Anna Andersson"}}}}
    assert_rate_limited(over, 3600)
    assert_rate_limited(refused_before, 3600)
