"""Connector for ByggR (building permits, BN): SOAP 1.1 `ArendeExportWS`.

Operations used: `GetRelateradeArendenByPersOrgNr`, `GetArende`,
`GetArendenByDiarienummer` and `GetUpdatedArenden` (paged with `Sida`/`SidStorlek`).
Times are xs:dateTime; a value without offset is Swedish local time. A SOAP
Client fault becomes `UpstreamRejected`, any other fault `UpstreamUnavailable`.
"""

from __future__ import annotations

import functools
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
from .soap import SoapService, XmlReader

INFO = SystemInfo("byggr", "ByggR bygglov", SystemKind.BUSINESS)
PATH = "/ArendeExportWS"
NS = "http://www.tekis.se/ServiceContract"
ACTION_PREFIX = f"{NS}/IArendeExportWS/"
#: the SOAP operations that only read (POSTs, so retried only because declared here)
READ_OPERATIONS = frozenset(
    {
        "GetRelateradeArendenByPersOrgNr",
        "GetArende",
        "GetArendenByDiarienummer",
        "GetUpdatedArenden",
    }
)
DEFAULT_PAGE_SIZE = 200
LINK = "https://etjanster.exempelby.se/bygglov/arende/{}"
STOCKHOLM = ZoneInfo("Europe/Stockholm")

STATUSES = {
    "Ansökan inkommen": CaseStatus.RECEIVED,
    "Under handläggning": CaseStatus.IN_PROGRESS,
    "Komplettering begärd": CaseStatus.WAITING_FOR_CITIZEN,
    "Grannehörande": CaseStatus.WAITING_FOR_OTHER_PARTY,
    "Beslut fattat": CaseStatus.DECIDED,
    "Avslutat": CaseStatus.CLOSED,
    "Överlämnat": CaseStatus.FORWARDED,
}

EVENT_KINDS = {
    "ANSOKAN": CaseEventKind.SUBMITTED,
    "REG": CaseEventKind.REGISTERED,
    "STATUS": CaseEventKind.STATUS_CHANGED,
    "KOMPLBEG": CaseEventKind.COMPLETION_REQUESTED,
    "KOMPLINK": CaseEventKind.COMPLETION_RECEIVED,
    "REMISS": CaseEventKind.REFERRAL_SENT,
    "REMISSVAR": CaseEventKind.REFERRAL_ANSWERED,
    "UPPDRAG": CaseEventKind.ASSIGNMENT_GIVEN,
    "UPPDRAGKLAR": CaseEventKind.ASSIGNMENT_COMPLETED,
    "OVERLAMN": CaseEventKind.FORWARDED,
    "BESLUT": CaseEventKind.DECIDED,
    "MEDD": CaseEventKind.NOTICE,
    "FORSEN": CaseEventKind.DELAYED,
    "AVSLUT": CaseEventKind.CLOSED,
}

CHANNELS = {
    "ETJANST": Channel.E_SERVICE,
    "KONTAKTCENTER": Channel.CONTACT_CENTRE,
    "BESOK": Channel.VISIT,
    "TELEFON": Channel.PHONE,
    "POST": Channel.MAIL,
    "EPOST": Channel.EMAIL,
    "INTERN": Channel.INTERNAL,
}

DIRECTIONS = {
    "Inkommande": DocumentDirection.INCOMING,
    "Utgående": DocumentDirection.OUTGOING,
    "Upprättad": DocumentDirection.DRAFTED,
}

COLLABORATIONS = {
    "Remiss": CollaborationKind.REFERRAL,
    "Uppdrag": CollaborationKind.ASSIGNMENT,
    "Overlamning": CollaborationKind.FORWARDING,
}

#: the Intressent role that is the case's subject; every other role is a party
SUBJECT_ROLE = "Sökande"


class ByggrConnector(BatchedCaseSource):
    """Building-permit cases from ByggR's ArendeExportWS."""

    default_info = INFO
    default_page_size = DEFAULT_PAGE_SIZE

    @functools.cached_property
    def _soap(self) -> SoapService:
        return SoapService(self._client, PATH, NS, ACTION_PREFIX, reads=READ_OPERATIONS)

    async def cases_for_persons(self, personal_numbers: Sequence[str]) -> list[Case]:
        """`GetRelateradeArendenByPersOrgNr` with every personal number (`PersOrgNr`)."""
        fetch = self._search("GetRelateradeArendenByPersOrgNr", "PersOrgNr")
        return await self._batched(personal_numbers, paging.is_personal_number, fetch)

    async def cases_by_ids(self, local_ids: Sequence[str]) -> list[Case]:
        """`GetArende` with every ByggR ärende id (`Dnr`) not in the cache."""
        fetch = self._search("GetArende", "Dnr")
        return await self._cached_by_id(local_ids, plausible_key, fetch)

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[Case]:
        """`GetArendenByDiarienummer` (diarienummer or huvudärende)."""
        fetch = self._search("GetArendenByDiarienummer", "Diarienummer")
        return await self._batched(numbers, plausible_key, fetch)

    async def changed_cases(self, since: datetime, until: datetime) -> list[Case]:
        """`GetUpdatedArenden` for [since, until), every page (`Sida`)."""
        window = [("FromDatum", _xs_time(since)), ("TomDatum", _xs_time(until))]

        async def page(number: int) -> tuple[list[Case], int]:
            fields = [*window, ("Sida", str(number)), ("SidStorlek", str(self._page_size))]
            response = await self._soap.call("GetUpdatedArenden", fields)
            with contract_errors(self.system.id):
                result = _READ.child(response, "GetUpdatedArendenResult")
                if int(_READ.text(result, "Sida")) != number:
                    raise ValueError("paging out of step")
                cases = [self._to_case(a) for a in _READ.all(result, "Arenden/Arende")]
                return cases, int(_READ.text(result, "AntalSidor"))

        found = await paging.follow_page_numbers(self.system.id, page, paging.MAX_SYNC_PAGES)
        return paging.unique_cases(found)

    def _search(self, operation: str, field: str) -> paging.Fetch:
        async def fetch(keys: Sequence[str]) -> list[Case]:
            response = await self._soap.call(operation, [(field, k) for k in keys])
            with contract_errors(self.system.id):
                result = _READ.child(response, f"{operation}Result")
                return [self._to_case(a) for a in _READ.all(result, "Arenden/Arende")]

        return fetch

    # --- ByggR XML -> domain -----------------------------------------------------------------

    def _to_case(self, el: ET.Element) -> Case:
        r = _READ
        local_id = r.text(el, "ArendeId")
        subject: str | None = None
        parties: list[str] = []
        for person in r.all(el, "Intressenter/Intressent"):
            number = r.text(person, "PersOrgNr")
            if r.text(person, "Roll") == SUBJECT_ROLE and subject is None:
                subject = number
            elif number not in parties:
                parties.append(number)
        type_el = r.child(el, "Arendetyp")
        events = [self._to_event(e) for e in r.all(el, "Handelser/Handelse")]
        return Case(
            ref=CaseRef(self.system.id, local_id),
            case_number=r.text(el, "Diarienummer"),
            main_case_number=r.opt(el, "Huvudarende"),
            type=CaseType(r.text(type_el, "Kod"), r.text(type_el, "Benamning")),
            title=r.text(el, "Arendemening"),
            description=r.opt(el, "Beskrivning"),
            status=STATUSES[r.text(el, "Status")],
            unit=_unit(r.child(el, "Handlaggandeenhet")),
            subject=subject,
            parties=tuple(parties),
            channel=CHANNELS[r.text(el, "Kanal")],
            opened_at=_time(r.text(el, "Inkommen")),
            closed_at=_opt_time(r.opt(el, "Avslutad")),
            confidential=r.boolean(el, "Sekretess"),
            secrecy_ground=r.opt(el, "Sekretessgrund"),
            link=r.opt(el, "Lank") or LINK.format(quote(local_id, safe="")),
            events=tuple(sorted(events, key=lambda e: e.occurred_at)),
            documents=tuple(self._to_document(d) for d in r.all(el, "Handlingar/Handling")),
            collaborations=tuple(
                self._to_collaboration(c) for c in r.all(el, "Samverkan/Samverkansarende")
            ),
        )

    def _to_event(self, el: ET.Element) -> CaseEvent:
        r = _READ
        return CaseEvent(
            id=f"{self.system.id}:{r.text(el, 'HandelseId')}",
            occurred_at=_time(r.text(el, "Datum")),
            kind=EVENT_KINDS[r.text(el, "Handelsetyp")],
            summary=r.text(el, "Rubrik"),
            description=r.opt(el, "Beskrivning"),
            diary_event=r.boolean(el, "Diarieford"),
            internal=r.boolean(el, "Intern"),
            concerns=r.opt(el, "Avser"),
        )

    def _to_document(self, el: ET.Element) -> Document:
        r = _READ
        return Document(
            id=r.text(el, "HandlingId"),
            title=r.text(el, "Beskrivning"),
            direction=DIRECTIONS[r.text(el, "Riktning")],
            registered_at=_time(r.text(el, "Registrerad")),
            confidential=r.boolean(el, "Sekretess"),
        )

    def _to_collaboration(self, el: ET.Element) -> Collaboration:
        r = _READ
        counterpart: CaseRef | None = None
        number: str | None = None
        motpart = el.find(r.q("Motpart"))
        if motpart is not None:
            system, local_id = r.opt(motpart, "System"), r.opt(motpart, "ArendeId")
            if system and local_id:
                counterpart = CaseRef(system, local_id)
            number = r.opt(motpart, "Diarienummer")
        return Collaboration(
            kind=COLLABORATIONS[r.text(el, "Typ")],
            from_unit=_unit(r.child(el, "FranEnhet")),
            to_unit=_unit(r.child(el, "TillEnhet")),
            started_at=_time(r.text(el, "Startad")),
            completed_at=_opt_time(r.opt(el, "Klar")),
            follow_up_retained=r.boolean(el, "UppfoljningKvar"),
            counterpart=counterpart,
            counterpart_number=number,
        )


_READ = XmlReader(NS)


def _unit(el: ET.Element) -> Unit:
    return Unit(_READ.text(el, "Kod"), _READ.text(el, "Namn"))


def _time(raw: str) -> datetime:
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:  # ByggR leaves the offset out for local time
        value = value.replace(tzinfo=STOCKHOLM)
    return value.astimezone(STOCKHOLM)


def _opt_time(raw: str | None) -> datetime | None:
    return _time(raw) if raw is not None else None


def _xs_time(at: datetime) -> str:
    return require_aware(at).isoformat()
