"""The contact centre's own shapes: its codes, case records and its OpenAPI document."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from . import rest
from .world import TZ, UNITS, Case, CaseTypeDef, Collaboration, Document, Event

DEFAULT_LIMIT = 100
DEFAULT_LOG_MAX = 500
MAX_LOG_MAX = 1000

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


def iso(at: datetime | None) -> str | None:
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
        "created_at": iso(case.opened_at),
        "closed_at": iso(case.closed_at),
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
        "logged_at": iso(event.at),
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
        "added_at": iso(doc.registered_at),
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
        "handed_over_at": iso(collab.started_at),
        "returned_at": iso(collab.completed_at),
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
