"""The case store: the gateway's own copy of every system's cases, for statistics,
overdue lists and the public diary, refreshed incrementally.

    sources ──changed_cases(since, until)──► CaseStore.sync ──► CaseWriter ──► SQL
                 (per system, in parallel,        (watermark per system,     (cases, cells,
                  windows of `chunk`)              only moved on success)     names)

A system that fails keeps its last good data and watermark; its error is
recorded and `stale(system)` turns true. The first sync reaches back `history`
(three years and a margin). Each later one starts `overlap` before the last
watermark, so that changes committed late upstream are not missed (upserts are
idempotent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from connectors.base import MAX_CASES_PER_CALL, CaseSource, PopulationRegister
from connectors.domain import Case, CaseType, SystemKind, Unit
from connectors.errors import GatewayError, ValidationError
from policies.statistics_records import DiaryRecord, StatisticsData

from . import search
from .model import (
    CaseStorePolicy,
    DiaryFilter,
    OverdueFilter,
    OverdueItem,
    Page,
    StatisticsFilter,
    SyncStatus,
    validate_first,
    validate_period,
    validate_statistics,
    validate_text,
)
from .queries import diary_page, overdue_page, statistics_data
from .schema import ddl, drop, from_ts, ts
from .sql import SqlBackend
from .sql_open import backend_for
from .writer import CaseWriter

log = logging.getLogger(__name__)

DIARY_KINDS = frozenset({SystemKind.REGISTRY, SystemKind.BUSINESS})
NAME_BATCH = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


class CaseStore:
    """A SQLite (default) or PostgreSQL store of normalised cases, synced from sources.

    `policy` computes what is stored per case (see `CaseStorePolicy`); `population`,
    when given, supplies the names to mask in diary titles — if it cannot answer,
    the batch is not stored (fail closed) and the system is retried next time.
    `text_probe`: how many hits of a diary free-text search SQLite lists from its text
    index before it treats the text as common (`search.PROBE`; tests make it small).
    """

    def __init__(
        self,
        url: str,
        policy: CaseStorePolicy,
        *,
        prefix: str = "replica_",  # tables keep their first name (existing stores stay valid)
        population: PopulationRegister | None = None,
        diary_systems: Collection[str] | None = None,
        history: timedelta = timedelta(days=3 * 365 + 30),
        chunk: timedelta = timedelta(days=31),
        overlap: timedelta = timedelta(minutes=5),
        stale_after: timedelta = timedelta(minutes=5),
        text_probe: int = search.PROBE,
    ) -> None:
        if not prefix.replace("_", "").isalnum():
            raise ValueError("table prefix must be letters, digits and underscores")
        self._db: SqlBackend = backend_for(url)
        self._p = prefix
        self._writer = CaseWriter(self._db, prefix, policy)
        self._population = population
        self._diary_systems = frozenset(diary_systems) if diary_systems is not None else None
        self._history, self._chunk, self._overlap = history, chunk, overlap
        self._stale_after = stale_after
        self._text_probe = text_probe
        self._state: dict[str, SyncStatus] = {}
        self._types: dict[str, CaseType] = {}
        self._units: dict[str, Unit] = {}
        self._write_lock = asyncio.Lock()
        self._sync_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- lifecycle ----------------------------------------------------------------------

    async def open(self) -> CaseStore:
        await self._db.open()
        await self._db.run([(sql, ()) for sql in ddl(self._p, self._db.dialect)])
        await search.ensure_index(self._db, self._p)
        for system, wm, synced, _attempt, error in await self._db.fetch(
            "SELECT system, watermark, last_synced, last_attempt, last_error"
            f" FROM {self._p}sync_state"
        ):
            self._state[system] = SyncStatus(system, from_ts(synced), error, True, from_ts(wm))
        await self._load_names()
        await self._writer.load()
        # a store loaded by an older version: never analysed, its text index's list full
        await search.flush_index(self._db, self._p)
        await self._writer.analyze()
        return self

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._db.close()

    async def __aenter__(self) -> CaseStore:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def drop_tables(self) -> None:
        """Remove this prefix's tables (tests and re-initialisation)."""
        await self._db.run([(sql, ()) for sql in [*search.drop(self._p), *drop(self._p)]])

    async def _load_names(self) -> None:
        rows = await self._db.fetch(f"SELECT kind, code, name, area FROM {self._p}names")
        self._types = {c: CaseType(c, n, a) for k, c, n, a in rows if k == "type"}
        self._units = {c: Unit(c, n) for k, c, n, _ in rows if k == "unit"}

    # --- writing ------------------------------------------------------------------------

    async def upsert(
        self,
        cases: Sequence[Case],
        now: datetime,
        *,
        in_diary: bool = True,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """Store `cases` (by system and local id), recomputing their chains and cells."""
        async with self._write_lock:
            await self._writer.write(cases, now, in_diary=in_diary, names=names)
            await self._load_names()

    async def refresh_cases(self, source: CaseSource, cases: Sequence[Case], now: datetime) -> None:
        """Store cases fresh from `source` now (after signals), as a sync would."""
        in_diary = (
            source.system.id in self._diary_systems
            if self._diary_systems is not None
            else source.system.kind in DIARY_KINDS
        )
        names = await self._names_for(cases) if in_diary else None
        await self.upsert(cases, now, in_diary=in_diary, names=names)

    async def sync(self, sources: Mapping[str, CaseSource], now: datetime) -> dict[str, SyncStatus]:
        """Pull every system's changes up to `now`, systems in parallel."""
        async with self._sync_lock:
            # a TaskGroup, not gather: when the sync is cancelled it waits for every system's
            # task to stop, so none writes on after the store is closed
            async with asyncio.TaskGroup() as group:
                for sid, src in sources.items():
                    group.create_task(self._sync_one(sid, src, now))
            await self.recount_overdue(now)
        return {sid: self.status(sid, now) for sid in sources}

    async def recount_overdue(self, now: datetime) -> None:
        """Move the stored overdue counts to `now`, empty the text index's pending list and,
        after many changes, take the planner's statistics again (sync does this; bulk
        loaders call it)."""
        async with self._write_lock:
            await self._writer.recount_overdue(now)
            await search.flush_index(self._db, self._p)
        # outside the lock: the vacuum (seconds at scale 10, on a connection of its own)
        # must not hold up the signal processor's writes meanwhile
        await self._writer.analyze()

    def start_refresher(
        self,
        sources: Mapping[str, CaseSource],
        *,
        interval: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> asyncio.Task[None]:
        """Sync now and then every `interval` seconds until `close()` (or cancel)."""

        async def loop() -> None:
            while True:
                await self.sync(sources, clock())
                await asyncio.sleep(interval)

        task = asyncio.create_task(loop(), name="casestore-refresher")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _sync_one(self, system: str, source: CaseSource, now: datetime) -> None:
        previous = self._state.get(system)
        watermark = previous.watermark if previous else None
        cursor = watermark - self._overlap if watermark else now - self._history
        in_diary = (
            system in self._diary_systems
            if self._diary_systems is not None
            else source.system.kind in DIARY_KINDS
        )
        try:
            while cursor < now:
                stop = min(cursor + self._chunk, now)
                cases = await self._fetch(source, cursor, stop)
                names = await self._names_for(cases) if in_diary else None
                await self.upsert(cases, now, in_diary=in_diary, names=names)
                watermark = stop
                await self._save_state(system, watermark, None, now, None)
                cursor = stop
        except Exception as exc:
            if not isinstance(exc, GatewayError):
                log.exception("case store sync of %s failed", system)
            code = exc.code if isinstance(exc, GatewayError) else "INTERNAL"
            synced = previous.last_synced if previous else None
            await self._save_state(system, watermark, synced, now, code)
            return
        await self._save_state(system, watermark, now, now, None)

    async def _fetch(self, source: CaseSource, since: datetime, until: datetime) -> list[Case]:
        cases = await source.changed_cases(since, until)
        if len(cases) >= MAX_CASES_PER_CALL and until - since > timedelta(minutes=1):
            middle = since + (until - since) / 2
            return [
                *await self._fetch(source, since, middle),
                *await self._fetch(source, middle, until),
            ]
        return cases

    async def _names_for(self, cases: Sequence[Case]) -> dict[str, str]:
        if self._population is None:
            return {}
        wanted = sorted({p for c in cases if not c.confidential for p in c.persons})
        names: dict[str, str] = {}
        for i in range(0, len(wanted), NAME_BATCH):
            for person in await self._population.persons(wanted[i : i + NAME_BATCH]):
                names[person.personal_number] = person.name
        return names

    async def _save_state(
        self,
        system: str,
        watermark: datetime | None,
        synced: datetime | None,
        attempt: datetime,
        error: str | None,
    ) -> None:
        self._state[system] = SyncStatus(system, synced, error, error is not None, watermark)
        await self._db.run(
            [
                (
                    f"INSERT INTO {self._p}sync_state"
                    " (system, watermark, last_synced, last_attempt, last_error)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (system) DO UPDATE SET"
                    " watermark = excluded.watermark, last_synced = excluded.last_synced,"
                    " last_attempt = excluded.last_attempt, last_error = excluded.last_error",
                    (system, ts(watermark), ts(synced), ts(attempt), error),
                )
            ]
        )

    # --- sync state ---------------------------------------------------------------------

    def last_synced(self, system: str) -> datetime | None:
        state = self._state.get(system)
        return state.last_synced if state else None

    def stale(self, system: str, now: datetime | None = None) -> bool:
        """Never synced, last attempt failed, or (given `now`) older than `stale_after`."""
        state = self._state.get(system)
        if state is None or state.last_synced is None or state.last_error is not None:
            return True
        return now is not None and now - state.last_synced > self._stale_after

    def status(self, system: str, now: datetime | None = None) -> SyncStatus:
        state = self._state.get(system) or SyncStatus(system, None, None, True)
        return SyncStatus(
            system, state.last_synced, state.last_error, self.stale(system, now), state.watermark
        )

    # --- queries ------------------------------------------------------------------------

    def _check_codes(self, case_type: str | None, unit: str | None) -> None:
        if case_type is not None and self._types and case_type not in self._types:
            raise ValidationError("Okänd ärendetyp.", code="UNKNOWN_CASE_TYPE", field="caseType")
        if unit is not None and self._units and unit not in self._units:
            raise ValidationError("Okänd enhet.", code="UNKNOWN_UNIT", field="unit")

    async def statistics(
        self, flt: StatisticsFilter, threshold: int, now: datetime
    ) -> StatisticsData:
        """Raw base cells and visible-cell histograms; `policies.statistics.publish` finishes."""
        validate_statistics(flt)
        self._check_codes(flt.case_type, flt.unit)
        if threshold < 1:
            raise ValueError("suppression threshold must be at least 1")
        names = (dict(self._types), dict(self._units))
        as_of = self._writer.overdue_as_of
        return await statistics_data(self._db, self._p, flt, threshold, now, names, as_of)

    async def overdue(
        self, flt: OverdueFilter, first: int, after: str | None, now: datetime
    ) -> Page[OverdueItem]:
        """Open cases past their promise at `now`, oldest breach first."""
        validate_first(first)
        self._check_codes(flt.case_type, flt.unit)
        return await overdue_page(self._db, self._p, flt, first, after, now)

    async def diary(self, flt: DiaryFilter, first: int, after: str | None) -> Page[DiaryRecord]:
        """Public-diary entries, newest first, titles already masked."""
        validate_first(first)
        validate_period(flt.registered_from, flt.registered_to, field="registeredFrom")
        validate_text(flt.text)
        self._check_codes(None, flt.unit)
        units = dict(self._units)
        return await diary_page(self._db, self._p, flt, first, after, units, self._text_probe)
