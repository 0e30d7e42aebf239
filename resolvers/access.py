"""Where resolvers meet the policy layer: who the caller may act for, and what
each case looks like to them. Policies run here, after the loaders (and so after
every cache), per list of cases.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from connectors.domain import Case
from connectors.personal_number import luhn_digit
from policies import (
    CallerRelations,
    CaseView,
    PromiseState,
    Representation,
    Role,
    case_view,
    impersonal_view,
    representations,
    service_promise,
)

from .common import SourceSystem
from .context import AccessNote, Context
from .ids import case_id

#: staff roles whose reads of person-level data go to the access log (analysts get none)
STAFF_READERS = frozenset({Role.CONTACT_CENTRE, Role.CASE_OFFICER})


async def caller_representations(ctx: Context) -> list[Representation]:
    """The persons a citizen caller may act for (memoised for the request)."""
    if ctx.memo.representations is not None:
        return ctx.memo.representations
    pnr = ctx.caller.personal_number
    reps: list[Representation] = []
    if ctx.caller.role is Role.CITIZEN and pnr:
        reps = await representations_of(ctx, pnr)
    ctx.memo.representations = reps
    return reps


async def representations_of(ctx: Context, pnr: str) -> list[Representation]:
    loaders = ctx.loaders
    custody = await loaders.custody.load(pnr) if loaders.custody else []
    mandates = await loaders.mandates.load(pnr) if loaders.mandates else []
    return representations(pnr, custody, mandates, request_now(ctx).date())


async def views_of(ctx: Context, cases: Iterable[Case], *, operation: str) -> list[CaseView]:
    """The cases as the caller may see them (`policies.case_view`); invisible ones
    are dropped. Every look, denied ones too, is noted for the access log."""
    cases = list(cases)
    if not cases:
        return []
    reps = await caller_representations(ctx)
    persons = await ctx.loaders.persons(p for case in cases for p in case.persons)
    relations = CallerRelations.of(reps, register_answered=not _register_failed(ctx))
    policy = ctx.services.policy
    views: list[CaseView] = []
    for case in cases:
        view = case_view(ctx.caller, case, relations, persons, policy)
        _note(ctx, case, view, operation)
        if view is not None:
            views.append(view)
            _remember_promise(ctx, case)
    return views


async def same_work_as_a_hidden_case(ctx: Context, key: str) -> None:
    """For a look-up that found nothing: the upstream work a found but hidden case costs
    (the caller's representations, one register look-up), so that neither time nor
    upstream calls tell "exists, hidden" from "does not exist". The register is asked
    for a decoy number derived from `key`: born in 1870, so nobody alive, and the same
    for the same key, so the register's cache treats repeats alike too."""
    await caller_representations(ctx)
    await ctx.loaders.persons([decoy_personal_number(key)])


def decoy_personal_number(key: str) -> str:
    """A well-formed personal number (valid check digit) that no living person has."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    month, day, serial = digest % 12 + 1, digest // 12 % 28 + 1, digest // 336 % 1000
    eleven = f"1870{month:02d}{day:02d}{serial:03d}"
    return eleven + str(luhn_digit(eleven[2:11]))


def _register_failed(ctx: Context) -> bool:
    population = ctx.services.connectors.population
    return population is None or population.system.id in ctx.failures


def impersonal_views(ctx: Context, cases: Iterable[Case]) -> list[CaseView]:
    """Cases with no personal data at all (`policies.impersonal_view`). Not a read of
    anyone's data, so nothing goes to the access log."""
    views = []
    for case in cases:
        view = impersonal_view(ctx.caller, case, ctx.services.policy)
        if view is not None:
            views.append(view)
            _remember_promise(ctx, case)
    return views


def _remember_promise(ctx: Context, case: Case) -> None:
    # measured on the unredacted case (pauses may sit in events the caller can't see);
    # only the figures leave, and only for cases the caller may see. Measured when a
    # query first asks (`promise_of`), as of the time the case was seen.
    promised = ctx.memo.promised
    if case.ref not in promised:
        request_now(ctx)  # the moment the promises are measured as of
        promised[case.ref] = case


def promise_of(ctx: Context, view: CaseView) -> PromiseState | None:
    memo = ctx.memo
    state = memo.promises.get(view.ref)
    if state is None:
        case = memo.promised.get(view.ref)
        if case is None:
            return None
        policy = ctx.services.policy
        state = memo.promises[view.ref] = service_promise(
            case, policy.service_promise_days, policy.default_promise_days, request_now(ctx)
        )
    return state


def request_now(ctx: Context) -> datetime:
    """The clock, read once per request (representations' validity, promises)."""
    now = ctx.memo.now
    if now is None:
        now = ctx.memo.now = ctx.services.clock()
    return now


async def view_of(ctx: Context, case: Case | None, *, operation: str) -> CaseView | None:
    if case is None:
        return None
    found = await views_of(ctx, [case], operation=operation)
    return found[0] if found else None


def _note(ctx: Context, case: Case, view: CaseView | None, operation: str) -> None:
    """Staff reads of a person's case data go to the access log, denied ones too:
    one note for every person the case is about (subject and parties)."""
    if ctx.caller.role not in STAFF_READERS:
        return
    purpose = ctx.memo.purpose or ""
    for person in sorted(case.persons):
        if view is None:
            ctx.note_access(AccessNote(person, operation, purpose, "DENIED"))
        else:
            disclosed = ((case_id(case.ref), view.level.name),)
            ctx.note_access(AccessNote(person, operation, purpose, "ALLOWED", disclosed))


def note_people(ctx: Context, people: Iterable[str], operation: str) -> None:
    """Staff saw these persons' names or numbers outside any case (e.g. `represents`)."""
    if ctx.caller.role not in STAFF_READERS:
        return
    purpose = ctx.memo.purpose or ""
    for person in people:
        ctx.note_access(AccessNote(person, operation, purpose, "ALLOWED"))


def with_sync_state(ctx: Context, system: SourceSystem) -> SourceSystem:
    """Add when the case store last synced the system, and whether that is stale."""
    store = ctx.services.case_store
    if store is None or str(system.id) not in ctx.services.connectors.case_sources:
        return system  # registers of persons and mandates are not replicated
    state = store.status(str(system.id), ctx.services.clock())
    system.last_synced_at = state.last_synced
    system.stale = state.stale
    return system
