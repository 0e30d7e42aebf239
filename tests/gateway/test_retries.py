"""Retries through the whole app: `Retry-After` is honoured within the deadline, and
a failing system gets only its retry budget (about 10 % extra calls), not three
calls per read."""

from __future__ import annotations

import itertools
from typing import Any

from kp_worlds import TOLVAN

MY_CASES = "{ myPages { cases { edges { node { caseNumber system { id } } } } } }"


def _codes(body: dict[str, Any]) -> dict[str, str]:
    return {e["extensions"]["system"]: e["extensions"]["code"] for e in body.get("errors", [])}


async def test_retry_after_is_waited_for_within_the_deadline(
    make_settings: Any, start_gateway: Any
) -> None:
    async with start_gateway(make_settings(KNUTPUNKT_GATEWAY_DEADLINE_SECONDS="3.0")) as gw:
        await gw.faults("teknik", down=True, retry_after=1)
        body = await gw.query(MY_CASES, token=gw.token("citizen", TOLVAN))

        assert _codes(body) == {"teknik": "UPSTREAM_UNAVAILABLE"}
        left = [t for t in gw.transports["teknik"].time_left if t is not None]
        # 3.0 s: first call, 1 s pause, retry, 1 s pause, retry (still 1 s left)
        assert len(left) == 3
        assert [round(a - b) for a, b in itertools.pairwise(left)] == [1, 1]


async def test_a_retry_after_beyond_the_deadline_gives_up_at_once(
    make_settings: Any, start_gateway: Any
) -> None:
    async with start_gateway(make_settings(KNUTPUNKT_GATEWAY_DEADLINE_SECONDS="3.0")) as gw:
        await gw.faults("teknik", down=True, retry_after=5)
        body = await gw.query(MY_CASES, token=gw.token("citizen", TOLVAN))

        assert _codes(body) == {"teknik": "UPSTREAM_UNAVAILABLE"}
        assert gw.transports["teknik"].calls() == 1
        found = {e["node"]["system"]["id"] for e in body["data"]["myPages"]["cases"]["edges"]}
        assert "eservice" in found  # the others answered as usual


async def test_a_flaky_system_gets_about_ten_percent_extra_calls(
    make_settings: Any, start_gateway: Any
) -> None:
    reads = 100
    settings = make_settings(
        KNUTPUNKT_SYSTEMS_TEKNIK_RETRIES="3",
        # keep the circuit closed, so that every read reaches the system
        KNUTPUNKT_SYSTEMS_TEKNIK_BREAKER_THRESHOLD="100000",
        # a failed read shows as failed, not as the last good answer (stale-if-error)
        KNUTPUNKT_GATEWAY_STALE_IF_ERROR_SECONDS="0",
    )
    assert (settings.gateway.retry_ratio, settings.gateway.retry_burst) == (0.1, 5)
    async with start_gateway(settings) as gw:
        await gw.faults("teknik", error_rate=0.3)
        token = gw.token("citizen", TOLVAN)
        failed = 0
        for _ in range(reads):
            body = await gw.query(MY_CASES, token=token)
            failed += _codes(body) == {"teknik": "UPSTREAM_UNAVAILABLE"}

        extra = gw.transports["teknik"].calls() - reads
        retries = gw.app.state.knutpunkt.connectors.retries()["teknik"]
        assert extra == retries
        # without a budget: ~0.3 + 0.09 + 0.027 per read, about 42 extra calls
        assert 0 < extra <= reads * 0.1 + 5
        assert failed > 0  # what the budget did not retry failed, visibly
