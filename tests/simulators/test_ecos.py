"""The simulated Ecos API: shapes, cursor paging, look-ups and bad requests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from kp_system_worlds import ecos_world
from kp_worlds import ANNA, KALLE, LISA, TOLVAN, at

from simulators import ecos
from simulators.faults import FaultInjector

FILLERS = [str(5000 + i) for i in range(35)]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=FaultInjector(ecos.create_app(ecos_world())))
    async with httpx.AsyncClient(base_url="http://ecos.test", transport=transport) as client:
        yield client


LITTERING = {
    "id": "4711",
    "caseNumber": "MK-2025-837",
    "mainCaseNumber": "MK-2025-837",
    "caseType": {"code": "MILJO-NEDSKRAPNING", "name": "Nedskräpning"},
    "heading": "Nedskräpning vid återvinningsstationen",
    "description": "Soppåsar dumpade bakom containrarna.",
    "statusCode": "OVERLAMNAD",
    "responsibleUnit": {"code": "MBN", "name": "Miljö- och hälsoskyddsnämnden"},
    "parties": [
        {"role": "SUBJECT", "personalIdentityNumber": ANNA},
        {"role": "APPLICANT", "personalIdentityNumber": TOLVAN},
    ],
    "receivedVia": "WEB",
    "registeredDate": "2025-03-11T08:30:00Z",
    "closedDate": None,
    "isConfidential": True,
    "confidentialityReason": "OSL 21 kap. 7 §",
    "webUrl": None,
    "lastModified": "2025-03-11T13:30:00Z",
    "occurrences": [
        {
            "id": "4711-e3",
            "occurredAt": "2025-03-11T13:30:00Z",
            "type": "HANDED_OVER",
            "text": "Överlämnad till TN",
            "description": None,
            "registeredInDiary": False,
            "internal": False,
            "concernsPersonalIdentityNumber": TOLVAN,
        },
        {
            "id": "4711-e2",
            "occurredAt": "2025-03-11T10:30:00Z",
            "type": "CASE_REGISTERED",
            "text": "Registrerad",
            "description": "Intern notering",
            "registeredInDiary": False,
            "internal": True,
            "concernsPersonalIdentityNumber": None,
        },
        {
            "id": "4711-e1",
            "occurredAt": "2025-03-11T08:30:00Z",
            "type": "CASE_RECEIVED",
            "text": "Anmälan inkommen",
            "description": None,
            "registeredInDiary": True,
            "internal": False,
            "concernsPersonalIdentityNumber": None,
        },
    ],
    "documents": [
        {
            "documentId": "4711-d1",
            "title": "Anmälan",
            "direction": "IN",
            "registeredAt": "2025-03-11T08:30:00Z",
            "secret": False,
        },
        {
            "documentId": "4711-d2",
            "title": "Tjänsteanteckning",
            "direction": "INTERNAL",
            "registeredAt": "2025-03-11T11:30:00Z",
            "secret": True,
        },
    ],
    "handovers": [
        {
            "type": "OVERLAMNING",
            "fromUnit": {"code": "MBN", "name": "Miljö- och hälsoskyddsnämnden"},
            "toUnit": {"code": "TN", "name": "Tekniska nämnden"},
            "startedAt": "2025-03-11T13:30:00Z",
            "completedAt": "2025-03-11T17:30:00Z",
            "followUpRetained": True,
            "counterpart": {
                "system": "teknik",
                "caseId": "fr-2025-00042",
                "caseNumber": "FEL-2025-00042",
            },
        },
        {
            "type": "REMISS",
            "fromUnit": {"code": "MBN", "name": "Miljö- och hälsoskyddsnämnden"},
            "toUnit": {"code": "BN", "name": "Byggnadsnämnden"},
            "startedAt": "2025-03-11T14:30:00Z",
            "completedAt": None,
            "followUpRetained": False,
            "counterpart": None,
        },
    ],
}


async def test_search_by_person_renders_the_whole_case(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/v2/cases", params={"personalIdentityNumber": ANNA})
    assert r.status_code == 200
    assert r.json() == {"items": [LITTERING], "nextPageToken": None}


async def test_applicant_and_subject_both_find_a_case(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/v2/cases", params={"personalIdentityNumber": f"{KALLE},{ANNA}"})
    items = r.json()["items"]
    assert [i["id"] for i in items] == ["4712", "4711"]  # oldest change first
    sewage = items[0]
    assert sewage["parties"] == [
        {"role": "SUBJECT", "personalIdentityNumber": LISA},
        {"role": "APPLICANT", "personalIdentityNumber": KALLE},
    ]
    assert (sewage["isConfidential"], sewage["confidentialityReason"]) == (True, "OSL 21 kap. 7 §")
    assert (sewage["statusCode"], sewage["closedDate"]) == ("AVSLUTAD", "2025-03-10T08:30:00Z")
    assert (sewage["receivedVia"], sewage["webUrl"]) == ("LETTER", "https://ecos.example/4712")


async def test_cursor_paging_walks_every_case_once(http: httpx.AsyncClient) -> None:
    ids: list[str] = []
    params = {"personalIdentityNumber": TOLVAN, "pageSize": "10"}
    pages = 0
    token: str | None = None
    while True:
        r = await http.get(
            "/api/v2/cases", params={**params, **({"pageToken": token} if token else {})}
        )
        assert r.status_code == 200
        body = r.json()
        pages += 1
        ids.extend(i["id"] for i in body["items"])
        token = body["nextPageToken"]
        if token is None:
            break
    assert pages == 4
    assert ids == ["4711", *FILLERS]  # TOLVAN applies for 4711, fillers are about TOLVAN


async def test_ids_and_case_numbers(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/v2/cases", params={"ids": "4712,nope,4711"})
    assert [i["id"] for i in r.json()["items"]] == ["4712", "4711"]
    r = await http.get("/api/v2/cases", params={"caseNumber": "MK-2025-837,MK-2025-838"})
    assert sorted(i["id"] for i in r.json()["items"]) == ["4711", "4712"]
    r = await http.get("/api/v2/cases/4711")
    assert r.json() == LITTERING


async def test_changes_window_is_half_open(http: httpx.AsyncClient) -> None:
    # 4711 last changed at at(5), filler i at at(100 + i), 4712 closed at at(-24)
    params = {"from": at(5).isoformat(), "to": at(102).isoformat()}
    r = await http.get("/api/v2/cases/changes", params=params)
    assert [i["id"] for i in r.json()["items"]] == ["4711", "5000", "5001"]
    utc = {"from": "2025-03-15T12:30:00Z", "to": "2025-03-15T13:30:00Z"}  # at(100)..at(101)
    r = await http.get("/api/v2/cases/changes", params=utc)
    assert [i["id"] for i in r.json()["items"]] == ["5000"]


async def test_openapi_describes_the_real_paths(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/v2/cases", "/api/v2/cases/changes", "/api/v2/cases/{caseId}"}
    case_schema = doc["components"]["schemas"]["Case"]
    assert set(LITTERING) == set(case_schema["properties"])
    assert set(case_schema["properties"]["statusCode"]["enum"]) == set(ecos.STATUS_CODES.values())


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/api/v2/cases", {}, "INVALID_SEARCH"),
        ("/api/v2/cases", {"ids": "1", "caseNumber": "x"}, "INVALID_SEARCH"),
        ("/api/v2/cases", {"personalIdentityNumber": "19780101-2340"}, "INVALID_PARAMETER"),
        ("/api/v2/cases", {"personalIdentityNumber": "١٩٧٨٠١٠١٢٣٤٠"}, "INVALID_PARAMETER"),
        ("/api/v2/cases", {"personalIdentityNumber": ","}, "MISSING_PARAMETER"),
        ("/api/v2/cases", {"ids": ",".join(str(i) for i in range(201))}, "TOO_MANY_VALUES"),
        ("/api/v2/cases", {"ids": "x" * 65}, "INVALID_PARAMETER"),
        ("/api/v2/cases", {"ids": "1", "pageSize": "0"}, "INVALID_PARAMETER"),
        ("/api/v2/cases", {"ids": "1", "pageSize": "501"}, "INVALID_PARAMETER"),
        ("/api/v2/cases", {"ids": "1", "pageSize": "ten"}, "INVALID_PARAMETER"),
        ("/api/v2/cases", {"ids": "1", "pageToken": "garbage!"}, "INVALID_PAGE_TOKEN"),
        ("/api/v2/cases", {"ids": "1", "pageToken": "e30"}, "INVALID_PAGE_TOKEN"),
        ("/api/v2/cases/changes", {"to": "2025-01-01T00:00:00Z"}, "MISSING_PARAMETER"),
        (
            "/api/v2/cases/changes",
            {"from": "2025-01-01T00:00:00", "to": "2025-01-02T00:00:00Z"},
            "INVALID_PARAMETER",
        ),
        (
            "/api/v2/cases/changes",
            {"from": "yesterday", "to": "2025-01-02T00:00:00Z"},
            "INVALID_PARAMETER",
        ),
        (
            "/api/v2/cases/changes",
            {"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"},
            "INVALID_INTERVAL",
        ),
    ],
)
async def test_bad_requests_get_400_in_ecos_shape(
    http: httpx.AsyncClient, path: str, params: dict[str, str], code: str
) -> None:
    r = await http.get(path, params=params)
    assert r.status_code == 400
    body = r.json()
    assert body["error"]["status"] == 400
    assert body["error"]["code"] == code


async def test_page_token_is_bound_to_its_query(http: httpx.AsyncClient) -> None:
    first = await http.get(
        "/api/v2/cases", params={"personalIdentityNumber": TOLVAN, "pageSize": "5"}
    )
    token = first.json()["nextPageToken"]
    r = await http.get("/api/v2/cases", params={"personalIdentityNumber": ANNA, "pageToken": token})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "INVALID_PAGE_TOKEN"


async def test_unknown_case_path_and_method_are_json_errors(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/v2/cases/999")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "CASE_NOT_FOUND")
    r = await http.get("/api/v3/whatever")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "NOT_FOUND")
    r = await http.post("/api/v2/cases", json={})
    assert (r.status_code, r.json()["error"]["code"]) == (405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize(
    "query",
    [
        "ids=%00",
        "caseNumber=%FF%FE",
        "pageSize=-1&ids=1",
        "ids=1&ids=2&ids=",
        "from=&to=",
        "ids=" + "9" * 40,
    ],
)
async def test_odd_input_never_crashes(http: httpx.AsyncClient, query: str) -> None:
    for path in ("/api/v2/cases", "/api/v2/cases/changes"):
        r = await http.get(f"{path}?{query}")
        assert r.status_code in (200, 400), r.text
