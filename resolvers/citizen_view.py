"""Mina Sidor and Dina Sidor: one person's cases and events across every system."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from connectors import domain
from connectors.errors import ValidationError
from policies import CaseView, PersonView, is_open, person_view
from policies import Representation as RepresentationData

from . import access
from .case import CaseConnection, CaseEventConnection, newest_first, source_system
from .common import CaseStatus, DateTime, SourceSystem
from .context import Context
from .people import Citizen, Representation


@strawberry.input
class CaseFilter:
    status: list[CaseStatus] | None = None
    open_only: bool | None = None
    case_type: str | None = None


@strawberry.type
class CitizenView:
    person: strawberry.Private[PersonView]
    subject: strawberry.Private[str]
    views: strawberry.Private[list[CaseView]]
    reps: strawberry.Private[list[RepresentationData] | None]
    unavailable: strawberry.Private[list[str]]
    shown_stale: strawberry.Private[list[str]]

    @strawberry.field
    def citizen(self) -> Citizen:
        return Citizen.of(self.person)

    @strawberry.field(description="Persons this citizen may act for.")
    async def represents(self, info: Info[Context, None]) -> list[Representation]:
        reps = self.reps
        if reps is None:
            reps = await access.representations_of(info.context, self.subject)
        mine = await access.caller_representations(info.context)
        represented = frozenset(r.personal_number for r in mine)
        persons = await info.context.loaders.persons(r.personal_number for r in reps)
        access.note_people(info.context, [r.personal_number for r in reps], "represents")
        return [
            Representation(
                citizen=Citizen.of(
                    person_view(
                        r.personal_number,
                        info.context.caller,
                        persons,
                        frozenset(),
                        represented=represented,
                    )
                ),
                basis=r.basis,
                valid_until=r.valid_until,
            )
            for r in reps
        ]

    @strawberry.field(
        description="Cases the person is party to, and for a citizen also those of the persons represented."
    )
    def cases(
        self, filter: CaseFilter | None = None, first: int | None = 50, after: str | None = None
    ) -> CaseConnection:
        views = self.views
        if filter is not None:
            if filter.status:
                wanted = set(filter.status)
                views = [v for v in views if v.status in wanted]
            if filter.open_only:
                views = [v for v in views if is_open(v.status)]
            if filter.case_type:
                views = [v for v in views if v.type.code == filter.case_type]
        return CaseConnection.of(views, first, after)

    @strawberry.field(description="Events of those cases, newest first, like a bank statement.")
    def events(
        self,
        since: DateTime | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> CaseEventConnection:
        events = newest_first(self.views)
        if since is not None:
            if since.tzinfo is None:
                raise ValidationError(
                    "Ange tiden med tidszon, t.ex. 2026-03-11T09:30:00+01:00.",
                    code="INVALID_DATETIME",
                    field="since",
                )
            cut: datetime = since
            events = [ev for ev in events if ev[0].occurred_at >= cut]
        return CaseEventConnection.of(events, first, after)

    @strawberry.field(
        description="Source systems that did not answer in time; their cases are missing from this view."
    )
    def unavailable_systems(self, info: Info[Context, None]) -> list[SourceSystem]:
        return [source_system(info.context, s) for s in self.unavailable]

    @strawberry.field(
        description=(
            "Source systems that failed, whose cases are shown as last fetched "
            "(see cachedAnswerAgeSeconds)."
        )
    )
    def stale_systems(self, info: Info[Context, None]) -> list[SourceSystem]:
        return [source_system(info.context, s) for s in self.shown_stale]


async def build_view(
    ctx: Context,
    subject: str,
    reps: list[RepresentationData] | None,
    *,
    operation: str,
    cases: list[domain.Case] | None = None,
) -> CitizenView:
    """Gather the cases of the subject (and of whom they represent) into one view."""
    pnrs = [subject, *(r.personal_number for r in reps or [])]
    if cases is None:
        # both registered before the first await: one batch per system, in parallel
        found = ctx.loaders.cases_for_persons(pnrs)
        named = ctx.loaders.persons(pnrs)
        cases = await found
        await named
    views = await access.views_of(ctx, cases, operation=operation)
    views.sort(key=lambda v: (v.opened_at, v.ref.system, v.ref.local_id), reverse=True)
    persons = await ctx.loaders.persons([subject])
    owning = frozenset(c.unit.code for c in cases if c.subject == subject)
    represented = frozenset(r.personal_number for r in reps or [])
    return CitizenView(
        person=person_view(subject, ctx.caller, persons, owning, represented=represented),
        subject=subject,
        views=views,
        reps=reps,
        unavailable=sorted(ctx.failures.by_system),
        shown_stale=sorted(ctx.failures.stale),
    )
