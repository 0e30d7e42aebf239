"""Connector for Procapita (social services, SN): SOAP 1.1 `ProcapitaWS`.

Operations used: `HamtaArendenForPersoner`, `HamtaArenden`,
`HamtaArendenForDiarienummer` and `HamtaAndradeArenden` (continuation token
`Fortsattning`). Procapita writes codes and times as attributes, J/N flags and
local times as "20250311T093000" (Europe/Stockholm). A SOAP Client fault becomes
`UpstreamRejected`, any other fault `UpstreamUnavailable`.

Every social-services case is secret (OSL 26 kap. 1 §): the mapping marks each
case confidential and fills in that ground when Procapita leaves it out, so a
record that lost its flag upstream still fails closed.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

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
from .http import contract_errors
from .soap import SoapService, XmlReader, parse_bool

INFO = SystemInfo("procapita", "Procapita socialtjänst", SystemKind.BUSINESS)
PATH = "/ProcapitaWS"
NS = "urn:procapita:arende:ws:1"
ACTION_PREFIX = f"{NS}/"
_TIME_SHAPE = re.compile(r"[0-9]{8}T[0-9]{6}")
#: the SOAP operations that only read (POSTs, so retried only because declared here)
READ_OPERATIONS = frozenset(
    {
        "HamtaArendenForPersoner",
        "HamtaArenden",
        "HamtaArendenForDiarienummer",
        "HamtaAndradeArenden",
    }
)
TIME_FORMAT = "%Y%m%dT%H%M%S"
DEFAULT_PAGE_SIZE = 200
SECRECY_GROUND = "OSL 26 kap. 1 §"
LINK = "https://etjanster.exempelby.se/socialtjanst/arende/{}"
STOCKHOLM = ZoneInfo("Europe/Stockholm")

STATUSES = {
    "10": CaseStatus.RECEIVED,  # Aktualiserad
    "20": CaseStatus.IN_PROGRESS,  # Utredning
    "25": CaseStatus.WAITING_FOR_CITIZEN,  # Vilande
    "27": CaseStatus.WAITING_FOR_OTHER_PARTY,  # Väntar på annan part
    "30": CaseStatus.DECIDED,  # Beslut
    "40": CaseStatus.DECIDED,  # Verkställd: the decision is being carried out
    "80": CaseStatus.FORWARDED,  # Överflyttad
    "90": CaseStatus.CLOSED,  # Avslutad
}

EVENT_KINDS = {
    "101": CaseEventKind.SUBMITTED,
    "102": CaseEventKind.REGISTERED,
    "110": CaseEventKind.STATUS_CHANGED,
    "120": CaseEventKind.COMPLETION_REQUESTED,
    "121": CaseEventKind.COMPLETION_RECEIVED,
    "130": CaseEventKind.REFERRAL_SENT,
    "131": CaseEventKind.REFERRAL_ANSWERED,
    "140": CaseEventKind.ASSIGNMENT_GIVEN,
    "141": CaseEventKind.ASSIGNMENT_COMPLETED,
    "150": CaseEventKind.FORWARDED,
    "160": CaseEventKind.DECIDED,
    "170": CaseEventKind.NOTICE,
    "171": CaseEventKind.DELAYED,
    "190": CaseEventKind.CLOSED,
}

CHANNELS = {
    "E": Channel.E_SERVICE,
    "K": Channel.CONTACT_CENTRE,
    "B": Channel.VISIT,
    "T": Channel.PHONE,
    "P": Channel.MAIL,
    "M": Channel.EMAIL,
    "I": Channel.INTERNAL,
}

DIRECTIONS = {
    "IN": DocumentDirection.INCOMING,
    "UT": DocumentDirection.OUTGOING,
    "UPPR": DocumentDirection.DRAFTED,
}

COLLABORATIONS = {
    "REMISS": CollaborationKind.REFERRAL,
    "UPPDRAG": CollaborationKind.ASSIGNMENT,
    "OVERLAMNING": CollaborationKind.FORWARDING,
}


class ProcapitaConnector(BatchedCaseSource):
    """Social-services cases from Procapita's case service."""

    default_info = INFO
    default_page_size = DEFAULT_PAGE_SIZE

    @functools.cached_property
    def _soap(self) -> SoapService:
        return SoapService(self._client, PATH, NS, ACTION_PREFIX, reads=READ_OPERATIONS)

    async def cases_for_persons(self, personal_numbers: Sequence[str]) -> list[Case]:
        """`HamtaArendenForPersoner` with every personal number."""
        fetch = self._search("HamtaArendenForPersoner", "Personnummer")
        return await self._batched(personal_numbers, paging.is_personal_number, fetch)

    async def cases_by_ids(self, local_ids: Sequence[str]) -> list[Case]:
        """`HamtaArenden` with every Procapita ärende id not in the cache."""
        fetch = self._search("HamtaArenden", "ArendeId")
        return await self._cached_by_id(local_ids, plausible_key, fetch)

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[Case]:
        """`HamtaArendenForDiarienummer` (dnr or huvuddnr)."""
        fetch = self._search("HamtaArendenForDiarienummer", "Diarienummer")
        return await self._batched(numbers, plausible_key, fetch)

    async def changed_cases(self, since: datetime, until: datetime) -> list[Case]:
        """`HamtaAndradeArenden` for [since, until), following `Fortsattning`.

        Procapita counts whole seconds: both ends are cut to the second, so
        consecutive windows still tile without gaps or overlaps.
        """
        window = [("FranTid", _local(since)), ("TillTid", _local(until))]

        async def page(token: str | None) -> tuple[list[Case], str | None]:
            fields = [*window, ("MaxAntal", str(self._page_size))]
            if token is not None:
                fields.append(("Fortsattning", token))
            response = await self._soap.call("HamtaAndradeArenden", fields)
            with contract_errors(self.system.id):
                cases = [self._to_case(a) for a in _READ.all(response, "Arenden/Arende")]
                return cases, _READ.opt(response, "Fortsattning")

        found = await paging.follow_cursor(self.system.id, page, paging.MAX_SYNC_PAGES)
        return paging.unique_cases(found)

    def _search(self, operation: str, field: str) -> paging.Fetch:
        async def fetch(keys: Sequence[str]) -> list[Case]:
            response = await self._soap.call(operation, [(field, k) for k in keys])
            with contract_errors(self.system.id):
                return [self._to_case(a) for a in _READ.all(response, "Arenden/Arende")]

        return fetch

    # --- Procapita XML -> domain -------------------------------------------------------------

    def _to_case(self, el: ET.Element) -> Case:
        r = _READ
        local_id = r.attr(el, "id")
        insats = r.child(el, "Insats")
        klient = el.find(r.q("Klient"))
        sokande = el.find(r.q("Sokande"))
        aktualisering = r.child(el, "Aktualisering")
        avslutad = el.find(r.q("Avslutad"))
        sekretess = r.child(el, "Sekretess")
        # a J/N flag that is neither breaks the contract even though we force secrecy
        _flag(r.attr(sekretess, "skyddad"))
        events = [self._to_event(p) for p in r.all(el, "Journal/Post")]
        return Case(
            ref=CaseRef(self.system.id, local_id),
            case_number=r.attr(el, "dnr"),
            main_case_number=r.opt_attr(el, "huvudDnr"),
            type=CaseType(r.attr(insats, "kod"), r.attr(insats, "namn")),
            title=r.text(el, "Rubrik"),
            description=r.opt(el, "Anteckning"),
            status=STATUSES[r.attr(r.child(el, "Status"), "kod")],
            unit=_unit(r.child(el, "Enhet"), "kod", "namn"),
            subject=r.attr(klient, "pnr") if klient is not None else None,
            parties=(r.attr(sokande, "pnr"),) if sokande is not None else (),
            channel=CHANNELS[r.attr(aktualisering, "satt")],
            opened_at=_time(r.attr(aktualisering, "tid")),
            closed_at=_time(r.attr(avslutad, "tid")) if avslutad is not None else None,
            confidential=True,
            secrecy_ground=r.opt_attr(sekretess, "grund") or SECRECY_GROUND,
            link=r.opt(el, "Lank") or LINK.format(quote(local_id, safe="")),
            events=tuple(sorted(events, key=lambda e: e.occurred_at)),
            documents=tuple(self._to_document(d) for d in r.all(el, "Dokument/Dok")),
            collaborations=tuple(self._to_collaboration(u) for u in r.all(el, "Samverkan/Uppdrag")),
        )

    def _to_event(self, el: ET.Element) -> CaseEvent:
        r = _READ
        return CaseEvent(
            id=f"{self.system.id}:{r.attr(el, 'id')}",
            occurred_at=_time(r.attr(el, "tid")),
            kind=EVENT_KINDS[r.attr(el, "typ")],
            summary=r.text(el, "Rubrik"),
            description=r.opt(el, "Text"),
            diary_event=_flag(r.attr(el, "diarieford")),
            internal=_flag(r.attr(el, "intern")),
            concerns=r.opt_attr(el, "avser"),
        )

    def _to_document(self, el: ET.Element) -> Document:
        r = _READ
        title = (el.text or "").strip()
        if not title:
            raise ValueError("document without title")
        return Document(
            id=r.attr(el, "id"),
            title=title,
            direction=DIRECTIONS[r.attr(el, "riktning")],
            registered_at=_time(r.attr(el, "reg")),
            confidential=_flag(r.attr(el, "sekretess")),
        )

    def _to_collaboration(self, el: ET.Element) -> Collaboration:
        r = _READ
        system, local_id = r.opt_attr(el, "motpartSystem"), r.opt_attr(el, "motpartId")
        completed = r.opt_attr(el, "klar")
        return Collaboration(
            kind=COLLABORATIONS[r.attr(el, "typ")],
            from_unit=_unit(el, "fran", "franNamn"),
            to_unit=_unit(el, "till", "tillNamn"),
            started_at=_time(r.attr(el, "start")),
            completed_at=_time(completed) if completed else None,
            follow_up_retained=_flag(r.attr(el, "uppfoljning")),
            counterpart=CaseRef(system, local_id) if system and local_id else None,
            counterpart_number=r.opt_attr(el, "motpartDnr"),
        )


_READ = XmlReader(NS)


def _unit(el: ET.Element, code: str, name: str) -> Unit:
    return Unit(_READ.attr(el, code), _READ.attr(el, name))


def _flag(raw: str) -> bool:
    return parse_bool(raw, ("J",), ("N",))


def _time(raw: str) -> datetime:
    # fromisoformat is many times faster than strptime; the shape check keeps it as strict
    if not _TIME_SHAPE.fullmatch(raw):
        raise ValueError("expected YYYYMMDDTHHMMSS")
    return datetime.fromisoformat(raw).replace(tzinfo=STOCKHOLM)


def _local(at: datetime) -> str:
    return require_aware(at).astimezone(STOCKHOLM).strftime(TIME_FORMAT)
