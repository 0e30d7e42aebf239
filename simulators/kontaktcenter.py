"""Simulated contact-centre case system (Streamflow-like, unit KC): REST JSON under `/api/`.

Its own style: snake_case fields, local ISO times with the Swedish offset
("2025-03-11T09:30:00+01:00"), states NEW/ACTIVE/PENDING_CUSTOMER/SUSPENDED/
RESOLVED/CLOSED/HANDED_OVER, handovers to other units typed CLOSE (forwarded, no
follow-up), RETAIN (forwarded, follow-up kept) or SUSPEND (waiting for the other
party), offset paging with a total, and an append-only event log read from a
watermark (every entry has a strictly increasing `seq`).

    GET /api/cases?contact=pnr,.. | id=.. | reference=..  (&offset=&limit=)
    GET /api/cases/{case_id}
    GET /api/eventlog?since=ISO | after=<watermark> (&until=ISO&max=)
    GET /openapi.json
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import rest
from .rest import BadRequest
from .world import TZ, UNITS, Case, CaseTypeDef, Collaboration, Document, Event, World

SYSTEM = "kontaktcenter"
DEFAULT_LIMIT = 100
DEFAULT_LOG_MAX = 500
MAX_LOG_MAX = 1000
#: The log's sequence numbers start here (a log that was never truncated still isn't at 1).
FIRST_SEQ = 100_001

STATES = {
    "RECEIVED": "NEW",
    "IN_PROGRESS": "ACTIVE",
    "WAITING_FOR_CITIZEN": "PENDING_CUSTOMER",
    "WAITING_FOR_OTHER_PARTY": "SUSPENDED",
    "DECIDED": "RESOLVED",
    "CLOSED": "CLOSED",
    "FORWARDED": "HANDED_OVER",
}

ENTRY_TYPES = {
    "SUBMITTED": "CREATED",
    "REGISTERED": "REGISTERED",
    "STATUS_CHANGED": "STATE_CHANGE",
    "COMPLETION_REQUESTED": "INFO_REQUESTED",
    "COMPLETION_RECEIVED": "INFO_RECEIVED",
    "REFERRAL_SENT": "REFERRED",
    "REFERRAL_ANSWERED": "REFERRAL_REPLY",
    "ASSIGNMENT_GIVEN": "ASSIGNED_OUT",
    "ASSIGNMENT_COMPLETED": "ASSIGNMENT_DONE",
    "FORWARDED": "HANDOVER",
    "DECIDED": "RESOLVED",
    "NOTICE": "MESSAGE",
    "DELAYED": "DELAYED",
    "CLOSED": "CLOSED",
}

CHANNELS = {
    "E_SERVICE": "WEB",
    "CONTACT_CENTRE": "CHAT",
    "VISIT": "VISIT",
    "PHONE": "PHONE",
    "MAIL": "LETTER",
    "EMAIL": "EMAIL",
    "INTERNAL": "INTERNAL",
}

DIRECTIONS = {"INCOMING": "IN", "OUTGOING": "OUT", "DRAFTED": "NOTE"}

#: event-log entry types by the world's event kind (anything else is an update)
LOG_TYPES = {
    "FORWARDED": "case.handover",
    "REFERRAL_SENT": "case.handover",
    "ASSIGNMENT_GIVEN": "case.handover",
    "CLOSED": "case.closed",
}

_WATERMARK = re.compile(r"^\d{1,15}$")


def create_app(world: World) -> Starlette:
    """The contact centre's REST API over the `kontaktcenter` cases of `world`."""
    api = _KontaktcenterApi(world)
    return Starlette(
        routes=[
            Route("/api/cases", api.search, methods=["GET"]),
            Route("/api/cases/{case_id}", api.one, methods=["GET"]),
            Route("/api/eventlog", api.eventlog, methods=["GET"]),
            Route("/openapi.json", api.openapi, methods=["GET"]),
        ],
        exception_handlers=rest.error_handlers(_error),
    )


def _error(status: int, code: str, message: str) -> Mapping[str, object]:
    return {"httpStatus": status, "errorCode": code.upper(), "errorMessage": message}


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    at: datetime
    case_id: str
    type: str


def build_log(cases: Sequence[Case]) -> list[LogEntry]:
    """The event log: one entry per case creation and per case event, in time order."""
    raw: list[tuple[datetime, str, int, str]] = []
    for case in cases:
        raw.append((case.opened_at, case.id, -1, "case.created"))
        for index, event in enumerate(case.events):
            raw.append((event.at, case.id, index, LOG_TYPES.get(event.kind, "case.updated")))
    raw.sort(key=lambda r: (r[0], r[1], r[2]))
    return [
        LogEntry(FIRST_SEQ + i, at, case_id, kind) for i, (at, case_id, _, kind) in enumerate(raw)
    ]


class _KontaktcenterApi:
    def __init__(self, world: World) -> None:
        self.world = world
        self.log = build_log(world.cases.get(SYSTEM, []))
        self._times = [e.at for e in self.log]
        self._seqs = [e.seq for e in self.log]

    async def search(self, request: Request) -> JSONResponse:
        which = rest.exactly_one(request, ("contact", "id", "reference"))
        values = request.query_params.getlist(which)
        if which == "contact":
            keys = rest.key_list(values, which, pattern=rest.PNR)
            cases = self.world.cases_of(SYSTEM, keys)
        elif which == "id":
            keys = rest.key_list(values, which)
            found = (self.world.case(SYSTEM, k) for k in keys)
            cases = [c for c in found if c is not None]
        else:
            keys = rest.key_list(values, which)
            cases = self.world.cases_by_number(SYSTEM, keys)
        offset = rest.int_param(request, "offset", 0, 0, 10_000_000)
        limit = rest.int_param(request, "limit", DEFAULT_LIMIT, 1, rest.MAX_PAGE_SIZE)
        chunk = cases[offset : offset + limit]
        types = self.world.case_types
        return JSONResponse(
            {
                "total": len(cases),
                "offset": offset,
                "limit": limit,
                "cases": [render_case(c, types) for c in chunk],
            }
        )

    async def one(self, request: Request) -> JSONResponse:
        case = self.world.case(SYSTEM, request.path_params["case_id"])
        if case is None:
            return JSONResponse(_error(404, "CASE_NOT_FOUND", "No such case"), status_code=404)
        return JSONResponse(render_case(case, self.world.case_types))

    async def eventlog(self, request: Request) -> JSONResponse:
        params = request.query_params
        if "since" in params and "after" in params:
            raise BadRequest("invalid_position", "give either since or after, not both")
        after = FIRST_SEQ - 1
        if "since" in params:
            start = bisect.bisect_left(self._times, rest.aware_param(request, "since"))
        else:
            raw = params.get("after", "0")
            if not _WATERMARK.match(raw):
                raise BadRequest("invalid_watermark", "after must be a watermark from this log")
            after = int(raw)
            start = bisect.bisect_right(self._seqs, after)
        stop = len(self.log)
        if "until" in params:
            stop = bisect.bisect_left(self._times, rest.aware_param(request, "until"))
        size = rest.int_param(request, "max", DEFAULT_LOG_MAX, 1, MAX_LOG_MAX)
        end = min(max(start, stop), start + size)
        entries = self.log[start:end]
        # the watermark never goes back, even for an empty page
        watermark = max(after, self._seqs[end - 1] if end > 0 else FIRST_SEQ - 1)
        return JSONResponse(
            {
                "events": [
                    {"seq": e.seq, "caseId": e.case_id, "type": e.type, "timestamp": _iso(e.at)}
                    for e in entries
                ],
                "nextWatermark": watermark,
                "hasMore": end < stop,
            }
        )

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(OPENAPI)


def _iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.astimezone(TZ).replace(microsecond=0).isoformat()


def _unit(code: str) -> dict[str, str]:
    return {"code": code, "name": UNITS.get(code, code)}


def render_case(case: Case, types: Mapping[str, CaseTypeDef]) -> dict[str, object]:
    """One KC case in the contact centre's own shape."""
    type_def = types.get(case.type_code)
    contact = case.applicant if case.applicant and case.applicant != case.subject else None
    return {
        "case_id": case.id,
        "reference": case.number,
        "main_reference": case.main_number,
        "category": {
            "code": case.type_code,
            "label": type_def.name if type_def else case.type_code,
        },
        "headline": case.title,
        "body": case.description,
        "state": STATES[case.status],
        "owner_unit": _unit(case.unit),
        "customer": case.subject,
        "contact_person": contact,
        "channel": CHANNELS.get(case.channel, "INTERNAL"),
        "created_at": _iso(case.opened_at),
        "closed_at": _iso(case.closed_at),
        "restricted": case.confidential,
        "restriction_basis": case.secrecy_ground,
        "url": case.link,
        "history": [_entry(e) for e in case.events],
        "attachments": [_attachment(d) for d in case.documents],
        "handovers": [_handover(c) for c in case.collaborations],
    }


def _entry(event: Event) -> dict[str, object]:
    return {
        "entry_id": event.id,
        "logged_at": _iso(event.at),
        "entry_type": ENTRY_TYPES[event.kind],
        "text": event.summary,
        "details": event.description,
        "diary": event.diary,
        "internal_note": event.internal,
        "regarding": event.concerns,
    }


def _attachment(doc: Document) -> dict[str, object]:
    return {
        "attachment_id": doc.id,
        "name": doc.title,
        "direction": DIRECTIONS[doc.direction],
        "added_at": _iso(doc.registered_at),
        "classified": doc.confidential,
    }


def handover_type(collab: Collaboration) -> str:
    """KC knows three handovers; a referral or an assignment both wait for the other party."""
    if collab.kind == "FORWARDING":
        return "RETAIN" if collab.follow_up_retained else "CLOSE"
    return "SUSPEND"


def _handover(collab: Collaboration) -> dict[str, object]:
    target = None
    if collab.counterpart_system or collab.counterpart_number:
        target = {
            "system": collab.counterpart_system,
            "case_id": collab.counterpart_id,
            "reference": collab.counterpart_number,
        }
    return {
        "handover_type": handover_type(collab),
        "from_unit": _unit(collab.from_unit),
        "to_unit": _unit(collab.to_unit),
        "handed_over_at": _iso(collab.started_at),
        "returned_at": _iso(collab.completed_at),
        "target": target,
    }


# --- OpenAPI 3 -------------------------------------------------------------------------------

_S, _N, _B = rest.t("string"), rest.nullable("string"), rest.t("boolean")
_TIME = rest.t("string", format="date-time")
_NTIME = rest.nullable("string", format="date-time")
_UNIT = rest.obj(("code", "name"), code=_S, name=_S)
_LOG_ENTRY_TYPES = sorted({"case.created", "case.updated", *LOG_TYPES.values()})

OPENAPI = rest.document(
    "Kontaktcenter API (Exempelby kommun)",
    {
        "/api/cases": rest.get_op(
            "Search cases by contact, id or reference (exactly one criterion, offset paging)",
            [
                rest.param("contact", text="comma-separated personal numbers, at most 200"),
                rest.param("id", text="comma-separated case ids, at most 200"),
                rest.param("reference", text="comma-separated case or main references"),
                rest.param("offset", kind="integer", text="default 0"),
                rest.param(
                    "limit",
                    kind="integer",
                    text=f"1..{rest.MAX_PAGE_SIZE}, default {DEFAULT_LIMIT}",
                ),
            ],
            "CasePage",
        ),
        "/api/cases/{case_id}": rest.get_op("One case", [rest.param("case_id", "path")], "Case"),
        "/api/eventlog": rest.get_op(
            "Event log entries after a watermark (or from a time) and before `until`",
            [
                rest.param("since", text="ISO-8601 with offset: start at this time"),
                rest.param("after", kind="integer", text="continue after this watermark"),
                rest.param("until", text="ISO-8601 with offset: stop before this time"),
                rest.param("max", kind="integer", text=f"1..{MAX_LOG_MAX}, default 500"),
            ],
            "EventLogPage",
        ),
    },
    {
        "Error": rest.obj(
            ("httpStatus", "errorCode", "errorMessage"),
            httpStatus=rest.t("integer"),
            errorCode=_S,
            errorMessage=_S,
        ),
        "CasePage": rest.obj(
            ("total", "offset", "limit", "cases"),
            total=rest.t("integer"),
            offset=rest.t("integer"),
            limit=rest.t("integer"),
            cases=rest.array(rest.ref("Case")),
        ),
        "EventLogPage": rest.obj(
            ("events", "nextWatermark", "hasMore"),
            events=rest.array(
                rest.obj(
                    ("seq", "caseId", "type", "timestamp"),
                    seq=rest.t("integer"),
                    caseId=_S,
                    type=rest.t(
                        "string", enum=["case.created", "case.updated", *LOG_TYPES.values()]
                    ),
                    timestamp=_TIME,
                )
            ),
            nextWatermark=rest.t("integer"),
            hasMore=_B,
        ),
        "Case": rest.obj(
            (
                "case_id",
                "reference",
                "category",
                "headline",
                "state",
                "owner_unit",
                "channel",
                "created_at",
                "restricted",
                "history",
                "attachments",
                "handovers",
            ),
            case_id=_S,
            reference=_S,
            main_reference=_N,
            category=rest.obj(("code", "label"), code=_S, label=_S),
            headline=_S,
            body=_N,
            state=rest.t("string", enum=sorted(STATES.values())),
            owner_unit=_UNIT,
            customer=_N,
            contact_person=_N,
            channel=rest.t("string", enum=sorted(CHANNELS.values())),
            created_at=_TIME,
            closed_at=_NTIME,
            restricted=_B,
            restriction_basis=_N,
            url=_N,
            history=rest.array(
                rest.obj(
                    ("entry_id", "logged_at", "entry_type", "text", "diary", "internal_note"),
                    entry_id=_S,
                    logged_at=_TIME,
                    entry_type=rest.t("string", enum=sorted(ENTRY_TYPES.values())),
                    text=_S,
                    details=_N,
                    diary=_B,
                    internal_note=_B,
                    regarding=_N,
                )
            ),
            attachments=rest.array(
                rest.obj(
                    ("attachment_id", "name", "direction", "added_at", "classified"),
                    attachment_id=_S,
                    name=_S,
                    direction=rest.t("string", enum=sorted(DIRECTIONS.values())),
                    added_at=_TIME,
                    classified=_B,
                )
            ),
            handovers=rest.array(
                rest.obj(
                    ("handover_type", "from_unit", "to_unit", "handed_over_at"),
                    handover_type=rest.t("string", enum=["CLOSE", "RETAIN", "SUSPEND"]),
                    from_unit=_UNIT,
                    to_unit=_UNIT,
                    handed_over_at=_TIME,
                    returned_at=_NTIME,
                    target=rest.obj((), system=_N, case_id=_N, reference=_N) | {"nullable": True},
                )
            ),
        ),
    },
)
