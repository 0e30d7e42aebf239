"""Connector for Ecos (environment and health, MBN): REST JSON under `/api/v2/`.

Upstream: `GET /api/v2/cases` searched by `personalIdentityNumber`, `ids` or
`caseNumber` (comma lists of at most 200), `GET /api/v2/cases/changes?from=&to=`;
cursor paging with `pageToken` / `nextPageToken`; ISO-8601 UTC times;
occurrences newest first. The mapping tables below are the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
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
from .errors import UpstreamContractError

INFO = SystemInfo("ecos", "Ecos miljö och hälsa", SystemKind.BUSINESS)

CASES = "/api/v2/cases"
CHANGES = "/api/v2/cases/changes"
PAGE_SIZE = 500
LINK = "https://etjanster.exempelby.se/miljo/arende/{id}"

STATUS: dict[str, CaseStatus] = {
    "REG": CaseStatus.RECEIVED,
    "HANDL": CaseStatus.IN_PROGRESS,
    "VILANDE": CaseStatus.WAITING_FOR_CITIZEN,
    "REMISS": CaseStatus.WAITING_FOR_OTHER_PARTY,
    "BESLUT": CaseStatus.DECIDED,
    "AVSLUTAD": CaseStatus.CLOSED,
    "OVERLAMNAD": CaseStatus.FORWARDED,
}

EVENT_KIND: dict[str, CaseEventKind] = {
    "CASE_RECEIVED": CaseEventKind.SUBMITTED,
    "CASE_REGISTERED": CaseEventKind.REGISTERED,
    "STATUS_CHANGE": CaseEventKind.STATUS_CHANGED,
    "SUPPLEMENT_REQUESTED": CaseEventKind.COMPLETION_REQUESTED,
    "SUPPLEMENT_RECEIVED": CaseEventKind.COMPLETION_RECEIVED,
    "REFERRAL_SENT": CaseEventKind.REFERRAL_SENT,
    "REFERRAL_REPLY": CaseEventKind.REFERRAL_ANSWERED,
    "ASSIGNMENT_SENT": CaseEventKind.ASSIGNMENT_GIVEN,
    "ASSIGNMENT_DONE": CaseEventKind.ASSIGNMENT_COMPLETED,
    "HANDED_OVER": CaseEventKind.FORWARDED,
    "DECISION": CaseEventKind.DECIDED,
    "NOTIFICATION": CaseEventKind.NOTICE,
    "DELAY_NOTICE": CaseEventKind.DELAYED,
    "CASE_CLOSED": CaseEventKind.CLOSED,
}

CHANNEL: dict[str, Channel] = {
    "WEB": Channel.E_SERVICE,
    "CONTACT_CENTER": Channel.CONTACT_CENTRE,
    "VISIT": Channel.VISIT,
    "PHONE": Channel.PHONE,
    "LETTER": Channel.MAIL,
    "EMAIL": Channel.EMAIL,
    "INTERNAL": Channel.INTERNAL,
}

DIRECTION: dict[str, DocumentDirection] = {
    "IN": DocumentDirection.INCOMING,
    "OUT": DocumentDirection.OUTGOING,
    "INTERNAL": DocumentDirection.DRAFTED,
}

HANDOVER: dict[str, CollaborationKind] = {
    "REMISS": CollaborationKind.REFERRAL,
    "UPPDRAG": CollaborationKind.ASSIGNMENT,
    "OVERLAMNING": CollaborationKind.FORWARDING,
}

PARTY_ROLES = ("SUBJECT", "APPLICANT")


class EcosConnector(BatchedCaseSource):
    """Ecos (MBN) through its REST API `GET /api/v2/cases...`."""

    default_info = INFO
    default_page_size = PAGE_SIZE

    async def cases_for_persons(self, personal_numbers: Sequence[str]) -> list[Case]:
        """`GET /api/v2/cases?personalIdentityNumber=a,b,..` (cursor paging)."""
        fetch = self._search("personalIdentityNumber")
        return await self._batched(personal_numbers, paging.is_personal_number, fetch)

    async def cases_by_ids(self, local_ids: Sequence[str]) -> list[Case]:
        """`GET /api/v2/cases?ids=..` for the ids not in the cache."""
        return await self._cached_by_id(local_ids, plausible_listed_key, self._search("ids"))

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[Case]:
        """`GET /api/v2/cases?caseNumber=..` (case number or main case number)."""
        return await self._batched(numbers, plausible_listed_key, self._search("caseNumber"))

    async def changed_cases(self, since: datetime, until: datetime) -> list[Case]:
        """`GET /api/v2/cases/changes?from=&to=` (all pages of the window [since, until))."""
        params = {"from": _utc(since), "to": _utc(until), "pageSize": self._page_size}
        return paging.unique_cases(await self._pages(CHANGES, params, paging.MAX_SYNC_PAGES))

    def _search(self, name: str) -> paging.Fetch:
        async def fetch(keys: Sequence[str]) -> list[Case]:
            params = {name: ",".join(keys), "pageSize": self._page_size}
            return await self._pages(CASES, params, paging.MAX_PAGES)

        return fetch

    async def _pages(self, path: str, params: dict[str, Any], max_pages: int) -> list[Case]:
        async def page(token: str | None) -> tuple[list[Case], str | None]:
            query = params if token is None else {**params, "pageToken": token}
            return await self._get(path, query, lambda body: read_page(body, self.system.id))

        return await paging.follow_cursor(self.system.id, page, max_pages)


def _utc(at: datetime) -> str:
    return require_aware(at).astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- upstream shape: the page envelope ---------------------------------------------------------


def read_page(body: object, system: str) -> tuple[list[Case], str | None]:
    """`{"items": [...], "nextPageToken": str | null}` mapped to cases and the next cursor."""
    page = j.as_object(body)
    token = j.opt_str(page, "nextPageToken")
    return [to_case(item, system) for item in j.objects(page, "items")], token


# --- mapping into the domain -------------------------------------------------------------------


def to_case(rec: j.Json, system: str) -> Case:
    """One Ecos case record as a domain `Case` (events oldest first)."""
    local_id = j.req_str(rec, "id")
    case_type = j.req_object(rec, "caseType")
    subject: str | None = None
    applicants: list[str] = []
    for party in j.objects(rec, "parties"):
        role = j.req_str(party, "role")
        pnr = j.req_str(party, "personalIdentityNumber")
        if role not in PARTY_ROLES:
            raise UpstreamContractError(system)
        if role == "SUBJECT":
            subject = pnr
        elif pnr not in applicants:
            applicants.append(pnr)
    events = sorted(
        (_event(o, system) for o in j.objects(rec, "occurrences")), key=lambda e: e.occurred_at
    )
    return Case(
        ref=CaseRef(system, local_id),
        case_number=j.req_str(rec, "caseNumber"),
        main_case_number=j.opt_str(rec, "mainCaseNumber"),
        type=CaseType(j.req_str(case_type, "code"), j.req_str(case_type, "name")),
        title=j.req_str(rec, "heading"),
        description=j.opt_str(rec, "description"),
        status=j.code(STATUS, j.req_str(rec, "statusCode")),
        unit=_unit(j.req_object(rec, "responsibleUnit")),
        subject=subject,
        parties=tuple(applicants),
        channel=j.code(CHANNEL, j.req_str(rec, "receivedVia")),
        opened_at=j.req_time(rec, "registeredDate"),
        closed_at=j.opt_time(rec, "closedDate"),
        confidential=j.req_bool(rec, "isConfidential"),
        secrecy_ground=j.opt_str(rec, "confidentialityReason"),
        link=j.opt_str(rec, "webUrl") or LINK.format(id=quote(local_id, safe="")),
        events=tuple(events),
        documents=tuple(_document(d) for d in j.objects(rec, "documents")),
        collaborations=tuple(_handover(h) for h in j.objects(rec, "handovers")),
    )


def _unit(obj: j.Json) -> Unit:
    return Unit(j.req_str(obj, "code"), j.req_str(obj, "name"))


def _event(obj: j.Json, system: str) -> CaseEvent:
    return CaseEvent(
        id=f"{system}:{j.req_str(obj, 'id')}",
        occurred_at=j.req_time(obj, "occurredAt"),
        kind=j.code(EVENT_KIND, j.req_str(obj, "type")),
        summary=j.req_str(obj, "text"),
        description=j.opt_str(obj, "description"),
        diary_event=j.req_bool(obj, "registeredInDiary"),
        internal=j.req_bool(obj, "internal"),
        concerns=j.opt_str(obj, "concernsPersonalIdentityNumber"),
    )


def _document(obj: j.Json) -> Document:
    return Document(
        id=j.req_str(obj, "documentId"),
        title=j.req_str(obj, "title"),
        direction=j.code(DIRECTION, j.req_str(obj, "direction")),
        registered_at=j.req_time(obj, "registeredAt"),
        confidential=j.req_bool(obj, "secret"),
    )


def _handover(obj: j.Json) -> Collaboration:
    counterpart = j.opt_object(obj, "counterpart") or {}
    other_system = j.opt_str(counterpart, "system")
    other_id = j.opt_str(counterpart, "caseId")
    return Collaboration(
        kind=j.code(HANDOVER, j.req_str(obj, "type")),
        from_unit=_unit(j.req_object(obj, "fromUnit")),
        to_unit=_unit(j.req_object(obj, "toUnit")),
        started_at=j.req_time(obj, "startedAt"),
        completed_at=j.opt_time(obj, "completedAt"),
        follow_up_retained=j.req_bool(obj, "followUpRetained"),
        counterpart=CaseRef(other_system, other_id) if other_system and other_id else None,
        counterpart_number=j.opt_str(counterpart, "caseNumber"),
    )
