"""Connector for the technical office's fault-report system (TN): REST JSON, Swedish fields.

Upstream: `GET /felanmalningar` searched by repeated `pnr`, `ids` or
`arendenummer` parameters (at most 200), `GET /felanmalningar/andrade?fran=&till=`;
offset paging (`offset`, `limit`, `total` in the body); local times with offset.
The mapping tables below are the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
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

INFO = SystemInfo("teknik", "Felanmälan, tekniska förvaltningen", SystemKind.BUSINESS)

REPORTS = "/felanmalningar"
CHANGED = "/felanmalningar/andrade"
PAGE_SIZE = 500
LINK = "https://etjanster.exempelby.se/felanmalan/{id}"

STATUS: dict[str, CaseStatus] = {
    "ny": CaseStatus.RECEIVED,
    "mottagen": CaseStatus.RECEIVED,
    "pagaende": CaseStatus.IN_PROGRESS,
    "vantar_medborgare": CaseStatus.WAITING_FOR_CITIZEN,
    "vantar_extern": CaseStatus.WAITING_FOR_OTHER_PARTY,
    "uppdrag_ame": CaseStatus.WAITING_FOR_OTHER_PARTY,
    "atgardad": CaseStatus.DECIDED,
    "stangd": CaseStatus.CLOSED,
    "overlamnad": CaseStatus.FORWARDED,
}

EVENT_KIND: dict[str, CaseEventKind] = {
    "anmalan_inkommen": CaseEventKind.SUBMITTED,
    "registrerad": CaseEventKind.REGISTERED,
    "statusandring": CaseEventKind.STATUS_CHANGED,
    "komplettering_begard": CaseEventKind.COMPLETION_REQUESTED,
    "komplettering_inkommen": CaseEventKind.COMPLETION_RECEIVED,
    "remiss_skickad": CaseEventKind.REFERRAL_SENT,
    "remiss_besvarad": CaseEventKind.REFERRAL_ANSWERED,
    "uppdrag_lamnat": CaseEventKind.ASSIGNMENT_GIVEN,
    "uppdrag_klarmarkerat": CaseEventKind.ASSIGNMENT_COMPLETED,
    "vidarebefordrad": CaseEventKind.FORWARDED,
    "beslut": CaseEventKind.DECIDED,
    "meddelande": CaseEventKind.NOTICE,
    "forsenad": CaseEventKind.DELAYED,
    "avslutad": CaseEventKind.CLOSED,
}

CHANNEL: dict[str, Channel] = {
    "e_tjanst": Channel.E_SERVICE,
    "kontaktcenter": Channel.CONTACT_CENTRE,
    "besok": Channel.VISIT,
    "telefon": Channel.PHONE,
    "brev": Channel.MAIL,
    "e_post": Channel.EMAIL,
    "intern": Channel.INTERNAL,
}

DIRECTION: dict[str, DocumentDirection] = {
    "inkommande": DocumentDirection.INCOMING,
    "utgaende": DocumentDirection.OUTGOING,
    "upprattad": DocumentDirection.DRAFTED,
}

COLLABORATION: dict[str, CollaborationKind] = {
    "remiss": CollaborationKind.REFERRAL,
    "uppdrag": CollaborationKind.ASSIGNMENT,
    "vidarebefordran": CollaborationKind.FORWARDING,
}


class TeknikConnector(BatchedCaseSource):
    """The fault-report system (TN) through `GET /felanmalningar...`."""

    default_info = INFO
    default_page_size = PAGE_SIZE
    # the system splits repeated values at commas too, hence `plausible_listed_key`

    async def cases_for_persons(self, personal_numbers: Sequence[str]) -> list[Case]:
        """`GET /felanmalningar?pnr=a&pnr=b..` (offset paging)."""
        return await self._batched(personal_numbers, paging.is_personal_number, self._search("pnr"))

    async def cases_by_ids(self, local_ids: Sequence[str]) -> list[Case]:
        """`GET /felanmalningar?ids=..` for the ids not in the cache."""
        return await self._cached_by_id(local_ids, plausible_listed_key, self._search("ids"))

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[Case]:
        """`GET /felanmalningar?arendenummer=..` (case number or main case number)."""
        return await self._batched(numbers, plausible_listed_key, self._search("arendenummer"))

    async def changed_cases(self, since: datetime, until: datetime) -> list[Case]:
        """`GET /felanmalningar/andrade?fran=&till=` (all pages of the window [since, until))."""
        params = {"fran": _local(since), "till": _local(until)}
        return paging.unique_cases(await self._pages(CHANGED, params, paging.MAX_SYNC_PAGES))

    def _search(self, name: str) -> paging.Fetch:
        async def fetch(keys: Sequence[str]) -> list[Case]:
            return await self._pages(REPORTS, {name: list(keys)}, paging.MAX_PAGES)

        return fetch

    async def _pages(self, path: str, params: dict[str, Any], max_pages: int) -> list[Case]:
        async def page(offset: int) -> tuple[list[Case], int]:
            query = {**params, "offset": offset, "limit": self._page_size}
            return await self._get(path, query, lambda body: read_page(body, self.system.id))

        return await paging.follow_offsets(self.system.id, page, max_pages)


def _local(at: datetime) -> str:
    return require_aware(at).astimezone(j.TZ).isoformat()


# --- upstream shape: the page envelope ---------------------------------------------------------


def read_page(body: object, system: str) -> tuple[list[Case], int]:
    """`{"total", "offset", "limit", "felanmalningar": [...]}` mapped to cases and the total."""
    page = j.as_object(body)
    total = j.req_int(page, "total")
    return [to_case(item, system) for item in j.objects(page, "felanmalningar")], total


# --- mapping into the domain -------------------------------------------------------------------


def to_case(rec: j.Json, system: str) -> Case:
    """One fault report as a domain `Case` (events oldest first)."""
    local_id = j.req_str(rec, "id")
    category = j.req_object(rec, "kategori")
    reporter = j.opt_str(rec, "anmalare_pnr")
    events = sorted(
        (_event(e, system) for e in j.objects(rec, "handelser")), key=lambda e: e.occurred_at
    )
    return Case(
        ref=CaseRef(system, local_id),
        case_number=j.req_str(rec, "arendenummer"),
        main_case_number=j.opt_str(rec, "huvudarendenummer"),
        type=CaseType(j.req_str(category, "kod"), j.req_str(category, "benamning")),
        title=j.req_str(rec, "rubrik"),
        description=j.opt_str(rec, "beskrivning"),
        status=j.code(STATUS, j.req_str(rec, "status")),
        unit=_unit(j.req_object(rec, "ansvarig_enhet")),
        subject=j.opt_str(rec, "berord_person_pnr"),
        parties=(reporter,) if reporter else (),
        channel=j.code(CHANNEL, j.req_str(rec, "kanal")),
        opened_at=j.req_time(rec, "registrerad"),
        closed_at=j.opt_time(rec, "avslutad"),
        confidential=j.req_bool(rec, "sekretess"),
        secrecy_ground=j.opt_str(rec, "sekretessgrund"),
        link=j.opt_str(rec, "lank") or LINK.format(id=quote(local_id, safe="")),
        events=tuple(events),
        documents=tuple(_document(d) for d in j.objects(rec, "handlingar")),
        collaborations=tuple(_collaboration(c) for c in j.objects(rec, "samverkan")),
    )


def _unit(obj: j.Json) -> Unit:
    return Unit(j.req_str(obj, "kod"), j.req_str(obj, "namn"))


def _event(obj: j.Json, system: str) -> CaseEvent:
    return CaseEvent(
        id=f"{system}:{j.req_str(obj, 'id')}",
        occurred_at=j.req_time(obj, "tidpunkt"),
        kind=j.code(EVENT_KIND, j.req_str(obj, "typ")),
        summary=j.req_str(obj, "rubrik"),
        description=j.opt_str(obj, "beskrivning"),
        diary_event=j.req_bool(obj, "diarieford"),
        internal=j.req_bool(obj, "intern"),
        concerns=j.opt_str(obj, "avser_pnr"),
    )


def _document(obj: j.Json) -> Document:
    return Document(
        id=j.req_str(obj, "id"),
        title=j.req_str(obj, "titel"),
        direction=j.code(DIRECTION, j.req_str(obj, "riktning")),
        registered_at=j.req_time(obj, "registrerad"),
        confidential=j.req_bool(obj, "sekretess"),
    )


def _collaboration(obj: j.Json) -> Collaboration:
    other = j.opt_object(obj, "motpart") or {}
    other_system, other_id = j.opt_str(other, "system"), j.opt_str(other, "id")
    return Collaboration(
        kind=j.code(COLLABORATION, j.req_str(obj, "typ")),
        from_unit=_unit(j.req_object(obj, "fran_enhet")),
        to_unit=_unit(j.req_object(obj, "till_enhet")),
        started_at=j.req_time(obj, "startad"),
        completed_at=j.opt_time(obj, "avslutad"),
        follow_up_retained=j.req_bool(obj, "uppfoljning_kvar"),
        counterpart=CaseRef(other_system, other_id) if other_system and other_id else None,
        counterpart_number=j.opt_str(other, "arendenummer"),
    )
