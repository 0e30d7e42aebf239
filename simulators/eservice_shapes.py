"""The e-service platform's own shapes: flow instances, statuses and its OpenAPI document."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote

from . import rest
from .world import TZ, UNITS, Case, CaseTypeDef, Collaboration, Document, Event

SYSTEM = "eservice"
DEFAULT_PER_PAGE = 100
#: Local time without offset, as the platform shows it (Europe/Stockholm).
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
LINK = "https://etjanster.exempelby.se/oversikt/flowinstance/{id}"

#: This installation's configured statuses: neutral status -> (statusID, name, contentType).
STATUSES: dict[str, tuple[int, str, str]] = {
    "RECEIVED": (1, "Inskickat", "SUBMITTED"),
    "IN_PROGRESS": (2, "Under behandling", "IN_PROGRESS"),
    "WAITING_FOR_CITIZEN": (3, "Väntar på komplettering", "WAITING_FOR_COMPLETION"),
    "WAITING_FOR_OTHER_PARTY": (4, "Väntar på yttrande", "IN_PROGRESS"),
    "DECIDED": (5, "Beslut fattat", "ARCHIVED"),
    "CLOSED": (6, "Avslutat", "ARCHIVED"),
    "FORWARDED": (7, "Överlämnat", "ARCHIVED"),
}

EVENT_TYPES = {
    "SUBMITTED": "SUBMITTED",
    "REGISTERED": "REGISTERED",
    "STATUS_CHANGED": "STATUS_CHANGED",
    "COMPLETION_REQUESTED": "COMPLETION_REQUEST",
    "COMPLETION_RECEIVED": "COMPLETION_SUBMITTED",
    "REFERRAL_SENT": "REFERRAL_SENT",
    "REFERRAL_ANSWERED": "REFERRAL_ANSWERED",
    "ASSIGNMENT_GIVEN": "ASSIGNMENT",
    "ASSIGNMENT_COMPLETED": "ASSIGNMENT_DONE",
    "FORWARDED": "FORWARDED",
    "DECIDED": "DECISION",
    "NOTICE": "MESSAGE",
    "DELAYED": "DELAY",
    "CLOSED": "ARCHIVED",
}

CHANNELS = {
    "E_SERVICE": "ETJANST",
    "CONTACT_CENTRE": "KONTAKTCENTER",
    "VISIT": "BESOK",
    "PHONE": "TELEFON",
    "MAIL": "BREV",
    "EMAIL": "EPOST",
    "INTERNAL": "INTERN",
}

DIRECTIONS = {"INCOMING": "INKOMMANDE", "OUTGOING": "UTGAENDE", "DRAFTED": "UPPRATTAD"}
HANDOVER_TYPES = {"REFERRAL": "REMISS", "ASSIGNMENT": "UPPDRAG", "FORWARDING": "VIDAREBEFORDRAN"}


def status_of(status: str) -> tuple[int, str, str]:
    return STATUSES[status]


def flow_instance_id(case_id: str) -> int | str:
    """The platform's ids are numbers; the world's may be text."""
    return int(case_id) if case_id.isdigit() and len(case_id) < 16 else case_id


def local(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(TZ).strftime(TIME_FORMAT)


def _unit(code: str) -> dict[str, str]:
    return {"unitCode": code, "unitName": UNITS.get(code, code)}


def _citizen(pnr: str | None) -> dict[str, str] | None:
    return None if pnr is None else {"citizenIdentifier": pnr}


def render_case(case: Case, types: Mapping[str, CaseTypeDef]) -> dict[str, object]:
    """One flow instance in the platform's shape."""
    type_def = types.get(case.type_code)
    status_id, status_name, content_type = STATUSES[case.status]
    changes = [e.at for e in case.events if e.status_after is not None]
    return {
        "flowInstanceID": flow_instance_id(case.id),
        "flow": {"flowID": case.type_code, "name": type_def.name if type_def else case.type_code},
        "referenceNumber": case.number,
        "mainReferenceNumber": case.main_number,
        "summary": case.title,
        "details": case.description,
        "status": {"statusID": status_id, "name": status_name, "contentType": content_type},
        "poster": _citizen(case.applicant or case.subject),
        "concerns": _citizen(case.subject),
        "managingUnit": _unit(case.unit),
        "submittedVia": CHANNELS.get(case.channel, "INTERN"),
        "added": local(case.opened_at),
        "lastStatusChange": local(changes[-1] if changes else case.opened_at),
        "closed": local(case.closed_at),
        "secret": case.confidential,
        "secrecyReference": case.secrecy_ground,
        # the platform links to its own overview page, whatever the world calls the case
        "url": LINK.format(id=quote(case.id, safe="")),
        "events": [_event(e) for e in case.events],
        "attachments": [_attachment(d) for d in case.documents],
        "handovers": [_handover(c) for c in case.collaborations],
    }


def _event(event: Event) -> dict[str, object]:
    return {
        "eventID": event.id,
        "eventType": EVENT_TYPES[event.kind],
        "added": local(event.at),
        "details": event.summary,
        "description": event.description,
        "diaryEvent": event.diary,
        "internal": event.internal,
        "concernsCitizen": event.concerns,
    }


def _attachment(doc: Document) -> dict[str, object]:
    return {
        "fileID": doc.id,
        "fileName": doc.title,
        "direction": DIRECTIONS[doc.direction],
        "added": local(doc.registered_at),
        "secret": doc.confidential,
    }


def _handover(collab: Collaboration) -> dict[str, object]:
    return {
        "type": HANDOVER_TYPES[collab.kind],
        "fromUnit": _unit(collab.from_unit),
        "toUnit": _unit(collab.to_unit),
        "started": local(collab.started_at),
        "completed": local(collab.completed_at),
        "followUpRetained": collab.follow_up_retained,
        "externalSystem": collab.counterpart_system,
        "externalID": collab.counterpart_id,
        "externalReference": collab.counterpart_number,
    }


# --- OpenAPI 3 -------------------------------------------------------------------------------

_S, _N, _B, _I = rest.t("string"), rest.nullable("string"), rest.t("boolean"), rest.t("integer")
_LOCAL = rest.t("string", pattern=r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
_NLOCAL = rest.nullable("string", pattern=r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
_UNIT = rest.obj(("unitCode", "unitName"), unitCode=_S, unitName=_S)
_CITIZEN = rest.obj(("citizenIdentifier",), citizenIdentifier=_S) | {"nullable": True}
_ID = {"oneOf": [_I, _S]}
_PAGING = [
    rest.param("page", kind="integer", text="1-based; the next page is in the Link header"),
    rest.param("perPage", kind="integer", text=f"1..{rest.MAX_PAGE_SIZE}, default 100"),
]


def _list_op(summary: str, params: list[dict[str, object]]) -> dict[str, object]:
    op = rest.get_op(summary, params, "FlowInstance")
    get = op["get"]
    assert isinstance(get, dict)
    get["responses"]["200"] = {
        "description": 'One page; `Link: <...>; rel="next"` names the next one',
        "headers": {"Link": {"schema": _S}, "X-Total-Count": {"schema": _I}},
        "content": {
            "application/json": {"schema": rest.array(rest.ref("FlowInstance"))},
        },
    }
    return op


OPENAPI = rest.document(
    "Open ePlatform API (Exempelby kommun)",
    {
        "/api/flowinstances": _list_op(
            "Flow instances by citizen, id or reference number (exactly one criterion)",
            [
                rest.param("citizenIdentifier", text="comma-separated personal numbers, max 200"),
                rest.param("flowInstanceIDs", text="comma-separated ids, at most 200"),
                rest.param("referenceNumber", text="comma-separated (main) reference numbers"),
                *_PAGING,
            ],
        ),
        "/api/flowinstances/changed": _list_op(
            "Flow instances last changed in [fromDate, toDate)",
            [
                rest.param("fromDate", required=True, text="ISO-8601 with offset"),
                rest.param("toDate", required=True, text="ISO-8601 with offset"),
                *_PAGING,
            ],
        ),
        "/api/flowinstances/{flowInstanceID}": rest.get_op(
            "One flow instance", [rest.param("flowInstanceID", "path")], "FlowInstance"
        ),
        "/api/flowinstances/{flowInstanceID}/complete": {
            "post": {
                "summary": "The citizen sends the completion asked for (back to in progress)",
                "parameters": [rest.param("flowInstanceID", "path")],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": rest.obj((), citizenIdentifier=_S),
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The updated flow instance",
                        "content": {"application/json": {"schema": rest.ref("FlowInstance")}},
                    },
                    "403": {"description": "Not the citizen's flow instance"},
                    "404": {"description": "No such flow instance"},
                    "409": {"description": "No completion is awaited"},
                },
                "callbacks": {
                    "statusChanged": {
                        "{$webhookUrl}": {
                            "post": {
                                "summary": "Signed with X-Signature: sha256=<hex HMAC of body>",
                                "requestBody": {
                                    "content": {
                                        "application/json": {"schema": rest.ref("StatusCallback")}
                                    }
                                },
                                "responses": {"200": {"description": "Received"}},
                            }
                        }
                    }
                },
            }
        },
    },
    {
        "Error": rest.obj(("status", "error", "message"), status=_I, error=_S, message=_S),
        "StatusCallback": rest.obj(
            ("event", "flowInstanceID", "status", "occurred"),
            event=rest.t("string", enum=["status_changed"]),
            flowInstanceID=_ID,
            status=_S,
            occurred=rest.t("string", format="date-time"),
        ),
        "FlowInstance": rest.obj(
            (
                "flowInstanceID",
                "flow",
                "referenceNumber",
                "summary",
                "status",
                "managingUnit",
                "submittedVia",
                "added",
                "lastStatusChange",
                "secret",
                "url",
                "events",
                "attachments",
                "handovers",
            ),
            flowInstanceID=_ID,
            flow=rest.obj(("flowID", "name"), flowID=_S, name=_S),
            referenceNumber=_S,
            mainReferenceNumber=_N,
            summary=_S,
            details=_N,
            status=rest.obj(
                ("statusID", "name", "contentType"),
                statusID=rest.t("integer", enum=sorted(s[0] for s in STATUSES.values())),
                name=_S,
                contentType=rest.t("string", enum=sorted({s[2] for s in STATUSES.values()})),
            ),
            poster=_CITIZEN,
            concerns=_CITIZEN,
            managingUnit=_UNIT,
            submittedVia=rest.t("string", enum=sorted(CHANNELS.values())),
            added=_LOCAL,
            lastStatusChange=_LOCAL,
            closed=_NLOCAL,
            secret=_B,
            secrecyReference=_N,
            url=_S,
            events=rest.array(
                rest.obj(
                    ("eventID", "eventType", "added", "details", "diaryEvent", "internal"),
                    eventID=_S,
                    eventType=rest.t("string", enum=sorted(EVENT_TYPES.values())),
                    added=_LOCAL,
                    details=_S,
                    description=_N,
                    diaryEvent=_B,
                    internal=_B,
                    concernsCitizen=_N,
                )
            ),
            attachments=rest.array(
                rest.obj(
                    ("fileID", "fileName", "direction", "added", "secret"),
                    fileID=_S,
                    fileName=_S,
                    direction=rest.t("string", enum=sorted(DIRECTIONS.values())),
                    added=_LOCAL,
                    secret=_B,
                )
            ),
            handovers=rest.array(
                rest.obj(
                    ("type", "fromUnit", "toUnit", "started", "followUpRetained"),
                    type=rest.t("string", enum=sorted(HANDOVER_TYPES.values())),
                    fromUnit=_UNIT,
                    toUnit=_UNIT,
                    started=_LOCAL,
                    completed=_NLOCAL,
                    followUpRetained=_B,
                    externalSystem=_N,
                    externalID=_N,
                    externalReference=_N,
                )
            ),
        ),
    },
)
