"""The simulated registry's JSON-RPC API: methods, paging, the change cursor and error objects."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from kp_worlds import at, world_of

from simulators import diarium
from simulators import world as w
from simulators.faults import FaultInjector

BENGT = "199212249875"
KALLE = "195606055555"


def make_world() -> w.World:
    types = {
        "KF-MEDBORGARFORSLAG": w.CaseTypeDef(
            "KF-MEDBORGARFORSLAG", "Medborgarförslag", "Demokrati", "diarium", "KF", 365
        )
    }
    proposal = w.Case(
        system="diarium",
        id="100031",
        number="KF 2025/0031",
        main_number="KF 2025/0031",
        type_code="KF-MEDBORGARFORSLAG",
        title="Medborgarförslag om utegym",
        description="Förslag om utegym vid sjön.",
        unit="KF",
        status="DECIDED",
        opened_at=at(0),
        subject=BENGT,
        applicant=KALLE,
        channel="CONTACT_CENTRE",
        secrecy_ground=None,
        events=[
            w.Event("100031-e1", at(0), "REGISTERED", "Registrerat", diary=True),
            w.Event("100031-e2", at(5), "ASSIGNMENT_GIVEN", "Uppdrag till KS", "Beredning"),
        ],
        documents=[w.Document("100031-d1", "Tjänsteskrivelse", "DRAFTED", at(4))],
        collaborations=[
            w.Collaboration(
                "ASSIGNMENT",
                "KF",
                "KS",
                at(5),
                counterpart_system="diarium",
                counterpart_id="100032",
                counterpart_number="KS 2025/0032",
            )
        ],
    )
    # 15 cases changed at the same instant, then 5 later: the cursor must not lose or repeat any
    same = [
        w.Case(
            system="diarium",
            id=f"2{i:05d}",
            number=f"KS 2025/1{i:03d}",
            type_code="KS-ALLMANT",
            title=f"Skrivelse {i}",
            unit="KS",
            status="RECEIVED",
            opened_at=at(10) if i < 15 else at(10 + i),
            subject=KALLE if i % 2 else None,
        )
        for i in range(20)
    ]
    return world_of(proposal, *same, types=types.values())


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=FaultInjector(diarium.create_app(make_world())))
    async with httpx.AsyncClient(base_url="http://diarium.test", transport=transport) as http:
        yield http


async def rpc(http: httpx.AsyncClient, method: str, params: object, call_id: object = 7) -> Any:
    body = {"jsonrpc": "2.0", "method": method, "params": params, "id": call_id}
    response = await http.post("/rpc", json=body)
    assert response.status_code == 200
    return response.json()


EXPECTED_ARENDE = {
    "id": "100031",
    "diarienummer": "KF 2025/0031",
    "huvudarendenummer": "KF 2025/0031",
    "arendetyp": {"kod": "KF-MEDBORGARFORSLAG", "benamning": "Medborgarförslag"},
    "rubrik": "Medborgarförslag om utegym",
    "beskrivning": "Förslag om utegym vid sjön.",
    "status": "Beslutad",
    "ansvarigEnhet": {"kod": "KF", "namn": "Kommunfullmäktige"},
    "parter": [
        {"roll": "Part", "personnummer": BENGT},
        {"roll": "Sökande", "personnummer": KALLE},
    ],
    "inkomstsatt": "Kontaktcenter",
    "registreringsdatum": "2025-03-11 09:30:00",
    "avslutsdatum": None,
    "sekretess": False,
    "sekretessgrund": None,
    "lank": None,
    "senastAndrad": "2025-03-11 14:30:00",
    "diariehandelser": [
        {
            "id": "100031-e1",
            "datum": "2025-03-11 09:30:00",
            "typ": "Registrerad",
            "text": "Registrerat",
            "beskrivning": None,
            "diarieford": True,
            "intern": False,
            "avser": None,
        },
        {
            "id": "100031-e2",
            "datum": "2025-03-11 14:30:00",
            "typ": "Uppdrag lämnat",
            "text": "Uppdrag till KS",
            "beskrivning": "Beredning",
            "diarieford": False,
            "intern": False,
            "avser": None,
        },
    ],
    "handlingar": [
        {
            "id": "100031-d1",
            "titel": "Tjänsteskrivelse",
            "riktning": "Upprättad",
            "registrerad": "2025-03-11 13:30:00",
            "sekretess": False,
        }
    ],
    "samverkan": [
        {
            "typ": "Uppdrag",
            "fran": {"kod": "KF", "namn": "Kommunfullmäktige"},
            "till": {"kod": "KS", "namn": "Kommunstyrelsen"},
            "startad": "2025-03-11 14:30:00",
            "klar": None,
            "uppfoljningKvar": False,
            "motpart": {"system": "diarium", "id": "100032", "diarienummer": "KS 2025/0032"},
        }
    ],
}


async def test_hamta_renders_the_whole_record(client: httpx.AsyncClient) -> None:
    answer = await rpc(client, "Arende.Hamta", {"id": ["100031", "404"]}, "abc")
    assert answer == {
        "jsonrpc": "2.0",
        "result": {"arenden": [EXPECTED_ARENDE], "sida": 1, "antalSidor": 1, "totalt": 1},
        "id": "abc",
    }


async def test_sok_part_pages_by_number(client: httpx.AsyncClient) -> None:
    first = (await rpc(client, "Arende.SokPart", {"personnummer": [KALLE], "perSida": 4}))["result"]
    assert (first["sida"], first["antalSidor"], first["totalt"]) == (1, 3, 11)
    last = await rpc(client, "Arende.SokPart", {"personnummer": [KALLE], "perSida": 4, "sida": 3})
    assert [a["id"] for a in last["result"]["arenden"]] == ["200015", "200017", "200019"]


async def test_sok_diarienummer_matches_main_number(client: httpx.AsyncClient) -> None:
    answer = await rpc(client, "Arende.SokDiarienummer", {"diarienummer": ["KF 2025/0031"]})
    assert [a["id"] for a in answer["result"]["arenden"]] == ["100031"]


async def test_change_cursor_neither_loses_nor_repeats(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    since: str = "2025-03-11 10:00:00"
    for _ in range(20):
        params = {"changedSince": since, "until": "2025-03-13 00:00:00", "limit": 4}
        result = (await rpc(client, "Arende.Andrade", params))["result"]
        seen.extend(a["id"] for a in result["arenden"])
        if result["nextCursor"] is None:
            break
        since = result["nextCursor"]
    assert seen == ["100031", *(f"2{i:05d}" for i in range(20))]


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
    body = b'{"jsonrpc": "2.0", "method": "Arende.Hamta", "params": {"id": ["100031"]}}'
    response = await client.post("/rpc", content=body)
    assert (response.status_code, response.content) == (204, b"")


async def test_only_post(client: httpx.AsyncClient) -> None:
    assert (await client.get("/rpc")).status_code == 405
