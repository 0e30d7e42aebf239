"""Simulated population register (Navet-like): REST JSON under `/api/v1/personer`.

Its own style: Swedish field names, batch searches by POSTed lists of personal
numbers (at most 200), persons with protected identity (`skyddadIdentitet`,
`sekretessmarkering`) served without address, custody as `vardnadshavare`/`barn`.
Unknown personal numbers are simply absent; a malformed one is a 400.

    POST /api/v1/personer/sok         {"personnummer": ["...", ...]}
    GET  /api/v1/personer/{pnr}
    POST /api/v1/personer/relationer  {"personnummer": ["...", ...]}
    GET  /api/v1/personer/{pnr}/relationer
    GET  /openapi.json
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import rest
from .rest import BadRequest
from .world import Person, World

MAX_BODY = 64 * 1024


def create_app(world: World) -> Starlette:
    """The population register's REST API over the persons and custody of `world`."""
    api = _FolkbokforingApi(world)
    return Starlette(
        routes=[
            Route("/api/v1/personer/sok", api.search, methods=["POST"]),
            Route("/api/v1/personer/relationer", api.relations, methods=["POST"]),
            Route("/api/v1/personer/{pnr}", api.one, methods=["GET"]),
            Route("/api/v1/personer/{pnr}/relationer", api.relations_of, methods=["GET"]),
            Route("/openapi.json", api.openapi, methods=["GET"]),
        ],
        exception_handlers=rest.error_handlers(_error),
    )


_CODES = {
    "not_found": "HITTADES_INTE",
    "method_not_allowed": "METOD_EJ_TILLATEN",
}


def _error(status: int, code: str, message: str) -> Mapping[str, object]:
    return {"felkod": _CODES.get(code, code.upper()), "felmeddelande": message}


def valid_pnr(pnr: str) -> bool:
    """12 digits, a real (coordination) date and a right Luhn check digit."""
    if len(pnr) != 12 or not pnr.isdigit():
        return False
    day = int(pnr[6:8])
    try:
        date(int(pnr[:4]), int(pnr[4:6]), day - 60 if day > 60 else day)
    except ValueError:
        return False
    total = 0
    for i, ch in enumerate(pnr[2:11]):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(pnr[11])


class _FolkbokforingApi:
    def __init__(self, world: World) -> None:
        self.world = world

    async def search(self, request: Request) -> Response:
        keys = await _pnr_list(request)
        found = (self.world.persons.get(k) for k in keys)
        return JSONResponse({"personer": [render_person(p) for p in found if p is not None]})

    async def one(self, request: Request) -> Response:
        pnr = _pnr(request.path_params["pnr"])
        person = self.world.persons.get(pnr)
        if person is None:
            return JSONResponse(_error(404, "HITTADES_INTE", "Personen finns inte"), 404)
        return JSONResponse(render_person(person))

    async def relations(self, request: Request) -> Response:
        keys = await _pnr_list(request)
        known = [k for k in keys if k in self.world.persons]
        return JSONResponse({"relationer": [self._relations(k) for k in known]})

    async def relations_of(self, request: Request) -> Response:
        pnr = _pnr(request.path_params["pnr"])
        if pnr not in self.world.persons:
            return JSONResponse(_error(404, "HITTADES_INTE", "Personen finns inte"), 404)
        return JSONResponse(self._relations(pnr))

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(OPENAPI)

    def _relations(self, pnr: str) -> dict[str, object]:
        rels = self.world.custody_of(pnr)
        return {
            "personnummer": pnr,
            "vardnadshavare": [{"personnummer": r.custodian} for r in rels if r.child == pnr],
            "barn": [{"personnummer": r.child} for r in rels if r.custodian == pnr],
        }


def render_person(person: Person) -> dict[str, object]:
    """A person as the register shows it; no address for protected identity."""
    data: dict[str, object] = {
        "personnummer": person.pnr,
        "fornamn": person.given_name,
        "efternamn": person.family_name,
        "skyddadIdentitet": person.protected,
        "sekretessmarkering": person.protected,
    }
    if not person.protected:
        data["adress"] = {
            "utdelningsadress": person.street,
            "postnummer": person.postal_code,
            "postort": person.city,
        }
    return data


def _pnr(raw: str) -> str:
    if not valid_pnr(raw):
        raise BadRequest("OGILTIGT_PERSONNUMMER", "Personnumret är ogiltigt (ÅÅÅÅMMDDNNNN)")
    return raw


async def _pnr_list(request: Request) -> list[str]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest("FOR_STOR_FRAGA", "Frågan är för stor")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("OGILTIG_FRAGA", "Frågan är inte giltig JSON") from None
    values = data.get("personnummer") if isinstance(data, dict) else None
    if not isinstance(values, list) or not values:
        raise BadRequest("OGILTIG_FRAGA", "personnummer ska vara en lista med personnummer")
    if len(values) > rest.MAX_KEYS:
        raise BadRequest("FOR_MANGA_PERSONNUMMER", f"Högst {rest.MAX_KEYS} personnummer per fråga")
    keys: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise BadRequest("OGILTIGT_PERSONNUMMER", "Personnumret är ogiltigt (ÅÅÅÅMMDDNNNN)")
        keys.append(_pnr(value))
    return list(dict.fromkeys(keys))


# --- OpenAPI 3 -------------------------------------------------------------------------------

_S, _B = rest.t("string"), rest.t("boolean")
_PNR = rest.t("string", pattern=r"^\d{12}$")
_PNR_OBJ = rest.obj(("personnummer",), personnummer=_PNR)
_QUERY = rest.obj(("personnummer",), personnummer=rest.array(_PNR) | {"maxItems": rest.MAX_KEYS})


def _post(summary: str, schema: str) -> dict[str, object]:
    return {
        "post": {
            "summary": summary,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _QUERY}}},
            "responses": {
                "200": {
                    "description": "OK (unknown personal numbers are absent)",
                    "content": {"application/json": {"schema": rest.ref(schema)}},
                },
                "400": {
                    "description": "Malformed query or personal number",
                    "content": {"application/json": {"schema": rest.ref("Fel")}},
                },
            },
        }
    }


OPENAPI = rest.document(
    "Folkbokföring API (Exempelby kommun)",
    {
        "/api/v1/personer/sok": _post("Persons by personal number (batch)", "Personer"),
        "/api/v1/personer/relationer": _post("Custody relations (batch)", "Relationer"),
        "/api/v1/personer/{pnr}": rest.get_op("One person", [rest.param("pnr", "path")], "Person"),
        "/api/v1/personer/{pnr}/relationer": rest.get_op(
            "One person's custody relations", [rest.param("pnr", "path")], "Relation"
        ),
    },
    {
        "Fel": rest.obj(("felkod", "felmeddelande"), felkod=_S, felmeddelande=_S),
        "Personer": rest.obj(("personer",), personer=rest.array(rest.ref("Person"))),
        "Person": rest.obj(
            ("personnummer", "fornamn", "efternamn", "skyddadIdentitet", "sekretessmarkering"),
            personnummer=_PNR,
            fornamn=_S,
            efternamn=_S,
            skyddadIdentitet=_B,
            sekretessmarkering=_B,
            adress=rest.obj(
                ("utdelningsadress", "postnummer", "postort"),
                utdelningsadress=_S,
                postnummer=_S,
                postort=_S,
            ),
        ),
        "Relationer": rest.obj(("relationer",), relationer=rest.array(rest.ref("Relation"))),
        "Relation": rest.obj(
            ("personnummer", "vardnadshavare", "barn"),
            personnummer=_PNR,
            vardnadshavare=rest.array(_PNR_OBJ),
            barn=rest.array(_PNR_OBJ),
        ),
    },
)
