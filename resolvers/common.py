"""Small GraphQL types shared by every type family: enums, units, case types, systems, pages."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

import policies
from connectors import domain

# strawberry's built-in scalars for `datetime` and `date` are named DateTime and Date,
# as in the contract, and serialise to ISO-8601 (with the offset, our datetimes are aware)
DateTime = datetime
Date = date

Role = strawberry.enum(policies.Role)
CaseStatus = strawberry.enum(domain.CaseStatus)
CaseEventKind = strawberry.enum(domain.CaseEventKind)
Channel = strawberry.enum(domain.Channel)
DocumentDirection = strawberry.enum(domain.DocumentDirection)
CollaborationKind = strawberry.enum(domain.CollaborationKind)
SystemKind = strawberry.enum(domain.SystemKind)


@strawberry.type
class Unit:
    code: str = strawberry.field(description="Short code, e.g. BN for Byggnadsnämnden.")
    name: str

    @classmethod
    def of(cls, unit: domain.Unit) -> Unit:
        return cls(code=unit.code, name=unit.name)


@strawberry.type
class CaseType:
    code: str = strawberry.field(description="Stable code, e.g. BYGG-LOV.")
    name: str = strawberry.field(description="Swedish name, e.g. Bygglov.")
    area: str = strawberry.field(
        description="Area of activity, e.g. Samhällsbyggnad, Socialtjänst, Utbildning."
    )


@strawberry.type
class SourceSystem:
    id: strawberry.ID
    name: str
    kind: SystemKind
    healthy: bool = strawberry.field(
        description="False while the system's circuit is open or its last call failed."
    )
    last_synced_at: DateTime | None = strawberry.field(
        default=None,
        description="When the statistics replica last pulled this system's changes successfully.",
    )
    stale: bool = strawberry.field(
        default=False,
        description="True when the replica's copy of this system is older than its refresh interval.",
    )
    last_signal_at: DateTime | None = strawberry.field(
        default=None,
        description="When the system's last signal arrived; null when it has never signalled.",
    )
    cached_answer_age_seconds: int | None = strawberry.field(
        default=None,
        description=(
            "Set when this request showed the system's cases as last fetched, because the "
            "system failed (stale-if-error): how old that answer is, in seconds."
        ),
    )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
