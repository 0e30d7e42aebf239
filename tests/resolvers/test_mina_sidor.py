"""Mina Sidor end to end in-process: the gateway over the real simulators (ASGI transports)."""

from __future__ import annotations

import base64
import time
from datetime import date
from typing import Any

import pytest

from simulators import personas
from simulators.world import CASE_SYSTEMS, World

MY_PAGES = """
query ($first: Int, $after: String) {
  myPages {
    citizen { personalNumber name protectedIdentity }
    represents { basis validUntil citizen { personalNumber name } }
    cases(first: 500) {
      totalCount
      edges { node { id caseNumber mainCaseNumber title status system { id } type { code name area }
                     responsibleUnit { code } subject { personalNumber } } }
    }
    events(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id occurredAt kind summary concerns { personalNumber name } case { caseNumber } } }
    }
    unavailableSystems { id }
  }
}
"""


def local_ref(global_id: str) -> tuple[str, str]:
    text = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    kind, system, local = text.split(":", 2)
    assert kind == "Case"
    return system, local


def age_on(pnr: str, today: date) -> int:
    born = date(int(pnr[:4]), int(pnr[4:6]), int(pnr[6:8]) % 60 or 1)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def expected_cases(world: World, pnr: str, today: date) -> set[tuple[str, str]]:
    """Ground truth from the sandbox: own cases, children's, principals' in scope."""
    children = [
        c.child for c in world.custody_of(pnr) if c.custodian == pnr and age_on(c.child, today) < 18
    ]
    mandates = [
        m
        for m in world.mandates_for_grantee(pnr)
        if not m.revoked
        and m.valid_from <= today
        and (m.valid_until is None or today <= m.valid_until)
    ]
    found: set[tuple[str, str]] = set()
    for system in CASE_SYSTEMS:
        for case in world.cases_of(system, [pnr, *children]):
            found.add((system, case.id))
        for mandate in mandates:
            for case in world.cases_of(system, [mandate.grantor]):
                if case.type_code in mandate.scope:
                    found.add((system, case.id))
    return found


async def test_kalle_sees_exactly_his_own_his_childs_and_his_principals_cases(
    gateway: Any, world: World
) -> None:
    token = gateway.token("citizen", personas.KALLE)
    body = await gateway.query(MY_PAGES, {"first": 500}, token)
    assert "errors" not in body, body
    view = body["data"]["myPages"]
    assert view["citizen"] == {
        "personalNumber": personas.KALLE,
        "name": "Kalle Testson",
        "protectedIdentity": False,
    }
    got = {local_ref(edge["node"]["id"]) for edge in view["cases"]["edges"]}
    assert got == expected_cases(world, personas.KALLE, date.today())
    assert view["cases"]["totalCount"] == len(got)
    systems = {edge["node"]["system"]["id"] for edge in view["cases"]["edges"]}
    assert {"byggr", "diarium", "edu", "procapita"} <= systems
    bases = {(r["citizen"]["personalNumber"], r["basis"]) for r in view["represents"]}
    assert (personas.NILS, "CUSTODY") in bases
    assert (personas.GRETA, "POWER_OF_ATTORNEY") in bases
    assert view["unavailableSystems"] == []


async def test_kalles_event_list_tells_the_figur_4_story_newest_first(gateway: Any) -> None:
    token = gateway.token("citizen", personas.KALLE)
    body = await gateway.query(MY_PAGES, {"first": 500}, token)
    events = [e["node"] for e in body["data"]["myPages"]["events"]["edges"]]
    times = [e["occurredAt"] for e in events]
    assert times == sorted(times, reverse=True)
    text = " | ".join(e["summary"] for e in events)
    for phrase in ("särskilt boende", "Vallhornet", "Nyckelpigan", "kulturstipendium", "avslagen"):
        assert phrase in text, phrase
    concerned = {e["concerns"]["personalNumber"] for e in events if e["concerns"]}
    assert {personas.NILS, personas.GRETA} <= concerned
    assert personas.KALLE not in concerned  # "when it is not the caller"


async def test_events_page_with_relay_cursors(gateway: Any) -> None:
    token = gateway.token("citizen", personas.KALLE)
    whole = await gateway.query(MY_PAGES, {"first": 500}, token)
    all_ids = [e["node"]["id"] for e in whole["data"]["myPages"]["events"]["edges"]]
    assert len(all_ids) > 4
    seen: list[str] = []
    after = None
    for _ in range(100):
        page = (await gateway.query(MY_PAGES, {"first": 3, "after": after}, token))["data"][
            "myPages"
        ]["events"]
        seen += [e["node"]["id"] for e in page["edges"]]
        assert page["totalCount"] == len(all_ids)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == all_ids


async def test_one_upstream_call_per_system_and_operation(gateway: Any) -> None:
    token = gateway.token("citizen", personas.KALLE)
    await gateway.query("{ viewer { role } }", token=token)
    gateway.reset_counts()
    body = await gateway.query(
        MY_PAGES + "",
        {"first": 500},
        token,
    )
    assert "errors" not in body
    calls = gateway.upstream_calls()
    # cases: one search per case system; folkbokföring: custody + persons; ombud: mandates
    assert calls == {**{s: 1 for s in CASE_SYSTEMS}, "folkbokforing": 2, "ombud": 1}


async def test_nested_chains_do_not_multiply_calls(gateway: Any) -> None:
    token = gateway.token("citizen", personas.KALLE)
    query = """{ myPages { cases(first: 500) { edges { node {
        chain { caseNumber collaborations { counterpartCase { caseNumber } } }
        collaborations { counterpartCase { caseNumber chain { caseNumber } } } } } } } }"""
    gateway.reset_counts()
    body = await gateway.query(query, token=token)
    assert "errors" not in body, body
    per_path: dict[tuple[str, str], int] = {}
    for system, transport in gateway.transports.items():
        for request in transport.requests:
            if request.url.path != "/oauth/token":
                key = (system, request.url.path + request.headers.get("soapaction", ""))
                per_path[key] = per_path.get(key, 0) + 1
    # every (system, operation) is asked at most once per wave of the query's depth
    assert max(per_path.values()) <= 3, per_path


@pytest.mark.parametrize(
    ("faults", "code"),
    [
        ({"down": True}, "UPSTREAM_UNAVAILABLE"),
        ({"error_rate": 1.0}, "UPSTREAM_UNAVAILABLE"),
        ({"malformed": True}, "UPSTREAM_CONTRACT"),
        ({"hang": True}, "UPSTREAM_TIMEOUT"),
        ({"drip": True}, "UPSTREAM_TIMEOUT"),
    ],
)
async def test_a_failing_system_gives_partial_data_and_a_coded_error(
    faults: dict[str, Any], code: str, make_settings: Any, start_gateway: Any
) -> None:
    # 1 s: the register's share (40 %) and the 150 ms minimum per call must survive a
    # stall of a loaded test machine; a hanging system still ends the query in time
    settings = make_settings(KNUTPUNKT_GATEWAY_DEADLINE_SECONDS="1.0")
    async with start_gateway(settings) as gateway:
        await gateway.faults("procapita", **faults)
        token = gateway.token("citizen", personas.KALLE)
        started = time.monotonic()
        body = await gateway.query(MY_PAGES, {"first": 500}, token)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0
    view = body["data"]["myPages"]
    assert [s["id"] for s in view["unavailableSystems"]] == ["procapita"]
    assert {"code": code, "system": "procapita"} in [e["extensions"] for e in body["errors"]]
    systems = {e["node"]["system"]["id"] for e in view["cases"]["edges"]}
    assert "procapita" not in systems
    assert {"byggr", "edu", "diarium"} <= systems
    for error in body["errors"]:
        assert "http" not in error["message"] and "Traceback" not in error["message"]


def _operation(system: str, request: Any) -> tuple[str, ...]:
    """What upstream operation a request is: path, SOAP action, RPC method, search parameter."""
    import json as _json

    rpc = _json.loads(request.content)["method"] if system == "diarium" else ""
    params = ",".join(
        sorted(
            k
            for k in request.url.params
            if k not in ("offset", "limit", "page", "pageSize", "perPage", "pageToken")
        )
    )
    return (
        system,
        request.method,
        request.url.path,
        request.headers.get("soapaction", ""),
        rpc,
        params,
    )


async def test_aliased_staff_lookups_with_chains_share_every_upstream_call(gateway: Any) -> None:
    people = [personas.KALLE, personas.ANNA, personas.BENGT, personas.TOLVAN, personas.LISA]
    query = (
        "{ "
        + " ".join(
            f'a{i}: citizen(personalNumber: "{p}", purpose: "Samtal") {{ cases {{ edges {{ node {{ chain {{ caseNumber }} }} }} }} }}'
            for i, p in enumerate(people)
        )
        + " }"
    )
    token = gateway.token("contact_centre")
    await gateway.query("{ viewer { role } }", token=token)
    gateway.reset_counts()
    body = await gateway.query(query, token=token)
    assert "errors" not in body, body
    counts: dict[tuple[str, ...], int] = {}
    for system, transport in gateway.transports.items():
        for request in transport.requests:
            if request.url.path != "/oauth/token":
                key = _operation(system, request)
                counts[key] = counts.get(key, 0) + 1
    assert counts and max(counts.values()) == 1, {k: v for k, v in counts.items() if v > 1}
