"""Long caching for systems that signal: a signal, not a TTL, ends an entry.

`SignalledSource` wraps a system's connector. Its answers are cached per person
(`<system>:sig:person:<pnr>`), per case id (`<system>:sig:case:<id>`) and per case
number (`<system>:sig:number:<number>`) for `ttl` seconds (`[systems.<id>]
cache_seconds`), which is safe only because the signal processor calls
`invalidate` for every key that could show a changed case — on every gateway
process. The periodic pull (`changed_cases`) does the same for every case it
finds changed, so a lost signal ends the entries within the pull interval.

Only unredacted domain objects are cached, keyed by the upstream question, never
by caller; policies run after the cache, as everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from aiocache.base import BaseCache

from .base import CaseSource
from .domain import Case, SystemInfo
from .paging import unique_cases
from .register_cache import cached_per_key

log = logging.getLogger(__name__)


def case_keys(case: Case) -> tuple[set[str], set[str]]:
    """The persons and case numbers under which `case` is cached."""
    numbers = {case.case_number}
    if case.main_case_number:
        numbers.add(case.main_case_number)
    return set(case.persons), numbers


def _grouped(
    cases: Iterable[Case], keys_of: Callable[[Case], Iterable[str]], wanted: Sequence[str]
) -> dict[str, tuple[Case, ...]]:
    found: dict[str, list[Case]] = {}
    wanted_set = set(wanted)
    for case in cases:
        for key in keys_of(case):
            if key in wanted_set:
                found.setdefault(key, []).append(case)
    return {k: tuple(v) for k, v in found.items()}


class SignalledSource:
    """A `CaseSource` whose answers live until a signal (or `ttl`) ends them."""

    def __init__(self, inner: CaseSource, cache: BaseCache, ttl: int) -> None:
        self.inner = inner
        self.system: SystemInfo = inner.system
        self._cache = cache
        self._ttl = ttl
        self._p = f"{inner.system.id}:sig:"
        #: told of every case the pull found changed (the signal processor publishes it)
        self.on_change: Callable[[Case, Case | None], Awaitable[None]] | None = None

    async def cases_for_persons(self, personal_numbers: Sequence[str]) -> list[Case]:
        async def fetch(keys: Sequence[str]) -> Mapping[str, tuple[Case, ...]]:
            cases = await self.inner.cases_for_persons(keys)
            return _grouped(cases, lambda c: c.persons, keys)

        found = await cached_per_key(
            self._cache,
            self._p + "person:",
            list(dict.fromkeys(personal_numbers)),
            fetch,
            ttl=self._ttl,
            miss_ttl=self._ttl,
        )
        return unique_cases(c for cases in found.values() for c in cases)

    async def cases_by_ids(self, local_ids: Sequence[str]) -> list[Case]:
        async def fetch(keys: Sequence[str]) -> Mapping[str, tuple[Case, ...]]:
            cases = await self.inner.cases_by_ids(keys)
            return _grouped(cases, lambda c: (c.ref.local_id,), keys)

        found = await cached_per_key(
            self._cache,
            self._p + "case:",
            list(dict.fromkeys(local_ids)),
            fetch,
            ttl=self._ttl,
            miss_ttl=min(self._ttl, 30),
        )
        return unique_cases(c for cases in found.values() for c in cases)

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[Case]:
        async def fetch(keys: Sequence[str]) -> Mapping[str, tuple[Case, ...]]:
            cases = await self.inner.cases_by_numbers(keys)
            return _grouped(cases, lambda c: case_keys(c)[1], keys)

        found = await cached_per_key(
            self._cache,
            self._p + "number:",
            list(dict.fromkeys(numbers)),
            fetch,
            ttl=self._ttl,
            miss_ttl=self._ttl,
        )
        return unique_cases(c for cases in found.values() for c in cases)

    async def changed_cases(self, since: datetime, until: datetime) -> list[Case]:
        """The pull: also ends the entries of every case that changed since it was cached."""
        cases = await self.inner.changed_cases(since, until)
        if not cases or until < datetime.now(UTC) - timedelta(seconds=self._ttl + 60):
            return cases  # whatever was cached before these changes has expired by now
        try:
            held = await self._held(cases)
        except Exception:
            log.warning("signal cache unavailable for %s", self._p, exc_info=True)
            held = {}
        for case in cases:
            before = held.get(case.ref.local_id)
            if before == case:
                continue
            await self.replace(case, before)
            if before is not None and self.on_change is not None:
                await self.on_change(case, before)
        return cases

    async def _held(self, cases: Sequence[Case]) -> dict[str, Case]:
        """The hub's copy of each case, by local id: the case's own entry, else its copy in
        the entry of one of its persons or numbers (a citizen's Mina Sidor holds it)."""
        hits = await self._cache.multi_get([self._p + "case:" + c.ref.local_id for c in cases])
        held = {
            case.ref.local_id: hit[0]
            for case, hit in zip(cases, hits, strict=True)
            if isinstance(hit, tuple) and hit and isinstance(hit[0], Case)
        }
        missing = {c.ref.local_id: c for c in cases if c.ref.local_id not in held}
        if not missing:
            return held
        people: set[str] = set()
        numbers: set[str] = set()
        for case in missing.values():
            case_people, case_numbers = case_keys(case)
            people |= case_people
            numbers |= case_numbers
        keys = [self._p + "person:" + p for p in sorted(people)]
        keys += [self._p + "number:" + n for n in sorted(numbers)]
        for hit in await self._cache.multi_get(keys) if keys else []:
            for copy in hit if isinstance(hit, tuple) else ():
                wanted = missing.get(copy.ref.local_id) if isinstance(copy, Case) else None
                if wanted is not None and copy.ref == wanted.ref:
                    held.setdefault(copy.ref.local_id, copy)
        return held

    # --- what the signal processor uses --------------------------------------------------

    async def fresh_cases(self, local_ids: Sequence[str]) -> list[Case]:
        """The cases as the system has them now, past every cache (one batched call)."""
        await self._delete([f"{self.system.id}:case:{i}" for i in local_ids])  # the connector's
        return await self.inner.cases_by_ids(local_ids)

    async def fresh_by_number(self, number: str) -> list[Case]:
        return await self.inner.cases_by_numbers([number])

    async def cached_cases(self, local_ids: Sequence[str]) -> dict[str, Case]:
        """The copies the cache holds (what readers saw last), by local id."""
        if not local_ids:
            return {}
        try:
            hits = await self._cache.multi_get([self._p + "case:" + i for i in local_ids])
        except Exception:
            log.warning("signal cache unavailable for %s", self._p, exc_info=True)
            return {}
        return {
            i: hit[0]
            for i, hit in zip(local_ids, hits, strict=True)
            if isinstance(hit, tuple) and hit and isinstance(hit[0], Case)
        }

    async def replace(
        self, case: Case, previous: Case | None = None, persons: Iterable[str] = ()
    ) -> None:
        """Put `case` in place of its previous version in every entry that holds it (and
        into the entries of persons and numbers it now belongs to), so that readers see
        it at once without asking the system again."""
        people, numbers = case_keys(case)
        belongs_people, belongs_numbers = set(people), set(numbers)
        people.update(persons)
        if previous is not None:
            old_people, old_numbers = case_keys(previous)
            people |= old_people
            numbers |= old_numbers
        await self._delete([f"{self.system.id}:case:{case.ref.local_id}"])
        for person in sorted(people):
            await self._patch(self._p + "person:" + person, case, person in belongs_people)
        for number in sorted(numbers):
            await self._patch(self._p + "number:" + number, case, number in belongs_numbers)
        try:
            await self._cache.multi_set(
                [(self._p + "case:" + case.ref.local_id, (case,))], ttl=self._ttl
            )
        except Exception:
            log.warning("signal cache unavailable for %s", self._p, exc_info=True)
            raise

    async def _patch(self, key: str, case: Case, belongs: bool) -> None:
        try:
            hit = await self._cache.get(key)
        except Exception:
            log.warning("signal cache unavailable for %s", self._p, exc_info=True)
            raise
        if not isinstance(hit, tuple):
            return  # nothing cached: the next reader asks the system
        kept = [c for c in hit if isinstance(c, Case) and c.ref != case.ref]
        if belongs:
            kept.append(case)
        # multi_set: aiocache's set() with a TTL uses Redis' deprecated SETEX
        await self._cache.multi_set([(key, tuple(kept))], ttl=self._ttl)

    async def invalidate(
        self, case_ids: Iterable[str], persons: Iterable[str], numbers: Iterable[str]
    ) -> None:
        keys = [self._p + "case:" + i for i in case_ids]
        keys += [f"{self.system.id}:case:{i}" for i in case_ids]
        keys += [self._p + "person:" + p for p in persons]
        keys += [self._p + "number:" + n for n in numbers]
        await self._delete(keys)

    async def _delete(self, keys: Sequence[str]) -> None:
        try:
            for key in keys:
                await self._cache.delete(key)
        except Exception:  # the TTL still ends the entry; the signal is retried by the caller
            log.warning("signal cache unavailable for %s", self._p, exc_info=True)
            raise
