"""Connector for the contact centre's case system (Streamflow-like, unit KC): REST JSON.

Upstream: `GET /api/cases` searched by `contact`, `id` or `reference` (comma lists of
at most 200; offset paging with a total), and the event log
`GET /api/eventlog?since=|after=<watermark>&until=&max=`, whose entries carry a
strictly increasing `seq` and whose pages end with `nextWatermark`/`hasMore`.
Times are local ISO-8601 with offset. The mapping tables below are the contract.

`changed_cases` is the case store's sync path and the one operation that costs two
kinds of call: the event log for the window (all pages), then the affected cases
in one batch by id (chunked above 200 ids).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from aiocache.base import BaseCache

from . import jsonread as j
from . import paging
from .batched import BatchedCaseSource, plausible_listed_key, require_aware, twelve_digits
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
from .http import UpstreamClient

INFO = SystemInfo("kontaktcenter", "Kontaktcenter", SystemKind.CONTACT_CENTRE)

CASES = "/api/cases"
EVENTLOG = "/api/eventlog"
PAGE_SIZE = 500
LOG_PAGE_SIZE = 1000
LINK = "https://etjanster.exempelby.se/kontaktcenter/arende/{id}"

STATUS: dict[str, CaseStatus] = {
    "NEW": CaseStatus.RECEIVED,
    "ACTIVE": CaseStatus.IN_PROGRESS,
    "PENDING_CUSTOMER": CaseStatus.WAITING_FOR_CITIZEN,
    "SUSPENDED": CaseStatus.WAITING_FOR_OTHER_PARTY,
    "RESOLVED": CaseStatus.DECIDED,
    "CLOSED": CaseStatus.CLOSED,
    "HANDED_OVER": CaseStatus.FORWARDED,
}

EVENT_KIND: dict[str, CaseEventKind] = {
    "CREATED": CaseEventKind.SUBMITTED,
    "REGISTERED": CaseEventKind.REGISTERED,
    "STATE_CHANGE": CaseEventKind.STATUS_CHANGED,
    "INFO_REQUESTED": CaseEventKind.COMPLETION_REQUESTED,
    "INFO_RECEIVED": CaseEventKind.COMPLETION_RECEIVED,
    "REFERRED": CaseEventKind.REFERRAL_SENT,
    "REFERRAL_REPLY": CaseEventKind.REFERRAL_ANSWERED,
    "ASSIGNED_OUT": CaseEventKind.ASSIGNMENT_GIVEN,
    "ASSIGNMENT_DONE": CaseEventKind.ASSIGNMENT_COMPLETED,
    "HANDOVER": CaseEventKind.FORWARDED,
    "RESOLVED": CaseEventKind.DECIDED,
    "MESSAGE": CaseEventKind.NOTICE,
    "DELAYED": CaseEventKind.DELAYED,
    "CLOSED": CaseEventKind.CLOSED,
}

CHANNEL: dict[str, Channel] = {
    "WEB": Channel.E_SERVICE,
    "CHAT": Channel.CONTACT_CENTRE,
    "VISIT": Channel.VISIT,
    "PHONE": Channel.PHONE,
    "LETTER": Channel.MAIL,
    "EMAIL": Channel.EMAIL,
    "INTERNAL": Channel.INTERNAL,
}

DIRECTION: dict[str, DocumentDirection] = {
    "IN": DocumentDirection.INCOMING,
    "OUT": DocumentDirection.OUTGOING,
    "NOTE": DocumentDirection.DRAFTED,
}

#: KC's handover types: (kind, follow-up retained). SUSPEND waits for the other party
#: with responsibility kept, which is a referral in the hub's terms.
HANDOVER: dict[str, tuple[CollaborationKind, bool]] = {
    "CLOSE": (CollaborationKind.FORWARDING, False),
    "RETAIN": (CollaborationKind.FORWARDING, True),
    "SUSPEND": (CollaborationKind.REFERRAL, False),
}

LOG_TYPES = frozenset({"case.created", "case.updated", "case.handover", "case.closed"})


class KontaktcenterConnector(BatchedCaseSource):
    """The contact centre's case system through `GET /api/cases` and `GET /api/eventlog`."""

    default_info = INFO
    default_page_size = PAGE_SIZE

    def __init__(
        self,
        client: UpstreamClient,
        info: SystemInfo = INFO,
        *,
        cache: BaseCache | None = None,
        page_size: int = PAGE_SIZE,
        log_page_size: int = LOG_PAGE_SIZE,
    ) -> None:
        super().__init__(client, info, cache=cache, page_size=page_size)
        self._log_page_size = log_page_size

    async def cases_for_persons(self, personal_numbers: Sequence[str]) -> list[Case]:
        """`GET /api/cases?contact=a,b,..` (offset paging)."""
        return await self._batched(personal_numbers, twelve_digits, self._search("contact"))

    async def cases_by_ids(self, local_ids: Sequence[str]) -> list[Case]:
        """`GET /api/cases?id=..` for the ids not in the cache."""
        return await self._cached_by_id(local_ids, plausible_listed_key, self._search("id"))

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[Case]:
        """`GET /api/cases?reference=..` (case reference or main reference)."""
        return await self._batched(numbers, plausible_listed_key, self._search("reference"))

    async def changed_cases(self, since: datetime, until: datetime) -> list[Case]:
        """`GET /api/eventlog?since=&until=` (then `after=<watermark>`) to the end of the
        window, then `GET /api/cases?id=..` for the affected cases."""
        ids = await self.changed_ids(since, until)
        return await paging.gather_chunks(ids, self._search("id"))

    async def changed_ids(self, since: datetime, until: datetime) -> list[str]:
        """Ids of the cases with an event-log entry in [since, until), first change first."""
        params: dict[str, str | int] = {
            "since": _iso(since),
            "until": _iso(until),
            "max": self._log_page_size,
        }
        seen: dict[str, None] = {}
        watermark: int | None = None
        for _ in range(paging.MAX_SYNC_PAGES):
            read = functools.partial(read_log_page, after=watermark)
            case_ids, next_mark, more = await self._get(EVENTLOG, params, read)
            seen.update(dict.fromkeys(case_ids))
            if not more:
                return list(seen)
            watermark = next_mark
            params = {"after": next_mark, "until": _iso(until), "max": self._log_page_size}
        raise UpstreamContractError(self.system.id)

    def _search(self, name: str) -> paging.Fetch:
        async def fetch(keys: Sequence[str]) -> list[Case]:
            async def page(offset: int) -> tuple[list[Case], int]:
                params = {name: ",".join(keys), "offset": offset, "limit": self._page_size}
                return await self._get(
                    CASES, params, lambda body: read_case_page(body, offset, self.system.id)
                )

            return await paging.follow_offsets(self.system.id, page)

        return fetch


def _iso(at: datetime) -> str:
    return require_aware(at).isoformat()


# --- upstream shapes: the page envelopes -------------------------------------------------------


def read_case_page(body: object, offset: int, system: str) -> tuple[list[Case], int]:
    """`{"total", "offset", "limit", "cases": [...]}` as cases and the total."""
    page = j.as_object(body)
    if j.req_int(page, "offset") != offset:
        raise ValueError("the page does not start where asked")
    return [to_case(c, system) for c in j.objects(page, "cases")], j.req_int(page, "total")


def read_log_page(body: object, after: int | None) -> tuple[list[str], int, bool]:
    """`{"events": [{"seq", "caseId", "type", "timestamp"}], "nextWatermark", "hasMore"}`:
    the case ids in order, the next watermark and whether more entries follow.

    Sequence numbers must rise strictly, and the watermark must move past `after`
    when more entries are promised: a log that does not advance would loop forever.
    """
    page = j.as_object(body)
    last = after
    ids: list[str] = []
    for entry in j.objects(page, "events"):
        seq = j.req_int(entry, "seq")
        if last is not None and seq <= last:
            raise ValueError("event-log sequence numbers must rise")
        if j.req_str(entry, "type") not in LOG_TYPES:
            raise ValueError("unknown event-log entry type")
        j.req_time(entry, "timestamp")
        ids.append(j.req_str(entry, "caseId"))
        last = seq
    watermark = j.req_int(page, "nextWatermark")
    more = j.req_bool(page, "hasMore")
    if (last is not None and watermark < last) or (
        more and after is not None and watermark <= after
    ):
        raise ValueError("the watermark does not advance")
    return ids, watermark, more


# --- mapping into the domain -------------------------------------------------------------------


def to_case(rec: j.Json, system: str) -> Case:
    """One KC case record as a domain `Case` (events oldest first)."""
    local_id = j.req_str(rec, "case_id")
    category = j.req_object(rec, "category")
    contact = j.opt_str(rec, "contact_person")
    events = sorted((_event(e, system) for e in j.objects(rec, "history")), key=_when)
    return Case(
        ref=CaseRef(system, local_id),
        case_number=j.req_str(rec, "reference"),
        main_case_number=j.opt_str(rec, "main_reference"),
        type=CaseType(j.req_str(category, "code"), j.req_str(category, "label")),
        title=j.req_str(rec, "headline"),
        description=j.opt_str(rec, "body"),
        status=j.code(STATUS, j.req_str(rec, "state")),
        unit=_unit(j.req_object(rec, "owner_unit")),
        subject=j.opt_str(rec, "customer"),
        parties=(contact,) if contact else (),
        channel=j.code(CHANNEL, j.req_str(rec, "channel")),
        opened_at=j.req_time(rec, "created_at"),
        closed_at=j.opt_time(rec, "closed_at"),
        confidential=j.req_bool(rec, "restricted"),
        secrecy_ground=j.opt_str(rec, "restriction_basis"),
        link=j.opt_str(rec, "url") or LINK.format(id=quote(local_id, safe="")),
        events=tuple(events),
        documents=tuple(_document(d) for d in j.objects(rec, "attachments")),
        collaborations=tuple(_handover(h) for h in j.objects(rec, "handovers")),
    )


def _when(event: CaseEvent) -> datetime:
    return event.occurred_at


def _unit(obj: j.Json) -> Unit:
    return Unit(j.req_str(obj, "code"), j.req_str(obj, "name"))


def _event(obj: j.Json, system: str) -> CaseEvent:
    return CaseEvent(
        id=f"{system}:{j.id_text(obj, 'entry_id')}",
        occurred_at=j.req_time(obj, "logged_at"),
        kind=j.code(EVENT_KIND, j.req_str(obj, "entry_type")),
        summary=j.req_str(obj, "text"),
        description=j.opt_str(obj, "details"),
        diary_event=j.req_bool(obj, "diary"),
        internal=j.req_bool(obj, "internal_note"),
        concerns=j.opt_str(obj, "regarding"),
    )


def _document(obj: j.Json) -> Document:
    return Document(
        id=j.id_text(obj, "attachment_id"),
        title=j.req_str(obj, "name"),
        direction=j.code(DIRECTION, j.req_str(obj, "direction")),
        registered_at=j.req_time(obj, "added_at"),
        confidential=j.req_bool(obj, "classified"),
    )


def _handover(obj: j.Json) -> Collaboration:
    kind, retained = j.code(HANDOVER, j.req_str(obj, "handover_type"))
    target = j.opt_object(obj, "target") or {}
    other_system = j.opt_str(target, "system")
    other_id = j.opt_str(target, "case_id")
    return Collaboration(
        kind=kind,
        from_unit=_unit(j.req_object(obj, "from_unit")),
        to_unit=_unit(j.req_object(obj, "to_unit")),
        started_at=j.req_time(obj, "handed_over_at"),
        completed_at=j.opt_time(obj, "returned_at"),
        follow_up_retained=retained,
        counterpart=CaseRef(other_system, other_id) if other_system and other_id else None,
        counterpart_number=j.opt_str(target, "reference"),
    )
