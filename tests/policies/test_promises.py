"""Service promises: met, breached, open, overdue, and when the promise ran out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.domain import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseRef,
    CaseStatus,
    CaseType,
    Collaboration,
    CollaborationKind,
    Unit,
)
from policies.promises import PromiseState, PromiseStatus, service_promise

T0 = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
PROMISES = {"BYGGLOV": 70, "LITTER": 10}
REQ, REC = CaseEventKind.COMPLETION_REQUESTED, CaseEventKind.COMPLETION_RECEIVED


def d(days: float) -> datetime:
    return T0 + timedelta(days=days)


def case(
    opened: float,
    closed: float | None = None,
    *,
    type_code: str = "LITTER",
    events: tuple[tuple[CaseEventKind, float], ...] = (),
    collabs: tuple[Collaboration, ...] = (),
) -> Case:
    return Case(
        ref=CaseRef("ecos", "1"),
        case_number="MK-2025-1",
        type=CaseType(type_code, type_code.title()),
        title="t",
        status=CaseStatus.CLOSED if closed is not None else CaseStatus.IN_PROGRESS,
        unit=Unit("MBN", "Miljö- och hälsoskyddsnämnden"),
        opened_at=d(opened),
        closed_at=d(closed) if closed is not None else None,
        events=tuple(
            CaseEvent(id=str(i), occurred_at=d(at), kind=k, summary="")
            for i, (k, at) in enumerate(events)
        ),
        collaborations=collabs,
    )


def test_closed_in_time_is_met() -> None:
    assert service_promise(case(0, 8), PROMISES, 90, d(99)) == PromiseState(
        10, 8.0, False, PromiseStatus.MET, None
    )


def test_closed_late_is_breached_with_its_breach_time() -> None:
    assert service_promise(case(0, 12), PROMISES, 90, d(99)) == PromiseState(
        10, 12.0, True, PromiseStatus.BREACHED, d(10)
    )


def test_waiting_for_the_citizen_moves_the_breach_time() -> None:
    state = service_promise(case(0, 14, events=((REQ, 2), (REC, 7))), PROMISES, 90, d(99))
    assert state == PromiseState(10, 9.0, False, PromiseStatus.MET, None)
    late = service_promise(case(0, 20, events=((REQ, 2), (REC, 7))), PROMISES, 90, d(99))
    assert late == PromiseState(10, 15.0, True, PromiseStatus.BREACHED, d(15))


def test_open_cases_are_open_or_overdue() -> None:
    assert service_promise(case(0), PROMISES, 90, d(4)) == PromiseState(
        10, 4.0, False, PromiseStatus.OPEN, d(10)
    )
    assert service_promise(case(0), PROMISES, 90, d(13)) == PromiseState(
        10, 13.0, True, PromiseStatus.OVERDUE, d(10)
    )


def test_open_case_waiting_for_the_citizen_has_no_breach_time_yet() -> None:
    waiting = service_promise(case(0, events=((REQ, 4),)), PROMISES, 90, d(30))
    assert waiting == PromiseState(10, 4.0, False, PromiseStatus.OPEN, None)
    # breached before the request: the breach stays dated
    late = service_promise(case(0, events=((REQ, 12),)), PROMISES, 90, d(30))
    assert late == PromiseState(10, 12.0, True, PromiseStatus.OVERDUE, d(10))


def test_unknown_case_type_gets_the_default_promise() -> None:
    state = service_promise(case(0, 50, type_code="OTHER"), PROMISES, 45, d(99))
    assert (state.target_days, state.breached, state.breach_at) == (45, True, d(45))


def test_forwarded_without_follow_up_is_measured_to_the_forwarding() -> None:
    fwd = Collaboration(
        kind=CollaborationKind.FORWARDING,
        from_unit=Unit("MBN", "M"),
        to_unit=Unit("TN", "T"),
        started_at=d(3),
    )
    state = service_promise(case(0, collabs=(fwd,)), PROMISES, 90, d(40))
    assert state == PromiseState(10, 3.0, False, PromiseStatus.MET, None)
