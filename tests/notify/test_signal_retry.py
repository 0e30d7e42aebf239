"""A notification is not lost when the notification store fails while a signal is applied:
the signal is retried with the events the notifier was not told, and the citizen gets
one message once the store is back (gateway under uvicorn, signals over loopback, the
mail sink on a real SMTP port)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from kp_live import served
from kp_signals import SECRET, eventually, signalling_env

from simulators import personas
from simulators.world import World

pytestmark = pytest.mark.sockets

SET = """mutation ($input: NotificationSettingsInput!) {
  setNotificationSettings(input: $input) { emailVerified } }"""
VERIFY = """mutation ($code: String!) {
  verifyNotificationChannel(channel: EMAIL, code: $code) { emailVerified } }"""


def rename(db: Path, old: str, new: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(f"ALTER TABLE {old} RENAME TO {new}")


async def last_signal(client: httpx.AsyncClient) -> str | None:
    """When byggr last signalled, as the hub says."""
    query = {"query": "{ sourceSystems { id lastSignalAt } }"}
    systems = (await client.post("/graphql", json=query)).json()["data"]["sourceSystems"]
    found: str | None = next(s["lastSignalAt"] for s in systems if s["id"] == "byggr")
    return found


def seen_events(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        ((count,),) = conn.execute("SELECT COUNT(*) FROM notify_seen").fetchall()
        return int(count)


def inbox_rows(db: Path) -> list[tuple[str, str | None, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT state, last_error, body FROM signal_inbox").fetchall()


async def verify_email(client: httpx.AsyncClient, sinks: Any) -> None:
    settings_input = {"email": "kalle@exempel.se", "channels": ["EMAIL"]}
    await client.post("/graphql", json={"query": SET, "variables": {"input": settings_input}})
    code = re.findall(r"\b[0-9]{6}\b", (await sinks.wait_for("mail", 1))[0]["body"])[0]
    verified = await client.post("/graphql", json={"query": VERIFY, "variables": {"code": code}})
    assert verified.json()["data"]["verifyNotificationChannel"]["emailVerified"] is True
    await sinks.clear("mail")


@pytest.mark.parametrize(
    ("found_by", "events"), [("signal", 1), ("signal", 3), ("pull", 1), ("pull-seen", 1)]
)
async def test_a_store_outage_while_a_change_is_applied_delays_the_mail_but_loses_nothing(
    make_settings: Any,
    start_gateway: Any,
    notify_env: dict[str, str],
    sinks: Any,
    sandbox: Any,
    world: World,
    issuer: Any,
    tmp_path: Path,
    found_by: str,
    events: int,
) -> None:
    """signal: the signal itself is retried owing the event (three events: three signals
    of one case, each event told once); pull: the signal was lost, the periodic pull
    found the change, and the inbox keeps what the notifier was owed (pull-seen: the hub's
    copy it compares with is the one in Kalle's Mina Sidor, not one an earlier signal left)."""
    signals_db, notify_db = tmp_path / "signals.db", tmp_path / "notify.db"
    pull = {
        "KNUTPUNKT_CASESTORE_ENABLED": "true",
        "KNUTPUNKT_CASESTORE_REFRESH_SECONDS": "1",
        "KNUTPUNKT_GATEWAY_REQUESTS_PER_MINUTE": "0",
    }
    settings = make_settings(
        **notify_env,
        **signalling_env(
            KNUTPUNKT_SIGNALS_URL=f"sqlite:///{signals_db}",
            KNUTPUNKT_NOTIFY_URL=f"sqlite:///{notify_db}",
            KNUTPUNKT_NOTIFY_DIGEST_MINUTES="0",
            **(pull if found_by.startswith("pull") else {}),
        ),
    )
    token = issuer.issue("citizen", personas.KALLE)
    auth = {"authorization": f"Bearer {token}"}
    case = world.cases_of("byggr", [personas.KALLE])[0]
    app = start_gateway(settings).app
    async with (
        served(app) as url,
        httpx.AsyncClient(base_url=url, headers=auth, timeout=10) as client,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sandbox.apps["byggr"]), base_url="http://sim"
        ) as byggr,
    ):
        sandbox.send_signals_to(f"{url}/signals", SECRET)
        try:
            await verify_email(client, sinks)
            if found_by.startswith("pull"):

                async def synced() -> bool:
                    query = "{ sourceSystems { id lastSyncedAt } }"
                    body = (await client.post("/graphql", json={"query": query})).json()
                    systems = body["data"]["sourceSystems"]
                    return all(s["lastSyncedAt"] for s in systems if s["id"] == "byggr")

                await eventually(synced, timeout=30.0)
                # the pull tells a change by the hub's copy of the case: an earlier signal
                # (told, mailed) left one, or Kalle's look at Mina Sidor
                if found_by == "pull":
                    earlier = {"caseId": case.id, "kind": "NOTICE", "summary": "Komplettering"}
                    added = await byggr.post("/_admin/case-events", json=earlier)
                    assert added.status_code == 201
                    await sinks.wait_for("mail", 1)

                    async def applied() -> bool:
                        return [s for s, _, _ in inbox_rows(signals_db)] == ["done"]

                    await eventually(applied, timeout=10.0)
                    await sinks.clear("mail")
                else:
                    my_pages = {"query": "{ myPages { cases { totalCount } } }"}
                    assert (await client.post("/graphql", json=my_pages)).status_code == 200
                lose = {"faults": {"lose": True}}
                assert (await byggr.put("/_admin/signals", json=lose)).status_code == 200

            last_before = await last_signal(client)
            rename(notify_db, "notify_seen", "notify_seen_away")  # the store fails
            event_ids = []
            for n in range(events):
                added = await byggr.post(
                    "/_admin/case-events",
                    json={"caseId": case.id, "kind": "DECIDED", "summary": f"Beslut {n}"},
                )
                assert added.status_code == 201, added.text
                event_ids.append(added.json()["eventId"])

            async def owed() -> bool:
                rows = inbox_rows(signals_db)
                bodies = "".join(b for _, e, b in rows if e == "LISTENER_FAILED")
                return all(event_id in bodies for event_id in event_ids)

            await eventually(owed, timeout=10.0)  # applied, but the notifier still owed it
            assert await sinks.messages("mail") == []

            rename(notify_db, "notify_seen_away", "notify_seen")  # the store is back

            async def done() -> bool:
                return {s for s, _, _ in inbox_rows(signals_db)} == {"done"}

            told = events + (found_by == "pull")  # the pull's earlier signal: told at once

            await eventually(done, timeout=10.0)
            mails = await sinks.wait_for("mail", 1)
            await asyncio.sleep(0.5)  # and no second message for the same decisions
            mails = await sinks.messages("mail")
            # each event counted once for Kalle, told in one message or in a few
            assert seen_events(notify_db) == told
            assert 1 <= len(mails) <= events and {m["to"] for m in mails} == {"kalle@exempel.se"}
            assert "Beslut" not in mails[0]["body"]  # says nothing of the case itself
            metrics = app.state.knutpunkt.signals.metrics
            # each signal applied once in the end; the pull's own signal is not one the
            # system sent
            assert metrics.applied == told and 0 <= metrics.coalesced < events
            last = await last_signal(client)
            assert (last == last_before) == found_by.startswith("pull")
        finally:
            sandbox.send_signals_to(None, "")
            await byggr.delete("/_admin/signals")
