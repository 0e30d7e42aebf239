"""The simulated fault-report API: shapes, offset paging, look-ups and bad requests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from kp_worlds import at, world_of

from simulators import teknik
from simulators.faults import FaultInjector
from simulators.world import Case, CaseTypeDef, Collaboration, Document, Event, World

ANNA = "197801012340"
TOLVAN = "191212121212"


def make_world() -> World:
    types = {
        "TEK-STAD": CaseTypeDef("TEK-STAD", "Skräpplockning/städning", "Teknik", "teknik", "TN", 14)
    }
    cleanup = Case(
        system="teknik",
        id="fr-2025-00042",
        number="FEL-2025-00042",
        main_number="MK-2025-837",
        type_code="TEK-STAD",
        title="Städning vid återvinningsstationen",
        description="Överlämnat från miljö.",
        unit="TN",
        status="WAITING_FOR_OTHER_PARTY",
        opened_at=at(0),
        subject=ANNA,
        channel="INTERNAL",
        events=[
            Event("fr-2025-00042-e1", at(0), "REGISTERED", "Ärende mottaget från MBN", diary=True),
            Event("fr-2025-00042-e2", at(3), "ASSIGNMENT_GIVEN", "Uppdrag till AME", concerns=ANNA),
        ],
        documents=[Document("fr-2025-00042-d1", "Uppdrag", "OUTGOING", at(3))],
        collaborations=[Collaboration("ASSIGNMENT", "TN", "AME", at(3))],
    )
    fillers = [
        Case(
            system="teknik",
            id=f"fr-2025-{100 + i:05d}",
            number=f"FEL-2025-{100 + i:05d}",
            type_code="TEK-STAD",
            title=f"Trasig lampa {i}",
            unit="TN",
            status="RECEIVED",
            opened_at=at(100 + i),
            subject=TOLVAN,
            applicant=ANNA if i == 0 else None,
            channel="PHONE",
        )
        for i in range(33)
    ]
    return world_of(cleanup, *fillers, types=types.values())


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=FaultInjector(teknik.create_app(make_world())))
    async with httpx.AsyncClient(base_url="http://teknik.test", transport=transport) as client:
        yield client


CLEANUP = {
    "id": "fr-2025-00042",
    "arendenummer": "FEL-2025-00042",
    "huvudarendenummer": "MK-2025-837",
    "kategori": {"kod": "TEK-STAD", "benamning": "Skräpplockning/städning"},
    "rubrik": "Städning vid återvinningsstationen",
    "beskrivning": "Överlämnat från miljö.",
    "status": "uppdrag_ame",
    "ansvarig_enhet": {"kod": "TN", "namn": "Tekniska nämnden"},
    "berord_person_pnr": ANNA,
    "anmalare_pnr": None,
    "kanal": "intern",
    "registrerad": "2025-03-11T09:30:00+01:00",
    "avslutad": None,
    "sekretess": False,
    "sekretessgrund": None,
    "lank": None,
    "andrad": "2025-03-11T12:30:00+01:00",
    "handelser": [
        {
            "id": "fr-2025-00042-e1",
            "tidpunkt": "2025-03-11T09:30:00+01:00",
            "typ": "registrerad",
            "rubrik": "Ärende mottaget från MBN",
            "beskrivning": None,
            "diarieford": True,
            "intern": False,
            "avser_pnr": None,
        },
        {
            "id": "fr-2025-00042-e2",
            "tidpunkt": "2025-03-11T12:30:00+01:00",
            "typ": "uppdrag_lamnat",
            "rubrik": "Uppdrag till AME",
            "beskrivning": None,
            "diarieford": False,
            "intern": False,
            "avser_pnr": ANNA,
        },
    ],
    "handlingar": [
        {
            "id": "fr-2025-00042-d1",
            "titel": "Uppdrag",
            "riktning": "utgaende",
            "registrerad": "2025-03-11T12:30:00+01:00",
            "sekretess": False,
        }
    ],
    "samverkan": [
        {
            "typ": "uppdrag",
            "fran_enhet": {"kod": "TN", "namn": "Tekniska nämnden"},
            "till_enhet": {"kod": "AME", "namn": "Arbetsmarknadsenheten"},
            "startad": "2025-03-11T12:30:00+01:00",
            "avslutad": None,
            "uppfoljning_kvar": False,
            "motpart": None,
        }
    ],
}


async def test_search_by_pnr_renders_the_whole_report(http: httpx.AsyncClient) -> None:
    r = await http.get("/felanmalningar", params={"pnr": ANNA, "limit": "1"})
    assert r.status_code == 200
    assert r.json() == {"total": 2, "offset": 0, "limit": 1, "felanmalningar": [CLEANUP]}


async def test_offset_paging_with_total(http: httpx.AsyncClient) -> None:
    seen: list[str] = []
    for offset in range(0, 40, 10):
        body = (await http.get(f"/felanmalningar?pnr={TOLVAN}&offset={offset}&limit=10")).json()
        assert (body["total"], body["offset"], body["limit"]) == (33, offset, 10)
        seen.extend(f["id"] for f in body["felanmalningar"])
    assert seen == [f"fr-2025-{100 + i:05d}" for i in range(33)]


async def test_repeated_and_comma_lists(http: httpx.AsyncClient) -> None:
    r = await http.get("/felanmalningar?ids=fr-2025-00100&ids=fr-2025-00042,okänd")
    assert [f["id"] for f in r.json()["felanmalningar"]] == ["fr-2025-00100", "fr-2025-00042"]
    r = await http.get("/felanmalningar?arendenummer=MK-2025-837")
    assert [f["id"] for f in r.json()["felanmalningar"]] == ["fr-2025-00042"]
    r = await http.get("/felanmalningar/fr-2025-00042")
    assert r.json() == CLEANUP
    filler = (await http.get("/felanmalningar/fr-2025-00100")).json()
    assert (filler["status"], filler["kanal"], filler["anmalare_pnr"]) == ("ny", "telefon", ANNA)


async def test_changed_window_is_half_open(http: httpx.AsyncClient) -> None:
    params = {"fran": at(3).isoformat(), "till": at(101).isoformat()}
    r = await http.get("/felanmalningar/andrade", params=params)
    assert [f["id"] for f in r.json()["felanmalningar"]] == ["fr-2025-00042", "fr-2025-00100"]
    # an unencoded "+01:00" (a space on arrival) is still understood
    r = await http.get(
        "/felanmalningar/andrade?fran=2025-03-11T12:30:00+01:00&till=2025-03-11T12:31:00Z"
    )
    assert r.json()["total"] == 1


async def test_openapi(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/openapi.json")).json()
    assert set(doc["paths"]) == {
        "/felanmalningar",
        "/felanmalningar/andrade",
        "/felanmalningar/{id}",
    }
    schema = doc["components"]["schemas"]["Felanmalan"]
    assert set(schema["properties"]) == set(CLEANUP)
    assert schema["properties"]["status"]["enum"] == list(teknik.STATUSES)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "invalid_search"),
        ("pnr=1&ids=2", "invalid_search"),
        ("pnr=12345", "invalid_parameter"),
        ("pnr=", "missing_parameter"),
        ("ids=a&limit=0", "invalid_parameter"),
        ("ids=a&limit=501", "invalid_parameter"),
        ("ids=a&offset=-1", "invalid_parameter"),
        ("ids=a&offset=1e3", "invalid_parameter"),
        ("ids=" + ",".join(str(i) for i in range(201)), "too_many_values"),
    ],
)
async def test_bad_searches_are_400(http: httpx.AsyncClient, query: str, code: str) -> None:
    r = await http.get(f"/felanmalningar?{query}")
    assert r.status_code == 400
    assert r.json() == {"fel": code, "meddelande": r.json()["meddelande"], "status": 400}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("till=2025-01-01T00:00:00Z", "missing_parameter"),
        ("fran=2025-01-01&till=2025-01-02T00:00:00Z", "invalid_parameter"),
        ("fran=igår&till=2025-01-02T00:00:00Z", "invalid_parameter"),
        ("fran=2025-01-02T00:00:00Z&till=2025-01-01T00:00:00Z", "ogiltigt_intervall"),
    ],
)
async def test_bad_windows_are_400(http: httpx.AsyncClient, query: str, code: str) -> None:
    r = await http.get(f"/felanmalningar/andrade?{query}")
    assert (r.status_code, r.json()["fel"]) == (400, code)


async def test_not_found_and_wrong_method(http: httpx.AsyncClient) -> None:
    r = await http.get("/felanmalningar/fr-0000-00000")
    assert (r.status_code, r.json()["fel"]) == (404, "hittades_inte")
    r = await http.get("/nothing/here")
    assert (r.status_code, r.json()["fel"]) == (404, "not_found")
    r = await http.delete("/felanmalningar/fr-2025-00042")
    assert r.status_code == 405
