"""Per-request DataLoaders: at most one upstream call per system and operation.

Every loader batches the keys asked for in the same tick into one connector
call. A system that fails is recorded once in `failures` and its keys resolve to
"nothing", so the rest of the query still answers (partial data) — or, for the
case lists per person, to the last answer kept for stale-if-error, reported as
`STALE_DATA` with its age.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from connectors.base import CaseSource, MandateRegister, PopulationRegister
from connectors.domain import Case, Custody, Mandate, Person
from connectors.errors import StaleData, UpstreamError, UpstreamTimeout, UpstreamUnavailable
from connectors.http import at_deadline, deadline_share
from connectors.registry import Connectors
from connectors.stale import StaleCopies

from .batching import BatchLoader, Gathered

K = TypeVar("K")
V = TypeVar("V")


#: errors after which a kept answer may stand in: the system is down or did not answer
STALE_ON = (UpstreamUnavailable, UpstreamTimeout)
#: the operation name under which case lists per person are kept
CASES_FOR_PERSON = "cases-for-person"


class Failures:
    """Systems that failed during this request, with their first error; and those
    failed systems whose kept (stale) answers were shown instead, with the oldest age."""

    def __init__(self) -> None:
        self.by_system: dict[str, UpstreamError] = {}
        self.stale: dict[str, StaleData] = {}

    def record(self, error: UpstreamError) -> None:
        self.by_system.setdefault(error.system, error)

    def record_stale(self, system: str, age_seconds: float) -> None:
        known = self.stale.get(system)
        if known is None or age_seconds > known.age_seconds:
            self.stale[system] = StaleData(system, age_seconds)

    def __contains__(self, system: str) -> bool:
        return system in self.by_system or system in self.stale


class Loaders:
    """The DataLoaders of one request.

    Nothing a loader holds points back at the `Loaders` (their batch functions are
    `_Batch` objects, not closures over `self`): the request's objects form no
    reference cycle, so they are freed as soon as the request is done instead of
    waiting for the garbage collector."""

    def __init__(
        self,
        connectors: Connectors,
        failures: Failures,
        deadline: float | None,
        *,
        register_share: float = 1.0,
    ) -> None:
        self._connectors = connectors
        self._failures = failures
        self._deadline = deadline
        stale = connectors.stale
        self._stale = stale if stale is not None and stale.enabled else None
        population, mandates = connectors.population, connectors.mandates
        self.person: BatchLoader[str, Person | None] | None = None
        self.custody: BatchLoader[str, list[Custody]] | None = None
        self.mandates: BatchLoader[str, list[Mandate]] | None = None
        # a register look-up is the first hop: the case systems asked after it keep the rest
        if population is not None:
            pid = population.system.id
            self.person = BatchLoader(
                _Batch(
                    failures,
                    deadline,
                    pid,
                    functools.partial(_persons, population),
                    _no_persons,
                    register_share,
                )
            )
            self.custody = BatchLoader(
                _Batch(
                    failures,
                    deadline,
                    pid,
                    functools.partial(_custody, population),
                    _no_lists,
                    register_share,
                )
            )
        if mandates is not None:
            self.mandates = BatchLoader(
                _Batch(
                    failures,
                    deadline,
                    mandates.system.id,
                    functools.partial(_grants, mandates),
                    _no_lists,
                    register_share,
                )
            )

    # the per-system loaders are made when a query first needs them: most queries use
    # one kind of look-up, and a request should not pay for building the others

    @functools.cached_property
    def cases_for_person(self) -> dict[str, BatchLoader[str, list[Case]]]:
        stale = self._stale
        loaders: dict[str, BatchLoader[str, list[Case]]] = {}
        for system_id, source in self._connectors.case_sources.items():
            fetch = functools.partial(_by_person, source)
            loaders[system_id] = BatchLoader(
                _Batch(self._failures, self._deadline, system_id, fetch, _no_lists)
                if stale is None
                else _KeptBatch(
                    self._failures, self._deadline, system_id, CASES_FOR_PERSON, fetch, stale
                )
            )
        return loaders

    @functools.cached_property
    def case_by_id(self) -> dict[str, BatchLoader[str, Case | None]]:
        return self._per_system(_by_id, _no_cases)

    @functools.cached_property
    def cases_by_number(self) -> dict[str, BatchLoader[str, list[Case]]]:
        return self._per_system(_by_number, _no_lists)

    def _per_system(
        self,
        read: Callable[[CaseSource, Sequence[str]], Awaitable[list[V]]],
        empty: Callable[[Sequence[str]], list[V]],
    ) -> dict[str, BatchLoader[str, V]]:
        """A loader per case system, each batching `read` of that system's source."""
        return {
            system_id: BatchLoader(
                _Batch(
                    self._failures,
                    self._deadline,
                    system_id,
                    functools.partial(read, source),
                    empty,
                )
            )
            for system_id, source in self._connectors.case_sources.items()
        }

    # --- conveniences over all case systems ------------------------------------------------
    # Each registers its keys before it returns, so that look-ups started one after the
    # other, before any await, share their batches (and need no task to run in parallel).

    def cases_for_persons(self, pnrs: Iterable[str]) -> Awaitable[list[Case]]:
        """Every case of any of the persons, from every system, in parallel."""
        keys = sorted(set(pnrs))
        if not keys:
            return Gathered([], _unique)
        return Gathered(
            [loader.load(k) for loader in self.cases_for_person.values() for k in keys],
            _unique,
        )

    def cases_with_number(self, number: str) -> Awaitable[list[Case]]:
        return Gathered([loader.load(number) for loader in self.cases_by_number.values()], _unique)

    async def case(self, system_id: str, local_id: str) -> Case | None:
        loader = self.case_by_id.get(system_id)
        if loader is None:
            return None
        return await loader.load(local_id)

    def persons(self, pnrs: Iterable[str]) -> Awaitable[dict[str, Person]]:
        keys = sorted(set(pnrs))
        if self.person is None or not keys:
            return Gathered([], _found_persons)
        return Gathered([self.person.load(k) for k in keys], _found_persons)


class _Batch(Generic[K, V]):
    """One loader's batch: the connector call under the request deadline (a register's
    under its share of it). A system that failed is recorded and answers "nothing"."""

    __slots__ = ("_deadline", "_empty", "_failures", "_fetch", "_share", "_system")

    def __init__(
        self,
        failures: Failures,
        deadline: float | None,
        system_id: str,
        fetch: Callable[[Sequence[K]], Awaitable[list[V]]],
        empty: Callable[[Sequence[K]], list[V]],
        share: float = 1.0,
    ) -> None:
        self._failures = failures
        self._deadline = deadline
        self._system = system_id
        self._fetch = fetch
        self._empty = empty
        self._share = share

    async def __call__(self, keys: list[K]) -> list[V]:
        if self._system in self._failures:
            return self._empty(keys)  # don't knock again on a door that just failed
        try:
            with at_deadline(self._deadline), deadline_share(self._share):
                return await self._fetch(keys)
        except UpstreamError as exc:
            self._failures.record(exc)
            return self._empty(keys)


class _KeptBatch:
    """A case-list batch whose answers are kept, and shown when the system fails."""

    __slots__ = ("_deadline", "_failures", "_fetch", "_operation", "_stale", "_system")

    def __init__(
        self,
        failures: Failures,
        deadline: float | None,
        system_id: str,
        operation: str,
        fetch: Callable[[Sequence[str]], Awaitable[list[list[Case]]]],
        stale: StaleCopies,
    ) -> None:
        self._failures = failures
        self._deadline = deadline
        self._system = system_id
        self._operation = operation
        self._fetch = fetch
        self._stale = stale

    async def __call__(self, keys: list[str]) -> list[list[Case]]:
        system_id, failures = self._system, self._failures
        if system_id in failures.stale:
            return await self._recall(keys)
        if system_id in failures:
            return _no_lists(keys)
        try:
            with at_deadline(self._deadline):
                found = await self._fetch(keys)
        except STALE_ON as exc:
            shown = await self._recall(keys)
            if system_id not in failures.stale:
                failures.record(exc)
            return shown
        except UpstreamError as exc:
            failures.record(exc)
            return _no_lists(keys)
        await self._stale.keep(system_id, self._operation, dict(zip(keys, found, strict=True)))
        return found

    async def _recall(self, keys: Sequence[str]) -> list[list[Case]]:
        kept = await self._stale.recall(self._system, self._operation, keys)
        if kept:
            self._failures.record_stale(self._system, max(age for age, _ in kept.values()))
        return [list(kept[k][1]) if k in kept else [] for k in keys]


async def _persons(population: PopulationRegister, keys: Sequence[str]) -> list[Person | None]:
    found = {p.personal_number: p for p in await population.persons(keys)}
    return [found.get(k) for k in keys]


async def _custody(population: PopulationRegister, keys: Sequence[str]) -> list[list[Custody]]:
    rels = await population.custody(keys)
    return [[r for r in rels if k in (r.custodian, r.child)] for k in keys]


async def _grants(mandates: MandateRegister, keys: Sequence[str]) -> list[list[Mandate]]:
    found = await mandates.mandates_for_grantees(keys)
    return [[m for m in found if m.grantee == k] for k in keys]


def _found_persons(found: list[Person | None]) -> dict[str, Person]:
    return {p.personal_number: p for p in found if p is not None}


async def _by_person(source: CaseSource, keys: Sequence[str]) -> list[list[Case]]:
    cases = await source.cases_for_persons(keys)
    return [[c for c in cases if k in c.persons] for k in keys]


async def _by_id(source: CaseSource, keys: Sequence[str]) -> list[Case | None]:
    found = {c.ref.local_id: c for c in await source.cases_by_ids(keys)}
    return [found.get(k) for k in keys]


async def _by_number(source: CaseSource, keys: Sequence[str]) -> list[list[Case]]:
    cases = await source.cases_by_numbers(keys)
    return [[c for c in cases if k in (c.case_number, c.main_case_number)] for k in keys]


def _no_lists(keys: Sequence[Any]) -> list[list[Any]]:
    return [[] for _ in keys]


def _no_cases(keys: Sequence[str]) -> list[Case | None]:
    return [None for _ in keys]


def _no_persons(keys: Sequence[str]) -> list[Person | None]:
    return [None for _ in keys]


def _unique(per_key: list[list[Case]]) -> list[Case]:
    seen: dict[tuple[str, str], Case] = {}
    for cases in per_key:
        for case in cases:
            seen.setdefault((case.ref.system, case.ref.local_id), case)
    return list(seen.values())
