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
from collections.abc import AsyncIterator, Awaitable, Callable
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
#: in one title of 997: the rare word the free-text searches look for
RARE = " om strandskyddsdispens"
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
                title=f"Ärende {n} om ansökan{RARE if n % 997 == 0 else ''}"
                " från Anna Andersson 197801012340",
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


def quantile(times: list[float], q: float) -> float:
    """Nearest rank: the value `q` of the way up the sorted times."""
    ordered = sorted(times)
    return ordered[max(1, -(-int(q * 100) * len(ordered) // 100)) - 1]


async def repeat(fn: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    await fn()  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


async def timed(label: str, fn: Callable[[], Awaitable[object]], runs: int = 7) -> None:
    times = await repeat(fn, runs)
    print(
        f"  {label:<44} median {statistics.median(times):7.1f} ms"
        f"   p95 {quantile(times, 0.95):7.1f} ms   max {max(times):7.1f} ms"
    )


#: diary free text: what it is, and the text (hits at scale 1: 60,000, 60, 11, 29, 0, ~3,400)
FREE_TEXT = [
    ("common word (every entry)", "ansökan"),
    ("rare word (1 entry in 997)", "strandskyddsdispens"),
    ("title fragment (a few entries)", "ärende 4711"),
    ("case number fragment", "2024/0047"),
    ("no hits", "ingen träff"),
    ("2 characters (below trigrams)", "47"),
]


def search(rep: CaseStore, text: str) -> Callable[[], Awaitable[object]]:
    return lambda: rep.diary(DiaryFilter(text=text), 50, None)


async def free_text(rep: CaseStore, runs: int, kind: str) -> None:
    """Each diary search `runs` times (first page of 50 and totalCount): median and p95."""
    print(f"diary free text ({kind}), first page of 50 and totalCount, {runs} runs each:")
    for label, text in FREE_TEXT:
        hits = (await rep.diary(DiaryFilter(text=text), 1, None)).total_count
        times = await repeat(search(rep, text), runs)
        print(
            f"  {label:<31} {text!r:<22} {hits:>7} hits"
            f"   median {statistics.median(times):7.1f} ms   p95 {quantile(times, 0.95):7.1f} ms"
        )


def stats_query(
    rep: CaseStore, group_by: tuple[Dimension, ...], **kw: object
) -> Callable[[], Awaitable[object]]:
    async def run() -> object:
        flt = StatisticsFilter(group_by=group_by, **kw)  # type: ignore[arg-type]
        return publish(await rep.statistics(flt, 5, NOW), group_by, 5)

    return run


@contextlib.asynccontextmanager
async def pg_schema(url: str, name: str | None) -> AsyncIterator[str]:
    """A PostgreSQL schema of the bench's own (`name`, kept; else a new one, dropped after)
    and the URL that works in it. pg_trgm goes to `public` first, so that dropping the
    schema never takes the extension (and other users' indexes) with it."""
    import psycopg

    schema = name or f"bench_{uuid.uuid4().hex[:8]}"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema},public"
    finally:
        if name is None:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--mode", choices=("auto", "sync", "direct"), default="auto")
    parser.add_argument("--url", default="", help="postgresql://... (default: a SQLite file)")
    parser.add_argument(
        "--store",
        default=None,
        help="keep the store: a PostgreSQL schema or a SQLite file; one that holds\n"
        "cases already is queried without loading again",
    )
    parser.add_argument("--runs", type=int, default=20, help="runs per free-text search")
    parser.add_argument("--only-search", action="store_true", help="diary free text only")
    args = parser.parse_args()
    mode = args.mode
    if mode == "auto":
        mode = "sync" if importlib.util.find_spec("simulators.generate") else "direct"
    async with contextlib.AsyncExitStack() as stack:
        if args.url.startswith("postgres"):
            url = await stack.enter_async_context(pg_schema(args.url, args.store))
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            url = f"sqlite:///{args.store or Path(tmp) / 'casestore.db'}"
        rep = await CaseStore(url, StatisticsPolicy({}, 30), prefix="bench_").open()
        stack.push_async_callback(rep.close)
        await run(rep, args, mode, url.split(":")[0])


async def run(rep: CaseStore, args: argparse.Namespace, mode: str, kind: str) -> None:
    held = (await rep.diary(DiaryFilter(), 1, None)).total_count
    if held:
        print(f"scale {args.scale} ({kind}): the store holds {held} diary entries, not loaded")
    else:
        loader = load_sync if mode == "sync" else load_direct
        elapsed, count = await loader(rep, args.scale)
        print(f"scale {args.scale} ({mode}, {kind}): {count} cases stored in {elapsed:.1f} s")
    # the sandbox's world lives in this process (a gateway would not hold it): keep
    # its millions of objects out of the garbage collector's full passes
    gc.collect()
    gc.freeze()
    if not args.only_search:
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
            "diary, one unit, one month, free text",
            lambda: rep.diary(
                DiaryFilter(
                    unit="BN",
                    registered_from=NOW.date() - timedelta(days=30),
                    text="ansökan",
                ),
                50,
                None,
            ),
        )
    await free_text(rep, args.runs, kind)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {rss:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
