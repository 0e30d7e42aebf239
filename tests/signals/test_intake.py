"""`POST /signals`: every bad input gets its documented answer, is counted and changes
nothing; good signals are stored once and applied."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from kp_scrape import scrape
from kp_signals import OTHER_SECRET, event, eventually, request, signalling_env, signed

from simulators.world import World

UNAUTHORIZED = {
    "error": {"code": "SIGNAL_UNAUTHORIZED", "message": "Signalen kunde inte verifieras."}
}


def kalle_byggr(world: World) -> str:
    return world.cases_of("byggr", ["195606055555"])[0].id


@pytest.fixture
def signal_settings(make_settings: Any, tmp_path: Any) -> Any:
    env = signalling_env(("byggr",), KNUTPUNKT_SIGNALS_URL=f"sqlite:///{tmp_path}/signals.db")
    env["KNUTPUNKT_SYSTEMS_DIARIUM_SIGNALS"] = "true"
    env["KNUTPUNKT_SYSTEMS_DIARIUM_SIGNAL_SECRET"] = OTHER_SECRET
    return make_settings(**env)


async def post(gw: Any, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any], Any]:
    response = await gw.client.post("/signals", content=body, headers=headers)
    return response.status_code, dict(response.headers), response.json()


async def nothing_stored(gw: Any) -> None:
    signals = gw.app.state.knutpunkt.signals
    assert await signals.inbox.counts() == {}
    assert signals.metrics.received == 0
    assert await signals.inbox.last_signal_at() == {}


def refused(gw: Any) -> dict[str, int]:
    return dict(gw.app.state.knutpunkt.signals.metrics.refused)


def refused_cases(world: World) -> list[tuple[str, Any]]:
    subject = kalle_byggr(world)
    good = json.dumps(event("byggr", subject)).encode()
    now = time.time()
    return [
        ("unsigned", lambda: (good, {"content-type": "application/cloudevents+json"})),
        ("signature", lambda: (good, signed(good, OTHER_SECRET.replace("whsec_", "whsec_A")))),
        ("signature", lambda: (good, {**signed(good), "webhook-signature": "v1,AAAA"})),
        ("signature", lambda: (good, {**signed(good), "webhook-signature": "garbage"})),
        # beyond the 5 minutes allowed, by a margin a slow machine cannot eat up
        ("timestamp", lambda: (good, signed(good, at=now - 360))),
        ("timestamp", lambda: (good, signed(good, at=now + 360))),
        ("source", lambda: request(event("nosuch", subject))),
        # byggr's secret signing an event that claims to come from the diarium
        ("source", lambda: request(event("diarium", subject))),
        ("source", lambda: request(event("byggr", subject, source="https://evil.example/byggr"))),
    ]


async def test_refusals_of_who_sent_it_are_one_generic_401(
    start_gateway: Any, signal_settings: Any, world: World
) -> None:
    async with start_gateway(signal_settings) as gw:
        expected: dict[str, int] = {}
        for reason, build in refused_cases(world):
            body, headers = build()
            status, _, answer = await post(gw, body, headers)
            assert (status, answer) == (401, UNAUTHORIZED), reason
            expected[reason] = expected.get(reason, 0) + 1
        assert refused(gw) == expected
        await nothing_stored(gw)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"not json at all", "SIGNAL_NOT_JSON"),
        (b'{"specversion": "1.0",', "SIGNAL_NOT_JSON"),
        ({"specversion": "0.3"}, "SIGNAL_UNSUPPORTED_SPECVERSION"),
        ({"specversion": "2.0"}, "SIGNAL_UNSUPPORTED_SPECVERSION"),
        ({"id": None}, "SIGNAL_INVALID"),
        ({"time": "yesterday"}, "SIGNAL_INVALID"),
        ({"type": "com.example.other"}, "SIGNAL_UNSUPPORTED_TYPE"),
        ({"subject": "../../etc/passwd"}, "SIGNAL_INVALID_SUBJECT"),
        ({"subject": "BYGG 2023"}, "SIGNAL_INVALID_SUBJECT"),
        ({"subject": "BYGG\u00e4"}, "SIGNAL_INVALID_SUBJECT"),
        ({"subject": "x\u0000y"}, "SIGNAL_INVALID_SUBJECT"),
        ({"subject": "a" * 65}, "SIGNAL_INVALID_SUBJECT"),
        ({"subject": None}, "SIGNAL_INVALID_SUBJECT"),
        ({"data": {"personalNumbers": ["19560605555"]}}, "SIGNAL_INVALID_DATA"),
        ({"data": {"kind": "EXPLODED"}}, "SIGNAL_INVALID_DATA"),
        ({"data": {"title": "Bygglov för Kalle"}}, "SIGNAL_INVALID_DATA"),
        ({"data": "look again"}, "SIGNAL_INVALID_DATA"),
        ("batch-101", "SIGNAL_BATCH_TOO_LARGE"),
        ("batch-0", "SIGNAL_INVALID"),
        ("batch-object", "SIGNAL_INVALID"),
    ],
)
async def test_invalid_cloudevents_are_coded_400(
    start_gateway: Any, signal_settings: Any, world: World, payload: Any, code: str
) -> None:
    subject = kalle_byggr(world)
    if isinstance(payload, bytes):
        body = payload
        headers = {**signed(body), "content-type": "application/cloudevents+json"}
    elif payload == "batch-101":
        body, headers = request([event("byggr", subject) for _ in range(101)], batch=True)
    elif payload == "batch-0":
        body, headers = request([], batch=True)
    elif payload == "batch-object":
        body, headers = request(event("byggr", subject), batch=True)
    else:
        bad = event("byggr", subject)
        bad.update(payload)
        if bad.get("subject") is None:
            del bad["subject"]
        body, headers = request(bad)
    async with start_gateway(signal_settings) as gw:
        status, _, answer = await post(gw, body, headers)
        assert status == 400
        assert answer["error"]["code"] == code
        assert refused(gw) == {code.removeprefix("SIGNAL_").lower(): 1}
        await nothing_stored(gw)


async def test_oversized_bodies_are_413(
    start_gateway: Any, signal_settings: Any, world: World
) -> None:
    subject = kalle_byggr(world)
    big = [event("byggr", subject, data={"caseNumber": "x" * 60}) for _ in range(100)]
    body = json.dumps([{**e, "padding": "p" * 2700} for e in big]).encode()
    assert len(body) > 256 * 1024
    async with start_gateway(signal_settings) as gw:
        headers = {**signed(body), "content-type": "application/cloudevents-batch+json"}
        status, _, answer = await post(gw, body, headers)
        assert (status, answer["error"]["code"]) == (413, "SIGNAL_TOO_LARGE")
        assert refused(gw) == {"too_large": 1}
        await nothing_stored(gw)


async def test_a_full_inbox_answers_429_with_retry_after(
    start_gateway: Any, make_settings: Any, tmp_path: Any, world: World
) -> None:
    settings = make_settings(
        **signalling_env(
            ("byggr",),
            KNUTPUNKT_SIGNALS_URL=f"sqlite:///{tmp_path}/signals.db",
            KNUTPUNKT_SIGNALS_MAX_PENDING="0",
        )
    )
    async with start_gateway(settings) as gw:
        status, headers, answer = await post(gw, *request(event("byggr", kalle_byggr(world))))
        assert (status, headers["retry-after"], answer["error"]["code"]) == (
            429,
            "5",
            "SIGNAL_INBOX_FULL",
        )
        assert refused(gw) == {"inbox_full": 1}
        await nothing_stored(gw)


async def test_a_replayed_id_is_accepted_again_and_applied_once(
    start_gateway: Any, signal_settings: Any, world: World
) -> None:
    subject = kalle_byggr(world)
    signal = event("byggr", subject, id="replayed-1")
    async with start_gateway(signal_settings) as gw:
        signals = gw.app.state.knutpunkt.signals
        for _ in range(3):
            status, _, answer = await post(gw, *request(signal))
            assert (status, answer) == (202, {"accepted": 1})

        async def applied() -> bool:
            return signals.metrics.applied == 1 and await signals.inbox.counts() == {"done": 1}

        await eventually(applied)
        assert signals.metrics.received == 3
        assert refused(gw) == {}
        last = await signals.inbox.last_signal_at()
        assert set(last) == {"byggr"}


async def test_a_flood_for_one_case_is_one_refresh(
    start_gateway: Any, signal_settings: Any, world: World
) -> None:
    subject = kalle_byggr(world)
    async with start_gateway(signal_settings) as gw:
        signals = gw.app.state.knutpunkt.signals
        gw.reset_counts()
        for _ in range(10):
            batch = [event("byggr", subject) for _ in range(100)]
            status, _, _ = await post(gw, *request(batch, batch=True))
            assert status == 202

        async def applied() -> bool:
            return signals.metrics.applied == 1000

        await eventually(applied, timeout=10)
        byggr_calls = gw.upstream_calls().get("byggr", 0)
        assert 1 <= byggr_calls <= 10  # one refresh per claimed group, never one per signal
        assert signals.metrics.coalesced == 1000 - byggr_calls


async def test_an_unknown_case_is_retried_then_parked_without_blocking_others(
    start_gateway: Any, make_settings: Any, tmp_path: Any, world: World
) -> None:
    settings = make_settings(
        **signalling_env(
            ("byggr",),
            KNUTPUNKT_SIGNALS_URL=f"sqlite:///{tmp_path}/signals.db",
            KNUTPUNKT_SIGNALS_MAX_ATTEMPTS="3",
            KNUTPUNKT_SIGNALS_BACKOFF_SECONDS="0.05",
        )
    )
    async with start_gateway(settings) as gw:
        signals = gw.app.state.knutpunkt.signals
        batch = [event("byggr", "BYGG-1999-000000"), event("byggr", kalle_byggr(world))]
        assert (await post(gw, *request(batch, batch=True)))[0] == 202

        async def settled() -> bool:
            counted = (signals.metrics.applied, signals.metrics.parked) == (1, 1)
            return counted and await signals.inbox.counts() == {"done": 1, "parked": 1}

        await eventually(settled, timeout=5)
        assert (signals.metrics.applied, signals.metrics.parked, signals.metrics.retried) == (
            1,
            1,
            2,
        )
        metrics = await scrape(gw.client)
        assert metrics["knutpunkt_signals_parked_total"] == {(): 1}
        assert metrics["knutpunkt_signals_received_total"] == {(): 2}
        assert metrics["knutpunkt_signal_lag_seconds_count"] == {(): 1}
