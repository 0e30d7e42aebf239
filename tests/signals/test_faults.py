"""The hub copes with what networks and systems do to signals: lost ones are caught by
the periodic pull, duplicates are applied once, reordered ones all arrive, and a
signal stored before a crash is applied after the restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from kp_live import served, subscriber
from kp_signals import SECRET, eventually, signalling_env

from connectors.registry import CASE_SYSTEMS
from signals import Signal
from signals.inbox import Inbox
from simulators import personas
from simulators.world import World

pytestmark = pytest.mark.sockets

MY_EVENTS = "subscription { myCaseEvents { summary } }"
MY_PAGES = "{ myPages { events(first: 300) { edges { node { summary } } } } }"


@pytest.fixture
async def live(
    start_gateway: Any, make_settings: Any, tmp_path: Any, sandbox: Any
) -> AsyncIterator[tuple[str, Any]]:
    settings = make_settings(
        **signalling_env(
            KNUTPUNKT_SIGNALS_URL=f"sqlite:///{tmp_path}/signals.db",
            KNUTPUNKT_CASESTORE_ENABLED="true",
            KNUTPUNKT_CASESTORE_REFRESH_SECONDS="1",
            # the tests poll every 20 ms while a loaded machine syncs: no per-caller limit
            KNUTPUNKT_GATEWAY_REQUESTS_PER_MINUTE="0",
        )
    )
    runner = start_gateway(settings)
    async with served(runner.app) as url:
        sandbox.send_signals_to(f"{url}/signals", SECRET)
        try:
            yield url, runner
        finally:
            sandbox.send_signals_to(None, "")
            await admin(sandbox, "byggr", "DELETE", "/_admin/signals")


async def admin(
    sandbox: Any, system: str, method: str, path: str, body: Any = None
) -> dict[str, Any]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.apps[system]), base_url="http://sim"
    ) as client:
        response = await client.request(method, path, json=body)
        assert response.status_code in (200, 201), response.text
        found: dict[str, Any] = response.json()
        return found


async def add_event(sandbox: Any, case_id: str, summary: str) -> None:
    await admin(
        sandbox,
        "byggr",
        "POST",
        "/_admin/case-events",
        {"caseId": case_id, "kind": "NOTICE", "summary": summary},
    )


async def summaries(client: httpx.AsyncClient, token: str) -> list[str]:
    response = await client.post(
        "/graphql", json={"query": MY_PAGES}, headers={"authorization": f"Bearer {token}"}
    )
    return [e["node"]["summary"] for e in response.json()["data"]["myPages"]["events"]["edges"]]


async def test_a_lost_signal_is_caught_by_the_periodic_pull(
    live: tuple[str, Any], sandbox: Any, world: World, issuer: Any
) -> None:
    url, runner = live
    case = world.cases_of("byggr", [personas.KALLE])[0]
    token = issuer.issue("citizen", personas.KALLE)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:

        async def synced() -> bool:
            query = "{ sourceSystems { id lastSyncedAt } }"
            body = (await client.post("/graphql", json={"query": query})).json()
            return all(
                s["lastSyncedAt"] for s in body["data"]["sourceSystems"] if s["id"] == "byggr"
            )

        await eventually(synced, timeout=30.0)  # the first full pull (three years) is done
        await summaries(client, token)  # cached now
        state = await admin(sandbox, "byggr", "PUT", "/_admin/signals", {"faults": {"lose": True}})
        assert state["faults"] == {"lose": True, "duplicate": False, "reorder": False}
        await add_event(sandbox, case.id, "Signalen försvann")
        assert (await admin(sandbox, "byggr", "GET", "/_admin/signals"))["lost"] == 1

        async def shown() -> bool:
            return "Signalen försvann" in await summaries(client, token)

        # the pull runs every second here: a few intervals at most
        await eventually(shown, timeout=8.0)
        assert runner.app.state.knutpunkt.signals.metrics.received == 0


async def test_duplicated_signals_are_delivered_once(
    live: tuple[str, Any], sandbox: Any, world: World, issuer: Any
) -> None:
    url, runner = live
    case = world.cases_of("byggr", [personas.KALLE])[0]
    token = issuer.issue("citizen", personas.KALLE)
    async with subscriber(url, {"Authorization": f"Bearer {token}"}) as sub:
        assert await sub.next() == {"type": "connection_ack"}
        await sub.subscribe(MY_EVENTS)
        await admin(sandbox, "byggr", "PUT", "/_admin/signals", {"faults": {"duplicate": True}})
        await add_event(sandbox, case.id, "Dubblett")
        assert (await sub.next())["payload"]["data"] == {"myCaseEvents": {"summary": "Dubblett"}}
        await admin(sandbox, "byggr", "DELETE", "/_admin/signals")
        await add_event(sandbox, case.id, "Efter dubbletten")
        assert (await sub.next())["payload"]["data"] == {
            "myCaseEvents": {"summary": "Efter dubbletten"}
        }
        signals = runner.app.state.knutpunkt.signals
        await sandbox.pushers["byggr"].join()
        assert signals.metrics.received == 3

        async def both_done() -> bool:
            return await signals.inbox.counts() == {"done": 2}

        await eventually(both_done)


async def test_reordered_signals_all_arrive(
    live: tuple[str, Any], sandbox: Any, world: World, issuer: Any
) -> None:
    url, _ = live
    case = world.cases_of("byggr", [personas.KALLE])[0]
    token = issuer.issue("citizen", personas.KALLE)
    async with (
        subscriber(url, {"Authorization": f"Bearer {token}"}) as sub,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        assert await sub.next() == {"type": "connection_ack"}
        await sub.subscribe(MY_EVENTS)
        await admin(sandbox, "byggr", "PUT", "/_admin/signals", {"faults": {"reorder": True}})
        await add_event(sandbox, case.id, "Först")
        await asyncio.sleep(0.1)
        await add_event(sandbox, case.id, "Sedan")
        got = {(await sub.next())["payload"]["data"]["myCaseEvents"]["summary"] for _ in range(2)}
        # the second signal arrived first; its refresh already showed both events
        assert got == {"Först", "Sedan"}
        page = await summaries(client, token)
        assert page.index("Sedan") < page.index("Först")  # newest first


async def test_a_signal_stored_before_a_crash_is_applied_after_the_restart(
    start_gateway: Any, make_settings: Any, tmp_path: Any, world: World
) -> None:
    url = f"sqlite:///{tmp_path}/signals.db"
    case = world.cases_of("byggr", [personas.KALLE])[0]
    inbox = await Inbox(url).open()  # what the crashed gateway left: stored, never applied
    await inbox.add(
        [Signal("byggr", "before-crash", case.id, datetime.now(UTC))], datetime.now(UTC)
    )
    await inbox.close()
    settings = make_settings(**signalling_env(("byggr",), KNUTPUNKT_SIGNALS_URL=url))
    async with start_gateway(settings) as gw:
        signals = gw.app.state.knutpunkt.signals

        async def applied() -> bool:
            return await signals.inbox.counts() == {"done": 1}

        await eventually(applied)
        # the one case fetch; the registers may be asked by the notifier about its persons
        case_calls = {s: n for s, n in gw.upstream_calls().items() if s in CASE_SYSTEMS}
        assert case_calls == {"byggr": 1}
