"""Service promises (servicelöften): promised handling time per case type.

A promise of N calendar days runs out when the case's *net* elapsed time (see
`policies.leadtime`: waiting for the citizen does not count) reaches N days. The
breach time is that moment, found by walking the clock through the pauses; it is
None when the promise has not run out and cannot yet be dated (the case is closed
in time, or open and currently waiting for the citizen, so the clock stands still).

    state      closed                     open
    ─────────  ─────────────────────────  ──────────────────────────────────
    in time    MET                        OPEN    (breach_at: when it will run out)
    too late   BREACHED  (breach_at set)  OVERDUE (breach_at in the past)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.domain import Case

from .leadtime import case_end, days, net_lead_time, pauses, waiting_since

#: promised days when neither the policy file nor the caller names the case type
DEFAULT_PROMISE_DAYS = 90


class PromiseStatus(enum.Enum):
    MET = "MET"
    BREACHED = "BREACHED"
    OPEN = "OPEN"
    OVERDUE = "OVERDUE"


@dataclass(frozen=True, slots=True)
class PromiseState:
    """A case measured against its service promise at a moment `now`."""

    target_days: int
    elapsed_days: float
    breached: bool
    status: PromiseStatus
    breach_at: datetime | None


def target_days(case_type: str, promise_days: Mapping[str, int], default_days: int) -> int:
    return promise_days.get(case_type, default_days)


def breach_time(case: Case, target: int, horizon: datetime) -> datetime | None:
    """When the net clock of `case` reaches `target` days, if that is datable.

    Pauses are taken as known up to `horizon` (the case's end, or now); an
    unanswered completion request stops the clock for good as far as we know.
    """
    remaining = timedelta(days=target)
    cursor = case.opened_at
    for start, stop in pauses(case, horizon):
        if start - cursor >= remaining:
            return cursor + remaining
        remaining -= start - cursor
        cursor = stop
    if waiting_since(case) is not None and cursor >= horizon:
        return None
    return cursor + remaining


def service_promise(
    case: Case, promise_days: Mapping[str, int], default_days: int, now: datetime
) -> PromiseState:
    """Measure `case` against the promise for its type, as of `now`."""
    target = target_days(case.type.code, promise_days, default_days)
    elapsed = days(net_lead_time(case, now))
    breached = elapsed > target
    end = case_end(case)
    horizon = end if end is not None else now
    breach_at = breach_time(case, target, horizon)
    if end is not None:
        status = PromiseStatus.BREACHED if breached else PromiseStatus.MET
        if not breached:
            breach_at = None
    else:
        status = PromiseStatus.OVERDUE if breached else PromiseStatus.OPEN
    return PromiseState(target, elapsed, breached, status, breach_at)
