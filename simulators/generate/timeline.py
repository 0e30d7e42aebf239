"""A case's timeline: which steps it goes through, and when.

Times are integer minutes since 0001-01-01 in local wall time. Steps are placed
along the case's handling time (its service promise times a random factor, late
in about one case in five); a completion request pauses the clock; officers
work on weekdays in office hours.
"""

from __future__ import annotations

import random

from ..catalogue import CASE_TYPES
from .steps import Collab, Profile, Step

DAY = 1440
WORK_START = 7 * 60 + 50
WORK_SPAN = 8 * 60 + 40
MAX_EVENTS = 7


def at_work(rng: random.Random, t: int) -> int:
    """The same moment if within office hours on a weekday, else the next office morning."""
    day, minute = divmod(t, DAY)
    if minute < WORK_START:
        minute = WORK_START + int(rng.random() * 120)
    elif minute > WORK_START + WORK_SPAN:
        day += 1
        minute = WORK_START + int(rng.random() * 120)
    weekday = (day + 6) % 7
    if weekday >= 5:
        day += 7 - weekday
    return day * DAY + minute


def plan_steps(rng: random.Random, profile: Profile) -> tuple[list[Step], Collab | None, bool]:
    """The case's steps from start to end, at most `MAX_EVENTS`."""
    head = [profile.received]
    if profile.registered is not None:
        head.append(profile.registered)
    collab = None
    roll = rng.random()
    for candidate in profile.collabs:
        if roll < candidate.prob:
            collab = candidate
            break
        roll -= candidate.prob
    groups: list[tuple[Step, ...]] = []
    if collab is not None and collab.kind != "FORWARDING":
        groups.append((collab.out, collab.back))
    if profile.completion is not None and rng.random() < profile.p_completion:
        groups.append(profile.completion)
    for group, p in profile.extras:
        if rng.random() < p:
            groups.append(group)
    retained = False
    if collab is not None and collab.kind == "FORWARDING":
        retained = rng.random() < collab.p_retained
        back = collab.retained_back if retained and collab.retained_back else collab.back
        tail = [collab.out, back]
    elif profile.decided:
        if profile.rejected is not None and rng.random() < profile.p_rejected:
            decision = profile.rejected
        else:
            decision = profile.decided[int(rng.random() * len(profile.decided))]
        tail = [decision, profile.closed]
    else:
        tail = [profile.closed]
    budget = MAX_EVENTS - len(head) - len(tail)
    while sum(len(g) for g in groups) > budget:
        dropped = groups.pop()
        if collab is not None and dropped[0] is collab.out:
            collab = None
    return [*head, *(s for g in groups for s in g), *tail], collab, retained


def plan_times(
    rng: random.Random,
    profile: Profile,
    script: list[Step],
    t0: int,
    collab: Collab | None,
    retained: bool,
) -> list[int]:
    promise = CASE_TYPES[profile.code].promise_days * DAY
    factor = 0.1 + 0.85 * rng.random() if rng.random() < 0.8 else 1.0 + 1.5 * rng.random()
    span = max(60, int(promise * factor))
    quick_handover = collab is not None and collab.kind == "FORWARDING" and not retained
    if quick_handover:
        span = 30 + int(rng.random() * 3 * DAY)
    n = len(script)
    fractions = sorted(0.05 + 0.85 * rng.random() for _ in range(n))
    fractions[0] = 0.0
    times = [t0]
    prev = t0
    shift = 0
    for i in range(1, n):
        step = script[i]
        kind = step.kind
        if kind == "COMPLETION_RECEIVED":
            shift += (2 + int(rng.random() * 29)) * DAY
        if i == n - 1 and quick_handover:
            t = prev + 1 + int(rng.random() * 30)
        else:
            if i == n - 1 or (kind == "DECIDED" and i == n - 2):
                raw = t0 + span + shift
                if kind == "CLOSED" and script[i - 1].kind == "DECIDED":
                    appeal = (1 + int(rng.random() * 21)) * DAY  # the decision may be appealed
                    raw = prev + appeal - 120 + int(rng.random() * 360)
            elif kind == "REGISTERED":
                raw = t0 + min(span // 50, 2 * DAY) + int(rng.random() * 240)
            else:
                raw = t0 + int(fractions[i] * span) + shift
            t = at_work(rng, raw)
        if t <= prev:
            t = prev + 2 + int(rng.random() * 60)
        times.append(t)
        prev = t
    return times
