"""Connector for the preschool/school placement system (BUN): REST JSON, child + guardian model.

Upstream: `GET /v1/applications` searched by `personalNumber` (child or
guardian), `ids` or `referenceNumber` (comma lists of at most 200),
`GET /v1/applications/modified?fromMs=&toMs=`; page-number paging (`page`,
`pageSize`, `totalPages`); epoch-millisecond times; numeric status, event and
channel codes. The mapping tables below are the contract.

The case's `subject` is the child; `parties` are the guardians who applied
(other guardians find the application upstream but are not parties to it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from . import jsonread as j
from . import paging
from .batched import BatchedCaseSource, plausible_listed_key, require_aware
from .domain import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseRef,
    CaseStatus,
    CaseType,
    Channel,
    Collaboration,
    CollaborationKind,
    Document,
    DocumentDirection,
    SystemInfo,
    SystemKind,
    Unit,
)

INFO = SystemInfo("edu", "Förskole- och skolplacering", SystemKind.BUSINESS)

APPLICATIONS = "/v1/applications"
MODIFIED = "/v1/applications/modified"
PAGE_SIZE = 500
LINK = "https://etjanster.exempelby.se/forskola/ansokan/{id}"

STATUS: dict[int, CaseStatus] = {
    1: CaseStatus.RECEIVED,  # Ansökan
    2: CaseStatus.IN_PROGRESS,  # Ändrad
    3: CaseStatus.WAITING_FOR_CITIZEN,  # Erbjuden: the guardian is to answer the offer
    4: CaseStatus.DECIDED,  # Accepterad/Placerad
    5: CaseStatus.CLOSED,  # Avslutad
    6: CaseStatus.WAITING_FOR_CITIZEN,  # Väntar på komplettering
    7: CaseStatus.WAITING_FOR_OTHER_PARTY,  # Väntar på annan part
    8: CaseStatus.FORWARDED,  # Överlämnad
    9: CaseStatus.CLOSED,  # Återkallad
}

EVENT_KIND: dict[int, CaseEventKind] = {
    10: CaseEventKind.SUBMITTED,
    11: CaseEventKind.REGISTERED,
    20: CaseEventKind.STATUS_CHANGED,
    30: CaseEventKind.COMPLETION_REQUESTED,
    31: CaseEventKind.COMPLETION_RECEIVED,
    40: CaseEventKind.REFERRAL_SENT,
    41: CaseEventKind.REFERRAL_ANSWERED,
    50: CaseEventKind.ASSIGNMENT_GIVEN,
    51: CaseEventKind.ASSIGNMENT_COMPLETED,
    60: CaseEventKind.FORWARDED,
    70: CaseEventKind.DECIDED,
    80: CaseEventKind.NOTICE,
    81: CaseEventKind.DELAYED,
    90: CaseEventKind.CLOSED,
}

CHANNEL: dict[int, Channel] = {
    1: Channel.E_SERVICE,
    2: Channel.CONTACT_CENTRE,
    3: Channel.VISIT,
    4: Channel.PHONE,
    5: Channel.MAIL,
    6: Channel.EMAIL,
    7: Channel.INTERNAL,
}

DIRECTION: dict[str, DocumentDirection] = {
    "IN": DocumentDirection.INCOMING,
    "OUT": DocumentDirection.OUTGOING,
    "DRAFT": DocumentDirection.DRAFTED,
}

TRANSFER: dict[str, CollaborationKind] = {
    "REMISS": CollaborationKind.REFERRAL,
    "UPPDRAG": CollaborationKind.ASSIGNMENT,
    "OVERFORING": CollaborationKind.FORWARDING,
}


def _numeric(key: str) -> bool:
    # application ids are integers upstream; anything else cannot exist there
    return 0 < len(key) <= 18 and key.isascii() and key.isdigit()


class EduConnector(BatchedCaseSource):
    """The placement system (BUN) through `GET /v1/applications...`."""

    default_info = INFO
    default_page_size = PAGE_SIZE

    async def cases_for_persons(self, personal_numbers: Sequence[str]) -> list[Case]:
        """`GET /v1/applications?personalNumber=a,b..` (child or guardian; page numbers)."""
        fetch = self._search("personalNumber")
        return await self._batched(personal_numbers, paging.is_personal_number, fetch)

    async def cases_by_ids(self, local_ids: Sequence[str]) -> list[Case]:
        """`GET /v1/applications?ids=..` for the ids not in the cache."""
        return await self._cached_by_id(local_ids, _numeric, self._search("ids"))

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[Case]:
        """`GET /v1/applications?referenceNumber=..` (reference or main reference number)."""
        return await self._batched(numbers, plausible_listed_key, self._search("referenceNumber"))

    async def changed_cases(self, since: datetime, until: datetime) -> list[Case]:
        """`GET /v1/applications/modified?fromMs=&toMs=` (all pages of [since, until)).

        Milliseconds are rounded outwards, so a window edge inside a millisecond may
        bring a neighbouring change twice; never one too few.
        """
        params = {"fromMs": _ms(since, math.floor), "toMs": _ms(until, math.ceil)}
        return paging.unique_cases(await self._pages(MODIFIED, params, paging.MAX_SYNC_PAGES))

    def _search(self, name: str) -> paging.Fetch:
        async def fetch(keys: Sequence[str]) -> list[Case]:
            return await self._pages(APPLICATIONS, {name: ",".join(keys)}, paging.MAX_PAGES)

        return fetch

    async def _pages(self, path: str, params: dict[str, Any], max_pages: int) -> list[Case]:
        async def page(number: int) -> tuple[list[Case], int]:
            query = {**params, "page": number, "pageSize": self._page_size}
            return await self._get(path, query, lambda body: read_page(body, self.system.id))

        return await paging.follow_page_numbers(self.system.id, page, max_pages)


def _ms(at: datetime, rounding: Callable[[float], int]) -> int:
    delta = require_aware(at) - j.EPOCH
    whole_ms = delta.days * 86_400_000 + delta.seconds * 1000
    return whole_ms + rounding(delta.microseconds / 1000)


# --- upstream shape: the page envelope ---------------------------------------------------------


def read_page(body: object, system: str) -> tuple[list[Case], int]:
    """`{"page", "pageSize", "totalPages", "totalItems", "data": [...]}` → cases, total pages."""
    page = j.as_object(body)
    total_pages = j.req_int(page, "totalPages")
    return [to_case(item, system) for item in j.objects(page, "data")], total_pages


# --- mapping into the domain -------------------------------------------------------------------


def to_case(rec: j.Json, system: str) -> Case:
    """One application as a domain `Case`: the child is the subject (events oldest first)."""
    local_id = j.id_text(rec, "applicationId")
    app_type = j.req_object(rec, "applicationType")
    org = j.req_object(rec, "organisation")
    child = j.opt_object(rec, "child")
    applicants = tuple(
        dict.fromkeys(
            j.req_str(g, "personalNumber")
            for g in j.objects(rec, "guardians")
            if j.req_bool(g, "isApplicant")
        )
    )
    events = sorted(
        (_event(e, system) for e in j.objects(rec, "history")), key=lambda e: e.occurred_at
    )
    closed = j.opt_int(rec, "closedMs")
    return Case(
        ref=CaseRef(system, local_id),
        case_number=j.req_str(rec, "referenceNumber"),
        main_case_number=j.opt_str(rec, "mainReferenceNumber"),
        type=CaseType(j.req_str(app_type, "code"), j.req_str(app_type, "description")),
        title=j.req_str(rec, "title"),
        description=j.opt_str(rec, "notes"),
        status=j.code(STATUS, j.req_int(rec, "statusCode")),
        unit=Unit(j.req_str(org, "orgCode"), j.req_str(org, "orgName")),
        subject=j.req_str(child, "personalNumber") if child is not None else None,
        parties=applicants,
        channel=j.code(CHANNEL, j.req_int(rec, "submittedVia")),
        opened_at=j.from_ms(j.req_int(rec, "createdMs")),
        closed_at=None if closed is None else j.from_ms(closed),
        confidential=j.req_bool(rec, "protected"),
        secrecy_ground=j.opt_str(rec, "protectionReason"),
        link=j.opt_str(rec, "portalUrl") or LINK.format(id=quote(local_id, safe="")),
        events=tuple(events),
        documents=tuple(_attachment(a) for a in j.objects(rec, "attachments")),
        collaborations=tuple(_transfer(t) for t in j.objects(rec, "transfers")),
    )


def _event(obj: j.Json, system: str) -> CaseEvent:
    return CaseEvent(
        id=f"{system}:{j.id_text(obj, 'eventId')}",
        occurred_at=j.from_ms(j.req_int(obj, "timestampMs")),
        kind=j.code(EVENT_KIND, j.req_int(obj, "eventCode")),
        summary=j.req_str(obj, "text"),
        description=j.opt_str(obj, "details"),
        diary_event=j.req_bool(obj, "registered"),
        internal=j.req_bool(obj, "internal"),
        concerns=j.opt_str(obj, "regardingPersonalNumber"),
    )


def _attachment(obj: j.Json) -> Document:
    return Document(
        id=j.id_text(obj, "attachmentId"),
        title=j.req_str(obj, "name"),
        direction=j.code(DIRECTION, j.req_str(obj, "direction")),
        registered_at=j.from_ms(j.req_int(obj, "createdMs")),
        confidential=j.req_bool(obj, "confidential"),
    )


def _transfer(obj: j.Json) -> Collaboration:
    other_system, other_id = j.opt_str(obj, "counterpartSystem"), j.opt_str(obj, "counterpartId")
    completed = j.opt_int(obj, "completedMs")
    return Collaboration(
        kind=j.code(TRANSFER, j.req_str(obj, "transferType")),
        from_unit=Unit(j.req_str(obj, "fromOrgCode"), j.req_str(obj, "fromOrgName")),
        to_unit=Unit(j.req_str(obj, "toOrgCode"), j.req_str(obj, "toOrgName")),
        started_at=j.from_ms(j.req_int(obj, "startedMs")),
        completed_at=None if completed is None else j.from_ms(completed),
        follow_up_retained=j.req_bool(obj, "followUpRetained"),
        counterpart=CaseRef(other_system, other_id) if other_system and other_id else None,
        counterpart_number=j.opt_str(obj, "counterpartReference"),
    )
