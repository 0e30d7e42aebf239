"""CaseStore benchmark: cold start (full sync or bulk load), warm query times, memory.

    python bench/casestore_bench.py --scale 1            # sync from the sandbox when its
                                                      # generator exists, else bulk load
    python bench/casestore_bench.py --scale 10 --mode direct
    python bench/casestore_bench.py --scale 1 --url postgresql://postgres@127.0.0.1:5432/test

`sync` mode builds the sandbox (`simulators.sandbox.Sandbox.build`, no latency) and
syncs every case system through its real connector over in-process ASGI transports.
`direct` mode upserts synthetic domain cases (≈ 60,000 × scale over three years,
with chains and completion pauses) in batches of 5,000, as a sync would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.util
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casestore import (
    CaseStore,
    DiaryFilter,
    Dimension,
    OverdueFilter,
    StatisticsFilter,
)
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
from policies.statistics import StatisticsPolicy, publish

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
UNITS = ["KS", "SN", "BN", "MBN", "TN", "BUN", "KFN", "KC"]
CHANNELS = [
    (Channel.E_SERVICE, 45),
    (Channel.CONTACT_CENTRE, 20),
    (Channel.PHONE, 15),
    (Channel.MAIL, 10),
    (Channel.VISIT, 5),
    (Channel.EMAIL, 5),
]
SYSTEMS = ["diarium", "byggr", "procapita", "ecos", "teknik", "edu", "kontaktcenter", "eservice"]


def synthetic(scale: float, seed: int = 7) -> list[list[Case]]:
    """Batches of 5,000 synthetic cases: 25 types, 8 units, 6 channels, 3 years."""
    rng = random.Random(seed)
    types = [(CaseType(f"T{i:02d}", f"Ärendetyp {i}"), UNITS[i % len(UNITS)]) for i in range(25)]
    weights = [1 / (i + 1) for i in range(25)]
    channels, cweights = zip(*CHANNELS, strict=True)
    total = int(60_000 * scale)
    cases: list[Case] = []
    for n in range(total):
        system = SYSTEMS[n % 8]
        (ctype, unit) = types[(n % 8) * 3 + rng.choices(range(3), weights[:3])[0]]
        opened = NOW - timedelta(days=rng.uniform(0, 3 * 365))
        lead = rng.lognormvariate(3.0, 0.9)
        closed = opened + timedelta(days=lead) if opened + timedelta(days=lead) < NOW else None
        events: tuple[CaseEvent, ...] = ()
        if rng.random() < 0.15:
            req = opened + timedelta(days=lead * 0.3)
            events = (
                CaseEvent(f"{n}a", req, CaseEventKind.COMPLETION_REQUESTED, ""),
                CaseEvent(f"{n}b", req + timedelta(days=5), CaseEventKind.COMPLETION_RECEIVED, ""),
            )
        main = f"M-{n // 2}" if n % 40 in (0, 1) else None  # 5 % of cases in 2-case chains
        collabs: tuple[Collaboration, ...] = ()
        if main and n % 2 == 0:
            collabs = (
                Collaboration(
                    CollaborationKind.FORWARDING,
                    Unit(unit, unit),
                    Unit("TN", "TN"),
                    opened + timedelta(days=1),
                    follow_up_retained=True,
                    counterpart=CaseRef(SYSTEMS[(n + 1) % 8], str(n + 1)),
                ),
            )
        cases.append(
            Case(
                ref=CaseRef(system, str(n)),
                case_number=f"{unit} {opened.year}/{n:06d}",
                main_case_number=main,
                type=ctype,
                title=f"Ärende {n} om ansökan från Anna Andersson 197801012340",
                status=CaseStatus.CLOSED if closed else CaseStatus.IN_PROGRESS,
                unit=Unit(unit, unit),
                opened_at=opened,
                closed_at=closed,
                channel=rng.choices(channels, cweights)[0],
                subject="197801012340",
                events=events,
                collaborations=collabs,
            )
        )
    # like a sync: each system's changes in windows of time, 5,000 at most per batch
    cases.sort(key=lambda c: (c.ref.system, c.closed_at or c.opened_at))
    return [cases[i : i + 5000] for i in range(0, len(cases), 5000)]


async def load_direct(rep: CaseStore, scale: float) -> tuple[float, int]:
    batches = synthetic(scale)
    started = time.perf_counter()
    for batch in batches:
        await rep.upsert(batch, NOW, names={"197801012340": "Anna Andersson"})
    await rep.recount_overdue(NOW)
    return time.perf_counter() - started, sum(len(b) for b in batches)


async def load_sync(rep: CaseStore, scale: float) -> tuple[float, int]:
    from connectors.registry import SystemSettings, open_connectors
    from simulators.sandbox import Sandbox

    t0 = time.perf_counter()
    sandbox = Sandbox.build(scale=scale, latency=False, reference_date=NOW.date())
    print(f"sandbox generated in {time.perf_counter() - t0:.1f} s")
    import httpx

    systems = [s for s in SYSTEMS if s in sandbox.apps]
    transports = {s: httpx.ASGITransport(app=sandbox.apps[s]) for s in systems}
    settings = {s: SystemSettings(url=f"http://{s}", timeout=60.0) for s in systems}
    async with contextlib.AsyncExitStack() as stack:
        conns = await open_connectors(settings, stack, transports=transports)
        started = time.perf_counter()
        status = await rep.sync(conns.case_sources, NOW)
        elapsed = time.perf_counter() - started
    failed = {s: v.last_error for s, v in status.items() if v.last_error}
    if failed:
        print(f"systems that failed: {failed}")
    return elapsed, sandbox.world.case_count()


async def timed(label: str, fn: Callable[[], Awaitable[object]], runs: int = 7) -> None:
    await fn()  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t) * 1000)
    print(f"  {label:<44} median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms")


def stats_query(
    rep: CaseStore, group_by: tuple[Dimension, ...], **kw: object
) -> Callable[[], Awaitable[object]]:
    async def run() -> object:
        flt = StatisticsFilter(group_by=group_by, **kw)  # type: ignore[arg-type]
        return publish(await rep.statistics(flt, 5, NOW), group_by, 5)

    return run


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--mode", choices=("auto", "sync", "direct"), default="auto")
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    mode = args.mode
    if mode == "auto":
        mode = "sync" if importlib.util.find_spec("simulators.generate") else "direct"
    tmp = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite:///{Path(tmp.name) / 'casestore.db'}"
    prefix = f"bench{uuid.uuid4().hex[:6]}_"
    rep = await CaseStore(url, StatisticsPolicy({}, 30), prefix=prefix).open()
    try:
        loader = load_sync if mode == "sync" else load_direct
        elapsed, count = await loader(rep, args.scale)
        kind = url.split(":")[0]
        print(f"scale {args.scale} ({mode}, {kind}): {count} cases stored in {elapsed:.1f} s")
        # the sandbox's world lives in this process (a gateway would not hold it): keep
        # its millions of objects out of the garbage collector's full passes
        gc.collect()
        gc.freeze()
        print("warm queries:")
        await timed("statistics, whole case store, no grouping", stats_query(rep, ()))
        await timed("statistics by UNIT", stats_query(rep, (Dimension.UNIT,)))
        await timed(
            "statistics by CASE_TYPE x MONTH",
            stats_query(rep, (Dimension.CASE_TYPE, Dimension.MONTH)),
        )
        await timed(
            "statistics by CHANNEL, one unit, one year",
            stats_query(
                rep, (Dimension.CHANNEL,), unit="BN", from_date=NOW.date() - timedelta(days=365)
            ),
        )
        await timed("statistics by all four dimensions", stats_query(rep, tuple(Dimension)))
        await timed(
            "overdue, first page of 50", lambda: rep.overdue(OverdueFilter(), 50, None, NOW)
        )
        await timed("diary, first page of 50", lambda: rep.diary(DiaryFilter(), 50, None))
        await timed(
            "diary, free text", lambda: rep.diary(DiaryFilter(text="ärende 4711"), 50, None)
        )
        await timed(
            "diary, free text, no match",
            lambda: rep.diary(DiaryFilter(text="ingen träff"), 50, None),
        )
        await timed(
            "diary, free text matching every entry",
            lambda: rep.diary(DiaryFilter(text="ansökan"), 50, None),
            runs=3,
        )
        await timed(
            "diary, 2 characters (no index: a scan)",
            lambda: rep.diary(DiaryFilter(text="47"), 50, None),
            runs=3,
        )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (max RSS): {rss:.0f} MB")
    finally:
        if url.startswith("postgres"):
            await rep.drop_tables()
        await rep.close()
        tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
