"""FolkbokforingConnector against the simulated register: mapping, batching, per-key caching
with negative caching, and bad bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import httpx
import pytest
from aiocache import SimpleMemoryCache
from kp_service_worlds import MANY, NILS, SARA, folkbokforing_world
from kp_testing import CountingTransport
from kp_worlds import KALLE, LISA, TOLVAN, mock_http

from connectors import folkbokforing as fb
from connectors.base import PopulationRegister
from connectors.domain import Custody, Person
from connectors.errors import UpstreamContractError
from connectors.http import UpstreamClient
from simulators import folkbokforing as fb_sim
from simulators.generate import generate

UNKNOWN = LISA  # valid, not in the register


class Counting(CountingTransport):
    """Records every request, and which personal numbers each one asked for."""

    def asked(self) -> list[list[str]]:
        return [json.loads(r.content)["personnummer"] for r in self.requests]


class RecordingCache(SimpleMemoryCache):  # type: ignore[misc]
    """A real memory cache that also records every multi_set with its TTL."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sets: list[tuple[list[str], int | None]] = []

    async def _multi_set(self, pairs: Any, ttl: int | None = None, _conn: Any = None) -> Any:
        self.sets.append(([k for k, _ in pairs], ttl))
        return await super()._multi_set(pairs, ttl=ttl, _conn=_conn)


class BrokenCache(SimpleMemoryCache):  # type: ignore[misc]
    """A cache that is down."""

    async def _multi_get(self, keys: Any, encoding: Any = None, _conn: Any = None) -> Any:
        raise ConnectionError("cache down")

    async def _multi_set(self, pairs: Any, ttl: int | None = None, _conn: Any = None) -> Any:
        raise ConnectionError("cache down")


@pytest.fixture
def counting() -> Counting:
    return Counting(httpx.ASGITransport(app=fb_sim.create_app(folkbokforing_world())))


@pytest.fixture
async def http(counting: Counting) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=counting, base_url="http://folkbokforing.test") as c:
        yield c


def connector(http: httpx.AsyncClient, cache: Any = None) -> fb.FolkbokforingConnector:
    return fb.FolkbokforingConnector(UpstreamClient("folkbokforing", http), cache=cache)


async def test_is_a_population_register(http: httpx.AsyncClient) -> None:
    register = connector(http)
    assert isinstance(register, PopulationRegister)
    assert register.system == fb.INFO


async def test_persons_in_one_request_unknown_and_malformed_absent(
    http: httpx.AsyncClient, counting: Counting
) -> None:
    persons = await connector(http).persons([SARA, UNKNOWN, KALLE, "19560605-5555", "x", SARA])
    assert persons == [
        Person(SARA, "Sara", "Skyddad", protected_identity=True),
        Person(KALLE, "Kalle", "Testson", protected_identity=False),
    ]
    assert counting.asked() == [[SARA, UNKNOWN, KALLE]]


async def test_custody_in_both_directions_without_duplicates(
    http: httpx.AsyncClient, counting: Counting
) -> None:
    rels = await connector(http).custody([KALLE, NILS, TOLVAN, UNKNOWN])
    assert rels == [Custody(KALLE, NILS), Custody(SARA, NILS)]
    assert await connector(http).custody([SARA]) == [Custody(SARA, NILS)]
    assert [r.url.path for r in counting.requests] == ["/api/v1/personer/relationer"] * 2


async def test_empty_or_only_malformed_keys_make_no_call(
    http: httpx.AsyncClient, counting: Counting
) -> None:
    register = connector(http, SimpleMemoryCache())
    assert await register.persons([]) == []
    assert await register.custody(["195606055556", "abc"]) == []
    assert counting.requests == []


async def test_more_than_200_keys_are_chunked(http: httpx.AsyncClient, counting: Counting) -> None:
    persons = await connector(http).persons(MANY)
    assert [p.personal_number for p in persons] == MANY
    assert sorted(len(keys) for keys in counting.asked()) == [50, 200]


async def test_persons_cached_with_negative_caching(
    http: httpx.AsyncClient, counting: Counting
) -> None:
    cache = RecordingCache()
    register = connector(http, cache)
    first = await register.persons([KALLE, UNKNOWN])
    assert first == [Person(KALLE, "Kalle", "Testson")]
    assert cache.sets == [
        ([f"folkbokforing:person:{KALLE}"], fb.PERSON_TTL),
        ([f"folkbokforing:person:{UNKNOWN}"], fb.MISS_TTL),
    ]
    assert fb.MISS_TTL < fb.PERSON_TTL
    # all known and unknown: no call at all
    assert await register.persons([UNKNOWN, KALLE]) == first
    assert len(counting.requests) == 1
    # partly cached: only the missing key is asked
    both = await register.persons([KALLE, TOLVAN, UNKNOWN])
    assert [p.personal_number for p in both] == [KALLE, TOLVAN]
    assert counting.asked() == [[KALLE, UNKNOWN], [TOLVAN]]


async def test_custody_cached_per_person(http: httpx.AsyncClient, counting: Counting) -> None:
    cache = RecordingCache()
    register = connector(http, cache)
    assert await register.custody([NILS, UNKNOWN]) == [Custody(KALLE, NILS), Custody(SARA, NILS)]
    assert cache.sets == [
        ([f"folkbokforing:custody:{NILS}"], fb.CUSTODY_TTL),
        ([f"folkbokforing:custody:{UNKNOWN}"], fb.MISS_TTL),
    ]
    assert await register.custody([UNKNOWN, NILS]) == [Custody(KALLE, NILS), Custody(SARA, NILS)]
    assert await register.custody([TOLVAN]) == []
    assert await register.custody([TOLVAN]) == []
    assert counting.asked() == [[NILS, UNKNOWN], [TOLVAN]]
    # persons and custody do not share keys
    assert await register.persons([NILS]) == [Person(NILS, "Nils", "Testson")]
    assert len(counting.requests) == 3


async def test_a_broken_cache_does_not_fail_the_read(
    http: httpx.AsyncClient, counting: Counting
) -> None:
    register = connector(http, BrokenCache())
    assert await register.persons([KALLE]) == [Person(KALLE, "Kalle", "Testson")]
    assert await register.persons([KALLE]) == [Person(KALLE, "Kalle", "Testson")]
    assert len(counting.requests) == 2


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return mock_http("folkbokforing", handler)


GOOD = {
    "personnummer": KALLE,
    "fornamn": "Kalle",
    "efternamn": "Testson",
    "skyddadIdentitet": False,
    "sekretessmarkering": False,
}


@pytest.mark.parametrize(
    ("payload", "protected"),
    [
        ({**GOOD, "sekretessmarkering": True}, True),
        ({**GOOD, "skyddadIdentitet": True}, True),
        (GOOD, False),
    ],
)
async def test_either_flag_means_protected_identity(payload: object, protected: bool) -> None:
    async with _mock(lambda r: httpx.Response(200, json={"personer": [payload]})) as http:
        (person,) = await connector(http).persons([KALLE])
    assert person.protected_identity is protected


@pytest.mark.parametrize(
    "body",
    [
        b"{oops",
        b"[]",
        b'{"personer": {}}',
        json.dumps({"personer": [{**GOOD, "skyddadIdentitet": "nej"}]}).encode(),
        json.dumps({"personer": [{**GOOD, "personnummer": "195606055556"}]}).encode(),
        json.dumps({"personer": [{k: v for k, v in GOOD.items() if k != "efternamn"}]}).encode(),
        json.dumps({"personer": [{**GOOD, "fornamn": ""}]}).encode(),
    ],
)
async def test_malformed_persons_are_contract_errors(body: bytes) -> None:
    async with _mock(lambda r: httpx.Response(200, content=body)) as http:
        with pytest.raises(UpstreamContractError) as caught:
            await connector(http, SimpleMemoryCache()).persons([KALLE])
    assert caught.value.system == "folkbokforing"


@pytest.mark.parametrize(
    "body",
    [
        b'{"relationer": null}',
        b'{"relationer": [{"personnummer": "195606055555", "barn": []}]}',
        b'{"relationer": [{"personnummer": "195606055555", "barn": [5], "vardnadshavare": []}]}',
    ],
)
async def test_malformed_relations_are_contract_errors(body: bytes) -> None:
    async with _mock(lambda r: httpx.Response(200, content=body)) as http:
        with pytest.raises(UpstreamContractError):
            await connector(http).custody([KALLE])


async def test_generated_sandbox_personas() -> None:
    world = generate(seed=1, reference_date=date(2026, 11, 1), scale=0.05)
    transport = httpx.ASGITransport(app=fb_sim.create_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://folkbokforing.test") as c:
        register = connector(c, SimpleMemoryCache())
        persons = await register.persons([KALLE, NILS, SARA])
        custody = await register.custody([KALLE, SARA])
    assert [(p.name, p.protected_identity) for p in persons] == [
        ("Kalle Testson", False),
        ("Nils Testson", False),
        (persons[2].name, True),
    ]
    assert Custody(KALLE, NILS) in custody
    assert any(rel.custodian == SARA for rel in custody)
