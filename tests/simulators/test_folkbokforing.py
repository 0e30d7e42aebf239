"""The simulated population register: batch person search, protected identity, custody, 400s."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from kp_service_worlds import NILS, SARA, folkbokforing_world
from kp_worlds import KALLE, LISA, TOLVAN

from simulators import folkbokforing as fb
from simulators.faults import FaultInjector

UNKNOWN = LISA  # valid, not in this world


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=FaultInjector(fb.create_app(folkbokforing_world())))
    async with httpx.AsyncClient(transport=transport, base_url="http://folkbokforing.test") as c:
        yield c


async def test_search_returns_known_persons_protected_without_address(
    http: httpx.AsyncClient,
) -> None:
    r = await http.post("/api/v1/personer/sok", json={"personnummer": [SARA, UNKNOWN, KALLE, SARA]})
    assert r.status_code == 200
    assert r.json() == {
        "personer": [
            {
                "personnummer": SARA,
                "fornamn": "Sara",
                "efternamn": "Skyddad",
                "skyddadIdentitet": True,
                "sekretessmarkering": True,
            },
            {
                "personnummer": KALLE,
                "fornamn": "Kalle",
                "efternamn": "Testson",
                "skyddadIdentitet": False,
                "sekretessmarkering": False,
                "adress": {
                    "utdelningsadress": "Storgatan 1",
                    "postnummer": "123 45",
                    "postort": "Exempelby",
                },
            },
        ]
    }


async def test_one_person(http: httpx.AsyncClient) -> None:
    r = await http.get(f"/api/v1/personer/{TOLVAN}")
    assert r.json()["adress"] == {
        "utdelningsadress": "Tolvgatan 12",
        "postnummer": "",
        "postort": "Byn",
    }
    r = await http.get(f"/api/v1/personer/{UNKNOWN}")
    assert r.status_code == 404
    assert r.json() == {"felkod": "HITTADES_INTE", "felmeddelande": "Personen finns inte"}
    r = await http.get("/api/v1/personer/195606055556")
    assert r.status_code == 400 and r.json()["felkod"] == "OGILTIGT_PERSONNUMMER"


async def test_relations_in_both_directions(http: httpx.AsyncClient) -> None:
    r = await http.post(
        "/api/v1/personer/relationer", json={"personnummer": [KALLE, NILS, UNKNOWN, TOLVAN]}
    )
    assert r.json() == {
        "relationer": [
            {"personnummer": KALLE, "vardnadshavare": [], "barn": [{"personnummer": NILS}]},
            {
                "personnummer": NILS,
                "vardnadshavare": [{"personnummer": KALLE}, {"personnummer": SARA}],
                "barn": [],
            },
            {"personnummer": TOLVAN, "vardnadshavare": [], "barn": []},
        ]
    }
    r = await http.get(f"/api/v1/personer/{SARA}/relationer")
    assert r.json() == {
        "personnummer": SARA,
        "vardnadshavare": [],
        "barn": [{"personnummer": NILS}],
    }
    assert (await http.get(f"/api/v1/personer/{UNKNOWN}/relationer")).status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/personer/sok", "/api/v1/personer/relationer"])
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{nope", "OGILTIG_FRAGA"),
        (b"[]", "OGILTIG_FRAGA"),
        (b"{}", "OGILTIG_FRAGA"),
        (b'{"personnummer": []}', "OGILTIG_FRAGA"),
        (b'{"personnummer": "195606055555"}', "OGILTIG_FRAGA"),
        (b'{"personnummer": [195606055555]}', "OGILTIGT_PERSONNUMMER"),
        (b'{"personnummer": ["19560605-5555"]}', "OGILTIGT_PERSONNUMMER"),
        (b'{"personnummer": ["195606055556"]}', "OGILTIGT_PERSONNUMMER"),
        (b'{"personnummer": ["195613055555"]}', "OGILTIGT_PERSONNUMMER"),
        (json.dumps({"personnummer": [KALLE] * 201}).encode(), "FOR_MANGA_PERSONNUMMER"),
        (b" " * (fb.MAX_BODY + 1), "FOR_STOR_FRAGA"),
    ],
)
async def test_bad_queries_are_400(
    http: httpx.AsyncClient, path: str, body: bytes, code: str
) -> None:
    r = await http.post(path, content=body)
    assert r.status_code == 400
    assert r.json()["felkod"] == code


def test_valid_pnr_knows_coordination_numbers_and_check_digits() -> None:
    assert fb.valid_pnr(KALLE) and fb.valid_pnr(TOLVAN)
    assert fb.valid_pnr("199001712380")  # day 11 + 60
    assert not fb.valid_pnr("199001712384")
    assert not fb.valid_pnr("19900171238")
    assert not fb.valid_pnr("19900230238x")


async def test_openapi_and_wrong_method(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/openapi.json")).json()
    assert set(doc["paths"]) == {
        "/api/v1/personer/sok",
        "/api/v1/personer/relationer",
        "/api/v1/personer/{pnr}",
        "/api/v1/personer/{pnr}/relationer",
    }
    r = await http.delete(f"/api/v1/personer/{KALLE}")
    assert r.status_code == 405 and r.json()["felkod"] == "METOD_EJ_TILLATEN"
