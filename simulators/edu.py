"""Simulated preschool/school placement system (BUN): REST JSON, child + guardian model.

Applications (`FSK-2025-00012`) concern a child (`child.personalNumber`) and
are made by guardians (`guardians[]`); a guardian's personal number finds the
child's applications too. Times are epoch milliseconds, statuses numeric
(1 Ansökan, 2 Ändrad, 3 Erbjuden, 4 Placerad, 5 Avslutad, 6 Väntar på
komplettering, 7 Väntar på annan part, 8 Överlämnad, 9 Återkallad), paging by
page number (`page` from 1, `pageSize`, `totalPages` in the body).

    GET /v1/applications?personalNumber=a,b | ids=1,2 | referenceNumber=..  (&page=&pageSize=)
    GET /v1/applications/modified?fromMs=&toMs=(&page=&pageSize=)
    GET /v1/applications/{id}
    GET /openapi.json
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import rest
from .rest import BadRequest
from .world import UNITS, Case, Collaboration, Document, Event, World

SYSTEM = "edu"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE = 1_000_000
#: 9999-12-31T23:59:59.999Z, the last instant a datetime can hold
MAX_MS = 253_402_300_799_999
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NUMERIC = re.compile(r"[0-9]{1,18}")

STATUS_TEXTS = {
    1: "Ansökan",
    2: "Ändrad",
    3: "Erbjuden",
    4: "Placerad",
    5: "Avslutad",
    6: "Väntar på komplettering",
    7: "Väntar på annan part",
    8: "Överlämnad",
    9: "Återkallad",
}

EVENT_CODES = {
    "SUBMITTED": 10,
    "REGISTERED": 11,
    "STATUS_CHANGED": 20,
    "COMPLETION_REQUESTED": 30,
    "COMPLETION_RECEIVED": 31,
    "REFERRAL_SENT": 40,
    "REFERRAL_ANSWERED": 41,
    "ASSIGNMENT_GIVEN": 50,
    "ASSIGNMENT_COMPLETED": 51,
    "FORWARDED": 60,
    "DECIDED": 70,
    "NOTICE": 80,
    "DELAYED": 81,
    "CLOSED": 90,
}

CHANNEL_CODES = {
    "E_SERVICE": 1,
    "CONTACT_CENTRE": 2,
    "VISIT": 3,
    "PHONE": 4,
    "MAIL": 5,
    "EMAIL": 6,
    "INTERNAL": 7,
}

DIRECTIONS = {"INCOMING": "IN", "OUTGOING": "OUT", "DRAFTED": "DRAFT"}
TRANSFER_TYPES = {"REFERRAL": "REMISS", "ASSIGNMENT": "UPPDRAG", "FORWARDING": "OVERFORING"}


def create_app(world: World) -> Starlette:
    """The placement REST API over the `edu` cases of `world`."""
    api = _EduApi(world)
    return Starlette(
        routes=[
            Route("/v1/applications", api.search, methods=["GET"]),
            Route("/v1/applications/modified", api.modified, methods=["GET"]),
            Route("/v1/applications/{id}", api.one, methods=["GET"]),
            Route("/openapi.json", api.openapi, methods=["GET"]),
        ],
        exception_handlers=rest.error_handlers(_problem),
    )


def _problem(status: int, code: str, message: str) -> Mapping[str, object]:
    return {"type": f"urn:edu:problem:{code}", "title": code, "status": status, "detail": message}


class _EduApi:
    def __init__(self, world: World) -> None:
        self.world = world
        # the guardian model: the child's custodians (and whoever applied) find the application
        custodians: dict[str, list[str]] = defaultdict(list)
        for rel in world.custody:
            custodians[rel.child].append(rel.custodian)
        self.guardians: dict[str, list[str]] = {}
        self.by_person: dict[str, list[Case]] = defaultdict(list)
        for case in world.cases.get(SYSTEM, []):
            found = list(custodians.get(case.subject, ())) if case.subject else []
            if case.applicant and case.applicant != case.subject and case.applicant not in found:
                found.append(case.applicant)
            self.guardians[case.id] = found
            for pnr in {*found, *case.persons()}:
                self.by_person[pnr].append(case)

    async def search(self, request: Request) -> JSONResponse:
        which = rest.exactly_one(request, ("personalNumber", "ids", "referenceNumber"))
        values = request.query_params.getlist(which)
        if which == "personalNumber":
            seen: dict[str, Case] = {}
            for pnr in rest.key_list(values, which, pattern=rest.PNR):
                for case in self.by_person.get(pnr, ()):
                    seen[case.id] = case
            cases = sorted(seen.values(), key=lambda c: c.opened_at)
        elif which == "ids":
            found = (
                self.world.case(SYSTEM, k) for k in rest.key_list(values, which, pattern=NUMERIC)
            )
            cases = [c for c in found if c is not None]
        else:
            cases = self.world.cases_by_number(SYSTEM, rest.key_list(values, which))
        return self._page(request, cases)

    async def modified(self, request: Request) -> JSONResponse:
        since = _ms_param(request, "fromMs")
        until = _ms_param(request, "toMs")
        if until < since:
            raise BadRequest("invalid_interval", "toMs must not be less than fromMs")
        return self._page(request, self.world.changed(SYSTEM, since, until))

    async def one(self, request: Request) -> JSONResponse:
        local_id = request.path_params["id"]
        if not NUMERIC.fullmatch(local_id):
            raise BadRequest("invalid_id", "application id must be numeric")
        case = self.world.case(SYSTEM, local_id)
        if case is None:
            body = _problem(404, "not_found", "Application not found")
            return JSONResponse(body, status_code=404)
        return JSONResponse(self._application(case))

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(OPENAPI)

    def _page(self, request: Request, cases: Sequence[Case]) -> JSONResponse:
        page = rest.int_param(request, "page", 1, 1, MAX_PAGE)
        size = rest.int_param(request, "pageSize", DEFAULT_PAGE_SIZE, 1, rest.MAX_PAGE_SIZE)
        start = (page - 1) * size
        return JSONResponse(
            {
                "page": page,
                "pageSize": size,
                "totalPages": -(-len(cases) // size),
                "totalItems": len(cases),
                "data": [self._application(c) for c in cases[start : start + size]],
            }
        )

    def _application(self, case: Case) -> dict[str, object]:
        type_def = self.world.case_types.get(case.type_code)
        code = status_code(case)
        return {
            "applicationId": _numeric_id(case.id),
            "referenceNumber": case.number,
            "mainReferenceNumber": case.main_number,
            "applicationType": {
                "code": case.type_code,
                "description": type_def.name if type_def else case.type_code,
            },
            "title": case.title,
            "notes": case.description,
            "statusCode": code,
            "statusText": STATUS_TEXTS[code],
            "organisation": {"orgCode": case.unit, "orgName": UNITS.get(case.unit, case.unit)},
            "child": {"personalNumber": case.subject} if case.subject else None,
            "guardians": [
                {"personalNumber": pnr, "isApplicant": pnr == case.applicant}
                for pnr in self.guardians.get(case.id, ())
            ],
            "submittedVia": CHANNEL_CODES.get(case.channel, 7),
            "createdMs": to_ms(case.opened_at),
            "closedMs": to_ms(case.closed_at),
            "protected": case.confidential,
            "protectionReason": case.secrecy_ground,
            "portalUrl": case.link,
            "modifiedMs": to_ms(case.updated_at),
            "history": [_history(e) for e in case.events],
            "attachments": [_attachment(d) for d in case.documents],
            "transfers": [_transfer(c) for c in case.collaborations],
        }


def status_code(case: Case) -> int:
    """The system's numeric status; some neutral statuses have two codes."""
    if case.status == "WAITING_FOR_CITIZEN":
        completion = [
            e.kind for e in case.events if e.kind in ("COMPLETION_REQUESTED", "COMPLETION_RECEIVED")
        ]
        return 6 if completion and completion[-1] == "COMPLETION_REQUESTED" else 3
    if case.status == "CLOSED":
        withdrawn = any("återkall" in e.summary.lower() for e in case.events)
        return 9 if withdrawn else 5
    return {
        "RECEIVED": 1,
        "IN_PROGRESS": 2,
        "DECIDED": 4,
        "WAITING_FOR_OTHER_PARTY": 7,
        "FORWARDED": 8,
    }[case.status]


def _numeric_id(local_id: str) -> int | str:
    """Ids are integers upstream; one that would not survive the round trip stays text."""
    if NUMERIC.fullmatch(local_id) and str(int(local_id)) == local_id:
        return int(local_id)
    return local_id


def to_ms(at: datetime | None) -> int | None:
    """Epoch milliseconds, exact (no float rounding)."""
    return None if at is None else (at - EPOCH) // timedelta(milliseconds=1)


def _ms_param(request: Request, name: str) -> datetime:
    raw = request.query_params.get(name)
    if not raw:
        raise BadRequest("missing_parameter", f"{name} is required")
    value = rest.int_param(request, name, 0, 0, MAX_MS)
    return EPOCH + timedelta(milliseconds=value)


def _history(event: Event) -> dict[str, object]:
    return {
        "eventId": event.id,
        "timestampMs": to_ms(event.at),
        "eventCode": EVENT_CODES[event.kind],
        "text": event.summary,
        "details": event.description,
        "registered": event.diary,
        "internal": event.internal,
        "regardingPersonalNumber": event.concerns,
    }


def _attachment(doc: Document) -> dict[str, object]:
    return {
        "attachmentId": doc.id,
        "name": doc.title,
        "direction": DIRECTIONS[doc.direction],
        "createdMs": to_ms(doc.registered_at),
        "confidential": doc.confidential,
    }


def _transfer(collab: Collaboration) -> dict[str, object]:
    return {
        "transferType": TRANSFER_TYPES[collab.kind],
        "fromOrgCode": collab.from_unit,
        "fromOrgName": UNITS.get(collab.from_unit, collab.from_unit),
        "toOrgCode": collab.to_unit,
        "toOrgName": UNITS.get(collab.to_unit, collab.to_unit),
        "startedMs": to_ms(collab.started_at),
        "completedMs": to_ms(collab.completed_at),
        "followUpRetained": collab.follow_up_retained,
        "counterpartSystem": collab.counterpart_system,
        "counterpartId": collab.counterpart_id,
        "counterpartReference": collab.counterpart_number,
    }


# --- OpenAPI 3 -------------------------------------------------------------------------------

_S, _N, _B = rest.t("string"), rest.nullable("string"), rest.t("boolean")
_I, _NI = rest.t("integer", format="int64"), rest.nullable("integer", format="int64")
_PAGING = [
    rest.param("page", kind="integer", text="1-based, default 1"),
    rest.param(
        "pageSize", kind="integer", text=f"1..{rest.MAX_PAGE_SIZE}, default {DEFAULT_PAGE_SIZE}"
    ),
]

OPENAPI = rest.document(
    "Placement API (Barn- och utbildningsförvaltningen, Exempelby kommun)",
    {
        "/v1/applications": rest.get_op(
            "Applications by child or guardian, by id or by reference number (exactly one)",
            [
                rest.param(
                    "personalNumber", text="child or guardian, 12 digits, comma-separated, max 200"
                ),
                rest.param("ids", text="numeric application ids, comma-separated, max 200"),
                rest.param("referenceNumber", text="reference or main reference numbers, max 200"),
                *_PAGING,
            ],
            "ApplicationPage",
        ),
        "/v1/applications/modified": rest.get_op(
            "Applications modified in [fromMs, toMs)",
            [
                rest.param("fromMs", kind="integer", required=True, text="epoch milliseconds"),
                rest.param("toMs", kind="integer", required=True, text="epoch milliseconds"),
                *_PAGING,
            ],
            "ApplicationPage",
        ),
        "/v1/applications/{id}": rest.get_op(
            "One application", [rest.param("id", "path", "integer")], "Application"
        ),
    },
    {
        "Error": rest.obj(
            ("type", "title", "status", "detail"),
            type=_S,
            title=_S,
            status=rest.t("integer"),
            detail=_S,
        ),
        "ApplicationPage": rest.obj(
            ("page", "pageSize", "totalPages", "totalItems", "data"),
            page=rest.t("integer"),
            pageSize=rest.t("integer"),
            totalPages=rest.t("integer"),
            totalItems=rest.t("integer"),
            data=rest.array(rest.ref("Application")),
        ),
        "Application": rest.obj(
            (
                "applicationId",
                "referenceNumber",
                "applicationType",
                "title",
                "statusCode",
                "organisation",
                "guardians",
                "submittedVia",
                "createdMs",
                "protected",
                "modifiedMs",
                "history",
                "attachments",
                "transfers",
            ),
            applicationId=_I,
            referenceNumber=_S,
            mainReferenceNumber=_N,
            applicationType=rest.obj(("code", "description"), code=_S, description=_S),
            title=_S,
            notes=_N,
            statusCode=rest.t("integer", enum=sorted(STATUS_TEXTS)),
            statusText=_S,
            organisation=rest.obj(("orgCode", "orgName"), orgCode=_S, orgName=_S),
            child=rest.obj(("personalNumber",), personalNumber=_S) | {"nullable": True},
            guardians=rest.array(
                rest.obj(("personalNumber", "isApplicant"), personalNumber=_S, isApplicant=_B)
            ),
            submittedVia=rest.t("integer", enum=sorted(CHANNEL_CODES.values())),
            createdMs=_I,
            closedMs=_NI,
            protected=_B,
            protectionReason=_N,
            portalUrl=_N,
            modifiedMs=_I,
            history=rest.array(
                rest.obj(
                    ("eventId", "timestampMs", "eventCode", "text", "registered", "internal"),
                    eventId=_S,
                    timestampMs=_I,
                    eventCode=rest.t("integer", enum=sorted(EVENT_CODES.values())),
                    text=_S,
                    details=_N,
                    registered=_B,
                    internal=_B,
                    regardingPersonalNumber=_N,
                )
            ),
            attachments=rest.array(
                rest.obj(
                    ("attachmentId", "name", "direction", "createdMs", "confidential"),
                    attachmentId=_S,
                    name=_S,
                    direction=rest.t("string", enum=sorted(DIRECTIONS.values())),
                    createdMs=_I,
                    confidential=_B,
                )
            ),
            transfers=rest.array(
                rest.obj(
                    (
                        "transferType",
                        "fromOrgCode",
                        "fromOrgName",
                        "toOrgCode",
                        "toOrgName",
                        "startedMs",
                        "followUpRetained",
                    ),
                    transferType=rest.t("string", enum=sorted(TRANSFER_TYPES.values())),
                    fromOrgCode=_S,
                    fromOrgName=_S,
                    toOrgCode=_S,
                    toOrgName=_S,
                    startedMs=_I,
                    completedMs=_NI,
                    followUpRetained=_B,
                    counterpartSystem=_N,
                    counterpartId=_N,
                    counterpartReference=_N,
                )
            ),
        ),
    },
)
