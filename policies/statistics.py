"""Case statistics rules: what the case store stores per case, and what may be published.

`StatisticsPolicy` is the `casestore.CaseStorePolicy` the gateway
injects into the case store: it measures chains (`policies.leadtime`), promises
(`policies.promises`) and masks diary titles (`policies.masking`) at upsert time.
`publish` turns the case store's raw cells and histograms into the published groups,
applying suppression (`policies.suppression`). Both are pure.

Statistics attribute every case to the month it was opened (a cohort): `closed`
counts the group's cases that are closed, lead times and the promise share come
from the group's finished measurements — one per case, or ONE per chain segment,
carried by the segment's owner (see `policies.leadtime`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from connectors.domain import Case, CaseRef, Channel

from .leadtime import bucket, chain_segments, days, percentile_from_counts
from .masking import diary_view
from .promises import DEFAULT_PROMISE_DAYS, PromiseStatus, service_promise, target_days
from .statistics_records import (
    DiaryDocumentRecord,
    DiaryRecord,
    Dimension,
    Measurement,
    StatisticsData,
)
from .suppression import GroupFigures, aggregate, share


class StatisticsPolicy:
    """Lead times, promises and diary masking as the case store stores them."""

    def __init__(
        self, promise_days: Mapping[str, int], default_days: int = DEFAULT_PROMISE_DAYS
    ) -> None:
        self._promise_days = dict(promise_days)
        self._default_days = default_days

    def target(self, case_type: str) -> int:
        return target_days(case_type, self._promise_days, self._default_days)

    def measure_chain(self, cases: Sequence[Case], now: datetime) -> list[Measurement]:
        """One Measurement per case; a finished segment's time goes to its owner only."""
        by_ref = {c.ref: c for c in cases}
        out: list[Measurement] = []
        for segment in chain_segments(cases):
            owner = by_ref[segment.owner]
            head = owner.main_case_number or owner.case_number
            key = f"{head}#{_ref_key(segment.root)}"
            for ref in segment.members:
                case = by_ref[ref]
                promise = service_promise(case, self._promise_days, self._default_days, now)
                running = promise.status in (PromiseStatus.OPEN, PromiseStatus.OVERDUE)
                lead: float | None = None
                met: bool | None = None
                if ref == segment.owner and segment.lead_time is not None:
                    lead = days(segment.lead_time)
                    met = lead <= promise.target_days
                out.append(
                    Measurement(
                        ref=ref,
                        chain_key=key,
                        target_days=promise.target_days,
                        lead_time_days=lead,
                        met_promise=met,
                        breach_at=promise.breach_at if running else None,
                    )
                )
        return out

    def diary_record(self, case: Case, party_names: Sequence[str]) -> DiaryRecord:
        view = diary_view(case, party_names)
        return DiaryRecord(
            ref=case.ref,
            case_number=view.case_number,
            registered_at=view.registered_at,
            title=view.title,
            unit=case.unit,
            confidential=view.confidential,
            documents=tuple(
                DiaryDocumentRecord(d.title, d.direction, d.registered_at, d.confidential)
                for d in view.documents
            ),
        )

    def bucket(self, lead_time_days: float) -> int:
        return bucket(lead_time_days)


def _ref_key(ref: CaseRef) -> str:
    return f"{ref.system}:{ref.local_id}"


def publish(
    data: StatisticsData, group_by: Sequence[Dimension], threshold: int
) -> list[GroupFigures]:
    """The published groups, sorted by their labels; hidden base cells count nowhere."""
    result: list[GroupFigures] = []
    for key, totals in sorted(aggregate(data.cells, group_by, threshold).items()):
        labels = dict(zip(group_by, key, strict=True))
        type_code = labels.get(Dimension.CASE_TYPE)
        unit_code = labels.get(Dimension.UNIT)
        channel = labels.get(Dimension.CHANNEL)
        case_type = data.case_types.get(type_code) if type_code is not None else None
        unit = data.units.get(unit_code) if unit_code is not None else None
        ch = Channel(channel) if channel else None
        month = labels.get(Dimension.MONTH)
        if totals.suppressed:
            result.append(GroupFigures(case_type, unit, ch, month, suppressed=True))
            continue
        measured = [c for c in totals.cells if c.measured]
        if len(measured) <= 1:  # all measurements in one base cell: its exact figures
            median = measured[0].lead_median if measured else None
            p90 = measured[0].lead_p90 if measured else None
        else:
            counts = data.histograms.get(key, [])
            median, p90 = percentile_from_counts(counts, 50), percentile_from_counts(counts, 90)
        result.append(
            GroupFigures(
                case_type,
                unit,
                ch,
                month,
                suppressed=False,
                opened=totals.opened,
                closed=totals.closed,
                lead_time_days_median=median,
                lead_time_days_p90=p90,
                within_service_promise_share=share(totals.met, totals.measured),
                overdue_open=totals.overdue_open,
            )
        )
    return result
