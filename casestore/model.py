"""The case store's vocabulary: query filters, their validation, and what it returns.

The case store stores and aggregates; it does not decide. What a case's lead time,
promise and diary title are comes from a `CaseStorePolicy` the wiring injects (the
gateway hands it `policies.statistics.StatisticsPolicy`). What it keeps per case
(`Measurement`, `DiaryRecord`) and the cells it counts are plain data in
`policies.statistics_records`, which the policy computes and publishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar

from connectors.domain import Case, CaseRef, Channel
from connectors.errors import ValidationError
from policies.statistics_records import DiaryRecord, Dimension, Measurement

MAX_FIRST = 500
MAX_SPAN_YEARS = 20
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_TEXT = 200


class CaseStorePolicy(Protocol):
    """The rules the case store applies when it stores cases."""

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
