"""The simulated contact centre: shapes, offset paging, event log from a watermark, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from kp_service_worlds import BENGT, kontaktcenter_world
from kp_service_worlds import KC_FILLERS as FILLERS
from kp_worlds import T0, at

from simulators import kontaktcenter as kc
from simulators import kontaktcenter_shapes as shapes
from simulators.faults import FaultInjector


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = FaultInjector(kc.create_app(kontaktcenter_world()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kontaktcenter.test") as c:
        yield c


async def test_search_by_contact_renders_the_whole_case(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/cases", params={"contact": BENGT, "limit": 1})
    assert r.status_code == 200
    assert r.json() == {
        "total": 36,
        "offset": 0,
        "limit": 1,
        "cases": [
            {
                "case_id": "7001",
                "reference": "KC-2025-0042",
                "main_reference": "KF 2025/0117",
                "category": {"code": "KC-MEDBORGARFORSLAG", "label": "Medborgarförslag"},
                "headline": "Medborgarförslag om utegym",
                "body": "Förslag om ett utegym i Stadsparken.",
                "state": "HANDED_OVER",
                "owner_unit": {"code": "KC", "name": "Kontaktcenter"},
                "customer": BENGT,
                "contact_person": None,
                "channel": "CHAT",
                "created_at": "2025-03-11T09:30:00+01:00",
                "closed_at": None,
                "restricted": False,
                "restriction_basis": None,
                "url": None,
                "history": [
                    {
                        "entry_id": "e1",
                        "logged_at": "2025-03-11T09:30:00+01:00",
                        "entry_type": "CREATED",
                        "text": "Förslaget togs emot",
                        "details": "Via telefon",
                        "diary": False,
                        "internal_note": False,
                        "regarding": None,
                    },
                    {
                        "entry_id": "e2",
                        "logged_at": "2025-03-11T11:30:00+01:00",
                        "entry_type": "HANDOVER",
                        "text": "Överlämnat till registraturen",
                        "details": None,
                        "diary": True,
                        "internal_note": False,
                        "regarding": None,
                    },
                    {
                        "entry_id": "e3",
                        "logged_at": "2025-03-11T12:30:00+01:00",
                        "entry_type": "MESSAGE",
                        "text": "Intern notering",
                        "details": None,
                        "diary": False,
                        "internal_note": True,
                        "regarding": None,
                    },
                ],
                "attachments": [
                    {
                        "attachment_id": "d1",
                        "name": "Medborgarförslag",
                        "direction": "IN",
                        "added_at": "2025-03-11T09:30:00+01:00",
                        "classified": False,
                    },
                    {
                        "attachment_id": "d2",
                        "name": "Tjänsteanteckning",
                        "direction": "NOTE",
                        "added_at": "2025-03-11T10:30:00+01:00",
                        "classified": True,
                    },
                ],
                "handovers": [
                    {
                        "handover_type": "CLOSE",
                        "from_unit": {"code": "KC", "name": "Kontaktcenter"},
                        "to_unit": {"code": "KF", "name": "Kommunfullmäktige"},
                        "handed_over_at": "2025-03-11T11:30:00+01:00",
                        "returned_at": None,
                        "target": {
                            "system": "diarium",
                            "case_id": "D-1001",
                            "reference": "KF 2025/0117",
                        },
                    },
                    {
                        "handover_type": "RETAIN",
                        "from_unit": {"code": "KC", "name": "Kontaktcenter"},
                        "to_unit": {"code": "KS", "name": "Kommunstyrelsen"},
                        "handed_over_at": "2025-03-11T12:30:00+01:00",
                        "returned_at": None,
                        "target": None,
                    },
                    {
                        "handover_type": "SUSPEND",
                        "from_unit": {"code": "KC", "name": "Kontaktcenter"},
                        "to_unit": {"code": "TN", "name": "Tekniska nämnden"},
                        "handed_over_at": "2025-03-11T13:30:00+01:00",
                        "returned_at": "2025-03-12T15:30:00+01:00",
                        "target": None,
                    },
                ],
            }
        ],
    }


async def test_offset_paging_walks_every_case_once(http: httpx.AsyncClient) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        r = await http.get("/api/cases", params={"contact": BENGT, "offset": offset, "limit": 10})
        body = r.json()
        assert (body["total"], body["offset"], body["limit"]) == (1 + FILLERS, offset, 10)
        seen.extend(c["case_id"] for c in body["cases"])
        offset += len(body["cases"])
        if offset >= body["total"]:
            break
    assert seen == ["7001", *(f"{7100 + i}" for i in range(FILLERS))]
    r = await http.get("/api/cases", params={"contact": BENGT, "limit": 500})
    assert {c["state"] for c in r.json()["cases"]} == set(shapes.STATES.values())


async def test_search_by_ids_and_by_main_reference(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/cases", params={"id": "7001,7101,nope"})
    assert [c["case_id"] for c in r.json()["cases"]] == ["7001", "7101"]
    r = await http.get("/api/cases", params={"reference": "KF 2025/0117"})
    assert [c["case_id"] for c in r.json()["cases"]] == ["7001"]
    r = await http.get("/api/cases", params={"reference": "KC-2025-0105"})
    assert [c["case_id"] for c in r.json()["cases"]] == ["7105"]


async def test_one_case_and_unknown_case(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/cases/7001")
    assert r.status_code == 200 and r.json()["reference"] == "KC-2025-0042"
    r = await http.get("/api/cases/9999")
    assert r.status_code == 404
    assert r.json() == {
        "httpStatus": 404,
        "errorCode": "CASE_NOT_FOUND",
        "errorMessage": "No such case",
    }


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "INVALID_SEARCH"),
        (f"contact={BENGT}&id=1", "INVALID_SEARCH"),
        ("contact=12345", "INVALID_PARAMETER"),
        ("contact=", "MISSING_PARAMETER"),
        ("id=" + ",".join(str(i) for i in range(201)), "TOO_MANY_VALUES"),
        (f"contact={BENGT}&limit=0", "INVALID_PARAMETER"),
        (f"contact={BENGT}&limit=501", "INVALID_PARAMETER"),
        (f"contact={BENGT}&offset=-1", "INVALID_PARAMETER"),
    ],
)
async def test_bad_searches_are_400(http: httpx.AsyncClient, query: str, code: str) -> None:
    r = await http.get("/api/cases?" + query)
    assert r.status_code == 400
    assert r.json()["errorCode"] == code and r.json()["httpStatus"] == 400


async def test_event_log_window_and_watermark_paging(http: httpx.AsyncClient) -> None:
    since, until = (
        at(0),
        at(24 * 5),
    )  # the proposal (4 entries), the question (2), fillers 0..3 (2 each)
    r = await http.get(
        "/api/eventlog", params={"since": since.isoformat(), "until": until.isoformat(), "max": 4}
    )
    body = r.json()
    assert body["hasMore"] is True
    entries = body["events"]
    watermark = body["nextWatermark"]
    assert watermark == entries[-1]["seq"]
    for _ in range(10):
        if not body["hasMore"]:
            break
        r = await http.get(
            "/api/eventlog", params={"after": watermark, "until": until.isoformat(), "max": 4}
        )
        body = r.json()
        entries.extend(body["events"])
        assert body["nextWatermark"] >= watermark
        watermark = body["nextWatermark"]
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(set(seqs)) and seqs[0] == kc.FIRST_SEQ
    assert [(e["caseId"], e["type"]) for e in entries] == [
        ("7001", "case.created"),
        ("7001", "case.updated"),
        ("7001", "case.handover"),
        ("7001", "case.updated"),
        ("7002", "case.created"),
        ("7002", "case.updated"),
        ("7100", "case.created"),
        ("7100", "case.updated"),
        ("7101", "case.created"),
        ("7101", "case.updated"),
        ("7102", "case.created"),
        ("7102", "case.updated"),
        ("7103", "case.created"),
        ("7103", "case.updated"),
    ]
    assert entries[0]["timestamp"] == "2025-03-11T09:30:00+01:00"


async def test_event_log_empty_page_keeps_the_watermark(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/eventlog", params={"after": 999_999_999})
    assert r.json() == {"events": [], "nextWatermark": 999_999_999, "hasMore": False}
    r = await http.get("/api/eventlog", params={"since": at(24 * 400).isoformat()})
    body = r.json()
    assert body["events"] == [] and body["hasMore"] is False
    assert body["nextWatermark"] == kc.FIRST_SEQ + 4 + 2 + 2 * FILLERS - 1


@pytest.mark.parametrize(
    "query",
    [
        "after=abc",
        "after=-1",
        f"after=1&since={T0.isoformat().replace('+', '%2B')}",
        "since=yesterday",
        "since=2025-03-11T09:30:00",
        "max=0",
        "max=1001",
    ],
)
async def test_bad_event_log_queries_are_400(http: httpx.AsyncClient, query: str) -> None:
    r = await http.get("/api/eventlog?" + query)
    assert r.status_code == 400
    assert r.json()["httpStatus"] == 400


async def test_openapi_describes_the_real_paths(http: httpx.AsyncClient) -> None:
    r = await http.get("/openapi.json")
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/cases", "/api/cases/{case_id}", "/api/eventlog"}
    assert set(doc["components"]["schemas"]["Case"]["properties"]["state"]["enum"]) == set(
        shapes.STATES.values()
    )


async def test_unknown_route_and_method(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/nothing")).status_code == 404
    r = await http.post("/api/cases", json={})
    assert r.status_code == 405 and r.json()["errorCode"] == "METHOD_NOT_ALLOWED"
