"""The planner's rules as pure functions: who is told about new events, and when.

Whether a person is told about an event is the policy's decision (`policies.news_for`:
the kind notifies for the case type, the person may see the event on Mina Sidor,
and for a case of someone they represent the relation holds today and they chose
`includeRepresented`); here the relations are gathered for it. A message is due at
the end of the digest window; an SMS that would fall into the quiet hours waits
until they end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from connectors.domain import Case, CaseEvent, Custody, Mandate, Person
from policies import CallerRelations, Policy, news_for, notifies, representations

from .model import Channel, Preferences

_QUIET = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: str) -> QuietHours | None:
        """`"21:00-08:00"` in `zone`; "" means none."""
        if not text.strip():
            return None
        m = _QUIET.match(text.strip())
        if m is None:
            raise ValueError("quiet_hours must look like 21:00-08:00")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        return cls(time(h1, m1), time(h2, m2), ZoneInfo(zone))

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(self.zone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # across midnight

    def release(self, at: datetime) -> datetime:
        """`at`, or the end of the quiet hours `at` falls into (local wall-clock time)."""
        if not self.contains(at):
            return at
        local = at.astimezone(self.zone)
        end = datetime.combine(local.date(), self.end, tzinfo=self.zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=self.zone)
        return end.astimezone(at.tzinfo)


def due_at(
    opened: datetime, channel: Channel, digest: timedelta, quiet: QuietHours | None
) -> datetime:
    """When a digest window opened at `opened` on `channel` is sent."""
    due = opened + digest
    if channel is Channel.SMS and quiet is not None:
        due = quiet.release(due)
    return due


def news_events(policy: Policy, case: Case, events: Iterable[CaseEvent]) -> list[CaseEvent]:
    """The events anyone could be told about, by policy (never internal ones)."""
    return [e for e in events if notifies(policy.notifications, case.type.code, e)]


def recipients(
    case: Case,
    events: Sequence[CaseEvent],
    candidates: Mapping[str, Preferences],
    policy: Policy,
    *,
    custody: Sequence[Custody],
    mandates: Sequence[Mandate],
    persons: Mapping[str, Person],
    register_answered: bool,
    today: date,
) -> list[tuple[Preferences, list[CaseEvent]]]:
    """Who among the candidates is told, and of which events, in personal-number order."""
    chosen = []
    for pnr in sorted(candidates):
        prefs = candidates[pnr]
        if not prefs.active_channels:
            continue
        reps = representations(pnr, custody, mandates, today)
        relations = CallerRelations.of(reps, register_answered=register_answered)
        news = news_for(
            pnr,
            case,
            events,
            relations,
            persons,
            policy,
            include_represented=prefs.include_represented,
        )
        if news:
            chosen.append((prefs, news))
    return chosen
