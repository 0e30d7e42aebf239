"""The subtraction attack: no combination of groupings and filters reveals a hidden cell.

Two replicas hold the same municipality except inside one base cell below the
threshold (BYGGLOV / BN / MAIL / 2025-02): one case there, or four with other
lead times, other closings and other overdue states. Every query an attacker can
make — each grouping over each filter combination, periods included — must answer
the same on both. A control run changes a visible cell instead and must differ,
so the comparison is not vacuous.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from casestore import CaseStore, Dimension, StatisticsFilter
from connectors.domain import Case, CaseRef, CaseStatus, CaseType, Channel, Unit
from policies.statistics import StatisticsPolicy, publish
from policies.suppression import GroupFigures

NOW = datetime(2025, 6, 1, tzinfo=UTC)
POLICY = StatisticsPolicy({"BYGGLOV": 30, "LITTER": 14}, 90)
TYPES = {"BYGGLOV": ("BN", "Bygglov"), "LITTER": ("MBN", "Nedskräpning")}


def case(
    lid: str,
    type_code: str,
    channel: Channel,
    opened: datetime,
    lead: float | None,
) -> Case:
    unit, name = TYPES[type_code]
    return Case(
        ref=CaseRef("sys", lid),
        case_number=lid,
        type=CaseType(type_code, name),
        title="x",
        status=CaseStatus.CLOSED if lead is not None else CaseStatus.IN_PROGRESS,
        unit=Unit(unit, unit),
        opened_at=opened,
        closed_at=opened + timedelta(days=lead) if lead is not None else None,
        channel=channel,
    )


def municipality() -> list[Case]:
    cases: list[Case] = []
    for month in (1, 2, 3):
        for type_code in TYPES:
            for channel, size in ((Channel.E_SERVICE, 7), (Channel.PHONE, 5)):
                for i in range(size):
                    opened = datetime(2025, month, 3 + i, 9, tzinfo=UTC)
                    lead = None if i == 0 else 3.0 * i + month
                    cases.append(
                        case(
                            f"{type_code}-{month}-{channel.value}-{i}",
                            type_code,
                            channel,
                            opened,
                            lead,
                        )
                    )
    # hidden cells that exist in both variants
    cases.append(case("L-small", "LITTER", Channel.MAIL, datetime(2025, 1, 20, tzinfo=UTC), 2.0))
    return cases


def hidden_one() -> list[Case]:
    return [case("H-1", "BYGGLOV", Channel.MAIL, datetime(2025, 2, 14, tzinfo=UTC), 3.0)]


def hidden_four() -> list[Case]:
    at = datetime(2025, 2, 1, tzinfo=UTC)
    return [
        case("H-1", "BYGGLOV", Channel.MAIL, at, 100.0),
        case("H-2", "BYGGLOV", Channel.MAIL, at + timedelta(days=5), 1.0),
        case("H-3", "BYGGLOV", Channel.MAIL, at + timedelta(days=9), None),
        case("H-4", "BYGGLOV", Channel.MAIL, at + timedelta(days=27), None),
    ]


PERIODS: list[tuple[date | None, date | None]] = [
    (None, None),
    (date(2025, 1, 1), date(2025, 1, 31)),
    (date(2025, 1, 1), date(2025, 2, 28)),
    (date(2025, 2, 1), date(2025, 2, 1)),
    (date(2025, 2, 15), date(2025, 3, 2)),  # day-level edges are snapped to months
    (date(2025, 3, 1), None),
]
DIMENSIONS = list(Dimension)


async def every_answer(cases: Sequence[Case]) -> list[tuple[object, list[GroupFigures]]]:
    answers: list[tuple[object, list[GroupFigures]]] = []
    async with CaseStore(":memory:", POLICY) as rep:
        await rep.upsert(cases, NOW)
        for size in range(len(DIMENSIONS) + 1):
            for group_by in itertools.combinations(DIMENSIONS, size):
                for (start, end), type_code, unit, channel in itertools.product(
                    PERIODS,
                    (None, "BYGGLOV", "LITTER"),
                    (None, "BN", "MBN"),
                    (None, Channel.MAIL, Channel.E_SERVICE),
                ):
                    flt = StatisticsFilter(start, end, type_code, unit, channel, group_by)
                    data = await rep.statistics(flt, 5, NOW)
                    answers.append((flt, publish(data, group_by, 5)))
    return answers


async def test_no_query_combination_reveals_a_hidden_cell() -> None:
    one = await every_answer([*municipality(), *hidden_one()])
    four = await every_answer([*municipality(), *hidden_four()])
    assert len(one) == 16 * len(PERIODS) * 27
    for (flt, a), (_, b) in zip(one, four, strict=True):
        assert a == b, flt
    # the hidden cell is reported as suppressed where it is asked for at its own grain
    own = [
        g for f, groups in one for g in groups if g.channel is Channel.MAIL and g.month == "2025-02"
    ]
    assert own and all(g.suppressed and g.opened is None for g in own)


async def test_control_a_change_in_a_visible_cell_shows() -> None:
    base = municipality()
    changed = [
        *base,
        case("extra", "LITTER", Channel.PHONE, datetime(2025, 2, 20, tzinfo=UTC), 50.0),
    ]
    a = await every_answer(base)
    b = await every_answer(changed)
    assert sum(x != y for (_, x), (_, y) in zip(a, b, strict=True)) > 100
