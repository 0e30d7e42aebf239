"""the case store's tables and how a case is written to and read back from them.

{p}cases      one row per (system, local_id): grouping columns, computed figures
              (lead time, promise, breach time), masked diary fields, and a
              compact JSON of what chain measurement needs (`chain_json`)
{p}cells      per base cell (type, unit, channel, month opened): opened, closed,
              measured, met, lead-time bucket counts h0..h63, and the cell's exact
              median and 90th percentile — maintained on upsert, so a statistics
              query sums columns over a few thousand rows whatever the scale
{p}names      case-type and unit names seen
{p}sync_state per system: watermark, last success, last error
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from connectors.domain import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseRef,
    CaseStatus,
    CaseType,
    Channel,
    Collaboration,
    CollaborationKind,
    Unit,
)
from policies.statistics_records import HIST_BUCKETS

CELL = ("type_code", "unit_code", "channel", "month")


def ddl(prefix: str, dialect: str) -> list[str]:
    real = "DOUBLE PRECISION" if dialect == "postgres" else "REAL"
    big = "BIGINT" if dialect == "postgres" else "INTEGER"
    p = prefix
    hist = ", ".join(f"h{i} {big} NOT NULL DEFAULT 0" for i in range(HIST_BUCKETS))
    return [
        f"""CREATE TABLE IF NOT EXISTS {p}cases (
            system TEXT NOT NULL, local_id TEXT NOT NULL,
            case_number TEXT NOT NULL, main_number TEXT, chain_key TEXT NOT NULL,
            type_code TEXT NOT NULL, unit_code TEXT NOT NULL, channel TEXT NOT NULL,
            month TEXT NOT NULL, opened_at {real} NOT NULL, closed_at {real},
            status TEXT NOT NULL, confidential INTEGER NOT NULL,
            target_days INTEGER NOT NULL, lead_days {real}, met INTEGER, bucket INTEGER,
            breach_at {real},
            in_diary INTEGER NOT NULL, diary_title TEXT, search_text TEXT, diary_docs TEXT,
            chain_json TEXT NOT NULL,
            PRIMARY KEY (system, local_id))""",
        f"""CREATE INDEX IF NOT EXISTS {p}cases_cell
            ON {p}cases (type_code, unit_code, channel, month, breach_at)""",
        f"CREATE INDEX IF NOT EXISTS {p}cases_main ON {p}cases (main_number)",
        f"""CREATE INDEX IF NOT EXISTS {p}cases_breach ON {p}cases (breach_at, system, local_id)
            WHERE breach_at IS NOT NULL""",
        f"""CREATE INDEX IF NOT EXISTS {p}cases_overdue
            ON {p}cases (breach_at, type_code, unit_code, channel, month)
            WHERE breach_at IS NOT NULL""",
        f"""CREATE INDEX IF NOT EXISTS {p}cases_diary ON {p}cases (opened_at, system, local_id)
            WHERE in_diary = 1""",
        f"""CREATE TABLE IF NOT EXISTS {p}cells (
            type_code TEXT NOT NULL, unit_code TEXT NOT NULL, channel TEXT NOT NULL,
            month TEXT NOT NULL, opened {big} NOT NULL, closed {big} NOT NULL,
            measured {big} NOT NULL, met {big} NOT NULL,
            overdue {big} NOT NULL DEFAULT 0, lead_median {real}, lead_p90 {real}, {hist},
            PRIMARY KEY (type_code, unit_code, channel, month))""",
        f"CREATE INDEX IF NOT EXISTS {p}cells_month ON {p}cells (month)",
        f"""CREATE TABLE IF NOT EXISTS {p}names (
            kind TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, area TEXT NOT NULL,
            PRIMARY KEY (kind, code))""",
        f"CREATE TABLE IF NOT EXISTS {p}meta (key TEXT PRIMARY KEY, value {real} NOT NULL)",
        f"""CREATE TABLE IF NOT EXISTS {p}sync_state (
            system TEXT PRIMARY KEY, watermark {real}, last_synced {real},
            last_attempt {real}, last_error TEXT)""",
    ]


def drop(prefix: str) -> list[str]:
    return [
        f"DROP TABLE IF EXISTS {prefix}{t}"
        for t in ("cases", "cells", "names", "meta", "sync_state")
    ]


HIST_COLUMNS = tuple(f"h{i}" for i in range(HIST_BUCKETS))


def rebuild_cells(prefix: str, where: str, overdue_as_of: float) -> list[str]:
    """Statements recomputing the `cells` rows (not their percentiles) matched by `where`.

    `overdue` counts the cell's running cases whose promise ran out by `overdue_as_of`
    (one moment for the whole table; queries add or take away what changed since).
    """
    p = prefix
    cols = ", ".join(CELL)
    counts = ", ".join(
        f"SUM(CASE WHEN bucket = {i} THEN 1 ELSE 0 END)" for i in range(HIST_BUCKETS)
    )
    return [
        f"DELETE FROM {p}cells WHERE {where}",
        f"""INSERT INTO {p}cells
                ({cols}, opened, closed, measured, met, overdue, {", ".join(HIST_COLUMNS)})
            SELECT {cols}, COUNT(*),
                   SUM(CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END),
                   SUM(CASE WHEN lead_days IS NULL THEN 0 ELSE 1 END),
                   SUM(COALESCE(met, 0)),
                   SUM(CASE WHEN breach_at <= {float(overdue_as_of)!r} THEN 1 ELSE 0 END),
                   {counts}
            FROM {p}cases WHERE {where} GROUP BY {cols}""",
    ]


def recount_overdue(prefix: str, as_of: float) -> list[str]:
    """Statements moving every cell's `overdue` to the moment `as_of`."""
    p = prefix
    match = " AND ".join(f"c.{c} = {p}cells.{c}" for c in CELL)
    return [
        f"""UPDATE {p}cells SET overdue = (SELECT COUNT(*) FROM {p}cases c
            WHERE {match} AND c.breach_at IS NOT NULL AND c.breach_at <= {float(as_of)!r})""",
        f"""INSERT INTO {p}meta (key, value) VALUES ('overdue_as_of', {float(as_of)!r})
            ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
    ]


def ts(at: datetime | None) -> float | None:
    return at.timestamp() if at is not None else None


def from_ts(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


_KEEP = (CaseEventKind.COMPLETION_REQUESTED, CaseEventKind.COMPLETION_RECEIVED)


def chain_json(case: Case) -> str:
    """What measuring a chain needs of a case, compactly."""
    return json.dumps(
        {
            "r": [case.ref.system, case.ref.local_id],
            "n": case.case_number,
            "m": case.main_case_number,
            "t": [case.type.code, case.type.name, case.type.area],
            "u": [case.unit.code, case.unit.name],
            "s": case.status.value,
            "ch": case.channel.value if case.channel is not None else None,
            "o": case.opened_at.timestamp(),
            "c": ts(case.closed_at),
            "e": [
                [e.id, e.occurred_at.timestamp(), e.kind.value]
                for e in case.events
                if e.kind in _KEEP
            ],
            "k": [_collab(c) for c in case.collaborations],
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def _collab(c: Collaboration) -> list[Any]:
    return [
        c.kind.value,
        [c.from_unit.code, c.from_unit.name],
        [c.to_unit.code, c.to_unit.name],
        c.started_at.timestamp(),
        ts(c.completed_at),
        c.follow_up_retained,
        [c.counterpart.system, c.counterpart.local_id] if c.counterpart else None,
        c.counterpart_number,
    ]


def case_from_chain_json(text: str) -> Case:
    """The slim Case `chain_json` keeps: enough for lead times, promises and chains."""
    d = json.loads(text)
    return Case(
        ref=CaseRef(*d["r"]),
        case_number=d["n"],
        main_case_number=d["m"],
        type=CaseType(*d["t"]),
        title="",
        status=CaseStatus(d["s"]),
        unit=Unit(*d["u"]),
        channel=Channel(d["ch"]) if d["ch"] else None,
        opened_at=_dt(d["o"]),
        closed_at=from_ts(d["c"]),
        events=tuple(
            CaseEvent(id=i, occurred_at=_dt(at), kind=CaseEventKind(k), summary="")
            for i, at, k in d["e"]
        ),
        collaborations=tuple(
            Collaboration(
                kind=CollaborationKind(k[0]),
                from_unit=Unit(*k[1]),
                to_unit=Unit(*k[2]),
                started_at=_dt(k[3]),
                completed_at=from_ts(k[4]),
                follow_up_retained=k[5],
                counterpart=CaseRef(*k[6]) if k[6] else None,
                counterpart_number=k[7],
            )
            for k in d["k"]
        ),
    )


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)
