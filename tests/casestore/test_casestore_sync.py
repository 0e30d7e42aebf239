"""CaseStore sync: incremental windows, watermarks, failures, staleness, refresher."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kp_worlds import wait_until

from casestore import CaseStore, DiaryFilter, StatisticsFilter
from connectors.base import MAX_CASES_PER_CALL
from connectors.domain import (
    Case,
    CaseRef,
    CaseStatus,
    CaseType,
    Channel,
    Person,
    SystemInfo,
    SystemKind,
    Unit,
)
from connectors.errors import UpstreamUnavailable
from policies.statistics import StatisticsPolicy, publish

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
POLICY = StatisticsPolicy({"BYGGLOV": 70}, 90)


def permit(lid: str, opened: datetime, title: str = "Bygglov", subject: str | None = None) -> Case:
    return Case(
        ref=CaseRef("byggr", lid),
        case_number=f"BN 2025/{lid}",
        type=CaseType("BYGGLOV", "Bygglov"),
        title=title,
        status=CaseStatus.RECEIVED,
        unit=Unit("BN", "Byggnadsnämnden"),
        opened_at=opened,
        channel=Channel.E_SERVICE,
        subject=subject,
    )


class ListSource:
    """A source system answering changed_cases from a list of (changed_at, case)."""

    def __init__(self, system: str, kind: SystemKind = SystemKind.BUSINESS) -> None:
        self.system = SystemInfo(system, system, kind)
        self.changes: list[tuple[datetime, Case]] = []
        self.calls: list[tuple[datetime, datetime]] = []
        self.down = False
        self.cap: int | None = None

    async def changed_cases(self, since: datetime, until: datetime) -> list[Case]:
        self.calls.append((since, until))
        if self.down:
            raise UpstreamUnavailable(self.system.id)
        found = [c for at, c in self.changes if since <= at < until]
        return found[: self.cap] if self.cap is not None else found

    async def cases_for_persons(self, personal_numbers: Sequence[str]) -> list[Case]:
        return []

    async def cases_by_ids(self, local_ids: Sequence[str]) -> list[Case]:
        return []

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[Case]:
        return []


class Register:
    system = SystemInfo("folkbokforing", "Folkbokföring", SystemKind.POPULATION_REGISTER)

    def __init__(self) -> None:
        self.down = False

    async def persons(self, personal_numbers: Sequence[str]) -> list[Person]:
        if self.down:
            raise UpstreamUnavailable("folkbokforing")
        known = {"195606055555": Person("195606055555", "Kalle", "Testson")}
        return [known[p] for p in personal_numbers if p in known]

    async def custody(self, personal_numbers: Sequence[str]) -> list[object]:
        return []


async def opened_total(rep: CaseStore, now: datetime) -> int:
    (group,) = publish(await rep.statistics(StatisticsFilter(), 1, now), (), 1)
    assert group.opened is not None
    return group.opened


async def test_first_sync_reaches_back_three_years_then_goes_incremental(tmp_path: Path) -> None:
    source = ListSource("byggr")
    source.changes = [(NOW - timedelta(days=900), permit("1", NOW - timedelta(days=900)))]
    url = f"sqlite:///{tmp_path / 'store.db'}"
    async with CaseStore(url, POLICY, chunk=timedelta(days=400)) as rep:
        status = await rep.sync({"byggr": source}, NOW)
        assert status["byggr"].last_synced == NOW and not status["byggr"].stale
        assert source.calls[0][0] == NOW - timedelta(days=3 * 365 + 30)
        assert source.calls[-1][1] == NOW and len(source.calls) == 3
        assert await opened_total(rep, NOW) == 1
    later = NOW + timedelta(minutes=10)
    source.changes.append((later - timedelta(minutes=1), permit("2", later)))
    source.calls.clear()
    async with CaseStore(url, POLICY) as rep:  # state survives a restart
        assert rep.last_synced("byggr") == NOW
        await rep.sync({"byggr": source}, later)
        assert source.calls == [(NOW - timedelta(minutes=5), later)]
        assert await opened_total(rep, later) == 2
        assert rep.last_synced("byggr") == later


async def test_failing_system_keeps_its_data_and_watermark() -> None:
    good, bad = ListSource("byggr"), ListSource("ecos")
    good.changes = [(NOW - timedelta(days=1), permit("1", NOW - timedelta(days=1)))]
    async with CaseStore(":memory:", POLICY) as rep:
        await rep.sync({"byggr": good, "ecos": bad}, NOW)
        good.down = True
        later = NOW + timedelta(minutes=10)
        status = await rep.sync({"byggr": good, "ecos": bad}, later)
        assert (status["byggr"].last_synced, status["byggr"].last_error) == (
            NOW,
            "UPSTREAM_UNAVAILABLE",
        )
        assert status["byggr"].stale and rep.stale("byggr")
        assert status["byggr"].watermark == NOW
        assert not status["ecos"].stale and rep.last_synced("ecos") == later
        assert await opened_total(rep, later) == 1
        good.down = False
        good.calls.clear()
        await rep.sync({"byggr": good}, later)
        assert good.calls == [(NOW - timedelta(minutes=5), later)]
        assert not rep.stale("byggr", later)
        assert rep.stale("byggr", later + timedelta(minutes=6))
        assert rep.stale("never-seen") and rep.last_synced("never-seen") is None


async def test_windows_that_hit_the_cap_are_split() -> None:
    source = ListSource("byggr")
    start = NOW - timedelta(days=10)
    source.changes = [
        (start + timedelta(seconds=i), permit(str(i), start)) for i in range(MAX_CASES_PER_CALL + 5)
    ]
    source.cap = MAX_CASES_PER_CALL
    async with CaseStore(":memory:", POLICY, history=timedelta(days=11)) as rep:
        await rep.sync({"byggr": source}, NOW)
        assert await opened_total(rep, NOW) == MAX_CASES_PER_CALL + 5
        assert len(source.calls) > 2


async def test_diary_names_come_from_the_population_register() -> None:
    source = ListSource("byggr")
    kalle = permit("193", NOW - timedelta(days=2), "Bygglov Kalle Testson", "195606055555")
    source.changes = [(NOW - timedelta(days=1), kalle)]
    register = Register()
    async with CaseStore(":memory:", POLICY, population=register) as rep:
        register.down = True
        status = await rep.sync({"byggr": source}, NOW)
        assert status["byggr"].last_error == "UPSTREAM_UNAVAILABLE"
        assert (await rep.diary(DiaryFilter(), 10, None)).items == []  # fail closed
        register.down = False
        await rep.sync({"byggr": source}, NOW + timedelta(minutes=1))
        (entry,) = (await rep.diary(DiaryFilter(), 10, None)).items
        assert entry.title == "Bygglov [personuppgift]"


async def test_non_registry_systems_stay_out_of_the_diary() -> None:
    portal = ListSource("eservice", SystemKind.E_SERVICE)
    portal.changes = [(NOW - timedelta(days=1), permit("9", NOW - timedelta(days=1)))]
    async with CaseStore(":memory:", POLICY) as rep:
        await rep.sync({"eservice": portal}, NOW)
        assert (await rep.diary(DiaryFilter(), 10, None)).total_count == 0
        assert await opened_total(rep, NOW) == 1


async def test_refresher_syncs_until_closed() -> None:
    source = ListSource("byggr")
    ticks = iter(NOW + timedelta(seconds=i) for i in range(1000))
    rep = await CaseStore(":memory:", POLICY).open()
    task = rep.start_refresher({"byggr": source}, interval=0.01, clock=lambda: next(ticks))
    await wait_until(lambda: len(source.calls) >= 3)
    assert len(source.calls) >= 3
    await rep.close()
    assert task.cancelled()


def test_bad_urls_and_prefixes_are_refused() -> None:
    with pytest.raises(ValueError):
        CaseStore("mysql://x", POLICY)
    with pytest.raises(ValueError):
        CaseStore(":memory:", POLICY, prefix="x; DROP TABLE y")


async def test_overdue_counts_are_right_before_and_after_the_recount() -> None:
    source = ListSource("byggr")
    # open permits (promise 70 days) opened 80, 75, 65 and 60 days before NOW
    source.changes = [
        (NOW - timedelta(days=age), permit(str(age), NOW - timedelta(days=age)))
        for age in (80, 75, 65, 60)
    ]
    async with CaseStore(":memory:", POLICY) as rep:
        await rep.sync({"byggr": source}, NOW)  # recounts overdue as of NOW
        for days_later, expected in ((-6, 1), (0, 2), (5.5, 3), (10.5, 4)):
            at = NOW + timedelta(days=days_later)
            (group,) = publish(await rep.statistics(StatisticsFilter(), 1, at), (), 1)
            assert group.overdue_open == expected, days_later
