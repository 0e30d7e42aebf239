"""The citizen's view of the access log: who looked at my data, when and why."""

from __future__ import annotations

import enum

import strawberry

from connectors.errors import AuditUnavailable
from policies import Operation, require_role
from policies import Role as RoleEnum

from .common import DateTime, PageInfo, Role, Unit
from .context import Context
from .pagination import check_first


@strawberry.enum(description="What came of a look at the data.")
class AccessOutcome(enum.Enum):
    ALLOWED = "ALLOWED"
    "The data was shown."
    DENIED = "DENIED"
    "The caller asked but the policy withheld the data."
    NOT_FOUND = "NOT_FOUND"
    "The caller asked but nothing could be shown (e.g. protected identity)."


@strawberry.type
class AccessLogEntry:
    at: DateTime
    actor_role: Role
    actor_unit: Unit | None
    purpose: str
    outcome: AccessOutcome = strawberry.field(
        default=AccessOutcome.ALLOWED, description="Whether the data was shown or withheld."
    )


@strawberry.type
class AccessLogEdge:
    cursor: str
    node: AccessLogEntry


@strawberry.type
class AccessLogConnection:
    edges: list[AccessLogEdge]
    page_info: PageInfo
    total_count: int


async def my_access_log(ctx: Context, first: int | None, after: str | None) -> AccessLogConnection:
    require_role(ctx.caller, Operation.MY_ACCESS_LOG)
    size = check_first(first)
    reader = ctx.services.access_log
    if reader is None:
        raise AuditUnavailable(
            "no access log reader is configured",
            "Loggen över vem som tittat på dina uppgifter är inte tillgänglig.",
        )
    assert ctx.caller.personal_number is not None
    page = await reader(ctx.caller.personal_number, size, after)
    units = ctx.services.policy.units
    edges = [
        AccessLogEdge(
            cursor=cursor,
            node=AccessLogEntry(
                at=entry.at,
                actor_role=RoleEnum(entry.actor_role),
                actor_unit=Unit(
                    code=entry.actor_unit, name=units.get(entry.actor_unit, entry.actor_unit)
                )
                if entry.actor_unit
                else None,
                purpose=entry.purpose,
                outcome=AccessOutcome(str(entry.outcome.value)),
            ),
        )
        for cursor, entry in page.entries
    ]
    return AccessLogConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
        total_count=page.total,
    )
