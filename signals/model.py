"""What a signal is once accepted, and what the processor tells its listeners.

Signals are thin: they say "look again at this case", so their content is never
shown to anyone; it only helps to find what to refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from connectors.domain import Case, CaseEvent

#: CloudEvent `source` of a system: `urn:knutpunkt:system:<system id>`
SOURCE_PREFIX = "urn:knutpunkt:system:"
#: the one CloudEvent `type` the hub accepts
CASE_CHANGED = "se.knutpunkt.case.changed"
#: most CloudEvents one batch may carry
MAX_BATCH = 100
#: largest request body `POST /signals` reads
MAX_BODY_BYTES = 256 * 1024


def source_of(system: str) -> str:
    return SOURCE_PREFIX + system


@dataclass(frozen=True, slots=True)
class Signal:
    """One accepted CloudEvent: the case `subject` of `system` changed."""

    system: str
    id: str
    subject: str
    time: datetime | None = None
    case_number: str | None = None
    personal_numbers: tuple[str, ...] = ()
    kind: str | None = None
    #: events an earlier attempt found but could not tell every listener of (a
    #: notification store that was down): told again on the next attempt
    owed_events: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredSignal:
    """A signal as the inbox holds it."""

    seq: int
    signal: Signal
    received_at: datetime
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A case the processor refreshed after a signal (or a pull found changed).

    `new_events` are the events the hub had not seen before; `personal_numbers`
    everyone the case concerns (before and after the change)."""

    system: str
    case: Case
    new_events: list[CaseEvent] = field(default_factory=list)
    personal_numbers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ChangeNote:
    """What travels between gateway processes: enough to find the case again (the
    case itself is read from the shared cache, never sent)."""

    system: str
    case_id: str
    event_ids: tuple[str, ...] = ()
    personal_numbers: tuple[str, ...] = ()
    case_numbers: tuple[str, ...] = ()
    origin: str = ""
