"""Statistics, overdue cases and the public diary through the whole app, over a synced case store."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from casestore import utcnow
from simulators import personas
from simulators.generate.persona_data import persona_cases
from simulators.world import World

STATS = """query ($filter: StatisticsFilter) { caseStatistics(filter: $filter) { suppressionThreshold
  groups { caseType { code } unit { code } channel month suppressed opened closed
           leadTimeDaysMedian leadTimeDaysP90 withinServicePromiseShare overdueOpen } } }"""
DIARY = """query ($filter: DiaryFilter, $first: Int, $after: String) { publicDiary(filter: $filter, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { caseNumber title unit { code } confidential documents { title confidential } } } } }"""
OVERDUE = """query ($filter: OverdueFilter) { overdueCases(filter: $filter, first: 20) { totalCount
  edges { node { caseNumber title responsibleUnit { code } subject { personalNumber name }
                 servicePromise { targetDays elapsedDays breached } } } } }"""


@pytest.fixture
async def synced(make_settings: Any, start_gateway: Any, tmp_path: Path) -> AsyncIterator[Any]:
    settings = make_settings(
        KNUTPUNKT_CASESTORE_ENABLED="true",
        KNUTPUNKT_CASESTORE_URL=f"sqlite:///{tmp_path}/store.db",
        KNUTPUNKT_CASESTORE_REFRESH_SECONDS="3600",
    )
    async with start_gateway(settings) as gateway:
        state = gateway.app.state.knutpunkt
        store = state.services.case_store
        result = await store.sync(state.connectors.case_sources, utcnow())
        assert all(s.last_error is None for s in result.values()), result
        yield gateway


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_anonymous_statistics_by_unit_are_consistent_and_suppressed(synced: Any) -> None:
    body = await synced.query(STATS, {"filter": {"groupBy": ["UNIT"]}})
    assert "errors" not in body, body
    stats = body["data"]["caseStatistics"]
    assert stats["suppressionThreshold"] == 5
    groups = stats["groups"]
    assert {g["unit"]["code"] for g in groups} >= {"BN", "TN", "SN", "MBN", "KC"}
    for g in groups:
        if g["suppressed"]:
            assert [g[k] for k in ("opened", "closed", "leadTimeDaysMedian", "overdueOpen")] == [
                None
            ] * 4
        else:
            assert g["opened"] >= 5 and 0 <= g["closed"] <= g["opened"]
            if g["leadTimeDaysMedian"] is not None:
                assert g["leadTimeDaysMedian"] <= g["leadTimeDaysP90"]
    total = await synced.query(STATS, {"filter": {}})
    whole = total["data"]["caseStatistics"]["groups"]
    assert len(whole) == 1 and whole[0]["opened"] == sum(g["opened"] or 0 for g in groups)


async def test_channel_breakdown_shows_the_cost_argument(synced: Any) -> None:
    body = await synced.query(STATS, {"filter": {"groupBy": ["CHANNEL"]}})
    channels = {
        g["channel"]: g["opened"]
        for g in body["data"]["caseStatistics"]["groups"]
        if not g["suppressed"]
    }
    assert {"E_SERVICE", "CONTACT_CENTRE", "PHONE"} <= set(channels)


async def test_annas_chain_has_one_a_to_o_lead_time(synced: Any, world: World) -> None:
    cases = persona_cases(date.today())
    month = world.case("ecos", cases[personas.ANNA_ECOS].id).opened_at.strftime("%Y-%m")  # type: ignore[union-attr]
    month_start = f"{month}-01"
    flt = {"groupBy": ["UNIT", "CASE_TYPE"], "from": month_start, "to": month_start}
    body = await synced.query(STATS, {"filter": flt})
    assert "errors" not in body, body
    store = synced.app.state.knutpunkt.services.case_store
    rows = await store._db.fetch(  # the stored measurement per case of the chain
        "SELECT system, lead_days FROM replica_cases WHERE chain_key LIKE ?",
        (f"{cases[personas.ANNA_ECOS].main_number}#%",),
    )
    measured = [(system, lead) for system, lead in rows if lead is not None]
    assert [s for s, _ in measured] == ["ecos"], (
        rows
    )  # one figure for the whole chain, owned by MBN


async def test_bad_statistics_input_is_a_coded_error_without_upstream_calls(synced: Any) -> None:
    synced.reset_counts()
    for flt, code in [
        ({"from": "2026-05-01", "to": "2026-01-01"}, "INVALID_PERIOD"),
        ({"from": "1900-01-01"}, "INVALID_PERIOD"),
        ({"caseType": "NO-SUCH-TYPE"}, "UNKNOWN_CASE_TYPE"),
        ({"unit": "XYZ"}, "UNKNOWN_UNIT"),
        ({"groupBy": ["UNIT", "UNIT"]}, "INVALID_GROUP_BY"),
    ]:
        body = await synced.query(STATS, {"filter": flt})
        assert _codes(body) == [code], (flt, body)
    for first in (0, 501, -1):
        body = await synced.query(DIARY, {"first": first})
        assert _codes(body) == ["INVALID_PAGE_SIZE"]
    assert synced.upstream_calls() == {}


async def test_public_diary_masks_kalles_building_permit_for_anonymous_callers(synced: Any) -> None:
    number = persona_cases(date.today())[personas.KALLE_BYGGLOV].number
    body = await synced.query(DIARY, {"filter": {"text": number}})
    assert "errors" not in body, body
    entries = [e["node"] for e in body["data"]["publicDiary"]["edges"]]
    assert [e["caseNumber"] for e in entries] == [number]
    text = json.dumps(entries, ensure_ascii=False)
    for secret in ("Kalle", "Testson", "195606055555", "19560605-5555", "560605-5555"):
        assert secret not in text
    assert "[personuppgift]" in entries[0]["title"]


async def test_public_diary_hides_confidential_titles_and_pages(synced: Any) -> None:
    body = await synced.query(DIARY, {"filter": {"unit": "SN"}, "first": 5})
    page = body["data"]["publicDiary"]
    assert page["totalCount"] > 5 and page["pageInfo"]["hasNextPage"]
    for edge in page["edges"]:
        node = edge["node"]
        assert node["confidential"] is True
        assert node["title"] == "Sekretessbelagt ärende"
        assert all(d["title"] == "Handling omfattas av sekretess" for d in node["documents"])
    second = await synced.query(
        DIARY, {"filter": {"unit": "SN"}, "first": 5, "after": page["pageInfo"]["endCursor"]}
    )
    first_numbers = {e["node"]["caseNumber"] for e in page["edges"]}
    assert not first_numbers & {
        e["node"]["caseNumber"] for e in second["data"]["publicDiary"]["edges"]
    }


async def test_no_personal_number_anywhere_in_the_public_diary(synced: Any) -> None:
    body = await synced.query(DIARY, {"first": 500})
    text = json.dumps(body, ensure_ascii=False)
    assert not re.search(r"(?<![\d.])(19|20)\d{6}-?\d{4}(?!\d)", text)


async def test_overdue_cases_per_role(synced: Any) -> None:
    officer = await synced.query(
        OVERDUE, {"filter": {}}, synced.token("case_officer", units=["TN"])
    )
    assert "errors" not in officer, officer
    items = [e["node"] for e in officer["data"]["overdueCases"]["edges"]]
    assert items and {i["responsibleUnit"]["code"] for i in items} == {"TN"}
    assert all(i["servicePromise"]["breached"] for i in items)
    elapsed = [
        i["servicePromise"]["elapsedDays"] - i["servicePromise"]["targetDays"] for i in items
    ]
    assert elapsed == sorted(elapsed, reverse=True)  # oldest breach first
    assert any(i["subject"] and i["subject"]["name"] for i in items)  # own unit: subjects shown

    analyst = await synced.query(OVERDUE, {"filter": {"unit": "TN"}}, synced.token("analyst"))
    same = [e["node"] for e in analyst["data"]["overdueCases"]["edges"]]
    assert [i["caseNumber"] for i in same] == [i["caseNumber"] for i in items]
    assert all(i["subject"] is None for i in same)
    text = json.dumps(same, ensure_ascii=False)
    assert not re.search(r"(?<![\d.])(19|20)\d{6}-?\d{4}(?!\d)", text)

    for token in (None, synced.token("contact_centre"), synced.token("citizen", personas.KALLE)):
        denied = await synced.query(OVERDUE, {"filter": {}}, token)
        assert _codes(denied) in (["FORBIDDEN"], ["UNAUTHENTICATED"])


async def test_source_systems_tell_when_each_was_last_synced(synced: Any) -> None:
    body = await synced.query("{ sourceSystems { id healthy lastSyncedAt stale } }")
    systems = {s["id"]: s for s in body["data"]["sourceSystems"]}
    assert systems["byggr"]["lastSyncedAt"] and systems["byggr"]["stale"] is False


async def test_a_system_down_during_refresh_keeps_the_last_good_data_and_turns_stale(
    synced: Any,
) -> None:
    before = await synced.query(STATS, {"filter": {"unit": "BN"}})
    await synced.faults("byggr", down=True)
    state = synced.app.state.knutpunkt
    result = await state.services.case_store.sync(state.connectors.case_sources, utcnow())
    assert result["byggr"].last_error
    after = await synced.query(STATS, {"filter": {"unit": "BN"}})
    assert after["data"] == before["data"]
    systems = await synced.query("{ sourceSystems { id stale lastSyncedAt } }")
    byggr = next(s for s in systems["data"]["sourceSystems"] if s["id"] == "byggr")
    assert byggr["stale"] is True and byggr["lastSyncedAt"]


async def test_registers_are_not_reported_as_stale_replicas(synced: Any) -> None:
    body = await synced.query("{ sourceSystems { id kind lastSyncedAt stale } }")
    registers = [
        s
        for s in body["data"]["sourceSystems"]
        if s["kind"] in ("POPULATION_REGISTER", "MANDATE_REGISTER")
    ]
    assert [(s["id"], s["lastSyncedAt"], s["stale"]) for s in registers] == [
        ("folkbokforing", None, False),
        ("ombud", None, False),
    ]
