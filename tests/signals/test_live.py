"""Signals end to end over loopback sockets: a sandbox system records a case event,
pushes the signed signal to the gateway, and the citizen's Mina Sidor and open
subscription show it within two seconds — while repeated Mina Sidor reads cost no
upstream call to any signalling system."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from kp_live import served, subscriber
from kp_signals import CASE_SYSTEMS, SECRET, eventually, signalling_env
from websockets.exceptions import ConnectionClosed

from simulators import personas
from simulators.world import World

pytestmark = pytest.mark.sockets

MY_EVENTS = "subscription { myCaseEvents { kind summary case { caseNumber system { id } } } }"
STAFF_EVENTS = "subscription($p: String!) { caseEvents(purpose: $p) { kind summary case { caseNumber responsibleUnit { code } } } }"
MY_PAGES = "{ myPages { events(first: 200) { edges { node { kind summary case { caseNumber } } } } unavailableSystems { id } } }"


@pytest.fixture
async def live(
    start_gateway: Any, make_settings: Any, tmp_path: Any, sandbox: Any
) -> AsyncIterator[tuple[str, Any]]:
    settings = make_settings(
        **signalling_env(KNUTPUNKT_SIGNALS_URL=f"sqlite:///{tmp_path}/signals.db")
    )
    runner = start_gateway(settings)
    async with served(runner.app) as url:
        sandbox.send_signals_to(f"{url}/signals", SECRET)
        gw = type("Live", (), {})()
        gw.url, gw.runner, gw.app = url, runner, runner.app
        try:
            yield url, runner
        finally:
            sandbox.send_signals_to(None, "")


async def add_event(
    sandbox: Any, system: str, case_id: str, kind: str, summary: str
) -> dict[str, Any]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.apps[system]), base_url="http://sim"
    ) as client:
        response = await client.post(
            "/_admin/case-events", json={"caseId": case_id, "kind": kind, "summary": summary}
        )
        assert response.status_code == 201, response.text
        found: dict[str, Any] = response.json()
        return found


def case_calls(runner: Any) -> dict[str, int]:
    return {s: runner.transports[s].calls() for s in CASE_SYSTEMS if runner.transports[s].calls()}


async def my_pages(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": MY_PAGES}, headers={"authorization": f"Bearer {token}"}
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]["myPages"]


async def test_a_case_event_reaches_mina_sidor_and_the_subscription_within_2_s(
    live: tuple[str, Any], sandbox: Any, world: World, issuer: Any
) -> None:
    url, runner = live
    token = issuer.issue("citizen", personas.KALLE)
    case = world.cases_of("byggr", [personas.KALLE])[0]
    async with (
        httpx.AsyncClient(base_url=url, timeout=10) as client,
        subscriber(url, {"Authorization": f"Bearer {token}"}) as sub,
    ):
        assert await sub.next() == {"type": "connection_ack"}
        await sub.subscribe(MY_EVENTS)
        before = await my_pages(client, token)
        assert before["unavailableSystems"] == []
        for transport in runner.transports.values():
            transport.reset()
        for _ in range(3):
            assert await my_pages(client, token) == before
        assert case_calls(runner) == {}  # warm: signalling systems answer from the cache

        started = time.monotonic()
        added = await add_event(sandbox, "byggr", case.id, "DECIDED", "Beslut om bygglov fattat")
        message = await sub.next(timeout=2.0)
        assert message == {
            "id": "1",
            "type": "next",
            "payload": {
                "data": {
                    "myCaseEvents": {
                        "kind": "DECIDED",
                        "summary": "Beslut om bygglov fattat",
                        "case": {"caseNumber": case.number, "system": {"id": "byggr"}},
                    }
                }
            },
        }
        wanted = {
            "kind": "DECIDED",
            "summary": "Beslut om bygglov fattat",
            "case": {"caseNumber": case.number},
        }

        async def shown() -> bool:
            page = await my_pages(client, token)
            return wanted in [e["node"] for e in page["events"]["edges"]]

        await eventually(shown, timeout=2.0 - (time.monotonic() - started))
        # the one upstream call: the processor fetching the changed case, nothing for the reads
        assert case_calls(runner) == {"byggr": 1}
        assert added["eventId"].startswith(case.id)
        systems = await client.post(
            "/graphql", json={"query": "{ sourceSystems { id lastSignalAt } }"}
        )
        last = {s["id"]: s["lastSignalAt"] for s in systems.json()["data"]["sourceSystems"]}
        assert last["byggr"] is not None and last["diarium"] is None


async def test_subscriptions_refuse_bad_tokens_4401_and_roles_4403(
    live: tuple[str, Any], issuer: Any
) -> None:
    url, _ = live
    for init in (
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": issuer.issue("citizen", personas.KALLE)},
    ):
        async with subscriber(url, init) as sub:
            with pytest.raises(ConnectionClosed) as closed:
                await sub.next()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    async with subscriber(url, None) as sub:  # subscribing before connection_init
        await sub.subscribe(MY_EVENTS)
        with pytest.raises(ConnectionClosed) as closed:
            await sub.next()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    async with subscriber(url, {"Authorization": f"Bearer {issuer.issue('analyst')}"}) as sub:
        with pytest.raises(ConnectionClosed) as closed:
            await sub.next()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_citizen_cannot_use_the_staff_subscription(
    live: tuple[str, Any], issuer: Any
) -> None:
    url, _ = live
    token = issuer.issue("citizen", personas.KALLE)
    async with subscriber(url, {"Authorization": f"Bearer {token}"}) as sub:
        assert await sub.next() == {"type": "connection_ack"}
        await sub.subscribe(STAFF_EVENTS, {"p": "Uppföljning"})
        message = await sub.next()
        assert message == {
            "id": "1",
            "type": "next",
            "payload": {
                "data": None,
                "errors": [
                    {
                        "message": "Du har inte behörighet att använda den här funktionen.",
                        "extensions": {"code": "FORBIDDEN"},
                    }
                ],
            },
        }
        assert await sub.next() == {"id": "1", "type": "complete"}
