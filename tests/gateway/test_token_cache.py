"""Verified tokens are remembered until they expire, bounded, and refused ones never are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.errors import Unauthenticated
from gateway.auth import ClaimNames, TokenValidator
from gateway.issuer import DemoIssuer
from gateway.token_cache import VerifiedTokens
from policies.caller import Caller, Role

KALLE = "195606055555"
GRETA = "193404124129"
START = 1_800_000_000.0
LEEWAY = 30


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def issuer(tmp_path: Path, clock: Clock) -> DemoIssuer:
    return DemoIssuer(tmp_path / "demo.jwk", clock=clock)


@pytest.fixture
async def validator(issuer: DemoIssuer, clock: Clock) -> AsyncIterator[TokenValidator]:
    async with TokenValidator(
        [issuer.trusted_issuer()], ClaimNames(), LEEWAY, clock=clock
    ) as the_validator:
        yield the_validator


def kalle(caller: Caller) -> None:
    assert caller.role is Role.CITIZEN
    assert caller.personal_number == KALLE
    assert caller.issuer == "urn:knutpunkt:demo"


async def test_a_verified_token_is_answered_from_memory_until_it_expires(
    validator: TokenValidator, issuer: DemoIssuer, clock: Clock
) -> None:
    tokens = VerifiedTokens(validator, clock=clock, max_age=3600)
    token = issuer.issue("citizen", KALLE, ttl=120)

    first = await tokens.validate(token)
    kalle(first)
    assert first == await validator.validate(token)
    clock.now += 119
    assert await tokens.validate(token) is first
    assert (tokens.hits, tokens.misses, len(tokens)) == (1, 1, 1)

    # at exp the cache lets go; the validator still allows its leeway, then refuses
    clock.now = START + 120 + LEEWAY - 1
    assert await tokens.validate(token) == first
    assert (tokens.hits, tokens.misses, len(tokens)) == (1, 2, 0)
    clock.now = START + 120 + LEEWAY + 1
    with pytest.raises(Unauthenticated):
        await tokens.validate(token)
    assert (tokens.hits, tokens.misses, len(tokens)) == (1, 3, 0)


async def test_entries_live_at_most_max_age(
    validator: TokenValidator, issuer: DemoIssuer, clock: Clock
) -> None:
    tokens = VerifiedTokens(validator, clock=clock, max_age=60)
    token = issuer.issue("citizen", KALLE, ttl=3600)
    await tokens.validate(token)
    clock.now += 59
    await tokens.validate(token)
    clock.now += 2
    await tokens.validate(token)
    assert (tokens.hits, tokens.misses) == (1, 2)


async def test_refused_tokens_are_never_remembered(
    validator: TokenValidator, issuer: DemoIssuer, clock: Clock
) -> None:
    tokens = VerifiedTokens(validator, clock=clock)
    token = issuer.issue("citizen", KALLE)
    head, claims, signature = token.split(".")
    forged = f"{head}.{claims}.{signature[:-4]}AAAA"
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            await tokens.validate(forged)
    assert (tokens.hits, tokens.misses, len(tokens)) == (0, 2, 0)
    # the genuine token is still checked on its own, and then remembered
    kalle(await tokens.validate(token))
    assert (tokens.hits, tokens.misses, len(tokens)) == (0, 3, 1)


async def test_each_token_string_is_its_own_entry_and_the_cache_is_bounded(
    validator: TokenValidator, issuer: DemoIssuer, clock: Clock
) -> None:
    tokens = VerifiedTokens(validator, clock=clock, max_entries=2)
    first = issuer.issue("citizen", KALLE)
    second = issuer.issue("citizen", GRETA)
    third = issuer.issue("analyst")
    await tokens.validate(first)
    await tokens.validate(second)
    await tokens.validate(first)  # first is now the most recently used
    caller = await tokens.validate(third)
    assert caller.role is Role.ANALYST
    assert len(tokens) == 2
    assert (tokens.hits, tokens.misses) == (1, 3)
    await tokens.validate(first)  # kept
    assert (tokens.hits, tokens.misses) == (2, 3)
    greta = await tokens.validate(second)  # the least recently used had to go
    assert greta.personal_number == GRETA
    assert (tokens.hits, tokens.misses) == (2, 4)


def test_a_cache_without_room_is_refused(validator: TokenValidator) -> None:
    with pytest.raises(ValueError, match="room"):
        VerifiedTokens(validator, max_entries=0)
