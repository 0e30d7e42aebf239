"""What every case connector does alike, run over every case system against its simulator:
look-ups by person, id and number (keys, calls, paging, mapping), key hygiene, batching,
the case cache, change windows, code tables and faults.

What differs between the systems is in the table `kp_case_table.SYSTEMS`; what only one
system does is in its own test file.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from aiocache import SimpleMemoryCache
from kp_case_systems import CaseSystem, connected, contract_error
from kp_case_table import SYSTEMS
from kp_testing import CountingTransport as Counting

from connectors.base import CaseSource
from connectors.domain import Case, CaseEventKind, CaseStatus, Channel
from connectors.errors import UpstreamContractError, UpstreamUnavailable
from connectors.http import RetryPolicy
from simulators import world as w
from simulators.faults import FaultInjector, Faults

EVERY_SYSTEM = pytest.mark.parametrize("system", SYSTEMS, ids=str)
#: the look-ups of a `CaseSystem` and the method each calls
LOOKUPS = {
    "person": "cases_for_persons",
    "crowd": "cases_for_persons",
    "ids": "cases_by_ids",
    "numbers": "cases_by_numbers",
}
#: keys no system can hold: they cost no call anywhere
HOPELESS_PERSONS = ("", "not-a-pnr", "12345", "19560605-5555", "19121212-1212")
HOPELESS_KEYS = ("", "x" * 65)
STOCKHOLM_WINTER = timedelta(hours=1)


def _ids(cases: list[Case]) -> list[str]:
    return [c.ref.local_id for c in cases]


def _sent(request: httpx.Request) -> str:
    """What a request carries, as text: its URL (decoded) and its body."""
    return unquote(str(request.url)) + request.content.decode()


def _assert_found(system: CaseSystem[Any], cases: list[Case], found: tuple[str, ...]) -> None:
    """The cases are those of `found`, in that order, and the known ones map exactly."""
    assert _ids(cases) == list(found)
    for case in cases:
        if case.ref.local_id in system.known:
            assert case == system.known[case.ref.local_id]


@EVERY_SYSTEM
async def test_is_a_case_source(system: CaseSystem[Any], connector: Any) -> None:
    assert isinstance(connector, CaseSource)
    assert connector.system == system.info


@EVERY_SYSTEM
@pytest.mark.parametrize("lookup", LOOKUPS)
async def test_lookups_find_map_and_page(
    system: CaseSystem[Any], lookup: str, connector: Any, counting: Counting
) -> None:
    expected = getattr(system, lookup)
    cases = await getattr(connector, LOOKUPS[lookup])(list(expected.keys))
    _assert_found(system, cases, expected.found)
    assert len(counting.requests) == expected.calls
    assert all(system.keys_sent(r) == expected.sent for r in counting.requests)
    assert all(r.url.host == system.host for r in counting.requests)
    if expected.marks is not None:
        assert system.page_mark is not None
        assert [system.page_mark(r) for r in counting.requests] == list(expected.marks)


@EVERY_SYSTEM
async def test_times_are_aware_stockholm_times(system: CaseSystem[Any], connector: Any) -> None:
    (case, *_) = await connector.cases_for_persons(list(system.person.keys))
    times = [
        case.opened_at,
        *(e.occurred_at for e in case.events),
        *(d.registered_at for d in case.documents),
        *(c.started_at for c in case.collaborations),
    ]
    assert all(t.utcoffset() == STOCKHOLM_WINTER for t in times)


@EVERY_SYSTEM
async def test_keys_the_system_cannot_hold_make_no_call(
    system: CaseSystem[Any], connector: Any, counting: Counting
) -> None:
    assert await connector.cases_for_persons([]) == []
    assert await connector.cases_by_ids([]) == []
    assert await connector.cases_by_numbers([]) == []
    assert await connector.cases_for_persons(list(HOPELESS_PERSONS)) == []
    assert await connector.cases_by_ids([*HOPELESS_KEYS, *system.hopeless_ids]) == []
    assert await connector.cases_by_numbers([*HOPELESS_KEYS, *system.hopeless_numbers]) == []
    assert counting.requests == []


@EVERY_SYSTEM
async def test_ids_go_in_chunks_of_the_batch_limit(
    system: CaseSystem[Any], connector: Any, counting: Counting
) -> None:
    known = system.cached[0]
    ids = [known, *(f"99{i:06d}" for i in range(400))]
    assert await connector.cases_by_ids(ids) == [system.known[known]]
    assert sorted(len(system.keys_sent(r)) for r in counting.requests) == [1, 200, 200]


@EVERY_SYSTEM
async def test_cases_by_ids_served_from_cache(system: CaseSystem[Any], counting: Counting) -> None:
    known, other = system.cached
    async with connected(system, counting, cache=SimpleMemoryCache()) as cached:
        assert await cached.cases_by_ids([known]) == [system.known[known]]
        assert await cached.cases_by_ids([known]) == [system.known[known]]
        assert len(counting.requests) == 1
        both = await cached.cases_by_ids([known, other])
        assert sorted(_ids(both)) == sorted([known, other])
        assert [system.keys_sent(r) for r in counting.requests] == [[known], [other]]
        again = await cached.cases_by_ids([other, known])
        assert sorted(_ids(again)) == sorted([known, other])
        assert len(counting.requests) == 2


@EVERY_SYSTEM
async def test_changed_cases_follow_every_page(
    system: CaseSystem[Any], connector: Any, counting: Counting
) -> None:
    window = system.changes
    cases = await connector.changed_cases(window.since, window.until)
    _assert_found(system, cases, window.found)
    assert len(counting.requests) == window.calls
    assert all(text in _sent(counting.requests[0]) for text in window.sent)


@EVERY_SYSTEM
async def test_changed_cases_refuse_naive_window_ends(
    system: CaseSystem[Any], connector: Any, counting: Counting
) -> None:
    with pytest.raises(ValueError):
        await connector.changed_cases(datetime(2025, 1, 1), datetime(2025, 2, 1))
    assert counting.requests == []


@pytest.mark.parametrize("system", [s for s in SYSTEMS if s.status_id], ids=str)
async def test_every_status_event_and_channel_code_maps(
    system: CaseSystem[Any], connector: Any
) -> None:
    assert system.status_id is not None
    cases = await connector.cases_by_ids([system.status_id(n) for n in range(len(w.STATUSES))])
    by_id = {c.ref.local_id: c for c in cases}
    for n, status in enumerate(w.STATUSES):
        case = by_id[system.status_id(n)]
        assert case.status is CaseStatus(status)
        assert case.channel is Channel(w.CHANNELS[n])
        assert [e.kind for e in case.events] == [CaseEventKind(k) for k in w.EVENT_KINDS]
    if system.status_link is not None:
        assert by_id[system.status_id(0)].link == system.status_link


@EVERY_SYSTEM
def test_code_tables_are_the_codes_the_simulator_emits(system: CaseSystem[Any]) -> None:
    for ours, theirs in system.tables:
        assert set(ours) == set(theirs)


@EVERY_SYSTEM
async def test_works_under_the_fault_injector_and_maps_its_faults(
    system: CaseSystem[Any],
) -> None:
    injector = FaultInjector(system.app(system.world()))
    transport = httpx.ASGITransport(app=injector)
    persons, found = list(system.person.keys), system.person.found
    async with connected(system, transport, retry=RetryPolicy(attempts=0)) as connector:
        _assert_found(system, await connector.cases_for_persons(persons), found)
        injector.set(Faults(malformed=True))
        with pytest.raises(UpstreamContractError):
            await connector.cases_for_persons(persons)
        injector.set(Faults(error_rate=1.0))
        with pytest.raises(UpstreamUnavailable):
            await connector.cases_for_persons(persons)
        injector.clear()
        _assert_found(system, await connector.cases_for_persons(persons), found)


@EVERY_SYSTEM
@pytest.mark.parametrize("body", [b"\x00<<garbage", b"", b"<html>oops</html>"])
async def test_garbage_is_a_contract_error_that_names_no_url(
    system: CaseSystem[Any], body: bytes
) -> None:
    error = await contract_error(system, body, lambda c: c.cases_by_ids([system.cached[0]]))
    assert "garbage" not in error.message and "oops" not in error.message


def test_every_system_uses_its_own_simulator() -> None:
    """The table cannot pass by pointing two systems at one simulator."""
    assert len({s.name for s in SYSTEMS}) == len({s.app for s in SYSTEMS}) == len(SYSTEMS)
    for system in SYSTEMS:
        assert system.info.id == system.name
        assert all(case.ref.system == system.name for case in system.known.values())
