"""Live case events (subscriptions over graphql-transport-ws).

Each note from the signal hub is checked against the caller afresh, with a new
per-event context: representations (custody, mandates) and the disclosure
decision are recomputed for every event, so a mandate that expired
mid-subscription stops the flow. Staff deliveries go to the access log before
they leave; if the log cannot be written, the event is not delivered.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncGenerator, Callable
from typing import TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from connectors.domain import Case as DomainCase
from connectors.errors import GatewayError
from policies import CaseView, Operation, Role, delegated_units, require_role, validate_purpose
from signals import ChangeNote
from signals.hub import Hub

from . import access
from .case import CaseEvent
from .context import Context

log = logging.getLogger("knutpunkt.subscriptions")
T = TypeVar("T")


async def _disclosed(ctx: Context, case: DomainCase, operation: str) -> CaseView | None:
    # the one place subscriptions ask the policy layer (same decision as the queries)
    return await access.view_of(ctx, case, operation=operation)


async def deliveries(
    ctx: Context, note: ChangeNote, *, operation: str, purpose: str | None = None
) -> list[CaseEvent]:
    """The events of `note` as the caller may see them now (none when not theirs)."""
    if not note.event_ids:
        return []
    fresh = Context.create(ctx.caller, ctx.services, uuid.uuid4().hex)
    caller = ctx.caller
    if caller.role is Role.CITIZEN:
        reps = await access.caller_representations(fresh)
        mine = {caller.personal_number, *(r.personal_number for r in reps)}
        if not mine & set(note.personal_numbers):
            return []
    case = await fresh.loaders.case(note.system, note.case_id)
    if case is None:
        return []
    if caller.role is not Role.CITIZEN:
        if case.unit.code not in delegated_units(caller, ctx.services.policy):
            return []
        fresh.memo.purpose = purpose or ""
    view = await _disclosed(fresh, case, operation)
    if view is None:
        return []
    sink = ctx.services.audit_sink
    if fresh.access_notes and sink is not None:
        try:
            await sink(fresh)
        except Exception:
            log.warning("access log unavailable: a %s event was not delivered", operation)
            return []
    wanted = set(note.event_ids)
    return [CaseEvent(view=e, case_view=view) for e in view.events if e.id in wanted]


def _hub(ctx: Context) -> Hub | None:
    signals = ctx.services.signals
    return None if signals is None else signals.hub


async def _stream(
    ctx: Context, *, operation: str, purpose: str | None = None
) -> AsyncGenerator[CaseEvent, None]:
    hub = _hub(ctx)
    if hub is None:
        return
    with hub.subscribe() as queue:
        while True:
            note = await queue.get()
            try:
                found = await deliveries(ctx, note, operation=operation, purpose=purpose)
            except Exception:  # one failed look (e.g. an upstream error) skips one note
                log.warning("a %s note could not be checked", operation, exc_info=True)
                continue
            for event in found:
                yield event


def _coded(check: Callable[[], T]) -> T:
    """Run a rule check; its refusal reaches the client with its code (subscriptions
    report errors straight from the resolver, past the schema's error extension)."""
    try:
        return check()
    except GatewayError as exc:
        raise GraphQLError(exc.message, extensions=exc.extensions()) from exc


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Mina Sidor live: each new event in the signed-in citizen's cases and in those of the persons they represent, disclosed as in myPages. CITIZEN only."
    )
    async def my_case_events(self, info: Info[Context, None]) -> AsyncGenerator[CaseEvent, None]:
        ctx = info.context
        _coded(lambda: require_role(ctx.caller, Operation.MY_CASE_EVENTS))
        async for event in _stream(ctx, operation="myCaseEvents"):
            yield event

    @strawberry.subscription(
        description="Staff live view: new events in cases of the caller's own units (CASE_OFFICER) or of the units delegated to the contact centre (CONTACT_CENTRE), disclosed as in case(). Every delivered event is written to the access log with the purpose."
    )
    async def case_events(
        self, info: Info[Context, None], purpose: str
    ) -> AsyncGenerator[CaseEvent, None]:
        ctx = info.context
        _coded(lambda: require_role(ctx.caller, Operation.CASE_EVENTS))
        checked = _coded(lambda: validate_purpose(purpose))
        async for event in _stream(ctx, operation="caseEvents", purpose=checked):
            yield event
