"""Reading the case store: statistics cells, the overdue list and the public diary.

Everything here is a plain indexed SQL query; pages use keyset cursors (opaque
base64 of the sort key), so deep pages cost the same as the first.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from connectors.domain import CaseRef, CaseType, DocumentDirection, Unit
from connectors.errors import ValidationError
from policies.statistics_records import (
    CellCounts,
    CellKey,
    DiaryDocumentRecord,
    DiaryRecord,
    Dimension,
    Histograms,
    StatisticsData,
)

from . import search
from .model import DiaryFilter, OverdueFilter, OverdueItem, Page, StatisticsFilter, month_key
from .schema import HIST_COLUMNS, from_ts
from .sql import SqlBackend
from .writer import TZ

_DIM_COLUMN = {
    Dimension.CASE_TYPE: "type_code",
    Dimension.UNIT: "unit_code",
    Dimension.CHANNEL: "channel",
    Dimension.MONTH: "month",
}


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, shape: tuple[type, ...]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    ok = isinstance(values, list) and len(values) == len(shape)
    if not ok or not all(isinstance(v, t) for v, t in zip(values or [], shape, strict=False)):
        raise ValidationError("Ogiltig sidmarkör (after).", code="INVALID_CURSOR", field="after")
    assert isinstance(values, list)
    return values


def _cell_filter(flt: StatisticsFilter) -> tuple[str, list[Any]]:
    where = ["1 = 1"]
    params: list[Any] = []
    if flt.from_date is not None:
        where.append("month >= ?")
        params.append(month_key(flt.from_date))
    if flt.to_date is not None:
        where.append("month <= ?")
        params.append(month_key(flt.to_date))
    for column, value in (("type_code", flt.case_type), ("unit_code", flt.unit)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if flt.channel is not None:
        where.append("channel = ?")
        params.append(flt.channel.value)
    return " AND ".join(where), params


async def statistics_data(
    db: SqlBackend,
    p: str,
    flt: StatisticsFilter,
    threshold: int,
    now: datetime,
    names: tuple[dict[str, CaseType], dict[str, Unit]],
    overdue_as_of: float,
) -> StatisticsData:
    """Base cells in the filter (with overdue counts at `now`) and visible-cell histograms.

    Cells hold overdue counts as of `overdue_as_of`; the promises that ran out
    between then and `now` (a few, as the refresher keeps it recent) are added —
    or taken away when `now` is earlier.
    """
    where, params = _cell_filter(flt)
    low, high = sorted((overdue_as_of, now.timestamp()))
    sign = 1 if now.timestamp() >= overdue_as_of else -1
    delta = {
        (t, u, ch, mo): sign * int(n)
        for t, u, ch, mo, n in await db.fetch(
            f"SELECT type_code, unit_code, channel, month, COUNT(*) FROM {p}cases"
            f" WHERE breach_at IS NOT NULL AND breach_at > ? AND breach_at <= ? AND {where}"
            " GROUP BY type_code, unit_code, channel, month",
            [low, high, *params],
        )
    }
    cells = [
        CellCounts(
            CellKey(t, u, ch, mo),
            int(o),
            int(c),
            int(m),
            int(k),
            int(due) + delta.get((t, u, ch, mo), 0),
            None if med is None else float(med),
            None if p90 is None else float(p90),
        )
        for t, u, ch, mo, o, c, m, k, due, med, p90 in await db.fetch(
            "SELECT type_code, unit_code, channel, month, opened, closed, measured, met,"
            f" overdue, lead_median, lead_p90 FROM {p}cells WHERE {where}",
            params,
        )
    ]
    histograms: Histograms = {}
    if len(set(flt.group_by)) < len(Dimension):  # else every group is one cell: exact values
        dims = [_DIM_COLUMN[d] for d in flt.group_by]
        sums = ", ".join(f"SUM({h})" for h in HIST_COLUMNS)
        group = f" GROUP BY {', '.join(dims)}" if dims else ""
        for row in await db.fetch(
            f"SELECT {', '.join([*dims, sums])} FROM {p}cells WHERE opened >= ? AND {where}{group}",
            [threshold, *params],
        ):
            key = tuple(str(v) for v in row[: len(dims)])
            histograms[key] = [int(n or 0) for n in row[len(dims) :]]
    return StatisticsData(cells, histograms, names[0], names[1])


async def overdue_page(
    db: SqlBackend, p: str, flt: OverdueFilter, first: int, after: str | None, now: datetime
) -> Page[OverdueItem]:
    where = ["breach_at IS NOT NULL", "breach_at <= ?"]
    params: list[Any] = [now.timestamp()]
    for column, value in (("unit_code", flt.unit), ("type_code", flt.case_type)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if flt.units_allowed is not None:
        allowed = sorted(flt.units_allowed)
        if not allowed:
            return Page([], [], False, 0)
        where.append(f"unit_code IN ({','.join('?' * len(allowed))})")
        params += allowed
    base = " AND ".join(where)
    (total,) = (await db.fetch(f"SELECT COUNT(*) FROM {p}cases WHERE {base}", params))[0]
    keyset, key_params = "", []
    if after is not None:
        at, system, lid = decode_cursor(after, (float, str, str))
        keyset = (
            " AND (breach_at > ? OR (breach_at = ?"
            " AND (system > ? OR (system = ? AND local_id > ?))))"
        )
        key_params = [at, at, system, system, lid]
    rows = await db.fetch(
        f"SELECT system, local_id, case_number, type_code, unit_code, breach_at, target_days"
        f" FROM {p}cases WHERE {base}{keyset} ORDER BY breach_at, system, local_id LIMIT ?",
        [*params, *key_params, first + 1],
    )
    items = [
        OverdueItem(CaseRef(s, lid), num, t, u, _utc(b), int(target))
        for s, lid, num, t, u, b, target in rows[:first]
    ]
    cursors = [encode_cursor([float(r[5]), r[0], r[1]]) for r in rows[:first]]
    return Page(items, cursors, len(rows) > first, int(total))


def _midnight(day: date) -> float:
    return datetime.combine(day, time(), TZ).timestamp()


async def diary_page(
    db: SqlBackend,
    p: str,
    flt: DiaryFilter,
    first: int,
    after: str | None,
    units: dict[str, Unit],
    probe: int = search.PROBE,
) -> Page[DiaryRecord]:
    """Newest registrations first; free text over case number and masked title."""
    span = ["in_diary = 1"]
    span_params: list[Any] = []
    if flt.registered_from is not None:
        span.append("opened_at >= ?")
        span_params.append(_midnight(flt.registered_from))
    if flt.registered_to is not None:
        span.append("opened_at < ?")
        span_params.append(_midnight(flt.registered_to + timedelta(days=1)))
    where, params = list(span), list(span_params)
    if flt.unit is not None:
        where.append("unit_code = ?")
        params.append(flt.unit)
    keyset, key_params = "", []
    if after is not None:
        at, system, lid = decode_cursor(after, (float, str, str))
        keyset = (
            " AND (opened_at < ? OR (opened_at = ?"
            " AND (system > ? OR (system = ? AND local_id > ?))))"
        )
        key_params = [at, at, system, system, lid]
    scope = search.Scope(
        " AND ".join(where), params, " AND ".join(span), span_params, keyset, key_params, first + 1
    )
    if flt.text:
        total, rows = await search.text_rows(db, p, scope, flt.text.strip(), probe)
    else:
        total, rows = await search.page_rows(db, p, scope)
    items = [
        DiaryRecord(
            ref=CaseRef(s, lid),
            case_number=num,
            registered_at=_utc(opened),
            title=title,
            unit=units.get(u, Unit(u, u)),
            confidential=bool(conf),
            documents=tuple(
                DiaryDocumentRecord(dt, DocumentDirection(dd), _utc(at), bool(dc))
                for dt, dd, at, dc in json.loads(docs)
            ),
        )
        for s, lid, num, opened, title, u, conf, docs in rows[:first]
    ]
    cursors = [encode_cursor([float(r[3]), r[0], r[1]]) for r in rows[:first]]
    return Page(items, cursors, len(rows) > first, total)


def _utc(value: float) -> datetime:
    at = from_ts(float(value))
    assert at is not None
    return at
