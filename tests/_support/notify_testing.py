"""Helpers for the notification tests (tests/_support is on pytest's path)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from connectors.domain import Case, CaseEvent, CaseEventKind
from notify import Channel, Notifier, NotifyStore, Outbox, Preferences


class Clock:
    """A clock the tests move by hand (injected, never patched)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


class Rig:
    def __init__(
        self, gw: Any, store: NotifyStore, notifier: Notifier, outbox: Outbox, clock: Clock
    ) -> None:
        self.gw = gw
        self.store = store
        self.notifier = notifier
        self.outbox = outbox
        self.clock = clock
        self._n = 0

    async def opt_in(self, pnr: str, *channels: Channel, include_represented: bool = True) -> None:
        prefs = Preferences(
            pnr,
            email=f"p{pnr}@exempel.se",
            email_verified=True,
            phone="+46701234567",
            phone_verified=True,
            channels=frozenset(channels),
            include_represented=include_represented,
        )
        await self.store.run([NotifyStore.save_preferences_step(prefs, self.clock().timestamp())])

    async def case_of(self, system: str, pnr: str, type_prefix: str = "") -> Case:
        source = self.gw.app.state.knutpunkt.connectors.case_sources[system]
        cases = [c for c in await source.cases_for_persons([pnr]) if c.subject == pnr]
        cases = [c for c in cases if c.type.code.startswith(type_prefix)]
        assert cases, (system, pnr)
        return sorted(cases, key=lambda c: c.ref.local_id)[0]

    def event(self, kind: CaseEventKind, *, internal: bool = False) -> CaseEvent:
        self._n += 1
        return CaseEvent(
            id=f"test-{self._n}",
            occurred_at=self.clock(),
            kind=kind,
            summary="Beslut om bygglov för Storgatan 1",
            internal=internal,
        )

    async def drain_at(self, **delta: float) -> None:
        self.clock.advance(**delta)
        await self.outbox.drain()
