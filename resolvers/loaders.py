"""Per-request DataLoaders: at most one upstream call per system and operation.

Every loader batches the keys asked for in the same tick into one connector
call. A system that fails is recorded once in `failures` and its keys resolve to
"nothing", so the rest of the query still answers (partial data) — or, for the
case lists per person, to the last answer kept for stale-if-error, reported as
`STALE_DATA` with its age.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from connectors.base import CaseSource
from connectors.domain import Case, Custody, Mandate, Person
from connectors.errors import StaleData, UpstreamError, UpstreamTimeout, UpstreamUnavailable
from connectors.http import at_deadline, deadline_share
from connectors.registry import Connectors

from .batching import BatchLoader

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
    """The DataLoaders of one request."""

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
        self._register_share = register_share
        stale = connectors.stale
        self._stale = stale if stale is not None and stale.enabled else None
        population, mandates = connectors.population, connectors.mandates
        self.person: BatchLoader[str, Person | None] | None = None
        self.custody: BatchLoader[str, list[Custody]] | None = None
        self.mandates: BatchLoader[str, list[Mandate]] | None = None
        if population is not None:
            pid = population.system.id

            async def persons(keys: Sequence[str]) -> list[Person | None]:
                found = {p.personal_number: p for p in await population.persons(keys)}
                return [found.get(k) for k in keys]

            async def custody(keys: Sequence[str]) -> list[list[Custody]]:
                rels = await population.custody(keys)
                return [[r for r in rels if k in (r.custodian, r.child)] for k in keys]

            self.person = self._loader(
                pid, persons, lambda keys: [None for _ in keys], register=True
            )
            self.custody = self._loader(
                pid, custody, lambda keys: [[] for _ in keys], register=True
            )
        if mandates is not None:
            mid = mandates.system.id

            async def grants(keys: Sequence[str]) -> list[list[Mandate]]:
                found = await mandates.mandates_for_grantees(keys)
                return [[m for m in found if m.grantee == k] for k in keys]

            self.mandates = self._loader(
                mid, grants, lambda keys: [[] for _ in keys], register=True
            )

    # the per-system loaders are made when a query first needs them: most queries use
    # one kind of look-up, and a request should not pay for building the others

    @functools.cached_property
    def cases_for_person(self) -> dict[str, BatchLoader[str, list[Case]]]:
        return {
            system_id: self._kept_loader(
                system_id, CASES_FOR_PERSON, functools.partial(_by_person, source)
            )
            for system_id, source in self._connectors.case_sources.items()
        }

    @functools.cached_property
    def case_by_id(self) -> dict[str, BatchLoader[str, Case | None]]:
        return {
            system_id: self._loader(system_id, functools.partial(_by_id, source), _no_cases)
            for system_id, source in self._connectors.case_sources.items()
        }

    @functools.cached_property
    def cases_by_number(self) -> dict[str, BatchLoader[str, list[Case]]]:
        return {
            system_id: self._loader(system_id, functools.partial(_by_number, source), _no_lists)
            for system_id, source in self._connectors.case_sources.items()
        }

    def _loader(
        self,
        system_id: str,
        fetch: Callable[[Sequence[K]], Awaitable[list[V]]],
        empty: Callable[[Sequence[K]], list[V]],
        *,
        register: bool = False,
    ) -> BatchLoader[K, V]:
        # a register look-up is the first hop: the case systems asked after it keep the rest
        share = self._register_share if register else 1.0

        async def batch(keys: list[K]) -> list[V]:
            if system_id in self._failures:
                return empty(keys)  # don't knock again on a door that just failed
            try:
                with at_deadline(self._deadline), deadline_share(share):
                    return await fetch(keys)
            except UpstreamError as exc:
                self._failures.record(exc)
                return empty(keys)

        return BatchLoader(batch, max_batch_size=200)

    def _kept_loader(
        self,
        system_id: str,
        operation: str,
        fetch: Callable[[Sequence[str]], Awaitable[list[list[Case]]]],
    ) -> BatchLoader[str, list[Case]]:
        """A case-list loader whose answers are kept, and shown when the system fails."""
        stale = self._stale
        if stale is None:
            return self._loader(system_id, fetch, _no_lists)

        async def recall(keys: Sequence[str]) -> list[list[Case]]:
            kept = await stale.recall(system_id, operation, keys)
            if kept:
                self._failures.record_stale(system_id, max(age for age, _ in kept.values()))
            return [list(kept[k][1]) if k in kept else [] for k in keys]

        async def batch(keys: list[str]) -> list[list[Case]]:
            if system_id in self._failures.stale:
                return await recall(keys)
            if system_id in self._failures:
                return _no_lists(keys)
            try:
                with at_deadline(self._deadline):
                    found = await fetch(keys)
            except STALE_ON as exc:
                shown = await recall(keys)
                if system_id not in self._failures.stale:
                    self._failures.record(exc)
                return shown
            except UpstreamError as exc:
                self._failures.record(exc)
                return _no_lists(keys)
            await stale.keep(system_id, operation, dict(zip(keys, found, strict=True)))
            return found

        return BatchLoader(batch, max_batch_size=200)

    # --- conveniences over all case systems ------------------------------------------------

    async def cases_for_persons(self, pnrs: Iterable[str]) -> list[Case]:
        """Every case of any of the persons, from every system, in parallel."""
        keys = sorted(set(pnrs))
        if not keys:
            return []
        results = await asyncio.gather(
            *(loader.load_many(keys) for loader in self.cases_for_person.values())
        )
        return _unique(case for per_system in results for cases in per_system for case in cases)

    async def cases_with_number(self, number: str) -> list[Case]:
        results = await asyncio.gather(
            *(loader.load(number) for loader in self.cases_by_number.values())
        )
        return _unique(case for cases in results for case in cases)

    async def case(self, system_id: str, local_id: str) -> Case | None:
        loader = self.case_by_id.get(system_id)
        if loader is None:
            return None
        return await loader.load(local_id)

    async def persons(self, pnrs: Iterable[str]) -> dict[str, Person]:
        keys = sorted(set(pnrs))
        if self.person is None or not keys:
            return {}
        found = await self.person.load_many(keys)
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


def _no_lists(keys: Sequence[str]) -> list[list[Case]]:
    return [[] for _ in keys]


def _no_cases(keys: Sequence[str]) -> list[Case | None]:
    return [None for _ in keys]


def _unique(cases: Iterable[Case]) -> list[Case]:
    seen: dict[tuple[str, str], Case] = {}
    for case in cases:
        seen.setdefault((case.ref.system, case.ref.local_id), case)
    return list(seen.values())
