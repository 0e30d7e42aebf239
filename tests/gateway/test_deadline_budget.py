"""The deadline budget through the whole app: a slow register must not leave the case
systems to start with almost nothing left of the request's deadline."""

from __future__ import annotations

from typing import Any

from kp_worlds import TOLVAN

from connectors.registry import CASE_SYSTEMS, SYSTEM_IDS

ANNA = "197801012340"
MY_CASES = "{ myPages { cases { edges { node { system { id } } } } unavailableSystems { id } } }"
#: the sandbox's folkbokföring answers with this delay, so that the first hop (custody)
#: ends less than 150 ms before the deadline of one (or two) seconds, if not cut short
SLOW_REGISTER_MS = 880
SLOWER_REGISTER_MS = 1880


def _started_with_less_than(gw: Any, seconds: float) -> dict[str, int]:
    found: dict[str, int] = {}
    for system, transport in gw.transports.items():
        short = [t for t in transport.time_left if t is not None and t < seconds]
        if short:
            found[system] = len(short)
    return found


def _codes(body: dict[str, Any]) -> dict[str, str]:
    return {e["extensions"]["system"]: e["extensions"]["code"] for e in body.get("errors", [])}


async def _warm_up(gw: Any) -> None:
    """One quick query first, so that the register's OAuth2 token is fetched and cached."""
    body = await gw.query(MY_CASES, token=gw.token("citizen", TOLVAN))
    assert "errors" not in body, body
    gw.reset_counts()


async def test_a_slow_register_gets_only_its_share_so_the_case_systems_start_in_time(
    make_settings: Any, start_gateway: Any
) -> None:
    settings = make_settings(KNUTPUNKT_GATEWAY_DEADLINE_SECONDS="2.0")
    assert settings.gateway.register_share == 0.4  # the default
    async with start_gateway(settings) as gw:
        await _warm_up(gw)
        await gw.faults("folkbokforing", latency_ms=SLOWER_REGISTER_MS)
        body = await gw.query(MY_CASES, token=gw.token("citizen", ANNA))

        assert _started_with_less_than(gw, 0.150) == {}
        # the register was cut at 40 % of the deadline (0.8 s); every case system was asked
        assert _codes(body) == {"folkbokforing": "UPSTREAM_TIMEOUT"}
        assert set(gw.upstream_calls()) == {*CASE_SYSTEMS, "folkbokforing", "ombud"}
        found = {e["node"]["system"]["id"] for e in body["data"]["myPages"]["cases"]["edges"]}
        assert {"eservice", "ecos", "teknik"} <= found  # Anna's littering chain
        assert body["data"]["myPages"]["unavailableSystems"] == [{"id": "folkbokforing"}]


async def test_no_call_starts_with_less_than_the_minimum_budget_left(
    make_settings: Any, start_gateway: Any
) -> None:
    # the whole deadline for the register: it answers with ~0.1 s left, too little to start
    settings = make_settings(
        KNUTPUNKT_GATEWAY_DEADLINE_SECONDS="1.0", KNUTPUNKT_GATEWAY_REGISTER_SHARE="1.0"
    )
    async with start_gateway(settings) as gw:
        await _warm_up(gw)
        await gw.faults("folkbokforing", latency_ms=SLOW_REGISTER_MS)
        body = await gw.query(MY_CASES, token=gw.token("citizen", ANNA))

        assert _started_with_less_than(gw, 0.150) == {}
        assert gw.upstream_calls() == {"folkbokforing": 1}
        # custody answered; everything after it (mandates, cases, names) was never sent
        assert _codes(body) == {s: "UPSTREAM_TIMEOUT" for s in SYSTEM_IDS}
        skipped = gw.app.state.knutpunkt.connectors.skipped_calls()
        assert {s for s, n in skipped.items() if n} == set(SYSTEM_IDS)
        assert body["data"]["myPages"]["cases"]["edges"] == []
