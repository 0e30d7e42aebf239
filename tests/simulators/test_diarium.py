"""The simulated registry's JSON-RPC API: methods, paging, the change cursor and error objects."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from kp_system_worlds import diarium_world
from kp_worlds import KALLE, LISA, TOLVAN

from simulators import diarium
from simulators.faults import FaultInjector

FILLERS = [f"3{i:05d}" for i in range(35)]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=FaultInjector(diarium.create_app(diarium_world())))
    async with httpx.AsyncClient(base_url="http://diarium.test", transport=transport) as http:
        yield http


async def rpc(http: httpx.AsyncClient, method: str, params: object, call_id: object = 7) -> Any:
    body = {"jsonrpc": "2.0", "method": method, "params": params, "id": call_id}
    response = await http.post("/rpc", json=body)
    assert response.status_code == 200
    return response.json()


EXPECTED_ARENDE = {
    "id": "100193",
    "diarienummer": "KFN 2025/0193",
    "huvudarendenummer": "KF 2025/0190",
    "arendetyp": {"kod": "KFN-KULTURSTIPENDIUM", "benamning": "Kulturstipendium"},
    "rubrik": "Ansökan om kulturstipendium",
    "beskrivning": "Stipendium för en bok om Exempelby.",
    "status": "Avslutad",
    "ansvarigEnhet": {"kod": "KFN", "namn": "Kultur- och fritidsnämnden"},
    "parter": [{"roll": "Part", "personnummer": KALLE}, {"roll": "Sökande", "personnummer": LISA}],
    "inkomstsatt": "E-tjänst",
    "registreringsdatum": "2025-03-11 09:30:00",
    "avslutsdatum": "2025-03-23 21:30:00",
    "sekretess": False,
    "sekretessgrund": None,
    "lank": None,
    "senastAndrad": "2025-03-23 21:30:00",
    "diariehandelser": [
        {
            "id": "100193-e1",
            "datum": "2025-03-11 09:30:00",
            "typ": "Inkommen handling",
            "text": "Ansökan om kulturstipendium inkommen",
            "beskrivning": None,
            "diarieford": False,
            "intern": False,
            "avser": None,
        },
        {
            "id": "100193-e2",
            "datum": "2025-03-12 09:30:00",
            "typ": "Remiss skickad",
            "text": "Remiss till kulturrådet",
            "beskrivning": "Yttrande begärs.",
            "diarieford": True,
            "intern": False,
            "avser": LISA,
        },
        {
            "id": "100193-e3",
            "datum": "2025-03-12 15:30:00",
            "typ": "Meddelande",
            "text": "Intern bedömning",
            "beskrivning": None,
            "diarieford": False,
            "intern": True,
            "avser": None,
        },
        {
            "id": "100193-e4",
            "datum": "2025-03-23 21:30:00",
            "typ": "Avslutad",
            "text": "Ärendet avslutat",
            "beskrivning": None,
            "diarieford": False,
            "intern": False,
            "avser": None,
        },
    ],
    "handlingar": [
        {
            "id": "100193-d1",
            "titel": "Ansökan",
            "riktning": "I",
            "registrerad": "2025-03-11 09:30:00",
            "sekretess": False,
        },
        {
            "id": "100193-d2",
            "titel": "Tjänsteskrivelse",
            "riktning": "Upprättad",
            "registrerad": "2025-03-12 10:30:00",
            "sekretess": True,
        },
    ],
    "samverkan": [
        {
            "typ": "Remiss",
            "fran": {"kod": "KFN", "namn": "Kultur- och fritidsnämnden"},
            "till": {"kod": "MBN", "namn": "Miljö- och hälsoskyddsnämnden"},
            "startad": "2025-03-12 09:30:00",
            "klar": "2025-03-13 09:30:00",
            "uppfoljningKvar": False,
            "motpart": {"system": "ecos", "id": "4711", "diarienummer": "MK-2025-837"},
        },
        {
            "typ": "Uppdrag",
            "fran": {"kod": "KFN", "namn": "Kultur- och fritidsnämnden"},
            "till": {"kod": "KS", "namn": "Kommunstyrelsen"},
            "startad": "2025-03-12 11:30:00",
            "klar": None,
            "uppfoljningKvar": True,
            "motpart": None,
        },
    ],
}


async def test_hamta_renders_the_whole_record(client: httpx.AsyncClient) -> None:
    answer = await rpc(client, "Arende.Hamta", {"id": ["100193", "404"]}, "abc")
    assert answer == {
        "jsonrpc": "2.0",
        "result": {"arenden": [EXPECTED_ARENDE], "sida": 1, "antalSidor": 1, "totalt": 1},
        "id": "abc",
    }


async def test_sok_part_pages_by_number(client: httpx.AsyncClient) -> None:
    first = (await rpc(client, "Arende.SokPart", {"personnummer": [TOLVAN], "perSida": 4}))[
        "result"
    ]
    assert (first["sida"], first["antalSidor"], first["totalt"]) == (1, 9, 35)
    last = await rpc(client, "Arende.SokPart", {"personnummer": [TOLVAN], "perSida": 4, "sida": 9})
    assert [a["id"] for a in last["result"]["arenden"]] == FILLERS[32:]


async def test_sok_diarienummer_matches_main_number(client: httpx.AsyncClient) -> None:
    answer = await rpc(client, "Arende.SokDiarienummer", {"diarienummer": ["KF 2025/0190"]})
    assert [a["id"] for a in answer["result"]["arenden"]] == ["100193"]


async def test_change_cursor_neither_loses_nor_repeats(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    since: str = "2025-03-23 21:00:00"  # the grant closed at 21:30
    for _ in range(20):
        params = {"changedSince": since, "until": "2025-03-28 21:00:00", "limit": 4}
        result = (await rpc(client, "Arende.Andrade", params))["result"]
        seen.extend(a["id"] for a in result["arenden"])
        if result["nextCursor"] is None:
            break
        since = result["nextCursor"]
    # 15 fillers changed at 01:30, then one an hour from 16:30: pages of 4 split the tie
    assert seen == ["100193", *FILLERS[:20]]


async def test_openapi_describes_rpc_and_lists_methods(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert list(doc["paths"]) == ["/rpc"]
    assert sorted(doc["x-jsonrpc-methods"]) == [
        "Arende.Andrade",
        "Arende.Hamta",
        "Arende.SokDiarienummer",
        "Arende.SokPart",
    ]
    statuses = doc["components"]["schemas"]["Arende"]["properties"]["status"]["enum"]
    assert set(statuses) == set(diarium.STATUS_TEXTS.values())


async def error_of(http: httpx.AsyncClient, content: bytes) -> dict[str, Any]:
    response = await http.post("/rpc", content=content)
    assert response.status_code == 200
    body = response.json()
    assert body["jsonrpc"] == "2.0" and "result" not in body
    return dict(body["error"]) | {"id": body["id"]}


def call(method: str, params: object, call_id: object = 1) -> bytes:
    return json.dumps(
        {"jsonrpc": "2.0", "method": method, "params": params, "id": call_id}
    ).encode()


@pytest.mark.parametrize(
    ("content", "code", "answer_id"),
    [
        (b"{inte json", -32700, None),
        (b"\xff\xfe", -32700, None),
        (b"[]", -32600, None),
        (b'[{"jsonrpc": "2.0", "method": "Arende.Hamta", "id": 1}]', -32600, None),
        (b'{"method": "Arende.Hamta", "id": 1}', -32600, None),
        (b'{"jsonrpc": "2.0", "method": 5, "id": 1}', -32600, None),
        (b'{"jsonrpc": "2.0", "method": "Arende.Hamta", "id": true}', -32600, None),
        (b'"2.0"', -32600, None),
        (call("Arende.Radera", {}), -32601, 1),
        (call("Arende.Hamta", [1, 2]), -32602, 1),
        (call("Arende.Hamta", {}), -32602, 1),
        (call("Arende.Hamta", {"id": "100031"}), -32602, 1),
        (call("Arende.Hamta", {"id": [1]}), -32602, 1),
        (call("Arende.Hamta", {"id": ["x"], "hemlig": 1}), -32602, 1),
        (call("Arende.Hamta", {"id": [str(i) for i in range(201)]}), -32602, 1),
        (call("Arende.Hamta", {"id": ["x" * 65]}), -32602, 1),
        (call("Arende.Hamta", {"id": ["x"], "perSida": 501}), -32602, 1),
        (call("Arende.Hamta", {"id": ["x"], "sida": True}), -32602, 1),
        (call("Arende.SokPart", {"personnummer": ["19560605-5555"]}), -32602, 1),
        (call("Arende.Andrade", {"changedSince": "igår", "until": "2025-01-01"}), -32602, 1),
        (call("Arende.Andrade", {"changedSince": "2025-02-01", "until": "2025-01-01"}), -32602, 1),
        (call("Arende.Andrade", {"changedSince": "c1.!!!", "until": "2025-01-01"}), -32602, 1),
        (call("Arende.Andrade", {"changedSince": 5, "until": "2025-01-01"}), -32602, 1),
        (
            b'{"jsonrpc": "2.0", "method": "x", "id": 1, "pad": "' + b"x" * 300_000 + b'"}',
            -32600,
            None,
        ),
    ],
)
async def test_errors_are_json_rpc_error_objects(
    client: httpx.AsyncClient, content: bytes, code: int, answer_id: object
) -> None:
    error = await error_of(client, content)
    assert error["code"] == code
    assert error["id"] == answer_id
    assert isinstance(error["message"], str) and error["message"]


async def test_a_notification_gets_no_answer(client: httpx.AsyncClient) -> None:
    body = b'{"jsonrpc": "2.0", "method": "Arende.Hamta", "params": {"id": ["100193"]}}'
    response = await client.post("/rpc", content=body)
    assert (response.status_code, response.content) == (204, b"")


async def test_only_post(client: httpx.AsyncClient) -> None:
    assert (await client.get("/rpc")).status_code == 405
