"""Simulated power-of-attorney register (Mina ombud-like): REST JSON under `/v2/fullmakter`.

Its own style: Swedish field names, mandates (`fullmakter`) searched by grantee
(`fullmaktshavare`) or grantor (`fullmaktsgivare`) as comma lists of at most 200,
scopes as `behorigheter` (case-type codes), validity `giltigFrom`/`giltigTom` as
plain dates, `status` AKTIV or ÅTERKALLAD, and page-number paging (`sida`,
`antalPerSida`, answered with `antalSidor`).

    GET /v2/fullmakter?fullmaktshavare=a,b | fullmaktsgivare=a,b (&sida=&antalPerSida=)
    GET /v2/fullmakter/{fullmaktId}
    GET /openapi.json
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import rest
from .world import Mandate, World

DEFAULT_PAGE_SIZE = 100


def create_app(world: World) -> Starlette:
    """The mandate register's REST API over the mandates of `world`."""
    api = _OmbudApi(world)
    return Starlette(
        routes=[
            Route("/v2/fullmakter", api.search, methods=["GET"]),
            Route("/v2/fullmakter/{mandate_id}", api.one, methods=["GET"]),
            Route("/openapi.json", api.openapi, methods=["GET"]),
        ],
        exception_handlers=rest.error_handlers(_error),
    )


def _error(status: int, code: str, message: str) -> Mapping[str, object]:
    return {"status": status, "kod": code.upper(), "beskrivning": message}


class _OmbudApi:
    def __init__(self, world: World) -> None:
        self.world = world
        self._by_id = {m.id: m for m in world.mandates}

    async def search(self, request: Request) -> Response:
        which = rest.exactly_one(request, ("fullmaktshavare", "fullmaktsgivare"))
        keys = rest.key_list(request.query_params.getlist(which), which, pattern=rest.PNR)
        lookup = (
            self.world.mandates_for_grantee
            if which == "fullmaktshavare"
            else self.world.mandates_for_grantor
        )
        found = sorted((m for k in keys for m in lookup(k)), key=lambda m: m.id)
        page = rest.int_param(request, "sida", 1, 1, 1_000_000)
        size = rest.int_param(request, "antalPerSida", DEFAULT_PAGE_SIZE, 1, rest.MAX_PAGE_SIZE)
        chunk = found[(page - 1) * size : page * size]
        return JSONResponse(
            {
                "fullmakter": [self._render(m) for m in chunk],
                "sida": page,
                "antalSidor": max(1, -(-len(found) // size)),
                "totaltAntal": len(found),
            }
        )

    async def one(self, request: Request) -> Response:
        mandate = self._by_id.get(request.path_params["mandate_id"])
        if mandate is None:
            return JSONResponse(_error(404, "FULLMAKT_SAKNAS", "Fullmakten finns inte"), 404)
        return JSONResponse(self._render(mandate))

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(OPENAPI)

    def _render(self, mandate: Mandate) -> dict[str, object]:
        types = self.world.case_types
        return {
            "fullmaktId": mandate.id,
            "fullmaktsgivare": {"personnummer": mandate.grantor},
            "fullmaktshavare": {"personnummer": mandate.grantee},
            "behorigheter": [
                {"kod": code, "benamning": types[code].name if code in types else code}
                for code in mandate.scope
            ],
            "giltigFrom": mandate.valid_from.isoformat(),
            "giltigTom": mandate.valid_until.isoformat() if mandate.valid_until else None,
            "status": "ÅTERKALLAD" if mandate.revoked else "AKTIV",
        }


# --- OpenAPI 3 -------------------------------------------------------------------------------

_S = rest.t("string")
_PNR = rest.obj(("personnummer",), personnummer=rest.t("string", pattern=r"^\d{12}$"))

OPENAPI = rest.document(
    "Mina ombud API (Exempelby kommun)",
    {
        "/v2/fullmakter": rest.get_op(
            "Mandates by grantee or grantor (exactly one criterion)",
            [
                rest.param("fullmaktshavare", text="comma-separated personal numbers, max 200"),
                rest.param("fullmaktsgivare", text="comma-separated personal numbers, max 200"),
                rest.param("sida", kind="integer", text="1-based page number"),
                rest.param("antalPerSida", kind="integer", text=f"1..{rest.MAX_PAGE_SIZE}"),
            ],
            "FullmaktSida",
        ),
        "/v2/fullmakter/{fullmaktId}": rest.get_op(
            "One mandate", [rest.param("fullmaktId", "path")], "Fullmakt"
        ),
    },
    {
        "Error": rest.obj(
            ("status", "kod", "beskrivning"), status=rest.t("integer"), kod=_S, beskrivning=_S
        ),
        "FullmaktSida": rest.obj(
            ("fullmakter", "sida", "antalSidor", "totaltAntal"),
            fullmakter=rest.array(rest.ref("Fullmakt")),
            sida=rest.t("integer"),
            antalSidor=rest.t("integer"),
            totaltAntal=rest.t("integer"),
        ),
        "Fullmakt": rest.obj(
            (
                "fullmaktId",
                "fullmaktsgivare",
                "fullmaktshavare",
                "behorigheter",
                "giltigFrom",
                "giltigTom",
                "status",
            ),
            fullmaktId=_S,
            fullmaktsgivare=_PNR,
            fullmaktshavare=_PNR,
            behorigheter=rest.array(rest.obj(("kod", "benamning"), kod=_S, benamning=_S)),
            giltigFrom=rest.t("string", format="date"),
            giltigTom=rest.nullable("string", format="date"),
            status=rest.t("string", enum=["AKTIV", "ÅTERKALLAD"]),
        ),
    },
)
