"""Simulated registry (diarium, Public 360/W3D3-like): JSON-RPC 2.0 at `POST /rpc`.

One method per call (batches are refused), HTTP 200 with a JSON-RPC error object
on failure: -32700 parse error, -32600 invalid request, -32601 method not found,
-32602 invalid params. Methods:

    Arende.SokPart          {personnummer: [..], sida?, perSida?}
    Arende.Hamta            {id: [..], sida?, perSida?}
    Arende.SokDiarienummer  {diarienummer: [..], sida?, perSida?}   (diarienummer or huvudärende)
        -> {arenden: [..], sida, antalSidor, totalt}
    Arende.Andrade          {changedSince: "<tid>" | "<nextCursor>", until: "<tid>", limit?}
        -> {arenden: [..], nextCursor: str | null}   (window [changedSince, until))

At most 200 keys per call; `perSida`/`limit` 1..500 (default 100). Times are local
(Europe/Stockholm) "2025-03-11 09:30:00". `nextCursor` is opaque (it encodes the
change time of the last record sent and how many records at that time were sent).
Status texts, diary-event types and document directions ("I", "U", "Upprättad")
are the registry's own. `GET /openapi.json` describes `POST /rpc` and lists the methods.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .diarium_doc import openapi_document
from .world import TZ, UNITS, Case, Collaboration, Document, Event, World

SYSTEM = "diarium"
MAX_KEYS = 200
MAX_KEY_LENGTH = 64
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
MAX_REQUEST_BYTES = 256 * 1024
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

PNR = re.compile(r"^\d{12}$")

STATUS_TEXTS = {
    "RECEIVED": "Inkommen",
    "IN_PROGRESS": "Under handläggning",
    "WAITING_FOR_CITIZEN": "Vilande - komplettering",
    "WAITING_FOR_OTHER_PARTY": "Remiss ute",
    "DECIDED": "Beslutad",
    "CLOSED": "Avslutad",
    "FORWARDED": "Överlämnad",
}

EVENT_TYPES = {
    "SUBMITTED": "Inkommen handling",
    "REGISTERED": "Registrerad",
    "STATUS_CHANGED": "Statusändring",
    "COMPLETION_REQUESTED": "Komplettering begärd",
    "COMPLETION_RECEIVED": "Komplettering inkommen",
    "REFERRAL_SENT": "Remiss skickad",
    "REFERRAL_ANSWERED": "Remissvar inkommet",
    "ASSIGNMENT_GIVEN": "Uppdrag lämnat",
    "ASSIGNMENT_COMPLETED": "Uppdrag klarmarkerat",
    "FORWARDED": "Överlämnad",
    "DECIDED": "Beslut",
    "NOTICE": "Meddelande",
    "DELAYED": "Förseningsbesked",
    "CLOSED": "Avslutad",
}

CHANNELS = {
    "E_SERVICE": "E-tjänst",
    "CONTACT_CENTRE": "Kontaktcenter",
    "VISIT": "Besök",
    "PHONE": "Telefon",
    "MAIL": "Post",
    "EMAIL": "E-post",
    "INTERNAL": "Internt",
}

DIRECTIONS = {"INCOMING": "I", "OUTGOING": "U", "DRAFTED": "Upprättad"}
COLLABORATION_TYPES = {"REFERRAL": "Remiss", "ASSIGNMENT": "Uppdrag", "FORWARDING": "Överlämning"}

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


Method = Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]]


def create_app(world: World) -> Starlette:
    """The registry's JSON-RPC endpoint over the `diarium` cases of `world`."""
    rpc = _DiariumRpc(world)
    return Starlette(
        routes=[
            Route("/rpc", rpc.endpoint, methods=["POST"]),
            Route("/openapi.json", rpc.openapi, methods=["GET"]),
        ]
    )


class _DiariumRpc:
    def __init__(self, world: World) -> None:
        self.world = world
        self.methods: dict[str, Method] = {
            "Arende.SokPart": self.by_person,
            "Arende.Hamta": self.by_id,
            "Arende.SokDiarienummer": self.by_number,
            "Arende.Andrade": self.changed,
        }
        self.document = openapi_document(
            {
                "status": STATUS_TEXTS,
                "typ": EVENT_TYPES,
                "inkomstsatt": CHANNELS,
                "riktning": DIRECTIONS,
                "samverkan": COLLABORATION_TYPES,
            }
        )

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(self.document)

    async def endpoint(self, request: Request) -> Response:
        request_id: object = None
        try:
            call = await _read_call(request)
            request_id = call.get("id")
            method = self.methods.get(call["method"])
            if method is None:
                raise RpcError(METHOD_NOT_FOUND, "Method not found")
            params = call.get("params", {})
            if not isinstance(params, dict):
                raise RpcError(INVALID_PARAMS, "Invalid params", "params måste vara ett objekt")
            result = await method(params)
        except RpcError as exc:
            error: dict[str, object] = {"code": exc.code, "message": exc.message}
            if exc.data is not None:
                error["data"] = exc.data
            return JSONResponse({"jsonrpc": "2.0", "error": error, "id": request_id})
        if "id" not in call:
            return Response(status_code=204)  # a notification gets no answer
        return JSONResponse({"jsonrpc": "2.0", "result": result, "id": request_id})

    async def by_person(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _only(params, {"personnummer", "sida", "perSida"})
        pnrs = _keys(params, "personnummer")
        if not all(PNR.match(p) for p in pnrs):
            raise RpcError(INVALID_PARAMS, "Invalid params", "personnummer ska vara 12 siffror")
        return self._page(params, self.world.cases_of(SYSTEM, pnrs))

    async def by_id(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _only(params, {"id", "sida", "perSida"})
        found = (self.world.case(SYSTEM, i) for i in _keys(params, "id"))
        return self._page(params, [c for c in found if c is not None])

    async def by_number(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _only(params, {"diarienummer", "sida", "perSida"})
        numbers = _keys(params, "diarienummer")
        return self._page(params, self.world.cases_by_number(SYSTEM, numbers))

    async def changed(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _only(params, {"changedSince", "until", "limit"})
        since, skip = _since(params.get("changedSince"))
        until = _time_param(params.get("until"), "until")
        if until < since:
            raise RpcError(
                INVALID_PARAMS, "Invalid params", "until får inte vara före changedSince"
            )
        limit = _int(params, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        cases = self.world.changed(SYSTEM, since, until)
        chunk = cases[skip : skip + limit]
        cursor = None
        if skip + limit < len(cases):
            last = chunk[-1].updated_at
            same = sum(1 for c in chunk if c.updated_at == last)
            if last == since:
                same += skip  # still inside the same instant: keep counting
            cursor = _make_cursor(last, same)
        return {"arenden": [self._arende(c) for c in chunk], "nextCursor": cursor}

    def _page(self, params: Mapping[str, Any], cases: list[Case]) -> dict[str, Any]:
        page = _int(params, "sida", 1, 1, 1_000_000)
        size = _int(params, "perSida", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        chunk = cases[(page - 1) * size : page * size]
        return {
            "arenden": [self._arende(c) for c in chunk],
            "sida": page,
            "antalSidor": max(1, math.ceil(len(cases) / size)),
            "totalt": len(cases),
        }

    def _arende(self, case: Case) -> dict[str, Any]:
        parter = []
        if case.subject:
            parter.append({"roll": "Part", "personnummer": case.subject})
        if case.applicant and case.applicant != case.subject:
            parter.append({"roll": "Sökande", "personnummer": case.applicant})
        type_def = self.world.case_types.get(case.type_code)
        return {
            "id": case.id,
            "diarienummer": case.number,
            "huvudarendenummer": case.main_number,
            "arendetyp": {
                "kod": case.type_code,
                "benamning": type_def.name if type_def else case.type_code,
            },
            "rubrik": case.title,
            "beskrivning": case.description,
            "status": STATUS_TEXTS[case.status],
            "ansvarigEnhet": _unit(case.unit),
            "parter": parter,
            "inkomstsatt": CHANNELS.get(case.channel, "Internt"),
            "registreringsdatum": _time(case.opened_at),
            "avslutsdatum": _time(case.closed_at),
            "sekretess": case.confidential,
            "sekretessgrund": case.secrecy_ground,
            "lank": case.link,
            "senastAndrad": _time(case.updated_at),
            "diariehandelser": [_handelse(e) for e in case.events],
            "handlingar": [_handling(d) for d in case.documents],
            "samverkan": [_samverkan(c) for c in case.collaborations],
        }


async def _read_call(request: Request) -> dict[str, Any]:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_REQUEST_BYTES:
            raise RpcError(INVALID_REQUEST, "Invalid Request", "anropet är för stort")
    try:
        call = json.loads(bytes(body))
    except (ValueError, UnicodeDecodeError):
        raise RpcError(PARSE_ERROR, "Parse error") from None
    if isinstance(call, list):
        raise RpcError(INVALID_REQUEST, "Invalid Request", "batchanrop stöds inte")
    if (
        not isinstance(call, dict)
        or call.get("jsonrpc") != "2.0"
        or not isinstance(call.get("method"), str)
        or not isinstance(call.get("id", 0), str | int)
        or isinstance(call.get("id"), bool)
    ):
        raise RpcError(INVALID_REQUEST, "Invalid Request")
    return call


def _only(params: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(params) - allowed
    if unknown:
        raise RpcError(
            INVALID_PARAMS, "Invalid params", f"okända parametrar: {sorted(unknown)[:5]}"
        )


def _keys(params: Mapping[str, Any], name: str) -> list[str]:
    values = params.get(name)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RpcError(INVALID_PARAMS, "Invalid params", f"{name} ska vara en lista av strängar")
    keys = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not keys or len(keys) > MAX_KEYS:
        raise RpcError(INVALID_PARAMS, "Invalid params", f"{name}: 1 till {MAX_KEYS} värden")
    if any(len(k) > MAX_KEY_LENGTH for k in keys):
        raise RpcError(INVALID_PARAMS, "Invalid params", f"{name} innehåller ett ogiltigt värde")
    return keys


def _int(params: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RpcError(
            INVALID_PARAMS, "Invalid params", f"{name} ska vara ett heltal {low}..{high}"
        )
    return value


def _time_param(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise RpcError(INVALID_PARAMS, "Invalid params", f"{name} ska vara en tidpunkt")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RpcError(
            INVALID_PARAMS, "Invalid params", f"{name} ska vara 'ÅÅÅÅ-MM-DD TT:MM:SS'"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=TZ)


def _since(value: object) -> tuple[datetime, int]:
    """A `changedSince` that is either a local time or a cursor we issued."""
    if isinstance(value, str) and value.startswith("c1."):
        try:
            raw = base64.urlsafe_b64decode(value[3:] + "=" * (-len(value[3:]) % 4))
            data = json.loads(raw)
            at = datetime.fromisoformat(data["t"])
            skip = data["n"]
            if at.tzinfo is None or not isinstance(skip, int) or not 0 <= skip <= 10**9:
                raise ValueError
        except (ValueError, binascii.Error, KeyError, TypeError, UnicodeDecodeError):
            raise RpcError(
                INVALID_PARAMS, "Invalid params", "ogiltig changedSince-markör"
            ) from None
        return at, skip
    return _time_param(value, "changedSince"), 0


def _make_cursor(at: datetime, skip: int) -> str:
    raw = json.dumps({"t": at.isoformat(), "n": skip}).encode()
    return "c1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _time(at: datetime | None) -> str | None:
    return at.astimezone(TZ).strftime(TIME_FORMAT) if at is not None else None


def _unit(code: str) -> dict[str, str]:
    return {"kod": code, "namn": UNITS.get(code, code)}


def _handelse(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "datum": _time(event.at),
        "typ": EVENT_TYPES[event.kind],
        "text": event.summary,
        "beskrivning": event.description,
        "diarieford": event.diary,
        "intern": event.internal,
        "avser": event.concerns,
    }


def _handling(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "titel": doc.title,
        "riktning": DIRECTIONS[doc.direction],
        "registrerad": _time(doc.registered_at),
        "sekretess": doc.confidential,
    }


def _samverkan(collab: Collaboration) -> dict[str, Any]:
    motpart = None
    if collab.counterpart_system or collab.counterpart_number:
        motpart = {
            "system": collab.counterpart_system,
            "id": collab.counterpart_id,
            "diarienummer": collab.counterpart_number,
        }
    return {
        "typ": COLLABORATION_TYPES[collab.kind],
        "fran": _unit(collab.from_unit),
        "till": _unit(collab.to_unit),
        "startad": _time(collab.started_at),
        "klar": _time(collab.completed_at),
        "uppfoljningKvar": collab.follow_up_retained,
        "motpart": motpart,
    }
