"""The typed per-request context every resolver receives (`Info[Context, None]`)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from casestore import CaseStore
from connectors.domain import Case, CaseRef
from connectors.registry import Connectors
from notify import PreferenceService
from policies import Caller, Policy, PromiseState, Representation

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
    policy: Policy
    access_log: AccessLogReader | None = None
    case_store: CaseStore | None = None
    #: writes the request's access notes to the audit log; raising fails the request closed
    audit_sink: Callable[[Context], Awaitable[None]] | None = None
    deadline_seconds: float = 3.0
    #: the share of the time left that a register look-up (the first hop) may use
    register_share: float = 1.0
    #: adds the persons a staff request read to the caller's budget; returns the seconds
    #: to wait when that goes over it (the request then gets no data), else None
    person_budget: Callable[[Context], Awaitable[int | None]] | None = None
    signals: Any = None  # signals.Signals: the hub subscriptions listen to, lastSignalAt
    notifications: PreferenceService | None = None  # None with [notify] enabled = false
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())


@dataclass
class RequestMemo:
    """What one request works out once and reuses across its resolvers."""

    #: whom a citizen caller may act for; None until first asked
    representations: list[Representation] | None = None
    #: why staff read personal data, as the access log records it; None until stated
    purpose: str | None = None
    #: the clock, read once: representations' validity, service promises
    now: datetime | None = None
    #: the unredacted cases shown, whose service promise a query may ask for
    promised: dict[CaseRef, Case] = field(default_factory=dict)
    #: service-promise figures of the cases shown, measured when first asked
    promises: dict[CaseRef, PromiseState] = field(default_factory=dict)


@dataclass
class Context:
    caller: Caller
    services: Services
    request_id: str
    failures: Failures
    loaders: Loaders
    access_notes: list[AccessNote] = field(default_factory=list)
    memo: RequestMemo = field(default_factory=RequestMemo)

    @classmethod
    def create(cls, caller: Caller, services: Services, request_id: str) -> Context:
        failures = Failures()
        deadline = time.monotonic() + services.deadline_seconds
        return cls(
            caller=caller,
            services=services,
            request_id=request_id,
            failures=failures,
            loaders=Loaders(
                services.connectors,
                failures,
                deadline,
                register_share=services.register_share,
            ),
        )

    def note_access(self, note: AccessNote) -> None:
        self.access_notes.append(note)

    def withhold_all(self) -> None:
        """No data of this request leaves after all: every look is logged as withheld
        (DENIED, nothing disclosed); a NOT_FOUND stays one."""
        self.access_notes = [
            n if n.outcome == "NOT_FOUND" else replace(n, outcome="DENIED", disclosed=())
            for n in self.access_notes
        ]
