"""The typed per-request context every resolver receives (`Info[Context, None]`)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from connectors.registry import Connectors
from policies.caller import Caller

from .loaders import Failures, Loaders


@dataclass(frozen=True, slots=True)
class AccessNote:
    """One look at (or denied attempt on) one person's data, for the access log."""

    subject: str
    operation: str
    purpose: str
    outcome: str  # ALLOWED | DENIED | NOT_FOUND
    disclosed: tuple[tuple[str, str], ...] = ()  # (case global id, disclosure level)


@dataclass(frozen=True, slots=True)
class AccessLogPage:
    entries: list[tuple[str, Any]]  # (cursor, entry with .at, .actor_role, .actor_unit, .purpose)
    has_next: bool
    total: int
    end_cursor: str | None


class AccessLogReader(Protocol):
    async def __call__(self, subject: str, first: int, after: str | None) -> AccessLogPage: ...


@dataclass
class Services:
    """Long-lived collaborators, built once by the app factory."""

    connectors: Connectors
    policy: Any  # policies.policy.Policy
    access_log: AccessLogReader | None = None
    replica: Any = None  # connectors.replica.Replica
    #: writes the request's access notes to the audit log; raising fails the request closed
    audit_sink: Callable[[Context], Awaitable[None]] | None = None
    deadline_seconds: float = 3.0
    notifications: Any = None  # notify.PreferenceService; None with [notify] enabled = false
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())


@dataclass
class Context:
    caller: Caller
    services: Services
    request_id: str
    failures: Failures
    loaders: Loaders
    access_notes: list[AccessNote] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, caller: Caller, services: Services, request_id: str) -> Context:
        failures = Failures()
        deadline = time.monotonic() + services.deadline_seconds
        return cls(
            caller=caller,
            services=services,
            request_id=request_id,
            failures=failures,
            loaders=Loaders(services.connectors, failures, deadline),
        )

    def note_access(self, note: AccessNote) -> None:
        self.access_notes.append(note)
