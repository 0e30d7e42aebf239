"""The root Query: thin resolvers that check the function-level rules, load through
the per-request DataLoaders and hand every case to the policy layer."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from connectors.personal_number import parse_personal_number
from policies import (
    Operation,
    Role,
    may_see_cases,
    require_role,
    staff_may_find_person,
    validate_purpose,
)

from . import access
from .access_log import AccessLogConnection, my_access_log
from .case import Case, CaseConnection, source_system
from .citizen_view import CitizenView, build_view
from .common import SourceSystem, Unit
from .context import AccessNote, Context
from .ids import parse_case_id
from .people import Viewer
from .statistics import (
    CaseStatistics,
    DiaryEntryConnection,
    DiaryFilter,
    OverdueFilter,
    StatisticsFilter,
    case_statistics,
    overdue_cases,
    public_diary,
)

MAX_CASE_NUMBER = 64


PurposeArg = Annotated[
    str | None,
    strawberry.argument(
        description="Why the case is read: required of CONTACT_CENTRE and CASE_OFFICER, written to the access log."
    ),
]


def _staff_purpose(ctx: Context, purpose: str | None) -> None:
    """Staff who may read personal data say why, as in Dina Sidor; it goes to the access log."""
    if ctx.caller.role in (Role.CONTACT_CENTRE, Role.CASE_OFFICER):
        ctx.memo.purpose = validate_purpose(purpose or "")


@strawberry.type
class Query:
    @strawberry.field(
        description="Who the gateway takes the caller to be. Anonymous callers get role PUBLIC."
    )
    def viewer(self, info: Info[Context, None]) -> Viewer:
        caller = info.context.caller
        units = info.context.services.policy.units
        return Viewer(
            role=caller.role,
            name=caller.name,
            units=[Unit(code=u, name=units.get(u, u)) for u in sorted(caller.units)],
        )

    @strawberry.field(
        description="Mina Sidor: the signed-in citizen's own cases, and the cases of persons the citizen may act for (children in custody, principals under a power of attorney). CITIZEN only."
    )
    async def my_pages(self, info: Info[Context, None]) -> CitizenView:
        ctx = info.context
        require_role(ctx.caller, Operation.MY_PAGES)
        assert ctx.caller.personal_number is not None
        reps = await access.caller_representations(ctx)
        return await build_view(ctx, ctx.caller.personal_number, reps, operation="myPages")

    @strawberry.field(
        description="Dina Sidor: a staff lookup of one person by personal or coordination number. CONTACT_CENTRE and CASE_OFFICER only. The purpose is mandatory and is written to the access log. Returns null when the person is unknown or may not be shown; both look the same to the caller."
    )
    async def citizen(
        self, info: Info[Context, None], personal_number: str, purpose: str
    ) -> CitizenView | None:
        ctx = info.context
        require_role(ctx.caller, Operation.CITIZEN_LOOKUP)
        pnr = parse_personal_number(personal_number)
        stated = ctx.memo.purpose = validate_purpose(purpose)
        # cases first, then everyone they name in one register call: sibling look-ups of
        # one query (aliases) stay in step and share each upstream call
        cases = await ctx.loaders.cases_for_persons([pnr])
        persons = await ctx.loaders.persons([pnr, *(p for c in cases for p in c.persons)])
        person = persons.get(pnr)
        owning = frozenset(c.unit.code for c in cases if c.subject == pnr)
        if person is None or not staff_may_find_person(ctx.caller, person, owning):
            outcome = "NOT_FOUND" if person is None else "DENIED"
            ctx.note_access(AccessNote(pnr, "citizen", stated, outcome))
            return None
        view = await build_view(ctx, pnr, None, operation="citizen", cases=cases)
        access.note_people(ctx, [pnr], "citizen")  # the name and number shown, cases or not
        return view

    @strawberry.field(
        description="One case by global id; null when it does not exist or the caller may not see it."
    )
    async def case(
        self, info: Info[Context, None], id: strawberry.ID, purpose: PurposeArg = None
    ) -> Case | None:
        ctx = info.context
        _staff_purpose(ctx, purpose)
        ref = parse_case_id(id)
        if ref is None or not may_see_cases(ctx.caller):
            return None  # decided before any upstream call (anonymous callers, analysts)
        found = await ctx.loaders.case(ref.system, ref.local_id)
        if found is None:
            # as much upstream work as for a case that exists but is hidden (timing oracle)
            await access.same_work_as_a_hidden_case(ctx, f"{ref.system}:{ref.local_id}")
            return None
        view = await access.view_of(ctx, found, operation="case")
        return Case(view=view) if view else None

    @strawberry.field(
        description='Cases whose case number or main case number equals the given number, within what the caller may see (e.g. "MBN 2025/0412").'
    )
    async def cases_by_number(
        self, info: Info[Context, None], case_number: str, purpose: PurposeArg = None
    ) -> list[Case]:
        ctx = info.context
        _staff_purpose(ctx, purpose)
        number = case_number.strip()
        if not number or len(number) > MAX_CASE_NUMBER or not number.isprintable():
            return []
        if not may_see_cases(ctx.caller):
            return []  # decided before any upstream call (anonymous callers, analysts)
        found = await ctx.loaders.cases_with_number(number)
        if not found:
            await access.same_work_as_a_hidden_case(ctx, f"number:{number}")
        views = await access.views_of(ctx, found, operation="casesByNumber")
        views.sort(key=lambda v: (v.opened_at, v.ref.system, v.ref.local_id))
        return [Case(view=v) for v in views]

    @strawberry.field(
        description="The public diary (offentligt diarium): registered cases as anyone may see them on the web, with private persons' names and personal numbers masked. Open to every role, anonymous callers included."
    )
    async def public_diary(
        self,
        info: Info[Context, None],
        filter: DiaryFilter | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> DiaryEntryConnection:
        return await public_diary(info.context, filter, first, after)

    @strawberry.field(
        description="Case statistics (ärendestatistik) for managers, politicians and the public. Groups smaller than the suppression threshold are suppressed."
    )
    async def case_statistics(
        self, info: Info[Context, None], filter: StatisticsFilter | None = None
    ) -> CaseStatistics:
        return await case_statistics(info.context, filter)

    @strawberry.field(
        description="Open cases past their service promise, oldest breach first. CASE_OFFICER (own units) and ANALYST (without personal data)."
    )
    async def overdue_cases(
        self,
        info: Info[Context, None],
        filter: OverdueFilter | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> CaseConnection:
        return await overdue_cases(info.context, filter, first, after)

    @strawberry.field(
        description="The source systems the hub federates, with their current health."
    )
    async def source_systems(self, info: Info[Context, None]) -> list[SourceSystem]:
        ctx = info.context
        systems = [
            access.with_sync_state(ctx, source_system(ctx, s.id))
            for s in ctx.services.connectors.systems
        ]
        signals = ctx.services.signals
        last = await signals.last_signal_at() if signals is not None else {}
        for system in systems:
            system.last_signal_at = last.get(str(system.id))
        return systems

    @strawberry.field(
        description="Who has looked at the signed-in citizen's data, when and why. CITIZEN only."
    )
    async def my_access_log(
        self, info: Info[Context, None], first: int | None = 50, after: str | None = None
    ) -> AccessLogConnection:
        return await my_access_log(info.context, first, after)
