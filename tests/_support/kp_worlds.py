"""Small sandbox worlds for the connector and simulator tests (tests/_support is on pytest's path).

at(hours)                   a time on the tests' calendar, hours after `T0`
case(system, id, ...)       one `simulators.world.Case` with defaults for the rest
status_cases(...)           one case per status, each with every event kind
filler_cases(...)           `count` plain cases, for paging and batching
world_of(*cases, types=...) a `World` holding the cases, grouped by system
connector_over(make, system, handler)
                            a connector whose upstream is an `httpx.MockTransport`
wait_until(predicate)       polls until the predicate holds, or fails after `timeout`

The per-system worlds built from these, shared by connector and simulator tests, are in
`kp_system_worlds` (case systems) and `kp_service_worlds` (registers and services).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import httpx

from connectors.http import RetryPolicy, UpstreamClient
from simulators import world as w

T0 = datetime(2025, 3, 11, 9, 30, tzinfo=w.TZ)
REFERENCE_DATE = date(2025, 6, 1)
KALLE = "195606055555"
LISA = "194505173213"
TOLVAN = "191212121212"
ANNA = "197801012340"

C = TypeVar("C")
Handler = Callable[[httpx.Request], httpx.Response]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def case(
    system: str,
    id: str,
    *,
    number: str | None = None,
    type_code: str = "TYPE",
    title: str = "Ärende",
    unit: str = "KS",
    status: str = "RECEIVED",
    opened_at: datetime = T0,
    **fields: Any,
) -> w.Case:
    """A case of `system`; the number defaults to the id, the rest to a received case at `T0`."""
    return w.Case(
        system=system,
        id=id,
        number=id if number is None else number,
        type_code=type_code,
        title=title,
        unit=unit,
        status=status,
        opened_at=opened_at,
        **fields,
    )


def status_cases(
    system: str,
    *,
    type_code: str,
    unit: str,
    id: Callable[[int], str],
    number: Callable[[int], str],
    event_id: Callable[[int, int], str] = lambda n, k: f"s{n}-e{k}",
    summary: Callable[[str], str] = str.lower,
    title: Callable[[str], str] = lambda status: f"Status {status}",
    link: str | None = None,
) -> list[w.Case]:
    """Case n has status n, channel n, opens at -1000 + n hours and has every event kind.

    `link` is given to the first case only (the others let the system make one).
    """
    return [
        case(
            system,
            id(n),
            number=number(n),
            type_code=type_code,
            title=title(status),
            unit=unit,
            status=status,
            opened_at=at(-1000 + n),
            channel=w.CHANNELS[n],
            link=link if n == 0 else None,
            events=[
                w.Event(event_id(n, k), at(-1000 + n + k / 100), kind, summary(kind))
                for k, kind in enumerate(w.EVENT_KINDS)
            ],
        )
        for n, status in enumerate(w.STATUSES)
    ]


def filler_cases(
    system: str,
    count: int,
    *,
    type_code: str,
    unit: str,
    id: Callable[[int], str],
    number: Callable[[int], str],
    title: Callable[[int], str],
    opened_at: Callable[[int], datetime],
    **fields: Any,
) -> list[w.Case]:
    """`count` cases that differ only by id, number, title and opening time."""
    return [
        case(
            system,
            id(i),
            number=number(i),
            type_code=type_code,
            title=title(i),
            unit=unit,
            opened_at=opened_at(i),
            **fields,
        )
        for i in range(count)
    ]


def world_of(
    *cases: w.Case,
    types: Iterable[w.CaseTypeDef] = (),
    persons: Iterable[w.Person] = (),
    custody: Iterable[w.Custody] = (),
    mandates: Iterable[w.Mandate] = (),
    systems: Iterable[str] = (),
    seed: int = 0,
    reference_date: date = REFERENCE_DATE,
) -> w.World:
    """A world of these cases (in this order within each system), by default on `REFERENCE_DATE`.

    `systems` names systems that are there but hold no cases.
    """
    by_system: dict[str, list[w.Case]] = {system: [] for system in systems}
    for c in cases:
        by_system.setdefault(c.system, []).append(c)
    return w.World(
        seed,
        reference_date,
        0.0,
        {t.code: t for t in types},
        {p.pnr: p for p in persons},
        list(custody),
        list(mandates),
        by_system,
    )


def mock_http(system: str, handler: Handler) -> httpx.AsyncClient:
    """An HTTP client for `http://{system}.test` answered by `handler`."""
    return httpx.AsyncClient(
        base_url=f"http://{system}.test", transport=httpx.MockTransport(handler)
    )


def connector_over(
    make: Callable[[UpstreamClient], C], system: str, handler: Handler, *, retries: bool = False
) -> C:
    """The connector `make` builds over an upstream answered by `handler`.

    Without retries unless asked for (then the client's default policy).
    """
    retry = None if retries else RetryPolicy(attempts=0)
    return make(UpstreamClient(system, mock_http(system, handler), retry=retry))


async def wait_until(
    predicate: Callable[[], bool | Awaitable[bool]],
    timeout: float = 2.0,  # noqa: ASYNC109  (a deadline for polling is what this helper is)
    interval: float = 0.01,
) -> None:
    """Polls `predicate` (plain or async) until it holds; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = predicate()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {predicate}")
        await asyncio.sleep(interval)
