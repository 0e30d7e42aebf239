"""Subscriptions disclose as the queries do, decide again for every event, and log
every staff delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from kp_live import served, subscriber
from kp_signals import SECRET, signalling_env

from simulators import personas
from simulators.world import World

pytestmark = pytest.mark.sockets

MY_EVENTS = "subscription { myCaseEvents { kind summary case { caseNumber } } }"
STAFF_EVENTS = "subscription($p: String!) { caseEvents(purpose: $p) { kind summary case { caseNumber title } } }"
GRETA = "193404124129"


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
        try:
            yield url, runner
        finally:
            sandbox.send_signals_to(None, "")


async def add_event(sandbox: Any, system: str, case_id: str, kind: str, summary: str) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.apps[system]), base_url="http://sim"
    ) as client:
        response = await client.post(
            "/_admin/case-events", json={"caseId": case_id, "kind": kind, "summary": summary}
        )
        assert response.status_code == 201, response.text


def next_event(message: dict[str, Any], field: str) -> dict[str, Any]:
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    found: dict[str, Any] = message["payload"]["data"][field]
    return found


async def test_an_expired_mandate_stops_the_flow(
    live: tuple[str, Any], sandbox: Any, world: World, issuer: Any
) -> None:
    url, runner = live
    greta = world.cases_of("procapita", [GRETA])[0]
    kalle = world.cases_of("byggr", [personas.KALLE])[0]
    token = issuer.issue("citizen", personas.KALLE)
    async with subscriber(url, {"Authorization": f"Bearer {token}"}) as sub:
        assert await sub.next() == {"type": "connection_ack"}
        await sub.subscribe(MY_EVENTS)
        await add_event(sandbox, "procapita", greta.id, "DECIDED", "Plats erbjuden")
        assert next_event(await sub.next(), "myCaseEvents") == {
            "kind": "DECIDED",
            "summary": "Plats erbjuden",
            "case": {"caseNumber": greta.number},
        }
        # Greta's power of attorney ends 2028-12-02: from then on her events are not Kalle's
        services = runner.app.state.knutpunkt.services
        services.clock = lambda: datetime(2029, 1, 1, 12, tzinfo=ZoneInfo("Europe/Stockholm"))
        await add_event(sandbox, "procapita", greta.id, "NOTICE", "Inflyttning bokad")
        await add_event(sandbox, "byggr", kalle.id, "NOTICE", "Startbesked")
        assert next_event(await sub.next(), "myCaseEvents") == {
            "kind": "NOTICE",
            "summary": "Startbesked",
            "case": {"caseNumber": kalle.number},
        }


async def test_a_case_officer_sees_own_units_events_and_each_delivery_is_logged(
    live: tuple[str, Any], sandbox: Any, world: World, issuer: Any
) -> None:
    url, _ = live
    kalle = world.cases_of("byggr", [personas.KALLE])[0]
    greta = world.cases_of("procapita", [GRETA])[0]
    culture = world.cases_of("diarium", [personas.KALLE])[0]
    officer = issuer.issue("case_officer", units=["BN"], name="Per Handläggare")
    async with subscriber(url, {"Authorization": f"Bearer {officer}"}) as sub:
        assert await sub.next() == {"type": "connection_ack"}
        await sub.subscribe(STAFF_EVENTS, {"p": "Bevakning av bygglov"})
        # other units' cases (social services, culture) are not this officer's to follow
        await add_event(sandbox, "procapita", greta.id, "NOTICE", "Hembesök")
        await add_event(sandbox, "diarium", culture.id, "NOTICE", "Yttrande inkommet")
        await add_event(sandbox, "byggr", kalle.id, "REFERRAL_SENT", "Grannhörande skickat")
        assert next_event(await sub.next(), "caseEvents") == {
            "kind": "REFERRAL_SENT",
            "summary": "Grannhörande skickat",
            "case": {"caseNumber": kalle.number, "title": kalle.title},
        }
    token = issuer.issue("citizen", personas.KALLE)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.post(
            "/graphql",
            json={
                "query": "{ myAccessLog { edges { node { actorRole actorUnit { code } purpose outcome } } } }"
            },
            headers={"authorization": f"Bearer {token}"},
        )
        entries = [e["node"] for e in response.json()["data"]["myAccessLog"]["edges"]]
        assert entries == [
            {
                "actorRole": "CASE_OFFICER",
                "actorUnit": {"code": "BN"},
                "purpose": "Bevakning av bygglov",
                "outcome": "ALLOWED",
            }
        ]


async def test_the_contact_centre_never_sees_social_services_events(
    live: tuple[str, Any], sandbox: Any, world: World, issuer: Any
) -> None:
    url, _ = live
    greta = world.cases_of("procapita", [GRETA])[0]
    kalle = world.cases_of("byggr", [personas.KALLE])[0]
    agent = issuer.issue("contact_centre", name="Maja KC")
    async with subscriber(url, {"Authorization": f"Bearer {agent}"}) as sub:
        assert await sub.next() == {"type": "connection_ack"}
        await sub.subscribe(STAFF_EVENTS, {"p": "Kundtjänst"})
        await add_event(sandbox, "procapita", greta.id, "DECIDED", "Beslut om särskilt boende")
        await add_event(sandbox, "byggr", kalle.id, "NOTICE", "Komplettering begärd")
        assert next_event(await sub.next(), "caseEvents") == {
            "kind": "NOTICE",
            "summary": "Komplettering begärd",
            "case": {"caseNumber": kalle.number, "title": kalle.title},
        }
