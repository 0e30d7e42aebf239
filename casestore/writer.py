"""Writing cases into the case store: computed columns, chains, and base-cell upkeep."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.domain import Case, CaseRef
from policies.statistics_records import DiaryRecord, Measurement

from .model import CaseStorePolicy, month_key
from .schema import (
    CELL,
    case_from_chain_json,
    chain_json,
    rebuild_cells,
    recount_overdue,
    ts,
)
from .sql import SqlBackend, Step

TZ = ZoneInfo("Europe/Stockholm")
CHUNK = 500
#: above this many touched base cells one full rebuild is cheaper than cell by cell
FULL_REBUILD = 2000

_COLUMNS = (
    "system, local_id, case_number, main_number, chain_key, type_code, unit_code, channel, month,"
    " opened_at, closed_at, status, confidential, target_days, lead_days, met, bucket, breach_at,"
    " in_diary, diary_title, search_text, diary_docs, chain_json"
)
_UPDATABLE = [c.strip() for c in _COLUMNS.split(",")][2:]


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _in(n: int) -> str:
    return ",".join("?" * n)


def cell_of(case: Case) -> tuple[str, str, str, str]:
    channel = case.channel.value if case.channel is not None else ""
    return (case.type.code, case.unit.code, channel, month_key(case.opened_at.astimezone(TZ)))


class CaseWriter:
    """Upserts batches of cases in one transaction, keeping chains and cells right."""

    def __init__(self, db: SqlBackend, prefix: str, policy: CaseStorePolicy) -> None:
        self._db = db
        self._p = prefix
        self._policy = policy
        #: the moment every cell's `overdue` count refers to (see `recount_overdue`)
        self.overdue_as_of = 0.0
        #: rows written since the planner's statistics were last taken (see `analyze`)
        self.changed = 0
        self._vacuuming = False

    async def load(self) -> None:
        rows = await self._db.fetch(f"SELECT value FROM {self._p}meta WHERE key = 'overdue_as_of'")
        self.overdue_as_of = float(rows[0][0]) if rows else 0.0

    async def recount_overdue(self, now: datetime) -> None:
        """Move all cells' overdue counts to `now` (after a sync: one pass, then cheap)."""
        await self._db.run([(sql, ()) for sql in recount_overdue(self._p, now.timestamp())])
        self.overdue_as_of = now.timestamp()

    async def write(
        self,
        cases: Sequence[Case],
        now: datetime,
        *,
        in_diary: bool,
        names: Mapping[str, str] | None,
    ) -> None:
        batch = {c.ref: c for c in cases}
        if not batch:
            return
        old = await self._old_rows(list(batch))
        numbers = {c.main_case_number for c in batch.values() if c.main_case_number}
        numbers |= {row[1] for row in old.values() if row[1]}
        members = await self._chain_members(sorted(numbers), batch)
        chains: dict[str, list[Case]] = {}
        alone: list[Case] = []
        for case in [*batch.values(), *members.values()]:
            if case.main_case_number:
                chains.setdefault(case.main_case_number, []).append(case)
            elif case.ref in batch:
                alone.append(case)
        measured: dict[CaseRef, Measurement] = {}
        for group in [*chains.values(), *([c] for c in alone)]:
            for m in self._policy.measure_chain(group, now):
                measured[m.ref] = m
        touched = {cell_of(c) for c in batch.values()} | {row[0] for row in old.values()}
        touched |= {cell_of(c) for c in members.values()}
        steps: list[Step] = [
            (
                self._upsert_sql(),
                [self._row(c, measured[c.ref], in_diary, names) for c in batch.values()],
            )
        ]
        updates = [self._update_row(measured[ref]) for ref in members if ref in measured]
        if updates:
            steps.append(
                (
                    f"UPDATE {self._p}cases SET chain_key = ?, target_days = ?, lead_days = ?,"
                    " met = ?, bucket = ?, breach_at = ? WHERE system = ? AND local_id = ?",
                    updates,
                )
            )
        steps += self._names(batch.values())
        full = len(touched) > FULL_REBUILD
        steps += self._rebuild(touched, full)
        await self._db.run(steps)
        self.changed += len(batch) + len(updates)
        await self._percentiles(None if full else touched)

    async def analyze(self) -> bool:
        """Vacuum PostgreSQL's cases and cells and take their planner statistics again when
        that was never done or more rows changed since than autovacuum's own rule (50 +
        10 % of the table) — autovacuum may be off, and lags behind a bulk load or a first
        sync. Without statistics a common word's diary search sorts every hit, and a count
        reads the table through the text index; without the vacuum's visibility map the
        diary's count reads the whole table instead of its index (scale 10: 140 → 35 ms).
        It runs on a connection of its own: searches go on meanwhile. Returns whether it
        ran. (SQLite's plans for these queries do not use statistics.)"""
        if self._db.dialect != "postgres" or self._vacuuming:
            return False
        rows = await self._db.fetch(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(?)", [f"{self._p}cases"]
        )
        known = float(rows[0][0]) if rows else -1.0  # -1: never analysed
        changed = self.changed
        if known >= 0 and changed <= 50 + 0.1 * known:
            return False
        self._vacuuming = True
        try:
            await self._db.maintain([f"VACUUM (ANALYZE) {self._p}{t}" for t in ("cases", "cells")])
        finally:
            self._vacuuming = False
        self.changed -= changed  # what was written meanwhile counts towards the next
        return True

    async def _old_rows(
        self, refs: Sequence[CaseRef]
    ) -> dict[CaseRef, tuple[tuple[str, str, str, str], str | None]]:
        found: dict[CaseRef, tuple[tuple[str, str, str, str], str | None]] = {}
        by_system: dict[str, list[str]] = {}
        for ref in refs:
            by_system.setdefault(ref.system, []).append(ref.local_id)
        for system, ids in by_system.items():
            for part in _chunks(ids):
                rows = await self._db.fetch(
                    f"SELECT local_id, type_code, unit_code, channel, month, main_number"
                    f" FROM {self._p}cases WHERE system = ? AND local_id IN ({_in(len(part))})",
                    [system, *part],
                )
                for lid, t, u, ch, mo, main in rows:
                    found[CaseRef(system, lid)] = ((t, u, ch, mo), main)
        return found

    async def _chain_members(
        self, numbers: Sequence[str], batch: Mapping[CaseRef, Case]
    ) -> dict[CaseRef, Case]:
        members: dict[CaseRef, Case] = {}
        for part in _chunks(numbers):
            rows = await self._db.fetch(
                f"SELECT system, local_id, chain_json FROM {self._p}cases"
                f" WHERE main_number IN ({_in(len(part))})",
                list(part),
            )
            for system, lid, text in rows:
                ref = CaseRef(system, lid)
                if ref not in batch:
                    members[ref] = case_from_chain_json(text)
        return members

    def _upsert_sql(self) -> str:
        sets = ", ".join(f"{c} = excluded.{c}" for c in _UPDATABLE)
        marks = _in(len(_UPDATABLE) + 2)
        return (
            f"INSERT INTO {self._p}cases ({_COLUMNS}) VALUES ({marks})"
            f" ON CONFLICT (system, local_id) DO UPDATE SET {sets}"
        )

    def _row(
        self, case: Case, m: Measurement, in_diary: bool, names: Mapping[str, str] | None
    ) -> tuple[Any, ...]:
        diary: DiaryRecord | None = None
        if in_diary:
            party = [names[p] for p in sorted(case.persons) if names and p in names]
            diary = self._policy.diary_record(case, party)
        t, u, ch, mo = cell_of(case)
        return (
            case.ref.system,
            case.ref.local_id,
            case.case_number,
            case.main_case_number,
            m.chain_key,
            t,
            u,
            ch,
            mo,
            case.opened_at.timestamp(),
            ts(case.closed_at),
            case.status.value,
            int(case.confidential),
            m.target_days,
            m.lead_time_days,
            None if m.met_promise is None else int(m.met_promise),
            None if m.lead_time_days is None else self._policy.bucket(m.lead_time_days),
            ts(m.breach_at),
            int(diary is not None),
            diary.title if diary else None,
            f"{diary.case_number}\n{diary.title}".casefold() if diary else None,
            _docs_json(diary) if diary else None,
            chain_json(case),
        )

    def _update_row(self, m: Measurement) -> tuple[Any, ...]:
        met = None if m.met_promise is None else int(m.met_promise)
        bucket = None if m.lead_time_days is None else self._policy.bucket(m.lead_time_days)
        return (
            m.chain_key,
            m.target_days,
            m.lead_time_days,
            met,
            bucket,
            ts(m.breach_at),
            m.ref.system,
            m.ref.local_id,
        )

    def _names(self, cases: Iterable[Case]) -> list[Step]:
        types = {c.type.code: c.type for c in cases}
        units = {c.unit.code: c.unit for c in cases}
        for c in cases:
            for collab in c.collaborations:
                units.setdefault(collab.to_unit.code, collab.to_unit)
        rows: list[Sequence[Any]] = [("type", t.code, t.name, t.area) for t in types.values()]
        rows += [("unit", u.code, u.name, "") for u in units.values()]
        sql = (
            f"INSERT INTO {self._p}names (kind, code, name, area) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (kind, code) DO UPDATE SET name = excluded.name, area = excluded.area"
        )
        return [(sql, rows)]

    def _rebuild(self, touched: set[tuple[str, str, str, str]], full: bool) -> list[Step]:
        if full:
            return [(sql, ()) for sql in rebuild_cells(self._p, "1 = 1", self.overdue_as_of)]
        where = " AND ".join(f"{c} = ?" for c in CELL)
        cells: list[Sequence[Any]] = [tuple(c) for c in sorted(touched)]
        return [(sql, cells) for sql in rebuild_cells(self._p, where, self.overdue_as_of)]

    async def _percentiles(self, touched: set[tuple[str, str, str, str]] | None) -> None:
        """Exact nearest-rank median and p90 per cell (all cells when `touched` is None)."""
        cols = ", ".join(CELL)
        base = f"SELECT {cols}, lead_days FROM {self._p}cases WHERE lead_days IS NOT NULL"
        queries: list[tuple[str, list[Any]]] = []
        if touched is None:
            queries.append((f"{base} ORDER BY {cols}, lead_days", []))
        else:
            cells = sorted(touched)
            for i in range(0, len(cells), 200):
                part = cells[i : i + 200]
                rows = ", ".join(["(?, ?, ?, ?)"] * len(part))
                queries.append(
                    (
                        f"{base} AND ({cols}) IN (VALUES {rows}) ORDER BY {cols}, lead_days",
                        [v for cell in part for v in cell],
                    )
                )
        updates: list[Sequence[Any]] = []
        for sql, params in queries:
            leads: dict[tuple[str, str, str, str], list[float]] = {}
            for t, u, ch, mo, lead in await self._db.fetch(sql, params):
                leads.setdefault((t, u, ch, mo), []).append(float(lead))
            for cell, values in leads.items():
                updates.append((_rank(values, 50), _rank(values, 90), *cell))
        if updates:
            where = " AND ".join(f"{c} = ?" for c in CELL)
            sql = f"UPDATE {self._p}cells SET lead_median = ?, lead_p90 = ? WHERE {where}"
            await self._db.run([(sql, updates)])


def _rank(ordered: Sequence[float], p: int) -> float:
    """Nearest rank over sorted values (the method `policies.leadtime` documents)."""
    return ordered[max(1, -(-p * len(ordered) // 100)) - 1]


def _docs_json(diary: DiaryRecord) -> str:
    return json.dumps(
        [
            [d.title, d.direction.value, d.registered_at.timestamp(), d.confidential]
            for d in diary.documents
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
