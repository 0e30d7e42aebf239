"""The notifier: the signal processor tells it about new events; it plans and enqueues.

`case_changed(case, new_events)` finds who may be told (the case's persons, their
custodians from the population register, and the holders of their powers of
attorney from the mandate register), asks the planner, and counts the events into
each recipient's digest per channel. The outbox worker sends the digest when due.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from connectors.domain import Case, CaseEvent, Custody, Mandate, Person
from connectors.errors import UpstreamError
from connectors.registry import Connectors
from policies.policy import Policy

from .planner import QuietHours, due_at, news_events, recipients
from .settings import NotifySettings
from .store import NotifyStore

log = logging.getLogger("knutpunkt.notify")


class ChangedCase(Protocol):
    """What the signal processor hands its listeners (`signals.CaseChange`)."""

    @property
    def case(self) -> Case: ...

    @property
    def new_events(self) -> Sequence[CaseEvent]: ...


class Notifier:
    """Plans notifications for new case events; see the module docstring."""

    def __init__(
        self,
        settings: NotifySettings,
        policy: Policy,
        connectors: Connectors,
        store: NotifyStore,
        clock: Callable[[], datetime],
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._settings = settings
        self._policy = policy
        self._connectors = connectors
        self._store = store
        self._clock = clock
        self._wake = wake
        self._digest = timedelta(minutes=settings.digest_minutes)
        self._quiet = QuietHours.parse(settings.quiet_hours, settings.timezone)

    async def on_case_change(self, change: ChangedCase) -> None:
        """A listener for the signal processor: `processor.add_listener(n.on_case_change)`."""
        await self.case_changed(change.case, change.new_events)

    async def case_changed(self, case: Case, new_events: Sequence[CaseEvent]) -> None:
        """Plan and enqueue what `new_events` of the refreshed `case` should tell whom."""
        events = news_events(self._policy, case, new_events)
        if not events or not case.persons:
            return
        known = {e.id for e in case.events}
        if any(e.id not in known for e in events):  # the case as it is now holds its news
            case = replace(case, events=(*case.events, *(e for e in events if e.id not in known)))
        people = sorted(case.persons)
        custody, answered = await self._custody(people)
        mandates = await self._mandates(people)
        custodians = {c.custodian for c in custody if c.child in case.persons}
        grantees = {m.grantee for m in mandates}
        candidates = await self._store.preferences_of([*people, *custodians, *grantees])
        candidates = {p: c for p, c in candidates.items() if c.active_channels}
        if not candidates:
            return
        # the custody and mandate records naming the case's persons are all the planner
        # needs: a candidate's other children and principals do not bear on this case
        persons, persons_answered = await self._persons(people)
        now = self._clock()
        chosen = recipients(
            case,
            events,
            candidates,
            self._policy,
            custody=custody,
            mandates=mandates,
            persons=persons,
            register_answered=answered and persons_answered,
            today=now.date(),
        )
        for prefs, news in chosen:
            pnr = prefs.personal_number
            keys = [_event_key(pnr, case, e) for e in news]
            windows = [
                (c, due_at(now, c, self._digest, self._quiet).timestamp())
                for c in prefs.active_channels
            ]
            await self._store.note_events(pnr, keys, windows, now.timestamp())
        if chosen and self._digest <= timedelta(0):
            self._wake()

    async def _custody(self, pnrs: Sequence[str]) -> tuple[list[Custody], bool]:
        register = self._connectors.population
        if not pnrs:
            return [], True
        if register is None:
            return [], False
        try:
            return await register.custody(pnrs), True
        except UpstreamError:
            return [], False  # nobody can tell who is whose child: own cases only

    async def _persons(self, pnrs: Sequence[str]) -> tuple[dict[str, Person], bool]:
        register = self._connectors.population
        if register is None:
            return {}, False
        try:
            return {p.personal_number: p for p in await register.persons(pnrs)}, True
        except UpstreamError:
            return {}, False  # protection unknown: shielded cases stay shielded

    async def _mandates(self, grantors: Sequence[str]) -> list[Mandate]:
        """Who holds a power of attorney from the case's persons (the planner checks
        validity and scope)."""
        register = self._connectors.mandates
        if register is None or not grantors:
            return []
        try:
            return await register.mandates_for_grantors(grantors)
        except UpstreamError:
            log.warning("mandate register down: principals' news not planned")
            return []


def _event_key(pnr: str, case: Case, event: CaseEvent) -> str:
    text = f"{pnr}|{case.ref.system}|{case.ref.local_id}|{event.id}"
    return hashlib.sha256(text.encode()).hexdigest()
