"""Connector for the registry (diarium): JSON-RPC 2.0 at `POST /rpc`.

Methods used: `Arende.SokPart`, `Arende.Hamta`, `Arende.SokDiarienummer` (page
numbers `sida`/`antalSidor`) and `Arende.Andrade` (a `changedSince` cursor, with
`nextCursor` followed until null). Times are local "2025-03-11 09:30:00"
(Europe/Stockholm; in the autumn's repeated hour the first occurrence is assumed).

A JSON-RPC error object means: -32603 or a server error (-32000..-32099) is the
registry's failure → `UpstreamUnavailable`; any other code (-32700, -32600,
-32601, -32602, ...) means we asked wrongly → `UpstreamRejected` (status 400).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from . import jsonread as j
from . import paging
from .batched import BatchedCaseSource, plausible_key, require_aware
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
from .errors import UpstreamRejected, UpstreamUnavailable
from .http import contract_errors, read_json

INFO = SystemInfo("diarium", "Diarium", SystemKind.REGISTRY)
PATH = "/rpc"
_TIME_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
#: the JSON-RPC methods that only read (POSTs, so retried only because declared here)
READ_METHODS = frozenset(
    {"Arende.SokPart", "Arende.Hamta", "Arende.SokDiarienummer", "Arende.Andrade"}
)
DEFAULT_PAGE_SIZE = 200
LINK = "https://diarium.exempelby.se/arende/{}"
STOCKHOLM = ZoneInfo("Europe/Stockholm")

STATUSES = {
    "Inkommen": CaseStatus.RECEIVED,
    "Under handläggning": CaseStatus.IN_PROGRESS,
    "Vilande - komplettering": CaseStatus.WAITING_FOR_CITIZEN,
    "Remiss ute": CaseStatus.WAITING_FOR_OTHER_PARTY,
    "Beslutad": CaseStatus.DECIDED,
    "Avslutad": CaseStatus.CLOSED,
    "Överlämnad": CaseStatus.FORWARDED,
}

EVENT_KINDS = {
    "Inkommen handling": CaseEventKind.SUBMITTED,
    "Registrerad": CaseEventKind.REGISTERED,
    "Statusändring": CaseEventKind.STATUS_CHANGED,
    "Komplettering begärd": CaseEventKind.COMPLETION_REQUESTED,
    "Komplettering inkommen": CaseEventKind.COMPLETION_RECEIVED,
    "Remiss skickad": CaseEventKind.REFERRAL_SENT,
    "Remissvar inkommet": CaseEventKind.REFERRAL_ANSWERED,
    "Uppdrag lämnat": CaseEventKind.ASSIGNMENT_GIVEN,
    "Uppdrag klarmarkerat": CaseEventKind.ASSIGNMENT_COMPLETED,
    "Överlämnad": CaseEventKind.FORWARDED,
    "Beslut": CaseEventKind.DECIDED,
    "Meddelande": CaseEventKind.NOTICE,
    "Förseningsbesked": CaseEventKind.DELAYED,
    "Avslutad": CaseEventKind.CLOSED,
}

CHANNELS = {
    "E-tjänst": Channel.E_SERVICE,
    "Kontaktcenter": Channel.CONTACT_CENTRE,
    "Besök": Channel.VISIT,
    "Telefon": Channel.PHONE,
    "Post": Channel.MAIL,
    "E-post": Channel.EMAIL,
    "Internt": Channel.INTERNAL,
}

DIRECTIONS = {
    "I": DocumentDirection.INCOMING,
    "U": DocumentDirection.OUTGOING,
    "Upprättad": DocumentDirection.DRAFTED,
}

COLLABORATIONS = {
    "Remiss": CollaborationKind.REFERRAL,
    "Uppdrag": CollaborationKind.ASSIGNMENT,
    "Överlämning": CollaborationKind.FORWARDING,
}

#: party roles: "Part" is the case's subject, "Sökande" someone applying for them
PARTY_ROLES = ("Part", "Sökande")


class DiariumConnector(BatchedCaseSource):
    """Registry cases through the diarium's JSON-RPC API."""

    default_info = INFO
    default_page_size = DEFAULT_PAGE_SIZE

    @functools.cached_property
    def _ids(self) -> Iterator[int]:
        """This connector's JSON-RPC call ids: 1, 2, ..."""
        return itertools.count(1)

    async def cases_for_persons(self, personal_numbers: Sequence[str]) -> list[Case]:
        """`Arende.SokPart {personnummer: [...]}`, every page."""
        fetch = self._search("Arende.SokPart", "personnummer")
        return await self._batched(personal_numbers, paging.is_personal_number, fetch)

    async def cases_by_ids(self, local_ids: Sequence[str]) -> list[Case]:
        """`Arende.Hamta {id: [...]}` for the ids not in the cache."""
        fetch = self._search("Arende.Hamta", "id")
        return await self._cached_by_id(local_ids, plausible_key, fetch)

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[Case]:
        """`Arende.SokDiarienummer {diarienummer: [...]}` (number or main case number)."""
        fetch = self._search("Arende.SokDiarienummer", "diarienummer")
        return await self._batched(numbers, plausible_key, fetch)

    async def changed_cases(self, since: datetime, until: datetime) -> list[Case]:
        """`Arende.Andrade {changedSince, until}` for [since, until), following `nextCursor`."""
        first, end = _local(since), _local(until)

        async def page(cursor: str | None) -> tuple[list[Case], str | None]:
            params = {"changedSince": cursor or first, "until": end, "limit": self._page_size}
            result = await self._call("Arende.Andrade", params)
            with contract_errors(self.system.id):
                cases = [self._to_case(a) for a in j.objects(result, "arenden")]
                return cases, j.opt_str(result, "nextCursor")

        found = await paging.follow_cursor(self.system.id, page, paging.MAX_SYNC_PAGES)
        return paging.unique_cases(found)

    def _search(self, method: str, field: str) -> paging.Fetch:
        async def fetch(keys: Sequence[str]) -> list[Case]:
            async def page(number: int) -> tuple[list[Case], int]:
                params = {field: list(keys), "sida": number, "perSida": self._page_size}
                result = await self._call(method, params)
                with contract_errors(self.system.id):
                    if j.req_int(result, "sida") != number:
                        raise ValueError("paging out of step")
                    cases = [self._to_case(a) for a in j.objects(result, "arenden")]
                    return cases, j.req_int(result, "antalSidor")

            return await paging.follow_page_numbers(self.system.id, page)

        return fetch

    async def _call(self, method: str, params: dict[str, Any]) -> j.Json:
        """One JSON-RPC call; the `result` object, or the error mapped (see module doc)."""
        call_id = next(self._ids)
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": call_id}
        response = await self._client.request("POST", PATH, json=body, read=method in READ_METHODS)
        with contract_errors(self.system.id):
            answer = j.as_object(read_json(response))
            if answer.get("jsonrpc") != "2.0" or answer.get("id") != call_id:
                raise ValueError("not the answer to our call")
            error = j.opt_object(answer, "error")
            if error is None:
                return j.req_object(answer, "result")
            code = j.req_int(error, "code")
        if code == -32603 or -32099 <= code <= -32000:
            raise UpstreamUnavailable(self.system.id)
        raise UpstreamRejected(self.system.id, 400)

    # --- registry JSON -> domain -------------------------------------------------------------

    def _to_case(self, rec: j.Json) -> Case:
        local_id = j.id_text(rec, "id")
        subject: str | None = None
        parties: list[str] = []
        for party in j.objects(rec, "parter"):
            role = j.code({r: r for r in PARTY_ROLES}, j.req_str(party, "roll"))
            pnr = j.req_str(party, "personnummer")
            if role == "Part" and subject is None:
                subject = pnr
            elif pnr not in parties:
                parties.append(pnr)
        case_type = j.req_object(rec, "arendetyp")
        events = [self._to_event(e) for e in j.objects(rec, "diariehandelser")]
        return Case(
            ref=CaseRef(self.system.id, local_id),
            case_number=j.req_str(rec, "diarienummer"),
            main_case_number=j.opt_str(rec, "huvudarendenummer"),
            type=CaseType(j.req_str(case_type, "kod"), j.req_str(case_type, "benamning")),
            title=j.req_str(rec, "rubrik"),
            description=j.opt_str(rec, "beskrivning"),
            status=j.code(STATUSES, j.req_str(rec, "status")),
            unit=_unit(j.req_object(rec, "ansvarigEnhet")),
            subject=subject,
            parties=tuple(parties),
            channel=j.code(CHANNELS, j.req_str(rec, "inkomstsatt")),
            opened_at=_time(j.req_str(rec, "registreringsdatum")),
            closed_at=_opt_time(j.opt_str(rec, "avslutsdatum")),
            confidential=j.req_bool(rec, "sekretess"),
            secrecy_ground=j.opt_str(rec, "sekretessgrund"),
            link=j.opt_str(rec, "lank") or LINK.format(quote(local_id, safe="")),
            events=tuple(sorted(events, key=lambda e: e.occurred_at)),
            documents=tuple(_document(d) for d in j.objects(rec, "handlingar")),
            collaborations=tuple(_collaboration(c) for c in j.objects(rec, "samverkan")),
        )

    def _to_event(self, obj: j.Json) -> CaseEvent:
        return CaseEvent(
            id=f"{self.system.id}:{j.id_text(obj, 'id')}",
            occurred_at=_time(j.req_str(obj, "datum")),
            kind=j.code(EVENT_KINDS, j.req_str(obj, "typ")),
            summary=j.req_str(obj, "text"),
            description=j.opt_str(obj, "beskrivning"),
            diary_event=j.req_bool(obj, "diarieford"),
            internal=j.req_bool(obj, "intern"),
            concerns=j.opt_str(obj, "avser"),
        )


def _document(obj: j.Json) -> Document:
    return Document(
        id=j.id_text(obj, "id"),
        title=j.req_str(obj, "titel"),
        direction=j.code(DIRECTIONS, j.req_str(obj, "riktning")),
        registered_at=_time(j.req_str(obj, "registrerad")),
        confidential=j.req_bool(obj, "sekretess"),
    )


def _collaboration(obj: j.Json) -> Collaboration:
    counterpart = j.opt_object(obj, "motpart") or {}
    other_system, other_id = j.opt_str(counterpart, "system"), j.opt_str(counterpart, "id")
    return Collaboration(
        kind=j.code(COLLABORATIONS, j.req_str(obj, "typ")),
        from_unit=_unit(j.req_object(obj, "fran")),
        to_unit=_unit(j.req_object(obj, "till")),
        started_at=_time(j.req_str(obj, "startad")),
        completed_at=_opt_time(j.opt_str(obj, "klar")),
        follow_up_retained=j.req_bool(obj, "uppfoljningKvar"),
        counterpart=CaseRef(other_system, other_id) if other_system and other_id else None,
        counterpart_number=j.opt_str(counterpart, "diarienummer"),
    )


def _unit(obj: j.Json) -> Unit:
    return Unit(j.req_str(obj, "kod"), j.req_str(obj, "namn"))


def _time(text: str) -> datetime:
    # fromisoformat is many times faster than strptime; the shape check keeps it as strict
    if not _TIME_SHAPE.fullmatch(text):
        raise ValueError("expected YYYY-MM-DD HH:MM:SS")
    return datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM)


def _opt_time(text: str | None) -> datetime | None:
    return None if text is None else _time(text)


def _local(at: datetime) -> str:
    """A window end in the registry's local format (sub-seconds kept when present)."""
    local = require_aware(at).astimezone(STOCKHOLM).replace(tzinfo=None)
    return local.isoformat(sep=" ", timespec="microseconds" if local.microsecond else "seconds")
