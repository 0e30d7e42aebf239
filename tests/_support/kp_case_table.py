"""The case systems' table (`SYSTEMS`, see `kp_case_systems`): per system, its connector,
simulator and sandbox world, the look-ups and change window with what they find and send,
the cases known in full, its code tables and the keys it cannot hold."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from kp_case_systems import (
    CaseSystem,
    Lookup,
    Mark,
    Sent,
    Tables,
    Window,
    query_keys,
    query_mark,
    rpc_keys,
    soap_keys,
)
from kp_expected_cases import (
    CHILD,
    CLEANUP,
    HEALTH,
    LITTERING,
    PRESCHOOL,
    PROPOSAL,
    QUESTION,
    WAITING,
)
from kp_full_case import expected_case
from kp_service_worlds import (
    BENGT,
    ES_FILLERS,
    KARIN,
    KC_FILLERS,
    NILS,
    edu_world,
    eservice_world,
    kontaktcenter_world,
)
from kp_system_worlds import BYGGR, DIARIUM, FILLERS, PROCAPITA, Archive, ecos_world, teknik_world
from kp_worlds import ANNA, KALLE, LISA, TOLVAN, at
from starlette.applications import Starlette

from connectors import byggr, diarium, ecos, edu, procapita, teknik
from connectors import eservice as es
from connectors import kontaktcenter as kc
from connectors.domain import SystemInfo
from simulators import byggr as byggr_sim
from simulators import diarium as diarium_sim
from simulators import ecos as ecos_sim
from simulators import edu as edu_sim
from simulators import edu_shapes
from simulators import eservice as es_sim
from simulators import eservice_shapes as es_shapes
from simulators import kontaktcenter as kc_sim
from simulators import kontaktcenter_shapes as kc_shapes
from simulators import procapita as procapita_sim
from simulators import teknik as teknik_sim
from simulators import world as w

C = TypeVar("C")


def _archive(
    archive: Archive,
    *,
    info: SystemInfo,
    connector: Callable[..., C],
    app: Callable[[w.World], Starlette],
    keys_sent: Sent,
    link: str,
    tables: Tables,
    window_sent: tuple[str, str],
    marks: tuple[object, ...] | None = None,
    page_mark: Mark | None = None,
) -> CaseSystem[C]:
    """A diary-style system (`kp_system_worlds.Archive`); `marks` when its searches page."""
    spec, unit = archive.spec, archive.unit
    fillers = tuple(archive.filler_id(i) for i in range(FILLERS))
    calls = 1 if marks is None else len(marks)
    crowd = (TOLVAN, KALLE, LISA, TOLVAN, "not-a-pnr")
    numbers = (spec.main_number, archive.filler_main_number, f"{unit} 1900/0000")
    return CaseSystem(
        name=spec.system,
        info=info,
        connector=connector,
        app=app,
        world=archive.world,
        small_pages={"page_size": 10},
        keys_sent=keys_sent,
        page_mark=page_mark,
        known={spec.id: expected_case(spec, link=link)},
        person=Lookup((KALLE,), (spec.id,)),
        crowd=Lookup(crowd, (spec.id, *fillers), calls, ("not-a-pnr",), marks),
        ids=Lookup((spec.id, "nope"), (spec.id,)),
        numbers=Lookup(numbers, (spec.id, *fillers), calls, (), marks),
        changes=Window(at(200), at(430), (spec.id, *fillers[:30]), 4, window_sent),
        cached=(spec.id, archive.status_id(0)),
        tables=tables,
        status_id=archive.status_id,
        status_link=archive.status_link,
    )


BYGGR_SYSTEM = _archive(
    BYGGR,
    info=byggr.INFO,
    connector=byggr.ByggrConnector,
    app=byggr_sim.create_app,
    keys_sent=soap_keys("PersOrgNr", "Dnr", "Diarienummer"),
    link="https://etjanster.exempelby.se/bygglov/arende/BYGG-2025-000193",
    tables=(
        (byggr.STATUSES, byggr_sim.STATUS_TEXTS.values()),
        (byggr.EVENT_KINDS, byggr_sim.EVENT_TYPES.values()),
        (byggr.CHANNELS, byggr_sim.CHANNELS.values()),
        (byggr.DIRECTIONS, byggr_sim.DIRECTIONS.values()),
        (byggr.COLLABORATIONS, byggr_sim.COLLABORATION_TYPES.values()),
    ),
    window_sent=(
        "<t:FromDatum>2025-03-19T17:30:00+01:00</t:FromDatum>",
        "<t:TomDatum>2025-03-29T07:30:00+01:00</t:TomDatum>",
    ),
)
PROCAPITA_SYSTEM = _archive(
    PROCAPITA,
    info=procapita.INFO,
    connector=procapita.ProcapitaConnector,
    app=procapita_sim.create_app,
    keys_sent=soap_keys("Personnummer", "ArendeId", "Diarienummer"),
    link="https://etjanster.exempelby.se/socialtjanst/arende/PC00000193",
    tables=(  # the status table is procapita's own (tests/connectors/test_procapita.py)
        (procapita.EVENT_KINDS, procapita_sim.JOURNAL_TYPES.values()),
        (procapita.CHANNELS, procapita_sim.CHANNELS.values()),
        (procapita.DIRECTIONS, procapita_sim.DIRECTIONS.values()),
        (procapita.COLLABORATIONS, procapita_sim.COLLABORATION_TYPES.values()),
    ),
    window_sent=(
        "<t:FranTid>20250319T173000</t:FranTid>",
        "<t:TillTid>20250329T073000</t:TillTid>",
    ),
)
DIARIUM_SYSTEM = _archive(
    DIARIUM,
    info=diarium.INFO,
    connector=diarium.DiariumConnector,
    app=diarium_sim.create_app,
    keys_sent=rpc_keys("personnummer", "id", "diarienummer"),
    link="https://diarium.exempelby.se/arende/100193",
    tables=(
        (diarium.STATUSES, diarium_sim.STATUS_TEXTS.values()),
        (diarium.EVENT_KINDS, diarium_sim.EVENT_TYPES.values()),
        (diarium.CHANNELS, diarium_sim.CHANNELS.values()),
        (diarium.DIRECTIONS, diarium_sim.DIRECTIONS.values()),
        (diarium.COLLABORATIONS, diarium_sim.COLLABORATION_TYPES.values()),
    ),
    window_sent=('"changedSince":"2025-03-19 17:30:00"', '"until":"2025-03-29 07:30:00"'),
    marks=(1, 2, 3, 4),
    page_mark=lambda request: json.loads(request.content)["params"].get("sida"),
)

_ECOS_FILLERS = tuple(str(5000 + i) for i in range(35))
ECOS_SYSTEM = CaseSystem(
    name="ecos",
    info=ecos.INFO,
    connector=ecos.EcosConnector,
    app=ecos_sim.create_app,
    world=ecos_world,
    small_pages={"page_size": 10},
    keys_sent=query_keys("personalIdentityNumber", "ids", "caseNumber"),
    page_mark=lambda request: "pageToken" in request.url.params,
    known={"4711": LITTERING},
    person=Lookup((ANNA,), ("4711",)),
    crowd=Lookup((TOLVAN, ANNA, TOLVAN), ("4711", *_ECOS_FILLERS), 4, (), (False, *[True] * 3)),
    ids=Lookup(("4711", "nope", "a,b"), ("4711",), dropped=("a,b",)),
    numbers=Lookup(
        ("MK-2025-837", "MK-2025-999", "MK-1,2", "MK-0000-0"),
        ("4711", *_ECOS_FILLERS),
        4,
        ("MK-1,2",),
        (False, *[True] * 3),
    ),
    changes=Window(
        at(5),
        at(130),
        ("4711", *_ECOS_FILLERS[:30]),
        4,
        ("from=2025-03-11T13:30:00Z", "to=2025-03-16T18:30:00Z"),
    ),
    cached=("4711", "70"),
    tables=(
        (ecos.STATUS, ecos_sim.STATUS_CODES.values()),
        (ecos.EVENT_KIND, ecos_sim.OCCURRENCE_TYPES.values()),
    ),
    hopeless_ids=("a,b",),
    hopeless_numbers=("a,b",),
    status_id=lambda n: f"7{n}",
)

_TEKNIK_FILLERS = tuple(f"fr-2025-{100 + i:05d}" for i in range(33))
TEKNIK_SYSTEM = CaseSystem(
    name="teknik",
    info=teknik.INFO,
    connector=teknik.TeknikConnector,
    app=teknik_sim.create_app,
    world=teknik_world,
    small_pages={"page_size": 10},
    keys_sent=query_keys("pnr", "ids", "arendenummer"),
    page_mark=query_mark("offset"),
    known={"fr-2025-00042": CLEANUP},
    person=Lookup((ANNA,), ("fr-2025-00042",)),
    crowd=Lookup(
        (TOLVAN, ANNA), ("fr-2025-00042", *_TEKNIK_FILLERS), 4, (), ("0", "10", "20", "30")
    ),
    ids=Lookup(("fr-2025-00042", "nope"), ("fr-2025-00042",)),
    numbers=Lookup(("MK-2025-837", "FEL-1,2"), ("fr-2025-00042",), dropped=("FEL-1,2",)),
    changes=Window(
        at(48),
        at(125),
        ("fr-2025-00042", *_TEKNIK_FILLERS[:25]),
        3,
        ("fran=2025-03-13T09:30:00+01:00", "till=2025-03-16T14:30:00+01:00"),
    ),
    cached=("fr-2025-00042", "st-0"),
    tables=(
        (teknik.STATUS, teknik_sim.STATUSES),
        (teknik.EVENT_KIND, teknik_sim.EVENT_TYPES.values()),
        (teknik.CHANNEL, teknik_sim.CHANNELS.values()),
    ),
    hopeless_ids=("a,b",),
    hopeless_numbers=("a,b",),
)

_EDU_FILLERS = tuple(str(200000 + i) for i in range(31))
EDU_SYSTEM = CaseSystem(
    name="edu",
    info=edu.INFO,
    connector=edu.EduConnector,
    app=edu_sim.create_app,
    world=edu_world,
    small_pages={"page_size": 10},
    keys_sent=query_keys("personalNumber", "ids", "referenceNumber"),
    page_mark=query_mark("page"),
    known={"100234": PRESCHOOL, "100235": HEALTH},
    person=Lookup((KALLE,), ("100234", "100235")),
    crowd=Lookup((KARIN, NILS), ("100234", "100235", *_EDU_FILLERS), 4, (), ("1", "2", "3", "4")),
    ids=Lookup(("100234", "abc", "٣", "-1"), ("100234",), dropped=("abc", "٣", "-1")),
    numbers=Lookup(("FSK-2025-00010",), ("100234",)),
    changes=Window(  # milliseconds are rounded outwards: the start to 48 h exactly
        at(48) + timedelta(microseconds=700),
        at(110),
        ("100234", *_EDU_FILLERS[:10]),
        2,
        (f"fromMs={int(at(48).timestamp()) * 1000}", f"toMs={int(at(110).timestamp()) * 1000}"),
    ),
    cached=("100234", "100235"),
    tables=(
        (edu.STATUS, edu_shapes.STATUS_TEXTS),
        (edu.EVENT_KIND, edu_shapes.EVENT_CODES.values()),
        (edu.CHANNEL, edu_shapes.CHANNEL_CODES.values()),
    ),
    hopeless_ids=("abc", "٣", "-1", "a,b"),
    hopeless_numbers=("a,b",),
    status_id=lambda n: str(300 + n),
)

_KC_FILLERS = tuple(str(7100 + i) for i in range(KC_FILLERS))
KONTAKTCENTER_SYSTEM = CaseSystem(
    name="kontaktcenter",
    info=kc.INFO,
    connector=kc.KontaktcenterConnector,
    app=kc_sim.create_app,
    world=kontaktcenter_world,
    small_pages={"page_size": 10, "log_page_size": 7},
    keys_sent=query_keys("contact", "id", "reference"),
    page_mark=query_mark("offset"),
    known={"7001": PROPOSAL, "7002": QUESTION},
    person=Lookup((TOLVAN, KALLE, "not-a-pnr"), ("7002",), dropped=("not-a-pnr",)),
    crowd=Lookup((BENGT,), ("7001", *_KC_FILLERS), 4, (), ("0", "10", "20", "30")),
    ids=Lookup(("7002", "7001", "7002", "x,y", "nope"), ("7002", "7001"), dropped=("x,y",)),
    numbers=Lookup(("KF 2025/0117", "KC-2025-0043"), ("7001", "7002")),
    changes=Window(  # the event log in pages of 7, then the cases of 30 ids in pages of 10
        at(24),
        at(24 * 31),
        _KC_FILLERS[:30],
        9 + 3,
        ("since=2025-03-12T09:30:00+01:00", "until=2025-04-11T09:30:00+02:00"),
    ),
    cached=("7001", "7002"),
    tables=(
        (kc.STATUS, kc_shapes.STATES.values()),
        (kc.EVENT_KIND, kc_shapes.ENTRY_TYPES.values()),
        (kc.CHANNEL, kc_shapes.CHANNELS.values()),
        (kc.DIRECTION, kc_shapes.DIRECTIONS.values()),
        (kc.LOG_TYPES, {"case.created", "case.updated", *kc_shapes.LOG_TYPES.values()}),
    ),
    hopeless_ids=("a,b",),
    hopeless_numbers=("a,b",),
)

_ES_FILLERS = tuple(str(105000 + i) for i in range(ES_FILLERS))
ESERVICE_SYSTEM = CaseSystem(
    name="eservice",
    info=es.INFO,
    connector=es.EserviceConnector,
    app=es_sim.create_app,
    world=eservice_world,
    small_pages={"per_page": 5},
    keys_sent=query_keys("citizenIdentifier", "flowInstanceIDs", "referenceNumber"),
    page_mark=query_mark("page"),
    known={"104240": WAITING, "104250": CHILD},
    person=Lookup((TOLVAN, KALLE, TOLVAN, "bad"), ("104240", "104250"), dropped=("bad",)),
    crowd=Lookup((ANNA,), _ES_FILLERS, 3, (), (None, "2", "3")),
    ids=Lookup(("104250", "104240", "x,y"), ("104250", "104240"), dropped=("x,y",)),
    numbers=Lookup(("BUN 2025/0301", "ES-2025-0901"), ("104240", "104250")),
    changes=Window(
        at(0),
        at(100 + ES_FILLERS),
        ("104250", "104240", *_ES_FILLERS),
        4,
        ("fromDate=2025-03-11T09:30:00+01:00", "toDate=2025-03-16T03:30:00+01:00"),
    ),
    cached=("104240", "104250"),
    tables=(
        (es.STATUS, {status_id for status_id, _, _ in es_shapes.STATUSES.values()}),
        (es.EVENT_KIND, es_shapes.EVENT_TYPES.values()),
        (es.CHANNEL, es_shapes.CHANNELS.values()),
        (es.DIRECTION, es_shapes.DIRECTIONS.values()),
        (es.HANDOVER, es_shapes.HANDOVER_TYPES.values()),
    ),
    hopeless_ids=("a,b",),
    hopeless_numbers=("a,b",),
)

SYSTEMS: tuple[CaseSystem[Any], ...] = (
    BYGGR_SYSTEM,
    PROCAPITA_SYSTEM,
    DIARIUM_SYSTEM,
    ECOS_SYSTEM,
    TEKNIK_SYSTEM,
    EDU_SYSTEM,
    KONTAKTCENTER_SYSTEM,
    ESERVICE_SYSTEM,
)
