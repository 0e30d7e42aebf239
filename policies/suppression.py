"""Statistics suppression (röjandekontroll): no figure may reveal a small group.

The approach is *suppression at one fixed granularity*. The base cells are
(case type, unit, channel, month opened) — the finest grouping a query can ask
for, and every filter (period snapped to whole months, case type, unit, channel)
selects whole base cells. A base cell is *visible* when its group size — the number
of cases opened in it, which is also its `opened` figure — reaches the threshold.
Every published figure is computed from visible base cells only; an output group
whose base cells are all hidden has every figure nulled and ``suppressed=True``.

Why this defeats the subtraction attack: each published count is a sum over
visible cells, so the difference of any two published figures (a unit's total
minus its visible channels, a filtered total minus an unfiltered one, one period
minus a shorter one) is again a sum of visible cells — it never contains a hidden
cell. Changing what a hidden cell holds (1 case or 4, open or closed, fast or slow)
changes no published number at all; the tests check exactly that across every
combination of grouping and filters.

The price: totals count only cases in base cells of at least `threshold` cases,
so a rare case type spread over many months and channels may be under-counted
or suppressed even at a coarse grouping. That bias is documented rather than
"fixed" by complementary suppression, which cannot protect the overlapping
tables arbitrary filter combinations produce.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from connectors.domain import CaseType, Channel, Unit

from .statistics_records import CellCounts, CellKey, Dimension

__all__ = [
    "DEFAULT_THRESHOLD",
    "CellCounts",
    "CellKey",
    "Dimension",
    "GroupFigures",
    "GroupTotals",
    "aggregate",
    "share",
    "visible",
]

DEFAULT_THRESHOLD = 5


@dataclass(slots=True)
class GroupTotals:
    """Sums over the visible base cells of one output group."""

    key: tuple[str, ...]
    visible_cells: int = 0
    opened: int = 0
    closed: int = 0
    measured: int = 0
    met: int = 0
    overdue_open: int = 0
    cells: list[CellCounts] = field(default_factory=list)  # the visible ones

    @property
    def suppressed(self) -> bool:
        return self.visible_cells == 0


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """One published statistics group (StatisticsGroup); figures None when suppressed."""

    case_type: CaseType | None
    unit: Unit | None
    channel: Channel | None
    month: str | None
    suppressed: bool
    opened: int | None = None
    closed: int | None = None
    lead_time_days_median: float | None = None
    lead_time_days_p90: float | None = None
    within_service_promise_share: float | None = None
    overdue_open: int | None = None


def visible(opened: int, threshold: int) -> bool:
    """Whether a base cell of `opened` cases may contribute to any figure."""
    return opened >= threshold


def aggregate(
    cells: Iterable[CellCounts], group_by: Sequence[Dimension], threshold: int
) -> dict[tuple[str, ...], GroupTotals]:
    """Sum base cells into output groups, leaving hidden cells out of every figure.

    A group made only of hidden cells is still listed (as suppressed), so that
    its existence — not its size — is as visible as in the base table.
    """
    groups: dict[tuple[str, ...], GroupTotals] = {}
    for cell in cells:
        key = cell.key.project(group_by)
        totals = groups.get(key)
        if totals is None:
            totals = groups[key] = GroupTotals(key)
        if not visible(cell.opened, threshold):
            continue
        totals.visible_cells += 1
        totals.cells.append(cell)
        totals.opened += cell.opened
        totals.closed += cell.closed
        totals.measured += cell.measured
        totals.met += cell.met
        totals.overdue_open += cell.overdue_open
    return groups


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
