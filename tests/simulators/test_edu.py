"""The simulated placement API: child + guardian model, epoch ms, page numbers, bad requests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from kp_service_worlds import KARIN, NILS, edu_world
from kp_worlds import KALLE, at

from simulators import edu, edu_shapes
from simulators.faults import FaultInjector
from simulators.world import Event

T0_MS = 1741681800000  # 2025-03-11T08:30:00Z


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=FaultInjector(edu.create_app(edu_world())))
    async with httpx.AsyncClient(base_url="http://edu.test", transport=transport) as client:
        yield client


PRESCHOOL = {
    "applicationId": 100234,
    "referenceNumber": "FSK-2025-00012",
    "mainReferenceNumber": "FSK-2025-00010",
    "applicationType": {"code": "EDU-FORSKOLA", "description": "Förskoleplats"},
    "title": "Förskoleplats för Nils",
    "notes": "Önskar Nyckelpigan i första hand.",
    "statusCode": 4,
    "statusText": "Placerad",
    "organisation": {"orgCode": "BUN", "orgName": "Barn- och utbildningsnämnden"},
    "child": {"personalNumber": NILS},
    "guardians": [
        {"personalNumber": KALLE, "isApplicant": True},
        {"personalNumber": KARIN, "isApplicant": False},
    ],
    "submittedVia": 1,
    "createdMs": 1741681800000,
    "closedMs": None,
    "protected": False,
    "protectionReason": None,
    "portalUrl": None,
    "modifiedMs": T0_MS + 48 * 3_600_000,
    "history": [
        {
            "eventId": "100234-e2",
            "timestampMs": 1741768200000,
            "eventCode": 20,
            "text": "Förskoleansökan ändrad",
            "details": None,
            "registered": False,
            "internal": False,
            "regardingPersonalNumber": NILS,
        },
        {
            "eventId": "100234-e1",
            "timestampMs": 1741681800000,
            "eventCode": 10,
            "text": "Förskoleplats sökt",
            "details": "Via e-tjänst",
            "registered": False,
            "internal": False,
            "regardingPersonalNumber": NILS,
        },
        {
            "eventId": "100234-e3",
            "timestampMs": T0_MS + 48 * 3_600_000,
            "eventCode": 70,
            "text": "Förskoleplats tilldelad i Nyckelpigan",
            "details": None,
            "registered": True,
            "internal": False,
            "regardingPersonalNumber": None,
        },
    ],
    "attachments": [
        {
            "attachmentId": "100234-d1",
            "name": "Placeringsbesked",
            "direction": "OUT",
            "createdMs": T0_MS + 48 * 3_600_000,
            "confidential": False,
        }
    ],
    "transfers": [
        {
            "transferType": "REMISS",
            "fromOrgCode": "BUN",
            "fromOrgName": "Barn- och utbildningsnämnden",
            "toOrgCode": "KS",
            "toOrgName": "Kommunstyrelsen",
            "startedMs": 1741789800000,
            "completedMs": T0_MS + 40 * 3_600_000,
            "followUpRetained": False,
            "counterpartSystem": "diarium",
            "counterpartId": "100412",
            "counterpartReference": "KS 2025/0412",
        }
    ],
}


async def test_a_guardian_finds_the_childs_applications(http: httpx.AsyncClient) -> None:
    r = await http.get("/v1/applications", params={"personalNumber": KARIN})
    body = r.json()
    assert (body["page"], body["pageSize"], body["totalPages"], body["totalItems"]) == (
        1,
        25,
        2,
        33,
    )  # KARIN applies for the fillers
    assert body["data"][0] == PRESCHOOL
    health = body["data"][1]
    assert (health["protected"], health["protectionReason"]) == (True, "OSL 25 kap. 1 §")
    assert health["guardians"] == [
        {"personalNumber": KALLE, "isApplicant": False},
        {"personalNumber": KARIN, "isApplicant": False},
    ]
    assert (await http.get(f"/v1/applications?personalNumber={NILS}")).json()["totalItems"] == 2


async def test_page_numbers(http: httpx.AsyncClient) -> None:
    ids: list[int] = []
    for page in (1, 2, 3, 4, 5):
        body = (
            await http.get(
                f"/v1/applications?referenceNumber=FSK-2025-00499&page={page}&pageSize=10"
            )
        ).json()
        assert (body["totalPages"], body["totalItems"]) == (4, 31)
        ids.extend(a["applicationId"] for a in body["data"])
    assert ids == [200000 + i for i in range(31)]
    empty = (await http.get("/v1/applications?referenceNumber=NONE")).json()
    assert (empty["totalPages"], empty["data"]) == (0, [])


async def test_ids_one_and_modified(http: httpx.AsyncClient) -> None:
    r = await http.get("/v1/applications?ids=100235,100234,999")
    assert [a["applicationId"] for a in r.json()["data"]] == [100235, 100234]
    assert (await http.get("/v1/applications/100234")).json() == PRESCHOOL
    r = await http.get(
        f"/v1/applications/modified?fromMs={T0_MS + 3_600_000}&toMs={T0_MS + 48 * 3_600_000 + 1}"
    )
    assert [a["applicationId"] for a in r.json()["data"]] == [100235, 100234]
    r = await http.get(
        f"/v1/applications/modified?fromMs={T0_MS + 3_600_000}&toMs={T0_MS + 48 * 3_600_000}"
    )
    assert [a["applicationId"] for a in r.json()["data"]] == [100235]


def test_status_codes_per_situation() -> None:
    base = edu_world().case("edu", "100234")
    assert base is not None
    cases = {
        "RECEIVED": 1,
        "IN_PROGRESS": 2,
        "DECIDED": 4,
        "CLOSED": 5,
        "WAITING_FOR_OTHER_PARTY": 7,
        "FORWARDED": 8,
        "WAITING_FOR_CITIZEN": 3,
    }
    for status, code in cases.items():
        base.status = status
        assert edu_shapes.status_code(base) == code
    base.events.append(Event("x", at(30), "COMPLETION_REQUESTED", "Komplettering begärd"))
    assert edu_shapes.status_code(base) == 6
    base.status = "CLOSED"
    base.events.append(Event("y", at(31), "CLOSED", "Ansökan återkallad"))
    assert edu_shapes.status_code(base) == 9


async def test_openapi(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/openapi.json")).json()
    assert set(doc["paths"]) == {
        "/v1/applications",
        "/v1/applications/modified",
        "/v1/applications/{id}",
    }
    assert set(doc["components"]["schemas"]["Application"]["properties"]) == set(PRESCHOOL)


@pytest.mark.parametrize(
    ("url", "status", "title"),
    [
        ("/v1/applications", 400, "invalid_search"),
        ("/v1/applications?ids=abc", 400, "invalid_parameter"),
        ("/v1/applications?ids=1&page=0", 400, "invalid_parameter"),
        ("/v1/applications?ids=1&pageSize=1000", 400, "invalid_parameter"),
        ("/v1/applications?personalNumber=201903142386,x", 400, "invalid_parameter"),
        ("/v1/applications/modified?fromMs=1", 400, "missing_parameter"),
        ("/v1/applications/modified?fromMs=-5&toMs=1", 400, "invalid_parameter"),
        ("/v1/applications/modified?fromMs=10&toMs=1", 400, "invalid_interval"),
        ("/v1/applications/modified?fromMs=0&toMs=9007199254740992", 400, "invalid_parameter"),
        ("/v1/applications/modified?fromMs=1.5&toMs=9", 400, "invalid_parameter"),
        ("/v1/applications/abc", 400, "invalid_id"),
        ("/v1/applications/42", 404, "not_found"),
        ("/v2/applications", 404, "not_found"),
    ],
)
async def test_bad_requests_are_problem_json(
    http: httpx.AsyncClient, url: str, status: int, title: str
) -> None:
    r = await http.get(url)
    assert r.status_code == status
    body = r.json()
    assert (body["status"], body["title"], body["type"]) == (
        status,
        title,
        f"urn:edu:problem:{title}",
    )
