"""The signal processor: from a stored signal to a case seen fresh everywhere.

    inbox.claim ─► group by system, then by case (a flood for one case is one refresh)
                ─► each system's cases fetched live past every cache, in one batched call
                   (an unknown case or a failing system: retry with backoff, then park)
                ─► the fresh case put in place of every cached answer that showed it
                   (this process; other processes hear the ChangeNote on the bus)
                ─► refreshed in the case store ─► ChangeNote published on the bus
                ─► listeners told (e.g. notifications) ─► inbox.done

A group that fails (unknown case, failing system) is retried later without holding
up the others; after `max_attempts` it is parked and counted. A listener that fails
(the notification store down) loses nothing: the group is retried with the events the
listeners were not told kept in its signals (`owed_events`), and told them again; a
change the periodic pull found is put in the inbox as such a signal. Listeners must
take the same event twice calmly (the notifier counts each event once per person).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from connectors.base import CaseSource
from connectors.domain import Case, CaseEvent
from connectors.errors import GatewayError
from connectors.signal_cache import SignalledSource, case_keys

from .bus import Bus
from .inbox import Inbox
from .metrics import SignalMetrics
from .model import CaseChange, ChangeNote, Signal, StoredSignal

log = logging.getLogger("knutpunkt.signals")

Listener = Callable[[CaseChange], Awaitable[None]]
#: tries before a signal whose listeners keep failing is parked: with the inbox's
#: backoff (doubling up to 5 minutes) a notification store may be down for three days
LISTENER_ATTEMPTS = 900


class CaseStore(Protocol):
    """The hub's own store of cases (statistics, diary, overdue lists)."""

    async def refresh_cases(
        self, source: CaseSource, cases: Sequence[Case], now: datetime
    ) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


def new_events(
    case: Case, previous: Case | None, since: datetime | None, *, signalled: bool = True
) -> list[CaseEvent]:
    """Events of `case` the hub had not seen: those not in `previous`; without a previous
    copy, those at or after the signal's time, or (no time given) the newest one."""
    if previous is not None:
        seen = {e.id for e in previous.events}
        return [e for e in case.events if e.id not in seen]
    if not signalled or not case.events:
        return []
    if since is None:
        return [max(case.events, key=lambda e: e.occurred_at)]
    return [e for e in case.events if e.occurred_at >= since]


class Processor:
    """Applies the inbox's signals (see module doc); `run()` until cancelled."""

    def __init__(
        self,
        inbox: Inbox,
        sources: Mapping[str, SignalledSource],
        bus: Bus,
        *,
        store: CaseStore | None = None,
        metrics: SignalMetrics | None = None,
        max_attempts: int = 6,
        backoff: float = 0.5,
        poll: float = 0.25,
        retention: timedelta = timedelta(days=3),
        parallel: int = 8,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.inbox = inbox
        self.sources = dict(sources)
        self.bus = bus
        self.store = store
        self.metrics = metrics or SignalMetrics()
        self.node = uuid.uuid4().hex
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._poll = poll
        self._retention = retention
        self._limit = asyncio.Semaphore(parallel)
        self._clock = clock
        self._listeners: list[Listener] = []
        self._wake = asyncio.Event()
        self._purged_at: datetime | None = None
        for source in self.sources.values():
            source.on_change = self._pulled

    def add_listener(self, callback: Listener) -> None:
        """`callback(change)` after each case was refreshed, once per change (this process)."""
        self._listeners.append(callback)

    def wake(self) -> None:
        """New signals are stored: look now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                busy = await self.process_once()
                await self._purge()
            except Exception:
                log.exception("signal processing failed; trying again")
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)
                self._wake.clear()

    async def process_once(self) -> int:
        """Claim and apply one batch of due signals; returns how many were claimed.
        Each system's cases are fetched in one batched call, systems in parallel."""
        claimed = await self.inbox.claim(self._clock())
        by_system: dict[str, dict[str, list[StoredSignal]]] = {}
        for stored in claimed:
            signal = stored.signal
            by_system.setdefault(signal.system, {}).setdefault(signal.subject, []).append(stored)
        await asyncio.gather(*(self._guarded(s, g) for s, g in by_system.items()))
        return len(claimed)

    async def _guarded(self, system: str, groups: dict[str, list[StoredSignal]]) -> None:
        async with self._limit:
            try:
                await self._apply(system, groups)
            except Exception as exc:
                code = exc.code if isinstance(exc, GatewayError) else "INTERNAL"
                if not isinstance(exc, GatewayError):
                    log.exception("applying signals of %s failed", system)
                await self._retry([s for g in groups.values() for s in g], code)

    async def _apply(self, system: str, groups: dict[str, list[StoredSignal]]) -> None:
        source = self.sources.get(system)
        if source is None:
            await self._retry([s for g in groups.values() for s in g], "NOT_SIGNALLING")
            return
        previous = await source.cached_cases(list(groups))
        fresh = {c.ref.local_id: c for c in await source.fresh_cases(list(groups))}
        applied: list[tuple[Case, list[StoredSignal]]] = []
        for subject, group in groups.items():
            case = fresh.get(subject) or await self._by_number(source, group)
            if case is None:
                await self._retry(group, "UNKNOWN_CASE")
                continue
            persons = {p for s in group for p in s.signal.personal_numbers}
            await source.replace(case, previous.get(subject), persons)
            applied.append((case, group))
        if not applied:
            return
        if self.store is not None:
            await self.store.refresh_cases(source, [c for c, _ in applied], self._clock())
        done: list[StoredSignal] = []
        owing: list[StoredSignal] = []
        finished = 0
        for case, group in applied:
            subject = group[0].signal.subject
            times = [s.signal.time for s in group if s.signal.time is not None]
            before = previous.get(subject)
            events = new_events(case, before, min(times) if times else None)
            persons = {p for s in group for p in s.signal.personal_numbers}
            owed = {e for s in group for e in s.signal.owed_events}
            still = await self._publish(system, case, before, events, persons, owed)
            if still:  # kept in `groups` too: should storing fail, the retry still owes them
                groups[subject] = [
                    replace(s, signal=replace(s.signal, owed_events=still)) for s in group
                ]
                owing += groups[subject]
            else:
                done += group
                finished += 1
        if owing:  # the listeners' store may be down for a while: no parking soon
            await self._retry(owing, "LISTENER_FAILED", max_attempts=LISTENER_ATTEMPTS)
        now = self._clock()
        await self.inbox.done([s.seq for s in done], now)
        self.metrics.applied += len(done)
        self.metrics.coalesced += len(done) - finished
        for stored in done:
            self.metrics.observe_lag(max(0.0, (now - stored.received_at).total_seconds()))

    async def _by_number(
        self, source: SignalledSource, group: Sequence[StoredSignal]
    ) -> Case | None:
        number = next((s.signal.case_number for s in group if s.signal.case_number), None)
        if number is None:
            return None
        found = [c for c in await source.fresh_by_number(number) if c.case_number == number]
        return found[0] if len(found) == 1 else None

    async def _pulled(self, case: Case, previous: Case | None) -> None:
        """The periodic pull found a case changed (its signal was lost, or never sent)."""
        events = new_events(case, previous, None, signalled=False)
        owed = await self._publish(case.ref.system, case, previous, events, set())
        if not owed:
            return
        signal = Signal(  # the inbox keeps what the listeners were not told, as a signal
            case.ref.system,
            f"pull-{uuid.uuid4().hex}",
            case.ref.local_id,
            case_number=case.case_number,
            owed_events=owed,
        )
        try:
            await self.inbox.add([signal], self._clock(), sent=False)
        except Exception:  # the pull goes on; these events are not told again
            log.exception("%d event(s) of a pulled change not told: inbox unavailable", len(owed))

    async def _publish(
        self,
        system: str,
        case: Case,
        previous: Case | None,
        events: list[CaseEvent],
        persons: set[str],
        owed: Collection[str] = (),
    ) -> tuple[str, ...]:
        """Tell the bus and the listeners; the ids of the events some listener was not
        told (empty: all told)."""
        people, numbers = case_keys(case)
        people |= persons
        if previous is not None:
            old_people, old_numbers = case_keys(previous)
            people |= old_people
            numbers |= old_numbers
        note = ChangeNote(
            system,
            case.ref.local_id,
            tuple(e.id for e in events),
            tuple(sorted(people)),
            tuple(sorted(numbers)),
            self.node,
        )
        try:
            await self.bus.publish(note)
        except Exception:  # other processes keep their TTL and the pull; never fail the signal
            log.warning("signal bus unavailable", exc_info=True)
        told = {e.id for e in events}
        events = [*events, *(e for e in case.events if e.id in owed and e.id not in told)]
        change = CaseChange(system, case, events, frozenset(people))
        failed = False
        for listener in self._listeners:
            try:
                await listener(change)
            except Exception:
                log.exception("a signal listener failed")
                failed = True
        return tuple(e.id for e in events) if failed else ()

    async def _retry(
        self, group: list[StoredSignal], code: str, *, max_attempts: int | None = None
    ) -> None:
        parked = await self.inbox.retry(
            group,
            self._clock(),
            code,
            max_attempts=max_attempts or self._max_attempts,
            backoff=self._backoff,
        )
        self.metrics.retried += len(group) - len(parked)
        self.metrics.parked += len(parked)
        if parked:
            log.warning(
                "parked %d signal(s) for %s: %s", len(parked), group[0].signal.subject, code
            )

    async def _purge(self) -> None:
        now = self._clock()
        if self._purged_at is None or now - self._purged_at > timedelta(hours=1):
            self._purged_at = now
            await self.inbox.purge(now - self._retention)
