"""The planner's rules as pure functions: who is told about new events, and when.

A person is told about an event only if the policy says its kind notifies for the
case type, the person may see the case (the same disclosure decision as Mina
Sidor: relation, level, protected identity), and — for a case of someone they
represent — the relation holds today and they chose `includeRepresented`. A
message is due at the end of the digest window; an SMS that would fall into the
quiet hours waits until they end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from connectors.domain import Case, CaseEvent, Custody, Mandate, Person
from policies.caller import Caller, Role
from policies.disclosure import Disclosure, level
from policies.notifications import notifies
from policies.persons import shields_case
from policies.policy import Policy
from policies.relations import Relation, relation_to, representations

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
    """The events citizens are told about, by policy (never internal ones)."""
    return [e for e in events if notifies(policy.notifications, case.type.code, e)]


def recipients(
    case: Case,
    candidates: Mapping[str, Preferences],
    policy: Policy,
    *,
    custody: Sequence[Custody],
    mandates: Sequence[Mandate],
    persons: Mapping[str, Person],
    register_answered: bool,
    today: date,
) -> list[Preferences]:
    """The candidates who are told about news in `case`, in personal-number order."""
    chosen = []
    for pnr in sorted(candidates):
        prefs = candidates[pnr]
        if not prefs.active_channels:
            continue
        caller = Caller(role=Role.CITIZEN, subject=pnr, personal_number=pnr)
        reps = representations(pnr, custody, mandates, today)
        relation = relation_to(caller, case, reps)
        if relation is not Relation.OWN and not prefs.include_represented:
            continue
        if level(caller, relation, case, policy) is Disclosure.NONE:
            continue
        represented = frozenset(r.personal_number for r in reps)
        if shields_case(caller, case, persons, represented, register_answered=register_answered):
            continue
        chosen.append(prefs)
    return chosen
