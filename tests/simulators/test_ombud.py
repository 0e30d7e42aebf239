"""The simulated mandate register: search by grantee or grantor, statuses, paging, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from kp_service_worlds import GRETA, ombud_world
from kp_worlds import KALLE, LISA, TOLVAN

from simulators import ombud
from simulators.faults import FaultInjector


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=FaultInjector(ombud.create_app(ombud_world())))
    async with httpx.AsyncClient(transport=transport, base_url="http://ombud.test") as c:
        yield c


async def test_search_by_grantee_renders_whole_mandates(http: httpx.AsyncClient) -> None:
    r = await http.get("/v2/fullmakter", params={"fullmaktshavare": f"{KALLE},{TOLVAN}"})
    assert r.status_code == 200
    assert r.json() == {
        "fullmakter": [
            {
                "fullmaktId": "F-1",
                "fullmaktsgivare": {"personnummer": GRETA},
                "fullmaktshavare": {"personnummer": KALLE},
                "behorigheter": [
                    {"kod": "SN-SABO", "benamning": "Särskilt boende"},
                    {"kod": "SN-HEMTJANST", "benamning": "SN-HEMTJANST"},
                ],
                "giltigFrom": "2024-01-01",
                "giltigTom": None,
                "status": "AKTIV",
            },
            {
                "fullmaktId": "F-2",
                "fullmaktsgivare": {"personnummer": LISA},
                "fullmaktshavare": {"personnummer": KALLE},
                "behorigheter": [{"kod": "BN-BYGGLOV", "benamning": "BN-BYGGLOV"}],
                "giltigFrom": "2023-01-01",
                "giltigTom": "2023-12-31",
                "status": "AKTIV",
            },
            {
                "fullmaktId": "F-3",
                "fullmaktsgivare": {"personnummer": GRETA},
                "fullmaktshavare": {"personnummer": TOLVAN},
                "behorigheter": [{"kod": "SN-SABO", "benamning": "Särskilt boende"}],
                "giltigFrom": "2024-01-01",
                "giltigTom": None,
                "status": "ÅTERKALLAD",
            },
        ],
        "sida": 1,
        "antalSidor": 1,
        "totaltAntal": 3,
    }


async def test_search_by_grantor(http: httpx.AsyncClient) -> None:
    r = await http.get("/v2/fullmakter", params={"fullmaktsgivare": GRETA})
    assert [m["fullmaktId"] for m in r.json()["fullmakter"]] == ["F-1", "F-3"]


async def test_page_numbers(http: httpx.AsyncClient) -> None:
    ids: list[str] = []
    for page in (1, 2, 3):
        r = await http.get(
            "/v2/fullmakter", params={"fullmaktshavare": LISA, "sida": page, "antalPerSida": 5}
        )
        body = r.json()
        assert (body["sida"], body["antalSidor"], body["totaltAntal"]) == (page, 3, 11)
        ids.extend(m["fullmaktId"] for m in body["fullmakter"])
    assert ids == [f"M-{i:02d}" for i in range(11)]
    r = await http.get("/v2/fullmakter", params={"fullmaktshavare": LISA, "sida": 9})
    assert r.json()["fullmakter"] == []


async def test_nobody_has_one_empty_page(http: httpx.AsyncClient) -> None:
    r = await http.get("/v2/fullmakter", params={"fullmaktshavare": GRETA})
    assert r.json() == {"fullmakter": [], "sida": 1, "antalSidor": 1, "totaltAntal": 0}


async def test_one_mandate_and_unknown(http: httpx.AsyncClient) -> None:
    assert (await http.get("/v2/fullmakter/F-3")).json()["status"] == "ÅTERKALLAD"
    r = await http.get("/v2/fullmakter/F-99")
    assert r.status_code == 404
    assert r.json() == {
        "status": 404,
        "kod": "FULLMAKT_SAKNAS",
        "beskrivning": "Fullmakten finns inte",
    }


@pytest.mark.parametrize(
    "query",
    [
        "",
        f"fullmaktshavare={KALLE}&fullmaktsgivare={GRETA}",
        "fullmaktshavare=1956",
        "fullmaktshavare=",
        f"fullmaktshavare={KALLE}&sida=0",
        f"fullmaktshavare={KALLE}&antalPerSida=501",
        f"fullmaktshavare={KALLE}&sida=ett",
    ],
)
async def test_bad_searches_are_400(http: httpx.AsyncClient, query: str) -> None:
    r = await http.get("/v2/fullmakter?" + query)
    assert r.status_code == 400
    assert r.json()["status"] == 400 and r.json()["kod"]


async def test_too_many_distinct_keys_is_400(http: httpx.AsyncClient) -> None:
    keys = ",".join(f"19800101{n:04d}" for n in range(201))
    r = await http.get("/v2/fullmakter?fullmaktshavare=" + keys)
    assert r.status_code == 400 and r.json()["kod"] == "TOO_MANY_VALUES"


async def test_openapi(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/openapi.json")).json()
    assert set(doc["paths"]) == {"/v2/fullmakter", "/v2/fullmakter/{fullmaktId}"}
    status = doc["components"]["schemas"]["Fullmakt"]["properties"]["status"]
    assert status["enum"] == ["AKTIV", "ÅTERKALLAD"]
