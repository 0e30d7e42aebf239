"""Lead times (handläggningstider) net of waiting for the citizen, per case and per chain.

Per case (``net_lead_time``)::

    opened        req ─── pause ─── rec                 closed (or now)
      |============|                 |====================|
      └─ counted ──┘                 └────── counted ─────┘

The clock pauses from a COMPLETION_REQUESTED event to the next
COMPLETION_RECEIVED; a request made while already paused changes nothing (the
pauses are the union of [request, next received]). An unanswered request pauses
until the end. A case that forwarded the matter (FORWARDING) without keeping
follow-up stops its own clock at the forwarding.

Per chain (cases sharing a main case number, ``chain_segments``)::

    eservice  |==|                    A (first intake)
    ecos        |=====(forward, follow-up kept)=========|   Ö (last done signal)
    teknik            |===(assignment to AME)===|
              └──────────────── ONE measurement ────────┘

    diarium   |====|  (forward WITHOUT follow-up: the sender's clock stops here)
    ecos            |==============|  a segment of its own, measured separately

A chain splits into segments only at forwardings without kept follow-up: the
receiving case (found by counterpart reference, else counterpart number, else the
first case of the receiving unit opened after the forwarding) and whatever it
reaches through its own retained collaborations form a new segment. Every other
case of the chain belongs to the main segment. A segment runs from its earliest
opening to its latest end (closing, or the stopping forwarding); it is finished
only when every member has ended. Its net time subtracts the union of all
members' pauses. The measurement is attributed to one *owner* case: the case
whose number is the main case number when it is in the segment, else the root.

Percentiles use the nearest-rank method: the p-th percentile of n sorted values
is the value at rank ceil(p/100 · n) (1-based), so the median of an even count
is the lower middle value; both are always values that occurred.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.domain import Case, CaseEventKind, CaseRef, Collaboration, CollaborationKind

Interval = tuple[datetime, datetime]
_DAY = 86400.0


def pauses(case: Case, end: datetime) -> list[Interval]:
    """The intervals the case waited for the citizen, merged and clipped to [opened, end]."""
    found: list[Interval] = []
    paused_since: datetime | None = None
    for event in sorted(case.events, key=lambda e: e.occurred_at):
        if event.kind is CaseEventKind.COMPLETION_REQUESTED and paused_since is None:
            paused_since = event.occurred_at
        elif event.kind is CaseEventKind.COMPLETION_RECEIVED and paused_since is not None:
            found.append((paused_since, event.occurred_at))
            paused_since = None
    if paused_since is not None:
        found.append((paused_since, max(end, paused_since)))
    return _merge(_clip(found, case.opened_at, end))


def waiting_since(case: Case) -> datetime | None:
    """The start of an unanswered completion request (the clock stands still), if any."""
    paused_since: datetime | None = None
    for event in sorted(case.events, key=lambda e: e.occurred_at):
        if event.kind is CaseEventKind.COMPLETION_REQUESTED and paused_since is None:
            paused_since = event.occurred_at
        elif event.kind is CaseEventKind.COMPLETION_RECEIVED:
            paused_since = None
    return paused_since


def _clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [(max(s, start), min(e, end)) for s, e in intervals if min(e, end) > max(s, start)]


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _total(intervals: Iterable[Interval]) -> timedelta:
    return sum((e - s for s, e in intervals), timedelta())


def hands_over(collab: Collaboration) -> bool:
    """A forwarding to another unit without kept follow-up: the sender's measurement ends.

    A forwarding within one unit (an e-service intake passed on to the unit's own
    business system) moves the case between systems, not responsibility: the clock
    runs on from the first intake.
    """
    return (
        collab.kind is CollaborationKind.FORWARDING
        and not collab.follow_up_retained
        and collab.from_unit.code != collab.to_unit.code
    )


def _stopping_forwarding(case: Case) -> Collaboration | None:
    cuts = [c for c in case.collaborations if hands_over(c)]
    return min(cuts, key=lambda c: c.started_at) if cuts else None


def case_end(case: Case) -> datetime | None:
    """When the case's own clock stops: its closing, or a forwarding without kept follow-up."""
    cut = _stopping_forwarding(case)
    if cut is not None:
        return cut.started_at if case.closed_at is None else min(case.closed_at, cut.started_at)
    return case.closed_at


def net_lead_time(case: Case, now: datetime) -> timedelta:
    """Opened to closed (or `now` while open), minus the time waiting for the citizen."""
    end = case_end(case) or now
    if end <= case.opened_at:
        return timedelta()
    return (end - case.opened_at) - _total(pauses(case, end))


@dataclass(frozen=True, slots=True)
class ChainSegment:
    """One measured stretch of a chain: its cases, its owner and its net time."""

    root: CaseRef
    owner: CaseRef
    members: tuple[CaseRef, ...]
    started_at: datetime
    ended_at: datetime | None
    lead_time: timedelta | None  # None while any member is still running


def _counterpart(
    collab: Collaboration, by_ref: Mapping[CaseRef, Case], by_number: Mapping[str, Case]
) -> Case | None:
    if collab.counterpart is not None and collab.counterpart in by_ref:
        return by_ref[collab.counterpart]
    if collab.counterpart_number is not None and collab.counterpart_number in by_number:
        return by_number[collab.counterpart_number]
    if collab.counterpart is not None or collab.counterpart_number is not None:
        return None
    later = [
        c
        for c in by_ref.values()
        if c.unit.code == collab.to_unit.code and c.opened_at >= collab.started_at - timedelta(1)
    ]
    return min(later, key=lambda c: c.opened_at) if later else None


def chain_segments(cases: Iterable[Case], now: datetime | None = None) -> list[ChainSegment]:
    """Split a chain at forwardings without kept follow-up and measure every segment.

    With `now`, unfinished segments are measured up to `now`; without it their
    lead time is None. The main segment (holding the first intake) comes first.
    """
    ordered = sorted(cases, key=lambda c: (c.opened_at, c.ref.system, c.ref.local_id))
    if not ordered:
        return []
    by_ref = {c.ref: c for c in ordered}
    by_number = {c.case_number: c for c in reversed(ordered)}
    cut_receivers: list[Case] = []
    retained: dict[CaseRef, list[Case]] = {}
    for case in ordered:
        for collab in case.collaborations:
            other = _counterpart(collab, by_ref, by_number)
            if other is None or other.ref == case.ref:
                continue
            if hands_over(collab):
                cut_receivers.append(other)
            else:
                retained.setdefault(case.ref, []).append(other)
    segment_of: dict[CaseRef, CaseRef] = {}
    cut_refs = {c.ref for c in cut_receivers}
    for receiver in sorted(cut_receivers, key=lambda c: c.opened_at):
        if receiver.ref in segment_of:
            continue
        stack = [receiver]
        while stack:
            current = stack.pop()
            if current.ref in segment_of:
                continue
            segment_of[current.ref] = receiver.ref
            stack.extend(r for r in retained.get(current.ref, ()) if r.ref not in cut_refs)
    main_root = next((c.ref for c in ordered if c.ref not in segment_of), None)
    groups: dict[CaseRef, list[Case]] = {}
    for case in ordered:
        root = segment_of.get(case.ref, main_root)
        assert root is not None
        groups.setdefault(root, []).append(case)
    main_number = ordered[0].main_case_number
    result = [_measure(root, members, main_number, now) for root, members in groups.items()]
    result.sort(key=lambda s: (s.root != main_root, s.started_at))
    return result


def _measure(
    root: CaseRef, members: Sequence[Case], main_number: str | None, now: datetime | None
) -> ChainSegment:
    start = min(c.opened_at for c in members)
    ends = [case_end(c) for c in members]
    finished = all(e is not None for e in ends)
    owner = next((c.ref for c in members if main_number and c.case_number == main_number), root)
    refs = tuple(c.ref for c in members)
    effective = [e if e is not None else now for e in ends]
    if now is None and not finished:
        return ChainSegment(root, owner, refs, start, None, None)
    stops = [e for e in effective if e is not None]
    end = max(stops)
    if end <= start:
        return ChainSegment(root, owner, refs, start, end if finished else None, timedelta())
    waits = _merge(p for c, e in zip(members, stops, strict=True) for p in pauses(c, e))
    lead = (end - start) - _total(_clip(waits, start, end))
    return ChainSegment(root, owner, refs, start, end if finished else None, lead)


def chain_lead_time(cases: Iterable[Case], now: datetime | None = None) -> timedelta | None:
    """The A-to-Ö net time of the chain's main segment (None while it runs, unless `now`)."""
    segments = chain_segments(cases, now)
    return segments[0].lead_time if segments else None


def days(delta: timedelta) -> float:
    return delta.total_seconds() / _DAY


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile (0 < p <= 100); None for no values."""
    if not 0 < p <= 100:
        raise ValueError("percentile must be in (0, 100]")
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 50)


# --- histograms: how the case store keeps percentiles cheap -----------------------------------
# Lead times (days) are counted in 64 buckets: one day wide below 30 days, then 12 %
# wider each (30 d, 33.6 d, ... about 1,400 d), the last one open-ended. Counts add up
# across base cells, so any grouping's percentile comes from summed bucket counts:
# the nearest-rank position is found in its bucket and interpolated linearly inside
# it, so the answer errs by less than that bucket's width (under a day below 30 days,
# under 12 % above). A group made of a single base cell gets the exact value instead.
HISTOGRAM_BUCKETS = 64
_FINE = 30
EDGES: tuple[float, ...] = tuple(
    float(i) if i <= _FINE else _FINE * 1.12 ** (i - _FINE) for i in range(HISTOGRAM_BUCKETS + 1)
)


def bucket(lead_days: float) -> int:
    """The histogram bucket of a lead time in days, 0..HISTOGRAM_BUCKETS-1 (monotone)."""
    return min(max(bisect.bisect_right(EDGES, lead_days) - 1, 0), HISTOGRAM_BUCKETS - 1)


def percentile_from_counts(counts: Sequence[int], p: float) -> float | None:
    """Nearest-rank percentile over bucket counts, interpolated inside the bucket."""
    total = sum(counts)
    if total == 0:
        return None
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for index, n in enumerate(counts):
        if n and seen + n >= rank:
            low, high = EDGES[index], EDGES[index + 1]
            return low + (high - low) * (rank - seen - 0.5) / n
        seen += n
    raise AssertionError("unreachable: rank within total")
