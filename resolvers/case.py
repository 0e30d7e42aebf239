"""The case type family: Case, CaseEvent, Document, Collaboration and their connections."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry
from strawberry.types import Info

from connectors import domain
from policies import CaseView, CollaborationView, DocumentView, EventView, PersonView

from . import access
from .common import (
    CaseEventKind,
    CaseStatus,
    CaseType,
    Channel,
    CollaborationKind,
    DateTime,
    DocumentDirection,
    PageInfo,
    SourceSystem,
    Unit,
)
from .context import Context
from .ids import case_id, document_id, event_id
from .pagination import paginate
from .people import Citizen


@strawberry.type
class ServicePromise:
    target_days: int = strawberry.field(description="Promised handling time in calendar days.")
    elapsed_days: float = strawberry.field(
        description="Days elapsed, not counting time waiting for the citizen."
    )
    breached: bool


@strawberry.type
class Document:
    view: strawberry.Private[DocumentView]
    system: strawberry.Private[str]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(document_id(self.system, self.view.id))

    @strawberry.field
    def title(self) -> str:
        return self.view.title

    @strawberry.field
    def direction(self) -> DocumentDirection:
        return self.view.direction

    @strawberry.field
    def registered_at(self) -> DateTime:
        return self.view.registered_at

    @strawberry.field
    def confidential(self) -> bool:
        return self.view.confidential


@strawberry.type
class CaseEvent:
    view: strawberry.Private[EventView]
    case_view: strawberry.Private[CaseView]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(event_id(self.case_view.ref.system, self.view.id))

    @strawberry.field
    def occurred_at(self) -> DateTime:
        return self.view.occurred_at

    @strawberry.field
    def kind(self) -> CaseEventKind:
        return self.view.kind

    @strawberry.field(description="Short Swedish line, as in a bank statement.")
    def summary(self) -> str:
        return self.view.summary

    @strawberry.field(description="Fuller text; null where the caller may not see it.")
    def description(self) -> str | None:
        return self.view.description

    @strawberry.field(
        description="True when the event is also an entry in the registry (diariehändelse)."
    )
    def diary_event(self) -> bool:
        return self.view.diary_event

    @strawberry.field(
        description="The person the event concerns when it is not the caller (e.g. a child), if the caller may see it."
    )
    def concerns(self, info: Info[Context, None]) -> Citizen | None:
        person: PersonView | None = self.view.concerns
        own = info.context.caller.personal_number
        if person is None or (own is not None and person.personal_number == own):
            return None
        return Citizen.of(person)

    @strawberry.field
    def link(self) -> str | None:
        return self.view.link

    @strawberry.field
    def case(self) -> Annotated[Case, strawberry.lazy("resolvers.case")]:
        return Case(view=self.case_view)


@strawberry.type
class Collaboration:
    view: strawberry.Private[CollaborationView]

    @strawberry.field
    def kind(self) -> CollaborationKind:
        return self.view.kind

    @strawberry.field
    def from_unit(self) -> Unit:
        return Unit.of(self.view.from_unit)

    @strawberry.field
    def to_unit(self) -> Unit:
        return Unit.of(self.view.to_unit)

    @strawberry.field
    def started_at(self) -> DateTime:
        return self.view.started_at

    @strawberry.field
    def completed_at(self) -> DateTime | None:
        return self.view.completed_at

    @strawberry.field(description="True for referral and assignment.")
    def responsibility_retained(self) -> bool:
        return self.view.responsibility_retained

    @strawberry.field(
        description="True when a forwarding keeps follow-up responsibility with the sender."
    )
    def follow_up_retained(self) -> bool:
        return self.view.follow_up_retained

    @strawberry.field(
        description="The case opened on the receiving side, when it has its own number and the caller may see it."
    )
    async def counterpart_case(
        self, info: Info[Context, None]
    ) -> Annotated[Case, strawberry.lazy("resolvers.case")] | None:
        ref = self.view.counterpart
        if ref is None:
            return None
        found = await info.context.loaders.case(ref.system, ref.local_id)
        view = await access.view_of(info.context, found, operation="counterpartCase")
        return Case(view=view) if view else None


@strawberry.type
class CaseEventEdge:
    cursor: str
    node: CaseEvent


@strawberry.type
class CaseEventConnection:
    edges: list[CaseEventEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(
        cls, events: Sequence[tuple[EventView, CaseView]], first: int | None, after: str | None
    ) -> CaseEventConnection:
        page = paginate(events, first, after, "event")
        return cls(
            edges=[
                CaseEventEdge(cursor=c, node=CaseEvent(view=e, case_view=v))
                for c, (e, v) in page.items
            ],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
            total_count=page.total,
        )


def newest_first(views: Sequence[CaseView]) -> list[tuple[EventView, CaseView]]:
    """All events of `views`, newest first (ties broken by id for a stable order)."""
    merged = [(e, v) for v in views for e in v.events]
    merged.sort(key=lambda ev: (ev[0].occurred_at, ev[1].ref.system, ev[0].id), reverse=True)
    return merged


@strawberry.type
class Case:
    view: strawberry.Private[CaseView]

    @strawberry.field(description="Opaque global id, stable across calls.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(case_id(self.view.ref))

    @strawberry.field(description="Case number as the owning system shows it, e.g. BN 2025/0193.")
    def case_number(self) -> str:
        return self.view.case_number

    @strawberry.field(
        description="The main case number (huvudärendenummer) tying a chain of cases across units and systems."
    )
    def main_case_number(self) -> str | None:
        return self.view.main_case_number

    @strawberry.field
    def system(self, info: Info[Context, None]) -> SourceSystem:
        return source_system(info.context, self.view.ref.system)

    @strawberry.field
    def type(self, info: Info[Context, None]) -> CaseType:
        return case_type(info.context, self.view.type)

    @strawberry.field(
        description="Plain-language Swedish title; replaced by the case type name where the caller may only know the case exists."
    )
    def title(self) -> str:
        return self.view.title

    @strawberry.field
    def status(self) -> CaseStatus:
        return self.view.status

    @strawberry.field
    def responsible_unit(self) -> Unit:
        return Unit.of(self.view.unit)

    @strawberry.field(
        description="The person the case concerns, when there is one and the caller may see it."
    )
    def subject(self) -> Citizen | None:
        return Citizen.of(self.view.subject) if self.view.subject else None

    @strawberry.field
    def channel(self) -> Channel | None:
        return self.view.channel

    @strawberry.field
    def opened_at(self) -> DateTime:
        return self.view.opened_at

    @strawberry.field
    def closed_at(self) -> DateTime | None:
        return self.view.closed_at

    @strawberry.field(description="True when the case holds information under secrecy (sekretess).")
    def confidential(self) -> bool:
        return self.view.confidential

    @strawberry.field(
        description="Legal ground of the secrecy, e.g. 'OSL 26 kap. 1 §'. Staff with full access only."
    )
    def secrecy_ground(self) -> str | None:
        return self.view.secrecy_ground

    @strawberry.field(description="Deep link into the e-service or system that owns the case.")
    def link(self) -> str | None:
        return self.view.link

    @strawberry.field
    def events(self, first: int | None = 50, after: str | None = None) -> CaseEventConnection:
        return CaseEventConnection.of(newest_first([self.view]), first, after)

    @strawberry.field(
        description="Registered documents (handlingar); null where the caller may not see them."
    )
    def documents(self) -> list[Document] | None:
        docs = self.view.documents
        if docs is None:
            return None
        return [Document(view=d, system=self.view.ref.system) for d in docs]

    @strawberry.field(
        description="Referrals, assignments and forwardings; null where the caller may not see them."
    )
    def collaborations(self) -> list[Collaboration] | None:
        collabs = self.view.collaborations
        if collabs is None:
            return None
        return [Collaboration(view=c) for c in collabs]

    @strawberry.field(
        description="Every case sharing this case's main case number, across systems, oldest first, as far as the caller may see."
    )
    async def chain(self, info: Info[Context, None]) -> list[Case]:
        number = self.view.main_case_number or self.view.case_number
        found = await info.context.loaders.cases_with_number(number)
        if not any(c.ref == self.view.ref for c in found):
            own = await info.context.loaders.case(self.view.ref.system, self.view.ref.local_id)
            found = [*found, *([own] if own else [])]
        views = await access.views_of(info.context, found, operation="chain")
        views.sort(key=lambda v: (v.opened_at, v.ref.system, v.ref.local_id))
        return [Case(view=v) for v in views]

    @strawberry.field
    def service_promise(self, info: Info[Context, None]) -> ServicePromise | None:
        state = access.promise_of(info.context, self.view)
        if state is None:
            return None
        return ServicePromise(
            target_days=state.target_days, elapsed_days=state.elapsed_days, breached=state.breached
        )


@strawberry.type
class CaseEdge:
    cursor: str
    node: Case


@strawberry.type
class CaseConnection:
    edges: list[CaseEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, views: Sequence[CaseView], first: int | None, after: str | None) -> CaseConnection:
        page = paginate(views, first, after, "case")
        return cls(
            edges=[CaseEdge(cursor=c, node=Case(view=v)) for c, v in page.items],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
            total_count=page.total,
        )


def source_system(ctx: Context, system_id: str) -> SourceSystem:
    info = ctx.services.connectors.info(system_id)
    name = info.name if info else system_id
    kind = info.kind if info else domain.SystemKind.BUSINESS
    healthy = ctx.services.connectors.healthy(system_id) and system_id not in ctx.failures
    stale = ctx.failures.stale.get(system_id)
    return SourceSystem(
        id=strawberry.ID(system_id),
        name=name,
        kind=kind,
        healthy=healthy,
        cached_answer_age_seconds=stale.age_seconds if stale is not None else None,
    )


def case_type(ctx: Context, ct: domain.CaseType) -> CaseType:
    known = ctx.services.policy.case_types.get(ct.code)
    if known is not None:
        return CaseType(code=ct.code, name=known.name, area=known.area)
    return CaseType(code=ct.code, name=ct.name, area=ct.area)
