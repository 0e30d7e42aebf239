"""What the case store keeps per case and returns for statistics, as the statistics
policy sees it: the grouping dimensions, base cells and their counts, the raw material
of one statistics answer, and the per-case measurement and diary record the policy
computes at upsert time. Plain data; `casestore` stores it, `policies.statistics`
computes and publishes it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from connectors.domain import CaseRef, CaseType, DocumentDirection, Unit


class Dimension(enum.Enum):
    """What statistics can be grouped by (StatisticsDimension in the schema)."""

    CASE_TYPE = "CASE_TYPE"
    UNIT = "UNIT"
    CHANNEL = "CHANNEL"
    MONTH = "MONTH"


_ATTR = {
    Dimension.CASE_TYPE: "case_type",
    Dimension.UNIT: "unit",
    Dimension.CHANNEL: "channel",
    Dimension.MONTH: "month",
}


@dataclass(frozen=True, slots=True)
class CellKey:
    """A base cell; `channel` is '' when the source did not say, `month` is YYYY-MM."""

    case_type: str
    unit: str
    channel: str
    month: str

    def project(self, group_by: Sequence[Dimension]) -> tuple[str, ...]:
        return tuple(getattr(self, _ATTR[d]) for d in group_by)


@dataclass(frozen=True, slots=True)
class CellCounts:
    """The additive figures of one base cell (measured = lead times taken, met = in promise)."""

    key: CellKey
    opened: int
    closed: int
    measured: int
    met: int
    overdue_open: int
    lead_median: float | None = None  # exact, nearest rank, over this cell's measurements
    lead_p90: float | None = None


#: lead-time bucket counts (HIST_BUCKETS of them) per output group key
Histograms = dict[tuple[str, ...], list[int]]
#: how many lead-time buckets every base cell stores (the policy's buckets must fit)
HIST_BUCKETS = 64


@dataclass(frozen=True, slots=True)
class StatisticsData:
    """The raw material of one statistics answer, before suppression is applied."""

    cells: list[CellCounts]
    histograms: Histograms  # over visible base cells only; empty when every group is one cell
    case_types: Mapping[str, CaseType]
    units: Mapping[str, Unit]


@dataclass(frozen=True, slots=True)
class Measurement:
    """What the policy computed for one case at upsert time."""

    ref: CaseRef
    chain_key: str
    target_days: int
    lead_time_days: float | None  # the measurement this case carries (None: none or not yet)
    met_promise: bool | None
    breach_at: datetime | None  # running cases only: when the promise runs (ran) out


@dataclass(frozen=True, slots=True)
class DiaryDocumentRecord:
    title: str
    direction: DocumentDirection
    registered_at: datetime
    confidential: bool


@dataclass(frozen=True, slots=True)
class DiaryRecord:
    """One public-diary entry as stored: title already masked."""

    ref: CaseRef
    case_number: str
    registered_at: datetime
    title: str
    unit: Unit
    confidential: bool
    documents: tuple[DiaryDocumentRecord, ...]
