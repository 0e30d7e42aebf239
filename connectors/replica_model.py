"""The replica's vocabulary: query filters, their validation, and what it stores and returns.

The replica stores and aggregates; it does not decide. What a case's lead time,
promise and diary title are comes from a `ReplicaPolicy` the wiring injects (the
gateway hands it `policies.statistics.StatisticsPolicy`), so that `connectors`
never imports `policies`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar

from .domain import Case, CaseRef, CaseType, Channel, DocumentDirection, Unit
from .errors import ValidationError

MAX_FIRST = 500
MAX_SPAN_YEARS = 20
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_TEXT = 200


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


class ReplicaPolicy(Protocol):
    """The rules the replica applies when it stores cases."""

    def measure_chain(self, cases: Sequence[Case], now: datetime) -> list[Measurement]:
        """One Measurement per case of a chain (cases sharing a main case number)."""
        ...

    def diary_record(self, case: Case, party_names: Sequence[str]) -> DiaryRecord:
        """The masked public-diary form of a case."""
        ...

    def bucket(self, lead_time_days: float) -> int:
        """The lead-time histogram bucket, 0..HIST_BUCKETS-1, monotone in the days."""
        ...


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    total_count: int

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


@dataclass(frozen=True, slots=True)
class OverdueItem:
    ref: CaseRef
    case_number: str
    case_type: str
    unit: str
    breach_at: datetime
    target_days: int


@dataclass(frozen=True, slots=True)
class StatisticsFilter:
    """Period (snapped to whole months), case type, unit, channel and grouping."""

    from_date: date | None = None
    to_date: date | None = None
    case_type: str | None = None
    unit: str | None = None
    channel: Channel | None = None
    group_by: tuple[Dimension, ...] = ()


@dataclass(frozen=True, slots=True)
class OverdueFilter:
    """`units_allowed` None means every unit (analysts); a set restricts (case officers)."""

    unit: str | None = None
    case_type: str | None = None
    units_allowed: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class DiaryFilter:
    unit: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class SyncStatus:
    system: str
    last_synced: datetime | None
    last_error: str | None
    stale: bool
    watermark: datetime | None = field(default=None)


def parse_dimensions(names: Sequence[str]) -> tuple[Dimension, ...]:
    """Dimension names as given by a caller; unknown or repeated names are refused."""
    found: list[Dimension] = []
    for name in names:
        try:
            dim = Dimension(name)
        except ValueError:
            raise ValidationError(
                "Okänd grupperingsdimension.", code="UNKNOWN_DIMENSION", field="groupBy"
            ) from None
        if dim in found:
            raise ValidationError(
                "Samma dimension anges två gånger.", code="UNKNOWN_DIMENSION", field="groupBy"
            )
        found.append(dim)
    return tuple(found)


def validate_period(start: date | None, end: date | None, *, field: str = "from") -> None:
    """Refuse reversed or absurd periods (from > to, outside 2000–2100, over 20 years)."""
    for value, name in ((start, field), (end, "to")):
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValidationError(
                f"Datum ska ligga mellan år {MIN_YEAR} och {MAX_YEAR}.",
                code="INVALID_PERIOD",
                field=name,
            )
    if start is not None and end is not None:
        if start > end:
            raise ValidationError(
                "Periodens början ligger efter dess slut.", code="INVALID_PERIOD", field=field
            )
        if (end.year - start.year) * 12 + end.month - start.month >= MAX_SPAN_YEARS * 12:
            raise ValidationError(
                f"Perioden får vara högst {MAX_SPAN_YEARS} år.", code="INVALID_PERIOD", field=field
            )


def validate_first(first: int) -> None:
    if not 1 <= first <= MAX_FIRST:
        raise ValidationError(
            f"first ska vara mellan 1 och {MAX_FIRST}.", code="INVALID_PAGE_SIZE", field="first"
        )


def validate_text(text: str | None) -> None:
    if text is not None and len(text) > MAX_TEXT:
        raise ValidationError(
            f"Söktexten får vara högst {MAX_TEXT} tecken.", code="INVALID_TEXT", field="text"
        )


def validate_statistics(flt: StatisticsFilter) -> None:
    validate_period(flt.from_date, flt.to_date)
    if len(set(flt.group_by)) != len(flt.group_by):
        raise ValidationError(
            "Samma dimension anges två gånger.", code="UNKNOWN_DIMENSION", field="groupBy"
        )


def month_key(at: date | datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"
