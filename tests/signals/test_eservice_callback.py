"""The e-service platform's status callback is one more signal source: when the
platform signals, a callback ends the cached answers about that flow instance."""

from __future__ import annotations

import json
from typing import Any

import httpx
from kp_signals import eventually, signalling_env

from simulators import personas
from simulators.eservice_shapes import flow_instance_id
from simulators.eservice_webhook import sign
from simulators.world import World

HOOK_SECRET = "a-shared-secret"
MY_PAGES = "{ myPages { events(first: 100) { edges { node { kind summary } } } } }"


async def test_a_callback_becomes_a_signal(
    start_gateway: Any, make_settings: Any, tmp_path: Any, sandbox: Any, world: World
) -> None:
    settings = make_settings(
        **signalling_env(
            ("eservice",),
            KNUTPUNKT_SIGNALS_URL=f"sqlite:///{tmp_path}/signals.db",
            KNUTPUNKT_GATEWAY_WEBHOOK_SECRET=HOOK_SECRET,
        )
    )
    waiting = next(
        c
        for c in world.cases_of("eservice", [personas.TOLVAN])
        if c.status == "WAITING_FOR_CITIZEN"
    )
    async with start_gateway(settings) as gw:
        token = gw.token("citizen", personas.TOLVAN)

        async def kinds() -> list[str]:
            body = await gw.query(MY_PAGES, token=token)
            return [e["node"]["kind"] for e in body["data"]["myPages"]["events"]["edges"]]

        before = await kinds()
        assert "COMPLETION_RECEIVED" not in before
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sandbox.apps["eservice"]), base_url="http://sim"
        ) as platform:
            done = await platform.post(f"/api/flowinstances/{waiting.id}/complete", json={})
            assert done.status_code == 200, done.text
        assert await kinds() == before  # cached: the gateway has not heard yet
        body = json.dumps(
            {
                "event": "status_changed",
                "flowInstanceID": flow_instance_id(waiting.id),
                "status": "Under handläggning",
                "occurred": "2026-11-20T10:00:00+01:00",
            }
        ).encode()
        hook = await gw.client.post(
            "/hooks/eservice", content=body, headers={"x-signature": sign(body, HOOK_SECRET)}
        )
        assert hook.status_code == 204

        async def shown() -> bool:
            return (await kinds())[0] == "COMPLETION_RECEIVED"

        await eventually(shown)
        signals = gw.app.state.knutpunkt.signals

        async def done() -> bool:  # marked a moment after the case was put in place
            return await signals.inbox.counts() == {"done": 1}

        await eventually(done)
