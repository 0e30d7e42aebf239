"""The case store synced from simulated systems through their real connectors (ASGI transports)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

import httpx

from casestore import CaseStore, DiaryFilter, Dimension, StatisticsFilter
from connectors.registry import SystemSettings, open_connectors
from policies.statistics import StatisticsPolicy, publish
from simulators import byggr as byggr_sim
from simulators import ecos as ecos_sim
from simulators import folkbokforing as folkbokforing_sim
from simulators import teknik as teknik_sim
from simulators import world as w

KALLE, ANNA = "195606055555", "197801012340"
T0 = datetime(2025, 3, 11, 9, 30, tzinfo=w.TZ)
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
MAIN = "MK-2025-837"


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def make_world() -> w.World:
    types = {
        "MILJO-NEDSKRAPNING": w.CaseTypeDef(
            "MILJO-NEDSKRAPNING", "Nedskräpning", "Miljö och hälsa", "ecos", "MBN", 30
        ),
        "TEKNIK-STADNING": w.CaseTypeDef(
            "TEKNIK-STADNING", "Städning", "Gata och park", "teknik", "TN", 10
        ),
        "BYGG-BYGGLOV": w.CaseTypeDef("BYGG-BYGGLOV", "Bygglov", "Bygga och bo", "byggr", "BN", 70),
    }
    littering = w.Case(
        system="ecos",
        id="4711",
        number=MAIN,
        main_number=MAIN,
        type_code="MILJO-NEDSKRAPNING",
        title="Nedskräpning vid återvinningsstationen",
        unit="MBN",
        status="CLOSED",
        opened_at=at(0),
        closed_at=at(9),
        subject=ANNA,
        channel="E_SERVICE",
        events=[
            w.Event("4711-e1", at(0), "SUBMITTED", "Anmälan inkommen", status_after="RECEIVED"),
            w.Event("4711-e2", at(1), "FORWARDED", "Överlämnad till TN", status_after="FORWARDED"),
            w.Event("4711-e3", at(9), "CLOSED", "Avslutat", status_after="CLOSED"),
        ],
        collaborations=[
            w.Collaboration(
                "FORWARDING",
                "MBN",
                "TN",
                at(1),
                completed_at=at(7),
                follow_up_retained=True,
                counterpart_system="teknik",
                counterpart_id="fr-2025-00042",
                counterpart_number="FEL-2025-00042",
            )
        ],
    )
    cleanup = w.Case(
        system="teknik",
        id="fr-2025-00042",
        number="FEL-2025-00042",
        main_number=MAIN,
        type_code="TEKNIK-STADNING",
        title="Städning vid återvinningsstationen",
        unit="TN",
        status="CLOSED",
        opened_at=at(1),
        closed_at=at(7),
        channel="INTERNAL",
        events=[
            w.Event("t-e1", at(1), "REGISTERED", "Registrerad", status_after="RECEIVED"),
            w.Event("t-e2", at(2), "ASSIGNMENT_GIVEN", "Uppdrag till AME"),
            w.Event("t-e3", at(7), "CLOSED", "Klart", status_after="CLOSED"),
        ],
        collaborations=[w.Collaboration("ASSIGNMENT", "TN", "AME", at(2), completed_at=at(6))],
    )
    permit = w.Case(
        system="byggr",
        id="BN-193",
        number="BN 2025/0193",
        type_code="BYGG-BYGGLOV",
        title="Bygglov för garage, Kalle Testson",
        unit="BN",
        status="IN_PROGRESS",
        opened_at=at(5),
        subject=KALLE,
        channel="E_SERVICE",
        events=[w.Event("b-e1", at(5), "SUBMITTED", "Ansökan inkommen", status_after="RECEIVED")],
    )
    persons = {
        KALLE: w.Person(KALLE, "Kalle", "Testson"),
        ANNA: w.Person(ANNA, "Anna", "Andersson"),
    }
    cases = {"ecos": [littering], "teknik": [cleanup], "byggr": [permit]}
    return w.World(0, date(2025, 6, 1), 0.0, types, persons, [], [], cases)


async def test_sync_from_three_simulators_through_their_connectors() -> None:
    world = make_world()
    apps = {
        "ecos": ecos_sim.create_app(world),
        "teknik": teknik_sim.create_app(world),
        "byggr": byggr_sim.create_app(world),
        "folkbokforing": folkbokforing_sim.create_app(world),
    }
    transports = {sid: httpx.ASGITransport(app=app) for sid, app in apps.items()}
    settings = {sid: SystemSettings(url=f"http://{sid}") for sid in apps}
    async with contextlib.AsyncExitStack() as stack:
        connectors = await open_connectors(settings, stack, transports=transports)
        policy = StatisticsPolicy({"MILJO-NEDSKRAPNING": 30, "TEKNIK-STADNING": 10}, 90)
        async with CaseStore(":memory:", policy, population=connectors.population) as rep:
            status = await rep.sync(connectors.case_sources, NOW)
            assert {s: (v.last_synced, v.last_error) for s, v in status.items()} == {
                "ecos": (NOW, None),
                "teknik": (NOW, None),
                "byggr": (NOW, None),
            }
            by_unit = publish(
                await rep.statistics(StatisticsFilter(group_by=(Dimension.UNIT,)), 1, NOW),
                (Dimension.UNIT,),
                1,
            )
            summary = {
                g.unit.code: (g.opened, g.closed, g.lead_time_days_median)
                for g in by_unit
                if g.unit
            }
            assert summary == {"BN": (1, 0, None), "MBN": (1, 1, 9.0), "TN": (1, 1, None)}
            diary = await rep.diary(DiaryFilter(), 10, None)
            titles = {e.case_number: e.title for e in diary.items}
            assert titles["BN 2025/0193"] == "Bygglov för garage, [personuppgift]"
            assert all("Testson" not in t and "5555" not in t for t in titles.values())
