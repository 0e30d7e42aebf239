"""The diarium's integration document: `POST /rpc` as OpenAPI 3 plus its JSON-RPC methods.

JSON-RPC registries publish a method list rather than REST paths; this document
describes the one path and lists every method's params and result schema under
`x-jsonrpc-methods`.
"""

from __future__ import annotations

from collections.abc import Mapping

MAX_KEYS = 200
MAX_PAGE_SIZE = 500


_STR, _NSTR, _BOOL, _INT = (
    {"type": "string"},
    {"type": "string", "nullable": True},
    {"type": "boolean"},
    {"type": "integer"},
)
_TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"}
_NTIME = {**_TIME, "nullable": True}
_KEYS = {"type": "array", "items": _STR, "minItems": 1, "maxItems": MAX_KEYS}
_PAGE = {
    "sida": {**_INT, "minimum": 1},
    "perSida": {**_INT, "minimum": 1, "maximum": MAX_PAGE_SIZE},
}
_UNIT = {"type": "object", "properties": {"kod": _STR, "namn": _STR}}


def _obj(**props: object) -> dict[str, object]:
    return {"type": "object", "properties": props}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_METHODS = {
    "Arende.SokPart": (_obj(personnummer=_KEYS, **_PAGE), "Sida", "Ärenden där personerna är part"),
    "Arende.Hamta": (_obj(id=_KEYS, **_PAGE), "Sida", "Ärenden med dessa id"),
    "Arende.SokDiarienummer": (
        _obj(diarienummer=_KEYS, **_PAGE),
        "Sida",
        "Ärenden med diarienummer eller huvudärendenummer",
    ),
    "Arende.Andrade": (
        _obj(changedSince=_STR, until=_TIME, limit={**_INT, "minimum": 1, "maximum": 500}),
        "Andringar",
        "Ärenden ändrade i [changedSince, until); changedSince är en tid eller nextCursor",
    ),
}


def openapi_document(vocabulary: Mapping[str, Mapping[str, str]]) -> dict[str, object]:
    """The document; `vocabulary` holds the code tables by field name (status, typ, ...)."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Diarium JSON-RPC (Exempelby kommun)", "version": "1.0.0"},
        "paths": {
            "/rpc": {
                "post": {
                    "summary": "JSON-RPC 2.0, en metod per anrop (se x-jsonrpc-methods)",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("Request")}},
                    },
                    "responses": {
                        "200": {
                            "description": "result eller error",
                            "content": {"application/json": {"schema": _ref("Response")}},
                        },
                        "204": {"description": "notifiering (utan id) besvaras inte"},
                    },
                }
            }
        },
        "x-jsonrpc-methods": {
            name: {"summary": text, "params": params, "result": _ref(result)}
            for name, (params, result, text) in _METHODS.items()
        },
        "components": {
            "schemas": {
                "Request": {
                    "type": "object",
                    "required": ["jsonrpc", "method"],
                    "properties": {
                        "jsonrpc": {"type": "string", "enum": ["2.0"]},
                        "method": {"type": "string", "enum": sorted(_METHODS)},
                        "params": {"type": "object"},
                        "id": {"oneOf": [_STR, _INT]},
                    },
                },
                "Response": _obj(
                    jsonrpc=_STR,
                    result={"type": "object"},
                    error=_obj(
                        code={"type": "integer", "enum": [-32700, -32600, -32601, -32602]},
                        message=_STR,
                        data={},
                    ),
                    id={"oneOf": [_STR, _INT], "nullable": True},
                ),
                "Sida": _obj(
                    arenden={"type": "array", "items": _ref("Arende")},
                    sida=_INT,
                    antalSidor=_INT,
                    totalt=_INT,
                ),
                "Andringar": _obj(
                    arenden={"type": "array", "items": _ref("Arende")}, nextCursor=_NSTR
                ),
                "Arende": _obj(
                    id=_STR,
                    diarienummer=_STR,
                    huvudarendenummer=_NSTR,
                    arendetyp=_obj(kod=_STR, benamning=_STR),
                    rubrik=_STR,
                    beskrivning=_NSTR,
                    status={"type": "string", "enum": sorted(vocabulary["status"].values())},
                    ansvarigEnhet=_UNIT,
                    parter={
                        "type": "array",
                        "items": _obj(
                            roll={"type": "string", "enum": ["Part", "Sökande"]}, personnummer=_STR
                        ),
                    },
                    inkomstsatt={
                        "type": "string",
                        "enum": sorted(vocabulary["inkomstsatt"].values()),
                    },
                    registreringsdatum=_TIME,
                    avslutsdatum=_NTIME,
                    sekretess=_BOOL,
                    sekretessgrund=_NSTR,
                    lank=_NSTR,
                    senastAndrad=_TIME,
                    diariehandelser={"type": "array", "items": _ref("Diariehandelse")},
                    handlingar={"type": "array", "items": _ref("Handling")},
                    samverkan={"type": "array", "items": _ref("Samverkan")},
                ),
                "Diariehandelse": _obj(
                    id=_STR,
                    datum=_TIME,
                    typ={"type": "string", "enum": sorted(vocabulary["typ"].values())},
                    text=_STR,
                    beskrivning=_NSTR,
                    diarieford=_BOOL,
                    intern=_BOOL,
                    avser=_NSTR,
                ),
                "Handling": _obj(
                    id=_STR,
                    titel=_STR,
                    riktning={"type": "string", "enum": sorted(vocabulary["riktning"].values())},
                    registrerad=_TIME,
                    sekretess=_BOOL,
                ),
                "Samverkan": _obj(
                    typ={"type": "string", "enum": sorted(vocabulary["samverkan"].values())},
                    fran=_UNIT,
                    till=_UNIT,
                    startad=_TIME,
                    klar=_NTIME,
                    uppfoljningKvar=_BOOL,
                    motpart={**_obj(system=_NSTR, id=_NSTR, diarienummer=_NSTR), "nullable": True},
                ),
            }
        },
    }
