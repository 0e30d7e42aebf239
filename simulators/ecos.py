"""Simulated Ecos (environment and health, MBN): REST JSON under `/api/v2/`.

Modern-Ecos style: English camelCase fields, `MK-2025-837` case numbers,
ISO-8601 UTC timestamps ("2025-03-11T08:30:00Z"), its own status codes
(REG, HANDL, VILANDE, REMISS, BESLUT, AVSLUTAD, OVERLAMNAD) and cursor paging
with an opaque `nextPageToken`. Occurrences are listed newest first, as Ecos does.

    GET /api/v2/cases?personalIdentityNumber=a,b | ids=1,2 | caseNumber=MK-..
        (&pageSize=&pageToken=)
    GET /api/v2/cases/changes?from=ISO&to=ISO(&pageSize=&pageToken=)
    GET /api/v2/cases/{id}
    GET /openapi.json
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import rest
from .rest import BadRequest
from .world import UNITS, Case, CaseTypeDef, Collaboration, Document, Event, World

SYSTEM = "ecos"
DEFAULT_PAGE_SIZE = 100

STATUS_CODES = {
    "RECEIVED": "REG",
    "IN_PROGRESS": "HANDL",
    "WAITING_FOR_CITIZEN": "VILANDE",
    "WAITING_FOR_OTHER_PARTY": "REMISS",
    "DECIDED": "BESLUT",
    "CLOSED": "AVSLUTAD",
    "FORWARDED": "OVERLAMNAD",
}

OCCURRENCE_TYPES = {
    "SUBMITTED": "CASE_RECEIVED",
    "REGISTERED": "CASE_REGISTERED",
    "STATUS_CHANGED": "STATUS_CHANGE",
    "COMPLETION_REQUESTED": "SUPPLEMENT_REQUESTED",
    "COMPLETION_RECEIVED": "SUPPLEMENT_RECEIVED",
    "REFERRAL_SENT": "REFERRAL_SENT",
    "REFERRAL_ANSWERED": "REFERRAL_REPLY",
    "ASSIGNMENT_GIVEN": "ASSIGNMENT_SENT",
    "ASSIGNMENT_COMPLETED": "ASSIGNMENT_DONE",
    "FORWARDED": "HANDED_OVER",
    "DECIDED": "DECISION",
    "NOTICE": "NOTIFICATION",
    "DELAYED": "DELAY_NOTICE",
    "CLOSED": "CASE_CLOSED",
}

RECEIVED_VIA = {
    "E_SERVICE": "WEB",
    "CONTACT_CENTRE": "CONTACT_CENTER",
    "VISIT": "VISIT",
    "PHONE": "PHONE",
    "MAIL": "LETTER",
    "EMAIL": "EMAIL",
    "INTERNAL": "INTERNAL",
}

DIRECTIONS = {"INCOMING": "IN", "OUTGOING": "OUT", "DRAFTED": "INTERNAL"}
HANDOVER_TYPES = {"REFERRAL": "REMISS", "ASSIGNMENT": "UPPDRAG", "FORWARDING": "OVERLAMNING"}


def create_app(world: World) -> Starlette:
    """The Ecos REST API over the `ecos` cases of `world`."""
    api = _EcosApi(world)
    return Starlette(
        routes=[
            Route("/api/v2/cases", api.search, methods=["GET"]),
            Route("/api/v2/cases/changes", api.changes, methods=["GET"]),
            Route("/api/v2/cases/{case_id}", api.one, methods=["GET"]),
            Route("/openapi.json", api.openapi, methods=["GET"]),
        ],
        exception_handlers=rest.error_handlers(_error),
    )


def _error(status: int, code: str, message: str) -> Mapping[str, object]:
    return {"error": {"status": status, "code": code.upper(), "message": message}}


class _EcosApi:
    def __init__(self, world: World) -> None:
        self.world = world

    async def search(self, request: Request) -> JSONResponse:
        which = rest.exactly_one(request, ("personalIdentityNumber", "ids", "caseNumber"))
        values = request.query_params.getlist(which)
        if which == "personalIdentityNumber":
            keys = rest.key_list(values, which, pattern=rest.PNR)
            cases = self.world.cases_of(SYSTEM, keys)
        elif which == "ids":
            keys = rest.key_list(values, which)
            found = (self.world.case(SYSTEM, k) for k in keys)
            cases = [c for c in found if c is not None]
        else:
            keys = rest.key_list(values, which)
            cases = self.world.cases_by_number(SYSTEM, keys)
        return self._page(request, cases, f"{which}={','.join(keys)}")

    async def changes(self, request: Request) -> JSONResponse:
        since = rest.aware_param(request, "from")
        until = rest.aware_param(request, "to")
        if until < since:
            raise BadRequest("invalid_interval", "to must not be before from")
        cases = self.world.changed(SYSTEM, since, until)
        return self._page(request, cases, f"changes={since.isoformat()}/{until.isoformat()}")

    async def one(self, request: Request) -> JSONResponse:
        case = self.world.case(SYSTEM, request.path_params["case_id"])
        if case is None:
            return JSONResponse(_error(404, "case_not_found", "No such case"), status_code=404)
        return JSONResponse(_case(case, self.world.case_types))

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(OPENAPI)

    def _page(self, request: Request, cases: Sequence[Case], query: str) -> JSONResponse:
        size = rest.int_param(request, "pageSize", DEFAULT_PAGE_SIZE, 1, rest.MAX_PAGE_SIZE)
        fingerprint = hashlib.sha256(query.encode()).hexdigest()[:12]
        offset = _read_token(request.query_params.get("pageToken"), fingerprint)
        chunk = cases[offset : offset + size]
        token = _make_token(offset + size, fingerprint) if offset + size < len(cases) else None
        types = self.world.case_types
        return JSONResponse({"items": [_case(c, types) for c in chunk], "nextPageToken": token})


def _make_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "q": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str | None, fingerprint: str) -> int:
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        offset = data["o"]
        if data["q"] != fingerprint or not isinstance(offset, int) or offset < 0:
            raise ValueError
    except (ValueError, binascii.Error, KeyError, TypeError, UnicodeDecodeError):
        raise BadRequest("invalid_page_token", "pageToken is not valid for this query") from None
    return offset


def _utc(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _unit(code: str) -> dict[str, str]:
    return {"code": code, "name": UNITS.get(code, code)}


def _case(case: Case, types: Mapping[str, CaseTypeDef]) -> dict[str, object]:
    parties = []
    if case.subject:
        parties.append({"role": "SUBJECT", "personalIdentityNumber": case.subject})
    if case.applicant and case.applicant != case.subject:
        parties.append({"role": "APPLICANT", "personalIdentityNumber": case.applicant})
    type_def = types.get(case.type_code)
    return {
        "id": case.id,
        "caseNumber": case.number,
        "mainCaseNumber": case.main_number,
        "caseType": {"code": case.type_code, "name": type_def.name if type_def else case.type_code},
        "heading": case.title,
        "description": case.description,
        "statusCode": STATUS_CODES[case.status],
        "responsibleUnit": _unit(case.unit),
        "parties": parties,
        "receivedVia": RECEIVED_VIA.get(case.channel, "INTERNAL"),
        "registeredDate": _utc(case.opened_at),
        "closedDate": _utc(case.closed_at),
        "isConfidential": case.confidential,
        "confidentialityReason": case.secrecy_ground,
        "webUrl": case.link,
        "lastModified": _utc(case.updated_at),
        "occurrences": [_occurrence(e) for e in reversed(case.events)],
        "documents": [_document(d) for d in case.documents],
        "handovers": [_handover(c) for c in case.collaborations],
    }


def _occurrence(event: Event) -> dict[str, object]:
    return {
        "id": event.id,
        "occurredAt": _utc(event.at),
        "type": OCCURRENCE_TYPES[event.kind],
        "text": event.summary,
        "description": event.description,
        "registeredInDiary": event.diary,
        "internal": event.internal,
        "concernsPersonalIdentityNumber": event.concerns,
    }


def _document(doc: Document) -> dict[str, object]:
    return {
        "documentId": doc.id,
        "title": doc.title,
        "direction": DIRECTIONS[doc.direction],
        "registeredAt": _utc(doc.registered_at),
        "secret": doc.confidential,
    }


def _handover(collab: Collaboration) -> dict[str, object]:
    counterpart = None
    if collab.counterpart_system or collab.counterpart_number:
        counterpart = {
            "system": collab.counterpart_system,
            "caseId": collab.counterpart_id,
            "caseNumber": collab.counterpart_number,
        }
    return {
        "type": HANDOVER_TYPES[collab.kind],
        "fromUnit": _unit(collab.from_unit),
        "toUnit": _unit(collab.to_unit),
        "startedAt": _utc(collab.started_at),
        "completedAt": _utc(collab.completed_at),
        "followUpRetained": collab.follow_up_retained,
        "counterpart": counterpart,
    }


# --- OpenAPI 3 -------------------------------------------------------------------------------

_S, _N, _B = rest.t("string"), rest.nullable("string"), rest.t("boolean")
_TIME = rest.t("string", format="date-time")
_UNIT = rest.obj(("code", "name"), code=_S, name=_S)
_PAGING = [
    rest.param(
        "pageSize", kind="integer", text=f"1..{rest.MAX_PAGE_SIZE}, default {DEFAULT_PAGE_SIZE}"
    ),
    rest.param("pageToken", text="nextPageToken of the previous page"),
]

OPENAPI = rest.document(
    "Ecos API (Exempelby kommun)",
    {
        "/api/v2/cases": rest.get_op(
            "Search cases by party, id or case number (exactly one criterion)",
            [
                rest.param(
                    "personalIdentityNumber", text="comma-separated, 12 digits each, at most 200"
                ),
                rest.param("ids", text="comma-separated case ids, at most 200"),
                rest.param(
                    "caseNumber", text="comma-separated case or main case numbers, at most 200"
                ),
                *_PAGING,
            ],
            "CasePage",
        ),
        "/api/v2/cases/changes": rest.get_op(
            "Cases last modified in the half-open interval [from, to)",
            [
                rest.param("from", required=True, text="ISO-8601 with offset"),
                rest.param("to", required=True, text="ISO-8601 with offset"),
                *_PAGING,
            ],
            "CasePage",
        ),
        "/api/v2/cases/{caseId}": rest.get_op("One case", [rest.param("caseId", "path")], "Case"),
    },
    {
        "Error": rest.obj(
            ("error",),
            error=rest.obj(
                ("status", "code", "message"), status=rest.t("integer"), code=_S, message=_S
            ),
        ),
        "CasePage": rest.obj(
            ("items", "nextPageToken"), items=rest.array(rest.ref("Case")), nextPageToken=_N
        ),
        "Case": rest.obj(
            (
                "id",
                "caseNumber",
                "caseType",
                "heading",
                "statusCode",
                "responsibleUnit",
                "parties",
                "receivedVia",
                "registeredDate",
                "isConfidential",
                "occurrences",
                "documents",
                "handovers",
            ),
            id=_S,
            caseNumber=_S,
            mainCaseNumber=_N,
            caseType=rest.obj(("code", "name"), code=_S, name=_S),
            heading=_S,
            description=_N,
            statusCode=rest.t("string", enum=sorted(set(STATUS_CODES.values()))),
            responsibleUnit=_UNIT,
            parties=rest.array(
                rest.obj(
                    ("role", "personalIdentityNumber"),
                    role=rest.t("string", enum=["SUBJECT", "APPLICANT"]),
                    personalIdentityNumber=_S,
                )
            ),
            receivedVia=rest.t("string", enum=sorted(RECEIVED_VIA.values())),
            registeredDate=_TIME,
            closedDate=rest.nullable("string", format="date-time"),
            isConfidential=_B,
            confidentialityReason=_N,
            webUrl=_N,
            lastModified=_TIME,
            occurrences=rest.array(rest.ref("Occurrence")),
            documents=rest.array(rest.ref("Document")),
            handovers=rest.array(rest.ref("Handover")),
        ),
        "Occurrence": rest.obj(
            ("id", "occurredAt", "type", "text", "registeredInDiary", "internal"),
            id=_S,
            occurredAt=_TIME,
            type=rest.t("string", enum=sorted(OCCURRENCE_TYPES.values())),
            text=_S,
            description=_N,
            registeredInDiary=_B,
            internal=_B,
            concernsPersonalIdentityNumber=_N,
        ),
        "Document": rest.obj(
            ("documentId", "title", "direction", "registeredAt", "secret"),
            documentId=_S,
            title=_S,
            direction=rest.t("string", enum=sorted(DIRECTIONS.values())),
            registeredAt=_TIME,
            secret=_B,
        ),
        "Handover": rest.obj(
            ("type", "fromUnit", "toUnit", "startedAt", "followUpRetained"),
            type=rest.t("string", enum=sorted(HANDOVER_TYPES.values())),
            fromUnit=_UNIT,
            toUnit=_UNIT,
            startedAt=_TIME,
            completedAt=rest.nullable("string", format="date-time"),
            followUpRetained=_B,
            counterpart=rest.obj((), system=_N, caseId=_N, caseNumber=_N) | {"nullable": True},
        ),
    },
)
