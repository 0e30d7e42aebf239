"""The domain model every connector maps into.

These are plain, unredacted value objects. Connectors build them from each
system's own shapes; policies redact them per caller; resolvers turn them into
GraphQL types. Nothing here knows about HTTP, XML or GraphQL.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class CaseStatus(enum.Enum):
    RECEIVED = "RECEIVED"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_FOR_CITIZEN = "WAITING_FOR_CITIZEN"
    WAITING_FOR_OTHER_PARTY = "WAITING_FOR_OTHER_PARTY"
    DECIDED = "DECIDED"
    CLOSED = "CLOSED"
    FORWARDED = "FORWARDED"


class CaseEventKind(enum.Enum):
    SUBMITTED = "SUBMITTED"
    REGISTERED = "REGISTERED"
    STATUS_CHANGED = "STATUS_CHANGED"
    COMPLETION_REQUESTED = "COMPLETION_REQUESTED"
    COMPLETION_RECEIVED = "COMPLETION_RECEIVED"
    REFERRAL_SENT = "REFERRAL_SENT"
    REFERRAL_ANSWERED = "REFERRAL_ANSWERED"
    ASSIGNMENT_GIVEN = "ASSIGNMENT_GIVEN"
    ASSIGNMENT_COMPLETED = "ASSIGNMENT_COMPLETED"
    FORWARDED = "FORWARDED"
    DECIDED = "DECIDED"
    NOTICE = "NOTICE"
    DELAYED = "DELAYED"
    CLOSED = "CLOSED"


class Channel(enum.Enum):
    E_SERVICE = "E_SERVICE"
    CONTACT_CENTRE = "CONTACT_CENTRE"
    VISIT = "VISIT"
    PHONE = "PHONE"
    MAIL = "MAIL"
    EMAIL = "EMAIL"
    INTERNAL = "INTERNAL"


class DocumentDirection(enum.Enum):
    INCOMING = "INCOMING"
    OUTGOING = "OUTGOING"
    DRAFTED = "DRAFTED"


class CollaborationKind(enum.Enum):
    REFERRAL = "REFERRAL"
    ASSIGNMENT = "ASSIGNMENT"
    FORWARDING = "FORWARDING"


class SystemKind(enum.Enum):
    REGISTRY = "REGISTRY"
    BUSINESS = "BUSINESS"
    E_SERVICE = "E_SERVICE"
    CONTACT_CENTRE = "CONTACT_CENTRE"
    POPULATION_REGISTER = "POPULATION_REGISTER"
    MANDATE_REGISTER = "MANDATE_REGISTER"


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """A source system as the hub knows it (id as in the configuration)."""

    id: str
    name: str
    kind: SystemKind


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class CaseType:
    code: str
    name: str
    area: str = "Övrigt"


@dataclass(frozen=True, slots=True)
class CaseRef:
    """Where a case lives: the system id and the system's own identifier."""

    system: str
    local_id: str


@dataclass(frozen=True, slots=True)
class Person:
    """A person from the population register."""

    personal_number: str
    given_name: str
    family_name: str
    protected_identity: bool = False

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True)
class Custody:
    """`custodian` has custody of `child` (from the population register)."""

    custodian: str
    child: str


@dataclass(frozen=True, slots=True)
class Mandate:
    """A power of attorney: `grantor` lets `grantee` act for them in `scope`."""

    id: str
    grantor: str
    grantee: str
    scope: frozenset[str]
    valid_from: date
    valid_until: date | None


@dataclass(frozen=True, slots=True)
class CaseEvent:
    id: str
    occurred_at: datetime
    kind: CaseEventKind
    summary: str
    description: str | None = None
    diary_event: bool = False
    internal: bool = False
    concerns: str | None = None
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    title: str
    direction: DocumentDirection
    registered_at: datetime
    confidential: bool = False


@dataclass(frozen=True, slots=True)
class Collaboration:
    kind: CollaborationKind
    from_unit: Unit
    to_unit: Unit
    started_at: datetime
    completed_at: datetime | None = None
    follow_up_retained: bool = False
    counterpart: CaseRef | None = None
    counterpart_number: str | None = None

    @property
    def responsibility_retained(self) -> bool:
        return self.kind is not CollaborationKind.FORWARDING


@dataclass(frozen=True, slots=True)
class Case:
    """One case in one system, unredacted, events oldest first."""

    ref: CaseRef
    case_number: str
    type: CaseType
    title: str
    status: CaseStatus
    unit: Unit
    opened_at: datetime
    main_case_number: str | None = None
    description: str | None = None
    subject: str | None = None
    parties: tuple[str, ...] = ()
    channel: Channel | None = None
    closed_at: datetime | None = None
    confidential: bool = False
    secrecy_ground: str | None = None
    link: str | None = None
    events: tuple[CaseEvent, ...] = ()
    documents: tuple[Document, ...] = ()
    collaborations: tuple[Collaboration, ...] = field(default=())

    @property
    def persons(self) -> frozenset[str]:
        """Everyone the case is about: the subject and the other parties."""
        found = set(self.parties)
        if self.subject:
            found.add(self.subject)
        return frozenset(found)
