"""The sandbox's `/_admin/case-events` and `/_admin/signals` on every case system."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from kp_signals import SECRET

from simulators.world import CASE_SYSTEMS, World


async def call(
    sandbox: Any, system: str, method: str, path: str, body: Any = None
) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.apps[system]), base_url="http://sim"
    ) as client:
        return await client.request(method, path, json=body)


@pytest.mark.parametrize("system", CASE_SYSTEMS)
async def test_every_case_system_records_events_its_own_api_then_shows(
    sandbox: Any, world: World, system: str
) -> None:
    case = world.cases[system][0]
    events_before = len(case.events)
    response = await call(
        sandbox,
        system,
        "POST",
        "/_admin/case-events",
        {"caseNumber": case.number, "kind": "NOTICE", "summary": "Ny händelse"},
    )
    assert response.status_code == 201
    assert response.json() == {"eventId": f"{case.id}-s{events_before + 1}", "caseId": case.id}
    assert len(case.events) == events_before + 1
    at = case.events[-1].at
    assert case in world.changed(system, at, at + timedelta(seconds=1))  # the change feeds see it
    assert (case.events[-1].kind, case.events[-1].summary) == ("NOTICE", "Ny händelse")


async def test_bad_requests_are_refused_and_change_nothing(sandbox: Any, world: World) -> None:
    case = world.cases["byggr"][0]
    before = list(case.events)
    for body, status in [
        ({"caseId": "BYGG-1999-000000", "kind": "NOTICE", "summary": "x"}, 404),
        ({"caseId": case.id, "kind": "EXPLODED", "summary": "x"}, 400),
        ({"caseId": case.id, "kind": "NOTICE", "summary": ""}, 400),
        ({"caseId": case.id, "kind": "NOTICE", "summary": "x", "status": "LOST"}, 400),
        ({"kind": "NOTICE", "summary": "x"}, 400),
        ([1, 2], 400),
    ]:
        response = await call(sandbox, "byggr", "POST", "/_admin/case-events", body)
        assert response.status_code == status, body
    assert case.events == before
    assert (await call(sandbox, "byggr", "GET", "/_admin/case-events")).status_code == 405


async def test_signal_pushes_are_configured_and_faulted_through_the_admin_api(sandbox: Any) -> None:
    state = (
        await call(
            sandbox,
            "teknik",
            "PUT",
            "/_admin/signals",
            {"url": "http://hub.test/signals", "secret": SECRET, "faults": {"duplicate": True}},
        )
    ).json()
    assert state == {
        "url": "http://hub.test/signals",
        "faults": {"lose": False, "duplicate": True, "reorder": False},
        "sent": 0,
        "failed": 0,
        "lost": 0,
        "held": 0,
        "pending": 0,
    }
    assert (
        await call(sandbox, "teknik", "PUT", "/_admin/signals", {"secret": "plain"})
    ).status_code == 400
    assert (
        await call(sandbox, "teknik", "PUT", "/_admin/signals", {"faults": {"lose": "yes"}})
    ).status_code == 400
    cleared = (await call(sandbox, "teknik", "DELETE", "/_admin/signals")).json()
    assert cleared["faults"] == {"lose": False, "duplicate": False, "reorder": False}
    await call(sandbox, "teknik", "PUT", "/_admin/signals", {"url": None, "secret": ""})
    # faults never touch the admin API
    await call(sandbox, "teknik", "PUT", "/_admin/faults", {"down": True})
    assert (await call(sandbox, "teknik", "GET", "/_admin/signals")).status_code == 200
    await call(sandbox, "teknik", "DELETE", "/_admin/faults")
