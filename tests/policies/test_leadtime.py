"""Lead-time arithmetic on hand-built cases: pauses, chains, percentiles."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

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
from policies.leadtime import (
    EDGES,
    HISTOGRAM_BUCKETS,
    bucket,
    chain_lead_time,
    chain_segments,
    median,
    net_lead_time,
    pauses,
    percentile,
    percentile_from_counts,
)
from policies.statistics_records import HIST_BUCKETS

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
UNITS = {
    "MBN": Unit("MBN", "Miljö- och hälsoskyddsnämnden"),
    "TN": Unit("TN", "Tekniska nämnden"),
    "AME": Unit("AME", "Arbetsmarknadsenheten"),
    "KS": Unit("KS", "Kommunstyrelsen"),
    "KC": Unit("KC", "Kontaktcenter"),
}


def d(days: float) -> datetime:
    return T0 + timedelta(days=days)


def ev(kind: CaseEventKind, at: float) -> CaseEvent:
    return CaseEvent(id=f"{kind.value}-{at}", occurred_at=d(at), kind=kind, summary="")


REQ, REC = CaseEventKind.COMPLETION_REQUESTED, CaseEventKind.COMPLETION_RECEIVED


def case(
    local_id: str,
    opened: float,
    closed: float | None = None,
    *,
    system: str = "ecos",
    unit: str = "MBN",
    events: tuple[CaseEvent, ...] = (),
    collabs: tuple[Collaboration, ...] = (),
    main: str | None = None,
    number: str | None = None,
) -> Case:
    return Case(
        ref=CaseRef(system, local_id),
        case_number=number or f"{system.upper()}-{local_id}",
        main_case_number=main,
        type=CaseType("LITTER", "Anmälan om nedskräpning"),
        title="t",
        status=CaseStatus.CLOSED if closed is not None else CaseStatus.IN_PROGRESS,
        unit=UNITS[unit],
        opened_at=d(opened),
        closed_at=d(closed) if closed is not None else None,
        events=events,
        collaborations=collabs,
    )


def collab(
    kind: CollaborationKind,
    frm: str,
    to: str,
    at: float,
    *,
    kept: bool = False,
    counterpart: CaseRef | None = None,
    number: str | None = None,
) -> Collaboration:
    return Collaboration(
        kind=kind,
        from_unit=UNITS[frm],
        to_unit=UNITS[to],
        started_at=d(at),
        follow_up_retained=kept,
        counterpart=counterpart,
        counterpart_number=number,
    )


def days_of(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds() / 86400


# --- per case ----------------------------------------------------------------------------


def test_closed_case_without_pauses_counts_every_day() -> None:
    assert days_of(net_lead_time(case("1", 0, 10), d(99))) == 10


def test_one_pause_is_subtracted() -> None:
    c = case("1", 0, 10, events=(ev(REQ, 2), ev(REC, 5)))
    assert days_of(net_lead_time(c, d(99))) == 7
    assert pauses(c, d(10)) == [(d(2), d(5))]


def test_nested_requests_pause_from_first_request_to_next_answer() -> None:
    c = case("1", 0, 10, events=(ev(REQ, 2), ev(REQ, 3), ev(REC, 4), ev(REC, 6)))
    assert pauses(c, d(10)) == [(d(2), d(4))]
    assert days_of(net_lead_time(c, d(99))) == 8


def test_two_separate_pauses_both_count() -> None:
    c = case("1", 0, 20, events=(ev(REQ, 1), ev(REC, 3), ev(REQ, 10), ev(REC, 14)))
    assert days_of(net_lead_time(c, d(99))) == 14


def test_open_case_runs_until_now() -> None:
    assert days_of(net_lead_time(case("1", 0), d(10))) == 10


def test_unanswered_request_pauses_until_now_or_closing() -> None:
    assert days_of(net_lead_time(case("1", 0, events=(ev(REQ, 3),)), d(10))) == 3
    assert days_of(net_lead_time(case("1", 0, 10, events=(ev(REQ, 4),)), d(99))) == 4


def test_pause_is_clipped_to_the_case_span() -> None:
    c = case("1", 5, 10, events=(ev(REQ, 3), ev(REC, 6), ev(REQ, 9), ev(REC, 30)))
    assert pauses(c, d(10)) == [(d(5), d(6)), (d(9), d(10))]
    assert days_of(net_lead_time(c, d(99))) == 3


def test_forwarding_without_follow_up_stops_the_senders_clock() -> None:
    fwd = collab(CollaborationKind.FORWARDING, "KS", "MBN", 3)
    assert days_of(net_lead_time(case("1", 0, 9, unit="KS", collabs=(fwd,)), d(99))) == 3
    assert days_of(net_lead_time(case("2", 0, None, unit="KS", collabs=(fwd,)), d(99))) == 3
    kept = collab(CollaborationKind.FORWARDING, "KS", "MBN", 3, kept=True)
    assert days_of(net_lead_time(case("3", 0, 9, unit="KS", collabs=(kept,)), d(99))) == 9


# --- chains ------------------------------------------------------------------------------


def anna_chain(ecos_closed: float | None = 8.0) -> list[Case]:
    """eservice → ecos (forward, follow-up kept) → teknik (assignment to AME) → done → closed."""
    main = "MK-2025-837"
    teknik = case(
        "T-77",
        1,
        6,
        system="teknik",
        unit="TN",
        main=main,
        collabs=(collab(CollaborationKind.ASSIGNMENT, "TN", "AME", 2),),
    )
    ecos = case(
        "E-837",
        0.1,
        ecos_closed,
        number=main,
        main=main,
        collabs=(
            collab(CollaborationKind.FORWARDING, "MBN", "TN", 1, kept=True, counterpart=teknik.ref),
        ),
    )
    eservice = case("F-1", 0, 0.1, system="eservice", unit="KC", main=main)
    return [teknik, eservice, ecos]


def test_anna_littering_chain_is_one_a_to_o_measurement() -> None:
    segments = chain_segments(anna_chain())
    assert len(segments) == 1
    (only,) = segments
    assert only.owner == CaseRef("ecos", "E-837")
    assert only.root == CaseRef("eservice", "F-1")
    assert set(only.members) == {
        CaseRef("eservice", "F-1"),
        CaseRef("ecos", "E-837"),
        CaseRef("teknik", "T-77"),
    }
    assert (only.started_at, only.ended_at) == (d(0), d(8))
    assert days_of(only.lead_time) == 8
    assert days_of(chain_lead_time(anna_chain())) == 8


def test_chain_is_unfinished_while_any_member_runs() -> None:
    cases = anna_chain(ecos_closed=None)
    assert chain_lead_time(cases) is None
    assert days_of(chain_lead_time(cases, now=d(12))) == 12
    assert chain_segments(cases, now=d(12))[0].ended_at is None


def test_chain_subtracts_the_union_of_member_pauses() -> None:
    teknik, eservice, ecos = anna_chain()
    teknik = replace(teknik, events=(ev(REQ, 2), ev(REC, 4)))
    ecos = replace(ecos, events=(ev(REQ, 3), ev(REC, 5)))
    # pauses [2,4] and [3,5] overlap: 3 days of waiting, not 4
    assert days_of(chain_lead_time([teknik, eservice, ecos])) == 5


def test_forwarding_without_kept_follow_up_splits_the_chain() -> None:
    main = "KS 2025/0100"
    receiver = case("E-5", 2, 12, main=main, number="MK-2025-5")
    sender = case(
        "D-1",
        0,
        2.5,
        system="diarium",
        unit="KS",
        main=main,
        number=main,
        collabs=(collab(CollaborationKind.FORWARDING, "KS", "MBN", 2, counterpart=receiver.ref),),
    )
    segments = chain_segments([receiver, sender])
    assert [(s.root, s.owner, s.members, days_of(s.lead_time)) for s in segments] == [
        (sender.ref, sender.ref, (sender.ref,), 2.0),
        (receiver.ref, receiver.ref, (receiver.ref,), 10.0),
    ]
    assert days_of(chain_lead_time([sender, receiver])) == 2


def test_counterpart_found_by_number_and_by_unit_and_time() -> None:
    main = "KS 2025/0200"
    by_unit = case("T-7", 3, 20, system="teknik", unit="TN", main=main)
    sender = case(
        "D-2",
        0,
        2,
        system="diarium",
        unit="KS",
        main=main,
        number=main,
        collabs=(collab(CollaborationKind.FORWARDING, "KS", "MBN", 2, number="MK-2025-6"),),
    )
    # the ecos receiver forwards on to TN without follow-up and without any reference
    by_number = case(
        "E-6",
        2,
        12,
        main=main,
        number="MK-2025-6",
        collabs=(collab(CollaborationKind.FORWARDING, "MBN", "TN", 2.5),),
    )
    segments = chain_segments([sender, by_number, by_unit])
    assert [(s.root, days_of(s.lead_time)) for s in segments] == [
        (sender.ref, 2.0),
        (by_number.ref, 0.5),
        (by_unit.ref, 17.0),
    ]


def test_single_case_chain_equals_its_net_lead_time() -> None:
    c = case("1", 0, 10, events=(ev(REQ, 2), ev(REC, 5)))
    assert chain_lead_time([c]) == net_lead_time(c, d(99))
    assert chain_segments([]) == []


# --- percentiles -------------------------------------------------------------------------


def test_nearest_rank_percentile() -> None:
    values = [7.0, 1.0, 10.0, 3.0, 2.0, 9.0, 4.0, 8.0, 6.0, 5.0]
    assert median(values) == 5.0
    assert percentile(values, 90) == 9.0
    assert percentile(values, 100) == 10.0
    assert percentile(values, 1) == 1.0
    assert median([1.0, 2.0, 3.0, 4.0]) == 2.0  # lower middle
    assert median([4.5]) == 4.5
    assert median([]) is None
    with pytest.raises(ValueError):
        percentile(values, 0)


def test_histogram_percentile_is_within_one_bucket_of_the_exact_one() -> None:
    rng = random.Random(5)
    for _ in range(30):
        values = [rng.expovariate(1 / 40) for _ in range(rng.randint(1, 400))]
        counts = [0] * HISTOGRAM_BUCKETS
        for v in values:
            counts[bucket(v)] += 1
        for p in (50, 90):
            exact = percentile(values, p)
            approx = percentile_from_counts(counts, p)
            assert exact is not None and approx is not None
            b = bucket(exact)
            assert EDGES[b] <= approx <= EDGES[b + 1]
            assert abs(approx - exact) <= max(1.0, exact * 0.12)
    assert percentile_from_counts([0] * HISTOGRAM_BUCKETS, 50) is None
    one = [0] * HISTOGRAM_BUCKETS
    one[3] = 1
    assert percentile_from_counts(one, 90) == 3.5  # the middle of [3, 4)


def test_buckets_are_monotone() -> None:
    points = [i / 7 for i in range(0, 7000)]
    keys = [bucket(p) for p in points]
    assert keys == sorted(keys)
    assert bucket(0.0) == 0 and bucket(-1.0) == 0 and bucket(29.5) == 29
    assert bucket(1e9) == HISTOGRAM_BUCKETS - 1 == HIST_BUCKETS - 1
    assert EDGES[30] == 30 and 1200 < EDGES[-1] < 1500


def test_a_forwarding_within_one_unit_does_not_end_the_measurement() -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from connectors.domain import (
        Case,
        CaseRef,
        CaseStatus,
        CaseType,
        Collaboration,
        CollaborationKind,
        Unit,
    )
    from policies.leadtime import chain_lead_time, hands_over

    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    mbn, tn = Unit("MBN", "Miljö"), Unit("TN", "Teknik")
    intake = Collaboration(
        CollaborationKind.FORWARDING,
        mbn,
        mbn,
        t0 + timedelta(hours=2),
        t0 + timedelta(hours=2),
        counterpart=CaseRef("ecos", "1"),
    )
    onwards = Collaboration(
        CollaborationKind.FORWARDING,
        mbn,
        tn,
        t0 + timedelta(days=1),
        None,
        follow_up_retained=True,
        counterpart=CaseRef("teknik", "1"),
    )
    eservice = Case(
        CaseRef("eservice", "1"),
        "ES-1",
        CaseType("ES-X", "x"),
        "t",
        CaseStatus.CLOSED,
        mbn,
        t0,
        main_case_number="MK-1",
        closed_at=t0 + timedelta(hours=2),
        collaborations=(intake,),
    )
    ecos = Case(
        CaseRef("ecos", "1"),
        "MK-1",
        CaseType("M-X", "x"),
        "t",
        CaseStatus.CLOSED,
        mbn,
        t0 + timedelta(hours=2),
        main_case_number="MK-1",
        closed_at=t0 + timedelta(days=8),
        collaborations=(onwards,),
    )
    teknik = Case(
        CaseRef("teknik", "1"),
        "FEL-1",
        CaseType("T-X", "x"),
        "t",
        CaseStatus.CLOSED,
        tn,
        t0 + timedelta(days=1),
        main_case_number="MK-1",
        closed_at=t0 + timedelta(days=5),
    )
    assert not hands_over(intake) and not hands_over(onwards)
    assert hands_over(Collaboration(CollaborationKind.FORWARDING, mbn, tn, t0))
    assert chain_lead_time([teknik, eservice, ecos]) == timedelta(days=8)
