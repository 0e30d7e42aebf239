"""OmbudConnector against the simulated mandate register: mapping, revoked left out, paging,
batching, per-grantee caching and bad bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import httpx
import pytest
from aiocache import SimpleMemoryCache
from kp_service_worlds import GRETA, ombud_world
from kp_testing import CountingTransport as Counting
from kp_worlds import ANNA, KALLE, LISA, TOLVAN, mock_http

from connectors import ombud
from connectors.base import MandateRegister
from connectors.domain import Mandate
from connectors.errors import UpstreamContractError
from connectors.http import UpstreamClient
from connectors.personal_number import luhn_digit
from simulators import ombud as ombud_sim
from simulators.generate import generate

F1 = Mandate("F-1", GRETA, KALLE, frozenset({"SN-SABO", "SN-HEMTJANST"}), date(2024, 1, 1), None)
F2 = Mandate("F-2", LISA, KALLE, frozenset({"BN-BYGGLOV"}), date(2023, 1, 1), date(2023, 12, 31))


class RecordingCache(SimpleMemoryCache):  # type: ignore[misc]
    """A real memory cache that also records every multi_set with its TTL."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sets: list[tuple[list[str], int | None]] = []

    async def _multi_set(self, pairs: Any, ttl: int | None = None, _conn: Any = None) -> Any:
        self.sets.append(([k for k, _ in pairs], ttl))
        return await super()._multi_set(pairs, ttl=ttl, _conn=_conn)


@pytest.fixture
def counting() -> Counting:
    return Counting(httpx.ASGITransport(app=ombud_sim.create_app(ombud_world())))


@pytest.fixture
async def http(counting: Counting) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=counting, base_url="http://ombud.test") as c:
        yield c


def register(
    http: httpx.AsyncClient, cache: Any = None, page_size: int = 5
) -> ombud.OmbudConnector:
    return ombud.OmbudConnector(UpstreamClient("ombud", http), cache=cache, page_size=page_size)


async def test_is_a_mandate_register(http: httpx.AsyncClient) -> None:
    connector = register(http)
    assert isinstance(connector, MandateRegister)
    assert connector.system == ombud.INFO


async def test_mandates_mapped_revoked_left_out_expired_kept(
    http: httpx.AsyncClient, counting: Counting
) -> None:
    found = await register(http).mandates_for_grantees([KALLE, TOLVAN, ANNA, "bad", KALLE])
    assert found == [F1, F2]
    assert len(counting.requests) == 1
    assert counting.requests[0].url.params["fullmaktshavare"] == f"{KALLE},{TOLVAN},{ANNA}"


async def test_every_status_the_register_emits_is_known(http: httpx.AsyncClient) -> None:
    assert set(ombud.STATUS) == {"AKTIV", "ÅTERKALLAD"}
    doc = (await http.get("/openapi.json")).json()
    assert set(doc["components"]["schemas"]["Fullmakt"]["properties"]["status"]["enum"]) == set(
        ombud.STATUS
    )


async def test_page_numbers_are_followed(http: httpx.AsyncClient, counting: Counting) -> None:
    found = await register(http).mandates_for_grantees([LISA])
    assert [m.id for m in found] == [f"M-{i:02d}" for i in range(11)]
    assert [r.url.params["sida"] for r in counting.requests] == ["1", "2", "3"]


async def test_empty_keys_make_no_call(http: httpx.AsyncClient, counting: Counting) -> None:
    assert await register(http).mandates_for_grantees([]) == []
    assert await register(http).mandates_for_grantees(["195606055556"]) == []
    assert counting.requests == []


async def test_cached_per_grantee_with_negative_caching(
    http: httpx.AsyncClient, counting: Counting
) -> None:
    cache = RecordingCache()
    connector = register(http, cache)
    assert await connector.mandates_for_grantees([KALLE, TOLVAN]) == [F1, F2]
    assert cache.sets == [
        ([f"ombud:grantee:{KALLE}"], ombud.MANDATE_TTL),
        ([f"ombud:grantee:{TOLVAN}"], ombud.MISS_TTL),
    ]
    assert ombud.MISS_TTL < ombud.MANDATE_TTL
    assert await connector.mandates_for_grantees([TOLVAN, KALLE]) == [F1, F2]
    assert len(counting.requests) == 1
    assert len(await connector.mandates_for_grantees([KALLE, LISA])) == 13
    assert [r.url.params["fullmaktshavare"] for r in counting.requests] == [
        f"{KALLE},{TOLVAN}",
        LISA,
        LISA,
        LISA,
    ]


async def test_more_than_200_grantees_are_chunked(
    http: httpx.AsyncClient, counting: Counting
) -> None:
    many = [f"19800101{n:03d}{luhn_digit(f'800101{n:03d}')}" for n in range(210)]
    assert await register(http, page_size=500).mandates_for_grantees([*many, KALLE]) == [F1, F2]
    sizes = sorted(len(r.url.params["fullmaktshavare"].split(",")) for r in counting.requests)
    assert sizes == [11, 200]


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return mock_http("ombud", handler)


GOOD = {
    "fullmaktId": "F-1",
    "fullmaktsgivare": {"personnummer": GRETA},
    "fullmaktshavare": {"personnummer": KALLE},
    "behorigheter": [{"kod": "SN-SABO", "benamning": "Särskilt boende"}],
    "giltigFrom": "2024-01-01",
    "giltigTom": None,
    "status": "AKTIV",
}


def _page(*items: object, sida: int = 1, sidor: int = 1) -> bytes:
    return json.dumps({"fullmakter": list(items), "sida": sida, "antalSidor": sidor}).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        _page({**GOOD, "status": "PAUSAD"}),
        _page({**GOOD, "giltigFrom": "1 jan 2024"}),
        _page({**GOOD, "giltigTom": "2024-13-01"}),
        _page({**GOOD, "behorigheter": ["SN-SABO"]}),
        _page({**GOOD, "fullmaktshavare": KALLE}),
        _page(GOOD, sida=2),
        _page(GOOD, sidor=ombud.paging.MAX_PAGES + 1),
        json.dumps({"fullmakter": [GOOD], "sida": 1}).encode(),
    ],
)
async def test_malformed_pages_are_contract_errors(body: bytes) -> None:
    async with _mock(lambda r: httpx.Response(200, content=body)) as http:
        with pytest.raises(UpstreamContractError) as caught:
            await register(http).mandates_for_grantees([KALLE])
    assert caught.value.system == "ombud"


async def test_a_good_mock_page_maps() -> None:
    async with _mock(lambda r: httpx.Response(200, content=_page(GOOD))) as http:
        found = await register(http).mandates_for_grantees([KALLE])
    assert found == [Mandate("F-1", GRETA, KALLE, frozenset({"SN-SABO"}), date(2024, 1, 1), None)]


async def test_generated_sandbox_kalle_holds_gretas_mandate() -> None:
    world = generate(seed=1, reference_date=date(2026, 11, 1), scale=0.05)
    transport = httpx.ASGITransport(app=ombud_sim.create_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://ombud.test") as c:
        found = await register(c).mandates_for_grantees([KALLE])
    (greta,) = [m for m in found if m.grantor == GRETA]
    assert any(code.endswith("SABO") for code in greta.scope)
    assert greta.valid_from <= date(2026, 11, 1)
    assert greta.valid_until is None or greta.valid_until > date(2026, 11, 1)


async def test_mandates_by_grantor_find_who_may_act_for_a_person(
    http: httpx.AsyncClient, counting: Counting
) -> None:
    cache = RecordingCache()
    connector = register(http, cache=cache)
    assert await connector.mandates_for_grantors([GRETA, KALLE, "bad"]) == [F1]  # F-3 revoked
    assert counting.requests[0].url.params["fullmaktsgivare"] == f"{GRETA},{KALLE}"
    found = await connector.mandates_for_grantors([TOLVAN])
    assert sorted(m.id for m in found) == [f"M-{i:02d}" for i in range(11)]
    calls = len(counting.requests)
    assert await connector.mandates_for_grantors([GRETA]) == [F1]  # from the cache
    assert len(counting.requests) == calls
    # grantor and grantee entries never mix in the cache
    assert await connector.mandates_for_grantees([GRETA]) == []
    assert len(counting.requests) == calls + 1
