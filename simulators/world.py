"""The sandbox municipality's ground truth, shared by all simulated systems.

Each simulator renders these records in its own system's shapes (its own ids,
status codes, date formats and paging). The vocabulary here is the simulators'
own: it deliberately does not import the gateway's domain model, so that the
connectors' mapping is really tested.

Status and event-kind strings are the neutral vocabulary below; each simulator
translates them into its system's own codes.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Stockholm")

#: neutral case statuses
STATUSES = (
    "RECEIVED",
    "IN_PROGRESS",
    "WAITING_FOR_CITIZEN",
    "WAITING_FOR_OTHER_PARTY",
    "DECIDED",
    "CLOSED",
    "FORWARDED",
)

#: neutral event kinds
EVENT_KINDS = (
    "SUBMITTED",
    "REGISTERED",
    "STATUS_CHANGED",
    "COMPLETION_REQUESTED",
    "COMPLETION_RECEIVED",
    "REFERRAL_SENT",
    "REFERRAL_ANSWERED",
    "ASSIGNMENT_GIVEN",
    "ASSIGNMENT_COMPLETED",
    "FORWARDED",
    "DECIDED",
    "NOTICE",
    "DELAYED",
    "CLOSED",
)

CHANNELS = ("E_SERVICE", "CONTACT_CENTRE", "VISIT", "PHONE", "MAIL", "EMAIL", "INTERNAL")

SYSTEMS = (
    "diarium",
    "byggr",
    "procapita",
    "ecos",
    "teknik",
    "edu",
    "kontaktcenter",
    "eservice",
    "folkbokforing",
    "ombud",
)

CASE_SYSTEMS = SYSTEMS[:8]

UNITS: dict[str, str] = {
    "KF": "Kommunfullmäktige",
    "KS": "Kommunstyrelsen",
    "SN": "Socialnämnden",
    "BN": "Byggnadsnämnden",
    "MBN": "Miljö- och hälsoskyddsnämnden",
    "TN": "Tekniska nämnden",
    "BUN": "Barn- och utbildningsnämnden",
    "KFN": "Kultur- och fritidsnämnden",
    "AME": "Arbetsmarknadsenheten",
    "KC": "Kontaktcenter",
}


@dataclass(frozen=True, slots=True)
class CaseTypeDef:
    """A case type of the sandbox: where it lives and how long it usually takes."""

    code: str
    name: str
    area: str
    system: str
    unit: str
    promise_days: int
    confidential: bool = False
    secrecy_ground: str | None = None


@dataclass(slots=True)
class Person:
    pnr: str  # 12 digits
    given_name: str
    family_name: str
    protected: bool = False
    street: str = ""
    postal_code: str = ""
    city: str = "Exempelby"


@dataclass(frozen=True, slots=True)
class Custody:
    custodian: str
    child: str


@dataclass(slots=True)
class Mandate:
    id: str
    grantor: str
    grantee: str
    scope: tuple[str, ...]  # case-type codes
    valid_from: date
    valid_until: date | None
    revoked: bool = False


@dataclass(slots=True)
class Event:
    id: str
    at: datetime  # aware, Europe/Stockholm
    kind: str  # one of EVENT_KINDS
    summary: str  # Swedish, bank-statement style
    description: str | None = None
    diary: bool = False
    internal: bool = False
    concerns: str | None = None  # pnr of the person concerned when not the applicant
    status_after: str | None = None  # neutral status the case has after this event


@dataclass(slots=True)
class Document:
    id: str
    title: str
    direction: str  # "INCOMING" | "OUTGOING" | "DRAFTED"
    registered_at: datetime
    confidential: bool = False


@dataclass(slots=True)
class Collaboration:
    kind: str  # "REFERRAL" | "ASSIGNMENT" | "FORWARDING"
    from_unit: str
    to_unit: str
    started_at: datetime
    completed_at: datetime | None = None
    follow_up_retained: bool = False
    counterpart_system: str | None = None
    counterpart_id: str | None = None
    counterpart_number: str | None = None


@dataclass(slots=True)
class Case:
    system: str
    id: str  # the system's own identifier
    number: str  # the case number as the system shows it
    type_code: str
    title: str
    unit: str
    status: str  # one of STATUSES
    opened_at: datetime
    main_number: str | None = None
    description: str | None = None
    subject: str | None = None  # pnr of the person the case is about
    applicant: str | None = None  # pnr of who applied when not the subject (custodian, agent)
    channel: str = "E_SERVICE"
    closed_at: datetime | None = None
    confidential: bool = False
    secrecy_ground: str | None = None
    link: str | None = None
    events: list[Event] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    collaborations: list[Collaboration] = field(default_factory=list)

    @property
    def updated_at(self) -> datetime:
        """When the case last changed: its newest event, else its opening."""
        if self.events:
            return self.events[-1].at
        return self.opened_at

    def persons(self) -> Iterable[str]:
        if self.subject:
            yield self.subject
        if self.applicant and self.applicant != self.subject:
            yield self.applicant


@dataclass
class World:
    """All data of one sandbox municipality, with the look-ups simulators need."""

    seed: int
    reference_date: date
    scale: float
    case_types: dict[str, CaseTypeDef]
    persons: dict[str, Person]
    custody: list[Custody]
    mandates: list[Mandate]
    cases: dict[str, list[Case]]  # system id -> cases, sorted by updated_at
    _by_person: dict[str, dict[str, list[Case]]] = field(default_factory=dict, repr=False)
    _by_id: dict[str, dict[str, Case]] = field(default_factory=dict, repr=False)
    _by_number: dict[str, dict[str, list[Case]]] = field(default_factory=dict, repr=False)
    _updated: dict[str, list[datetime]] = field(default_factory=dict, repr=False)
    _custody_by_person: dict[str, list[Custody]] = field(default_factory=dict, repr=False)
    _mandates_by_grantee: dict[str, list[Mandate]] = field(default_factory=dict, repr=False)
    _mandates_by_grantor: dict[str, list[Mandate]] = field(default_factory=dict, repr=False)
    #: grows with every change of the cases (simulators with derived indexes rebuild them)
    version: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """(Re)build every index; call after changing `cases`, `custody` or `mandates`."""
        self._by_person.clear()
        self._by_id.clear()
        self._by_number.clear()
        self._updated.clear()
        for system in self.cases:
            self.reindex_system(system)
        custody: dict[str, list[Custody]] = defaultdict(list)
        for rel in self.custody:
            custody[rel.custodian].append(rel)
            custody[rel.child].append(rel)
        self._custody_by_person = dict(custody)
        grantee: dict[str, list[Mandate]] = defaultdict(list)
        grantor: dict[str, list[Mandate]] = defaultdict(list)
        for m in self.mandates:
            grantee[m.grantee].append(m)
            grantor[m.grantor].append(m)
        self._mandates_by_grantee = dict(grantee)
        self._mandates_by_grantor = dict(grantor)

    def reindex_system(self, system: str) -> None:
        """(Re)build one system's case indexes (after a case of it changed)."""
        cases = self.cases.get(system, [])
        cases.sort(key=lambda c: c.updated_at)
        by_person: dict[str, list[Case]] = defaultdict(list)
        by_id: dict[str, Case] = {}
        by_number: dict[str, list[Case]] = defaultdict(list)
        for case in cases:
            by_id[case.id] = case
            by_number[case.number].append(case)
            if case.main_number and case.main_number != case.number:
                by_number[case.main_number].append(case)
            for pnr in case.persons():
                by_person[pnr].append(case)
        self._by_person[system] = dict(by_person)
        self._by_id[system] = by_id
        self._by_number[system] = dict(by_number)
        self._updated[system] = [c.updated_at for c in cases]
        self.version += 1

    def add_event(self, case: Case, event: Event) -> None:
        """Record a new event on `case` (its status follows `event.status_after`)."""
        case.events.append(event)
        if event.status_after:
            case.status = event.status_after
            if event.status_after == "CLOSED":
                case.closed_at = event.at
        self.reindex_system(case.system)

    # --- look-ups used by the simulators -------------------------------------------------

    def cases_of(self, system: str, pnrs: Sequence[str]) -> list[Case]:
        """Cases in `system` where any of `pnrs` is subject or applicant, oldest first."""
        index = self._by_person.get(system, {})
        seen: dict[int, Case] = {}
        for pnr in pnrs:
            for case in index.get(pnr, ()):
                seen[id(case)] = case
        return sorted(seen.values(), key=lambda c: c.opened_at)

    def case(self, system: str, case_id: str) -> Case | None:
        return self._by_id.get(system, {}).get(case_id)

    def cases_by_number(self, system: str, numbers: Sequence[str]) -> list[Case]:
        """Cases whose number or main case number is one of `numbers`."""
        index = self._by_number.get(system, {})
        seen: dict[int, Case] = {}
        for number in numbers:
            for case in index.get(number, ()):
                seen[id(case)] = case
        return sorted(seen.values(), key=lambda c: c.opened_at)

    def changed(self, system: str, since: datetime, until: datetime) -> list[Case]:
        """Cases whose `updated_at` lies in [since, until), oldest change first."""
        cases = self.cases.get(system, [])
        times = self._updated.get(system, [])
        lo = bisect.bisect_left(times, since)
        hi = bisect.bisect_left(times, until)
        return cases[lo:hi]

    def custody_of(self, pnr: str) -> list[Custody]:
        return self._custody_by_person.get(pnr, [])

    def mandates_for_grantee(self, pnr: str) -> list[Mandate]:
        return self._mandates_by_grantee.get(pnr, [])

    def mandates_for_grantor(self, pnr: str) -> list[Mandate]:
        return self._mandates_by_grantor.get(pnr, [])

    def case_count(self) -> int:
        return sum(len(c) for c in self.cases.values())
