"""The third audience: case statistics, overdue cases and the public diary.

All three read the gateway's case store (never a live fan-out over every system);
overdue cases are then fetched live, per system in one batch, so that each case
is shown as the policy allows the caller.
"""

from __future__ import annotations

import asyncio
from datetime import date

import strawberry

from casestore import CaseStore, Dimension
from casestore import DiaryFilter as DiaryQuery
from casestore import OverdueFilter as OverdueQuery
from casestore import StatisticsFilter as StatisticsQuery
from connectors import domain
from connectors.errors import StatisticsUnavailable, ValidationError
from policies import Operation, overdue_is_impersonal, overdue_units, publish, require_role

from . import access
from .case import Case, CaseConnection, CaseEdge, case_type
from .common import CaseType as CaseTypeGQL
from .common import Channel, DateTime, DocumentDirection, PageInfo, Unit
from .context import Context
from .pagination import check_first

StatisticsDimension = strawberry.enum(Dimension, name="StatisticsDimension")


#: what a case officer's overdue list is for, as the access log records it
OVERDUE_PURPOSE = "Uppföljning av ärenden som passerat servicelöftet"


@strawberry.input
class DiaryFilter:
    unit: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    text: str | None = strawberry.field(
        default=None, description="Free text matched against case number and masked title."
    )


@strawberry.input
class StatisticsFilter:
    from_: date | None = strawberry.field(default=None, name="from")
    to: date | None = None
    case_type: str | None = None
    unit: str | None = None
    channel: Channel | None = None
    group_by: list[StatisticsDimension] | None = None


@strawberry.input
class OverdueFilter:
    unit: str | None = None
    case_type: str | None = None


@strawberry.type
class DiaryDocument:
    title: str
    direction: DocumentDirection
    registered_at: DateTime
    confidential: bool


@strawberry.type
class DiaryEntry:
    case_number: str
    registered_at: DateTime
    title: str = strawberry.field(
        description="Title with private persons' names and personal numbers masked."
    )
    unit: Unit
    confidential: bool
    documents: list[DiaryDocument]


@strawberry.type
class DiaryEntryEdge:
    cursor: str
    node: DiaryEntry


@strawberry.type
class DiaryEntryConnection:
    edges: list[DiaryEntryEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class StatisticsGroup:
    case_type: CaseTypeGQL | None
    unit: Unit | None
    channel: Channel | None
    month: str | None = strawberry.field(description="YYYY-MM")
    suppressed: bool
    opened: int | None = strawberry.field(
        description="All figures are null when the group is suppressed."
    )
    closed: int | None
    lead_time_days_median: float | None = strawberry.field(
        description="Median lead time in days, net of time waiting for the citizen."
    )
    lead_time_days_p90: float | None
    within_service_promise_share: float | None = strawberry.field(
        description="Share (0..1) of closed cases that met their service promise."
    )
    overdue_open: int | None = strawberry.field(
        description="Open cases currently past their service promise."
    )


@strawberry.type
class CaseStatistics:
    suppression_threshold: int
    groups: list[StatisticsGroup]


def _case_store(ctx: Context) -> CaseStore:
    store: CaseStore | None = ctx.services.case_store
    if store is None:
        raise StatisticsUnavailable("Statistiken är inte tillgänglig just nu.")
    return store


async def public_diary(
    ctx: Context, flt: DiaryFilter | None, first: int | None, after: str | None
) -> DiaryEntryConnection:
    require_role(ctx.caller, Operation.PUBLIC_DIARY)
    size = check_first(first)
    store = _case_store(ctx)
    query = DiaryQuery(
        unit=flt.unit if flt else None,
        registered_from=flt.registered_from if flt else None,
        registered_to=flt.registered_to if flt else None,
        text=flt.text if flt else None,
    )
    page = await store.diary(query, size, after)
    edges = [
        DiaryEntryEdge(
            cursor=cursor,
            node=DiaryEntry(
                case_number=r.case_number,
                registered_at=r.registered_at,
                title=r.title,
                unit=Unit.of(r.unit),
                confidential=r.confidential,
                documents=[
                    DiaryDocument(
                        title=d.title,
                        direction=d.direction,
                        registered_at=d.registered_at,
                        confidential=d.confidential,
                    )
                    for d in r.documents
                ],
            ),
        )
        for cursor, r in zip(page.cursors, page.items, strict=True)
    ]
    return DiaryEntryConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        total_count=page.total_count,
    )


async def case_statistics(ctx: Context, flt: StatisticsFilter | None) -> CaseStatistics:
    require_role(ctx.caller, Operation.STATISTICS)
    store = _case_store(ctx)
    flt = flt or StatisticsFilter()
    group_by = tuple(flt.group_by or ())
    if len(set(group_by)) != len(group_by):
        raise ValidationError(
            "Samma dimension får bara anges en gång.", code="INVALID_GROUP_BY", field="groupBy"
        )
    query = StatisticsQuery(
        from_date=flt.from_,
        to_date=flt.to,
        case_type=flt.case_type,
        unit=flt.unit,
        channel=flt.channel,
        group_by=group_by,
    )
    threshold = ctx.services.policy.suppression_threshold
    data = await store.statistics(query, threshold, ctx.services.clock())
    groups = [
        StatisticsGroup(
            case_type=case_type(ctx, g.case_type) if g.case_type else None,
            unit=Unit.of(g.unit) if g.unit else None,
            channel=g.channel,
            month=g.month,
            suppressed=g.suppressed,
            opened=g.opened,
            closed=g.closed,
            lead_time_days_median=g.lead_time_days_median,
            lead_time_days_p90=g.lead_time_days_p90,
            within_service_promise_share=g.within_service_promise_share,
            overdue_open=g.overdue_open,
        )
        for g in publish(data, group_by, threshold)
    ]
    return CaseStatistics(suppression_threshold=threshold, groups=groups)


async def overdue_cases(
    ctx: Context, flt: OverdueFilter | None, first: int | None, after: str | None
) -> CaseConnection:
    caller = ctx.caller
    require_role(caller, Operation.OVERDUE)
    size = check_first(first)
    store = _case_store(ctx)
    query = OverdueQuery(
        unit=flt.unit if flt else None,
        case_type=flt.case_type if flt else None,
        units_allowed=overdue_units(caller),
    )
    page = await store.overdue(query, size, after, ctx.services.clock())
    found = await asyncio.gather(
        *(ctx.loaders.case(i.ref.system, i.ref.local_id) for i in page.items)
    )
    cases: list[domain.Case] = [c for c in found if c is not None]
    if overdue_is_impersonal(caller):
        views = access.impersonal_views(ctx, cases)
    else:
        if ctx.memo.purpose is None:
            ctx.memo.purpose = OVERDUE_PURPOSE
        views = await access.views_of(ctx, cases, operation="overdueCases")
    by_ref = {v.ref: v for v in views}
    ordered = [
        (cursor, by_ref[i.ref])
        for cursor, i in zip(page.cursors, page.items, strict=True)
        if i.ref in by_ref
    ]
    return CaseConnection(
        edges=[CaseEdge(cursor=c, node=Case(view=v)) for c, v in ordered],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        total_count=page.total_count,
    )
