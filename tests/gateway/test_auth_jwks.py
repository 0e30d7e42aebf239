"""JWKS fetching and caching: first use, unknown kid, rate limit, last-known-good, refusals."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, Key, KeySet, OctKey

from connectors.errors import JwksError, Unauthenticated
from gateway.auth import ClaimNames, TokenValidator, TrustedIssuer
from gateway.jwks import JwksCache, JwksSettings, public_key_set

ISS = "https://login.exempelby.se/realms/kommun"
AUD = "knutpunkt"
JWKS_URL = "https://login.exempelby.se/realms/kommun/protocol/openid-connect/certs"
PNR_CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Endpoint:
    """A JWKS endpoint that can rotate keys, go down, or serve refused documents."""

    def __init__(self, keys: list[Key]) -> None:
        self.body: Any = KeySet(keys).as_dict(private=False)
        self.down = False
        self.status = 200
        self.hits = 0

    def serve(self, keys: list[Key]) -> None:
        self.body = KeySet(keys).as_dict(private=False)

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == JWKS_URL
        self.hits += 1
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if isinstance(self.body, bytes):
            return httpx.Response(self.status, content=self.body)
        return httpx.Response(self.status, json=self.body)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


def new_key(kid: str) -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid})


def token(key: Key) -> str:
    now = int(time.time())
    claims = {
        "iss": ISS,
        "aud": AUD,
        "sub": "u1",
        "iat": now,
        "exp": now + 300,
        "role": "citizen",
        PNR_CLAIM: "191212121212",
    }
    header = {"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}
    return jwt.encode(header, claims, key, algorithms=["ES256"])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def key_one() -> ECKey:
    return new_key("one")


@pytest.fixture
def endpoint(key_one: ECKey) -> Endpoint:
    return Endpoint([key_one])


@pytest.fixture
async def validator(endpoint: Endpoint, clock: Clock) -> AsyncIterator[TokenValidator]:
    settings = JwksSettings(min_refresh=60, max_stale=900, ttl=300)
    async with TokenValidator(
        [TrustedIssuer(ISS, AUD, JWKS_URL, algorithms=("ES256",))],
        ClaimNames(),
        30,
        endpoint.http,
        jwks=settings,
        monotonic=clock,
    ) as the_validator:
        yield the_validator


async def test_keys_are_fetched_on_first_use_and_then_cached(
    validator: TokenValidator, endpoint: Endpoint, clock: Clock, key_one: ECKey
) -> None:
    assert endpoint.hits == 0
    for _ in range(5):
        assert (await validator.validate(token(key_one))).personal_number == "191212121212"
        clock.now += 10
    assert endpoint.hits == 1


async def test_unknown_kid_refreshes_once_then_is_refused(
    validator: TokenValidator, endpoint: Endpoint, clock: Clock, key_one: ECKey
) -> None:
    await validator.validate(token(key_one))
    clock.now += 61
    stranger = new_key("not-published")
    for _ in range(3):
        with pytest.raises(Unauthenticated) as caught:
            await validator.validate(token(stranger))
        assert "no key" in caught.value.reason
        clock.now += 1
    assert endpoint.hits == 2  # the first fetch, one refresh for the unknown kid


async def test_refresh_on_unknown_kids_is_rate_limited(
    validator: TokenValidator, endpoint: Endpoint, clock: Clock, key_one: ECKey
) -> None:
    await validator.validate(token(key_one))
    for i in range(20):
        with pytest.raises(Unauthenticated):
            await validator.validate(token(new_key(f"made-up-{i}")))
        clock.now += 5
    # 20 tries within 100 s of the first fetch: one refresh, at 60 s
    assert endpoint.hits == 2


async def test_rotated_key_is_found_by_the_refresh(
    validator: TokenValidator, endpoint: Endpoint, clock: Clock, key_one: ECKey
) -> None:
    await validator.validate(token(key_one))
    key_two = new_key("two")
    endpoint.serve([key_one, key_two])
    clock.now += 61
    assert (await validator.validate(token(key_two))).subject == "u1"
    assert endpoint.hits == 2


async def test_removed_key_is_refused_after_the_routine_refresh(
    validator: TokenValidator, endpoint: Endpoint, clock: Clock, key_one: ECKey
) -> None:
    await validator.validate(token(key_one))
    endpoint.serve([new_key("two")])
    clock.now += 301  # past ttl: the routine refresh drops the withdrawn key
    with pytest.raises(Unauthenticated):
        await validator.validate(token(key_one))


async def test_endpoint_down_serves_last_known_good_until_max_stale_then_fails_closed(
    validator: TokenValidator, endpoint: Endpoint, clock: Clock, key_one: ECKey
) -> None:
    await validator.validate(token(key_one))
    endpoint.down = True
    clock.now += 400  # past ttl: a refresh is tried and fails
    assert (await validator.validate(token(key_one))).subject == "u1"
    clock.now += 400  # 800 s since the last good fetch
    assert (await validator.validate(token(key_one))).subject == "u1"
    clock.now += 101  # 901 s: too stale
    with pytest.raises(Unauthenticated) as caught:
        await validator.validate(token(key_one))
    assert "too old" in caught.value.reason
    hits_while_down = endpoint.hits
    endpoint.down = False
    clock.now += 60  # the next refresh is allowed and succeeds
    assert (await validator.validate(token(key_one))).subject == "u1"
    assert endpoint.hits == hits_while_down + 1


async def test_endpoint_down_from_the_start_fails_closed(
    validator: TokenValidator, endpoint: Endpoint, key_one: ECKey
) -> None:
    endpoint.down = True
    for _ in range(3):
        with pytest.raises(Unauthenticated) as caught:
            await validator.validate(token(key_one))
        assert "no keys fetched yet" in caught.value.reason
    assert endpoint.hits == 1  # no hammering of a failing endpoint


@pytest.mark.parametrize(
    "body",
    [
        {"keys": [{**new_key("one").as_dict(private=True)}]},
        {"keys": [OctKey.generate_key(256, parameters={"kid": "one"}).as_dict(private=True)]},
        {"keys": []},
        {"keys": "none"},
        [],
        b"<html>login</html>",
        b"{" * 300_000,
    ],
    ids=["private", "oct", "empty", "not-a-list", "array", "html", "huge"],
)
async def test_refused_documents_never_replace_last_known_good(
    validator: TokenValidator, endpoint: Endpoint, clock: Clock, key_one: ECKey, body: Any
) -> None:
    await validator.validate(token(key_one))
    endpoint.body = body
    clock.now += 400
    assert (await validator.validate(token(key_one))).subject == "u1"
    assert endpoint.hits == 2
    clock.now += 600
    with pytest.raises(Unauthenticated):
        await validator.validate(token(key_one))


async def test_non_200_answer_is_a_failed_fetch(endpoint: Endpoint, clock: Clock) -> None:
    endpoint.status = 503
    async with endpoint.http() as http:
        cache = JwksCache(JWKS_URL, http, clock=clock)
        with pytest.raises(JwksError) as caught:
            await cache.key_set()
    assert caught.value.code == "JWKS_UNAVAILABLE"
    assert "no keys fetched yet" in caught.value.reason
    assert JWKS_URL not in caught.value.message


def test_public_key_set_refuses_private_and_symmetric_keys() -> None:
    public = new_key("a").as_dict(private=False)
    assert [key.kid for key in public_key_set({"keys": [public]})] == ["a"]
    for bad in (
        {**public, "d": "AAAA"},
        {"kty": "oct", "k": "c2VjcmV0", "kid": "s"},
        {**public, "kty": "EC", "crv": "P-256", "x": "bm9wZQ"},
    ):
        with pytest.raises(JwksError):
            public_key_set({"keys": [public, bad]})


async def test_concurrent_first_use_fetches_once(key_one: ECKey, clock: Clock) -> None:
    hits = 0

    async def slow_handler(request: httpx.Request) -> httpx.Response:
        nonlocal hits
        hits += 1
        await asyncio.sleep(0.02)
        return httpx.Response(200, json=KeySet([key_one]).as_dict(private=False))

    async with TokenValidator(
        [TrustedIssuer(ISS, AUD, JWKS_URL)],
        ClaimNames(),
        30,
        lambda: httpx.AsyncClient(transport=httpx.MockTransport(slow_handler)),
        monotonic=clock,
    ) as v:
        callers = await asyncio.gather(*(v.validate(token(key_one)) for _ in range(10)))
    assert {caller.subject for caller in callers} == {"u1"}
    assert hits == 1
