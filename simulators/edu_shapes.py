"""The placement system's own shapes: its codes, record parts and its OpenAPI document."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from . import rest
from .world import UNITS, Case, Collaboration, Document, Event

DEFAULT_PAGE_SIZE = 25
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


def numeric_id(local_id: str) -> int | str:
    """Ids are integers upstream; one that would not survive the round trip stays text."""
    if NUMERIC.fullmatch(local_id) and str(int(local_id)) == local_id:
        return int(local_id)
    return local_id


def to_ms(at: datetime | None) -> int | None:
    """Epoch milliseconds, exact (no float rounding)."""
    return None if at is None else (at - EPOCH) // timedelta(milliseconds=1)


def history(event: Event) -> dict[str, object]:
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


def attachment(doc: Document) -> dict[str, object]:
    return {
        "attachmentId": doc.id,
        "name": doc.title,
        "direction": DIRECTIONS[doc.direction],
        "createdMs": to_ms(doc.registered_at),
        "confidential": doc.confidential,
    }


def transfer(collab: Collaboration) -> dict[str, object]:
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
