"""Suppression of small groups, computed over base cells, and the published figures."""

from __future__ import annotations

from dataclasses import replace

from connectors.domain import CaseType, Channel, Unit
from policies.statistics import publish
from policies.statistics_records import CellCounts, CellKey, Dimension, StatisticsData
from policies.suppression import GroupFigures, aggregate, visible

TYPES = {"BYGGLOV": CaseType("BYGGLOV", "Bygglov"), "LITTER": CaseType("LITTER", "Nedskräpning")}
UNITS = {"BN": Unit("BN", "Byggnadsnämnden"), "MBN": Unit("MBN", "Miljö- och hälsoskyddsnämnden")}


def cell(
    t: str, u: str, ch: str, mo: str, opened: int, closed: int = 0, met: int = 0
) -> CellCounts:
    return CellCounts(CellKey(t, u, ch, mo), opened, closed, closed, met, 1)


CELLS = [
    cell("BYGGLOV", "BN", "E_SERVICE", "2025-01", 12, 10, 8),
    cell("BYGGLOV", "BN", "MAIL", "2025-01", 3, 3, 3),  # hidden
    cell("BYGGLOV", "BN", "E_SERVICE", "2025-02", 5, 4, 1),  # exactly the threshold
    cell("LITTER", "MBN", "", "2025-01", 4, 2, 2),  # hidden, channel unknown
]


def test_threshold_is_inclusive() -> None:
    assert visible(5, 5) and not visible(4, 5)


def test_hidden_cells_count_nowhere() -> None:
    groups = aggregate(CELLS, [Dimension.UNIT], 5)
    assert {
        k: (g.suppressed, g.opened, g.closed, g.met, g.overdue_open) for k, g in groups.items()
    } == {
        ("BN",): (False, 17, 14, 9, 2),
        ("MBN",): (True, 0, 0, 0, 0),
    }


def test_total_without_grouping_sums_visible_cells_only() -> None:
    (total,) = aggregate(CELLS, [], 5).values()
    assert (total.opened, total.visible_cells) == (17, 2)


def test_publish_nulls_every_figure_of_a_suppressed_group() -> None:
    data = StatisticsData(
        CELLS,
        {("BYGGLOV", "E_SERVICE"): [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3] + [0] * 53},
        TYPES,
        UNITS,
    )
    published = publish(data, [Dimension.CASE_TYPE, Dimension.CHANNEL], 5)
    assert published == [
        GroupFigures(
            TYPES["BYGGLOV"],
            None,
            Channel.E_SERVICE,
            None,
            suppressed=False,
            opened=17,
            closed=14,
            # rank 3 of 5 is the first of three in bucket [10, 11): 10 + (1 - 0.5) / 3
            lead_time_days_median=10 + 0.5 / 3,
            lead_time_days_p90=10 + 2.5 / 3,
            within_service_promise_share=9 / 14,
            overdue_open=2,
        ),
        GroupFigures(TYPES["BYGGLOV"], None, Channel.MAIL, None, suppressed=True),
        GroupFigures(TYPES["LITTER"], None, None, None, suppressed=True),
    ]


def test_publish_by_month_and_unit_labels() -> None:
    data = StatisticsData(CELLS, {}, TYPES, UNITS)
    published = publish(data, [Dimension.MONTH, Dimension.UNIT], 5)
    assert [(g.month, g.unit, g.suppressed, g.opened) for g in published] == [
        ("2025-01", UNITS["BN"], False, 12),
        ("2025-01", UNITS["MBN"], True, None),
        ("2025-02", UNITS["BN"], False, 5),
    ]
    assert published[0].lead_time_days_median is None  # no measurements stored in the cell
    one_cell = [replace(CELLS[0], lead_median=12.25, lead_p90=40.0)]
    (exact,) = publish(StatisticsData(one_cell, {}, TYPES, UNITS), [Dimension.MONTH], 5)
    assert (exact.lead_time_days_median, exact.lead_time_days_p90) == (12.25, 40.0)
    assert published[0].within_service_promise_share == 0.8
