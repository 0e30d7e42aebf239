"""The redacted views the resolvers render; nothing else leaves the policy layer.

A field the caller may not see is None (or an empty/absent collection where the
schema says so). Views are built only by `policies.redact` and `policies.persons`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connectors.domain import (
    CaseEventKind,
    CaseRef,
    CaseStatus,
    CaseType,
    Channel,
    CollaborationKind,
    DocumentDirection,
    Unit,
)

from .levels import Disclosure


@dataclass(frozen=True, slots=True)
class PersonView:
    """A person as the caller may see them; protected identity nulls name and number."""

    personal_number: str | None
    name: str | None
    protected_identity: bool


@dataclass(frozen=True, slots=True)
class EventView:
    id: str
    occurred_at: datetime
    kind: CaseEventKind
    summary: str
    description: str | None
    diary_event: bool
    concerns: PersonView | None
    link: str | None


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: str
    title: str
    direction: DocumentDirection
    registered_at: datetime
    confidential: bool


@dataclass(frozen=True, slots=True)
class CollaborationView:
    """A referral, assignment or forwarding. `counterpart` is kept; the resolver
    hides it when the caller's level for that case is NONE."""

    kind: CollaborationKind
    from_unit: Unit
    to_unit: Unit
    started_at: datetime
    completed_at: datetime | None
    responsibility_retained: bool
    follow_up_retained: bool
    counterpart: CaseRef | None


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case redacted to `level` (never NONE: an invisible case has no view)."""

    ref: CaseRef
    level: Disclosure
    case_number: str
    main_case_number: str | None
    type: CaseType
    title: str
    status: CaseStatus
    unit: Unit
    subject: PersonView | None
    channel: Channel | None
    opened_at: datetime
    closed_at: datetime | None
    confidential: bool
    secrecy_ground: str | None
    link: str | None
    events: tuple[EventView, ...]
    documents: tuple[DocumentView, ...] | None
    collaborations: tuple[CollaborationView, ...] | None
