"""The simulated fault-report API: shapes, offset paging, look-ups and bad requests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from kp_system_worlds import teknik_world
from kp_worlds import ANNA, TOLVAN, at

from simulators import teknik
from simulators.faults import FaultInjector

FILLERS = [f"fr-2025-{100 + i:05d}" for i in range(33)]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=FaultInjector(teknik.create_app(teknik_world())))
    async with httpx.AsyncClient(base_url="http://teknik.test", transport=transport) as client:
        yield client


CLEANUP = {
    "id": "fr-2025-00042",
    "arendenummer": "FEL-2025-00042",
    "huvudarendenummer": "MK-2025-837",
    "kategori": {"kod": "TEK-STAD", "benamning": "Skräpplockning/städning"},
    "rubrik": "Städning vid återvinningsstationen",
    "beskrivning": "Överlämnat från miljö.",
    "status": "stangd",
    "ansvarig_enhet": {"kod": "TN", "namn": "Tekniska nämnden"},
    "berord_person_pnr": ANNA,
    "anmalare_pnr": TOLVAN,
    "kanal": "intern",
    "registrerad": "2025-03-11T09:30:00+01:00",
    "avslutad": "2025-03-13T09:30:00+01:00",
    "sekretess": False,
    "sekretessgrund": None,
    "lank": "https://felanmalan.example/42",
    "andrad": "2025-03-13T09:30:00+01:00",
    "handelser": [
        {
            "id": "fr42-e1",
            "tidpunkt": "2025-03-11T09:30:00+01:00",
            "typ": "registrerad",
            "rubrik": "Mottaget från MBN",
            "beskrivning": None,
            "diarieford": True,
            "intern": False,
            "avser_pnr": None,
        },
        {
            "id": "fr42-e2",
            "tidpunkt": "2025-03-11T12:30:00+01:00",
            "typ": "uppdrag_lamnat",
            "rubrik": "Uppdrag till AME",
            "beskrivning": "Plocka skräp",
            "diarieford": False,
            "intern": False,
            "avser_pnr": ANNA,
        },
        {
            "id": "fr42-e3",
            "tidpunkt": "2025-03-13T01:30:00+01:00",
            "typ": "uppdrag_klarmarkerat",
            "rubrik": "Klarmarkerat av AME",
            "beskrivning": None,
            "diarieford": False,
            "intern": True,
            "avser_pnr": None,
        },
        {
            "id": "fr42-e4",
            "tidpunkt": "2025-03-13T09:30:00+01:00",
            "typ": "avslutad",
            "rubrik": "Avslutat",
            "beskrivning": None,
            "diarieford": False,
            "intern": False,
            "avser_pnr": None,
        },
    ],
    "handlingar": [
        {
            "id": "fr42-d1",
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
            "avslutad": "2025-03-13T01:30:00+01:00",
            "uppfoljning_kvar": False,
            "motpart": None,
        },
        {
            "typ": "vidarebefordran",
            "fran_enhet": {"kod": "MBN", "namn": "Miljö- och hälsoskyddsnämnden"},
            "till_enhet": {"kod": "TN", "namn": "Tekniska nämnden"},
            "startad": "2025-03-11T09:30:00+01:00",
            "avslutad": None,
            "uppfoljning_kvar": True,
            "motpart": {"system": "ecos", "id": "4711", "arendenummer": "MK-2025-837"},
        },
    ],
}


async def test_search_by_pnr_renders_the_whole_report(http: httpx.AsyncClient) -> None:
    r = await http.get("/felanmalningar", params={"pnr": TOLVAN, "limit": "1"})
    assert r.status_code == 200
    assert r.json() == {"total": 34, "offset": 0, "limit": 1, "felanmalningar": [CLEANUP]}


async def test_offset_paging_with_total(http: httpx.AsyncClient) -> None:
    seen: list[str] = []
    for offset in range(0, 40, 10):
        body = (await http.get(f"/felanmalningar?pnr={TOLVAN}&offset={offset}&limit=10")).json()
        assert (body["total"], body["offset"], body["limit"]) == (34, offset, 10)
        seen.extend(f["id"] for f in body["felanmalningar"])
    assert seen == ["fr-2025-00042", *FILLERS]  # TOLVAN reported the cleanup


async def test_repeated_and_comma_lists(http: httpx.AsyncClient) -> None:
    r = await http.get("/felanmalningar?ids=fr-2025-00100&ids=fr-2025-00042,okänd")
    assert [f["id"] for f in r.json()["felanmalningar"]] == ["fr-2025-00100", "fr-2025-00042"]
    r = await http.get("/felanmalningar?arendenummer=MK-2025-837")
    assert [f["id"] for f in r.json()["felanmalningar"]] == ["fr-2025-00042"]
    r = await http.get("/felanmalningar/fr-2025-00042")
    assert r.json() == CLEANUP
    received = (await http.get("/felanmalningar/st-0")).json()
    assert (received["status"], received["kanal"], received["anmalare_pnr"]) == (
        "ny",
        "e_tjanst",
        None,
    )


async def test_changed_window_is_half_open(http: httpx.AsyncClient) -> None:
    params = {"fran": at(3).isoformat(), "till": at(101).isoformat()}
    r = await http.get("/felanmalningar/andrade", params=params)
    assert [f["id"] for f in r.json()["felanmalningar"]] == ["fr-2025-00042", "fr-2025-00100"]
    # an unencoded "+01:00" (a space on arrival) is still understood
    r = await http.get(
        "/felanmalningar/andrade?fran=2025-03-13T09:30:00+01:00&till=2025-03-13T08:31:00Z"
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
