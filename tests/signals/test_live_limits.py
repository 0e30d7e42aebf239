"""Subscriptions live no longer than their token and within the caller's request rate,
over a real WebSocket: an expired token closes the socket (4401), connecting and each
subscribe count against `requests_per_minute` (4429 / RATE_LIMITED), and one connection
holds at most MAX_SUBSCRIPTIONS operations."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from kp_live import served, subscriber
from kp_signals import SECRET, signalling_env
from kp_testing import away_from_window_end
from websockets.exceptions import ConnectionClosed

from gateway.subscriptions_ws import MAX_CONNECTIONS_PER_CALLER, MAX_SUBSCRIPTIONS
from simulators import personas

pytestmark = pytest.mark.sockets

MY_EVENTS = "subscription { myCaseEvents { kind summary } }"


@pytest.fixture
async def live_at(
    start_gateway: Any, make_settings: Any, tmp_path: Any, sandbox: Any
) -> AsyncIterator[Callable[..., Any]]:
    """`async with live_at(**env) as url:` a gateway under uvicorn, signalled by the sandbox."""

    @asynccontextmanager
    async def start(**env: str) -> AsyncIterator[str]:
        settings = make_settings(
            **signalling_env(KNUTPUNKT_SIGNALS_URL=f"sqlite:///{tmp_path}/signals.db", **env)
        )
        async with served(start_gateway(settings).app) as url:
            sandbox.send_signals_to(f"{url}/signals", SECRET)
            try:
                yield url
            finally:
                sandbox.send_signals_to(None, "")

    yield start


def init(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_socket_closes_4401_when_the_token_expires(live_at: Any, issuer: Any) -> None:
    async with live_at() as url:
        token = issuer.issue("citizen", personas.KALLE, ttl=2)
        async with subscriber(url, init(token)) as sub:
            assert await sub.next() == {"type": "connection_ack"}
            await sub.subscribe(MY_EVENTS)
            started = time.monotonic()
            with pytest.raises(ConnectionClosed) as closed:
                await sub.next(timeout=10)
            waited = time.monotonic() - started
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4401, "Token expired")
        assert waited < 5  # at the token's exp, not at some later sweep
        # a long-lived token on the same gateway stays connected past that moment
        async with subscriber(url, init(issuer.issue("citizen", personas.KALLE))) as sub:
            assert await sub.next() == {"type": "connection_ack"}
            await sub.subscribe(MY_EVENTS)
            with pytest.raises(TimeoutError):  # nothing to say: still open
                await sub.next(timeout=3)


async def test_connecting_and_subscribing_count_against_the_request_rate(
    live_at: Any, issuer: Any
) -> None:
    await away_from_window_end(60)
    async with live_at(KNUTPUNKT_GATEWAY_REQUESTS_PER_MINUTE="3") as url:
        token = issuer.issue("citizen", personas.KALLE)
        async with subscriber(url, init(token)) as sub:  # request 1
            assert await sub.next() == {"type": "connection_ack"}
            await sub.subscribe(MY_EVENTS, id="a")  # 2
            await sub.subscribe(MY_EVENTS, id="b")  # 3
            await sub.subscribe(MY_EVENTS, id="c")  # 4: over
            refused = await sub.next()
            assert refused["id"] == "c" and refused["type"] == "error"
            [error] = refused["payload"]
            assert error["extensions"]["code"] == "RATE_LIMITED"
            assert 1 <= error["extensions"]["retryAfter"] <= 60
        async with subscriber(url, init(token)) as sub:  # a new connection: refused too
            with pytest.raises(ConnectionClosed) as closed:
                await sub.next()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
        # another citizen has a rate of their own
        other = issuer.issue("citizen", personas.ANNA)
        async with subscriber(url, init(other)) as sub:
            assert await sub.next() == {"type": "connection_ack"}


async def test_one_connection_holds_at_most_max_subscriptions(live_at: Any, issuer: Any) -> None:
    async with live_at() as url:
        token = issuer.issue("citizen", personas.KALLE)
        async with subscriber(url, init(token)) as sub:
            assert await sub.next() == {"type": "connection_ack"}
            for n in range(MAX_SUBSCRIPTIONS):
                await sub.subscribe(MY_EVENTS, id=str(n))
            await sub.subscribe(MY_EVENTS, id="one-too-many")
            refused = await sub.next()
            assert refused["id"] == "one-too-many" and refused["type"] == "error"
            assert refused["payload"][0]["message"] == "Subscription limit reached"


async def test_one_caller_holds_at_most_a_few_connections(live_at: Any, issuer: Any) -> None:
    async with live_at() as url, AsyncExitStack() as stack:
        token = issuer.issue("citizen", personas.KALLE)
        for _ in range(MAX_CONNECTIONS_PER_CALLER):
            sub = await stack.enter_async_context(subscriber(url, init(token)))
            assert await sub.next() == {"type": "connection_ack"}
        async with subscriber(url, init(token)) as sub:
            with pytest.raises(ConnectionClosed) as closed:
                await sub.next()
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
                4429,
                "Too many connections",
            )
        # another token of the same person is the same caller; another person is not
        again = issuer.issue("citizen", personas.KALLE)
        async with subscriber(url, init(again)) as sub:
            with pytest.raises(ConnectionClosed):
                await sub.next()
        async with subscriber(url, init(issuer.issue("citizen", personas.ANNA))) as sub:
            assert await sub.next() == {"type": "connection_ack"}
        await stack.aclose()  # the five closed: room again
        async with subscriber(url, init(token)) as sub:
            assert await sub.next() == {"type": "connection_ack"}


@pytest.mark.parametrize(
    ("document", "operation"),
    [
        ("{ myPages { cases { totalCount } } }", None),
        ("query Q { myPages { cases { totalCount } } }", "Q"),
        (f"{MY_EVENTS} query Q {{ myPages {{ cases {{ totalCount }} }} }}", "Q"),
        ("mutation { setNotificationSettings(input: {channels: []}) { emailVerified } }", None),
    ],
)
async def test_queries_and_mutations_are_refused_on_the_socket(
    live_at: Any, issuer: Any, document: str, operation: str | None
) -> None:
    """They go by POST, where trusted documents, time and size limits apply."""
    async with live_at() as url:
        token = issuer.issue("citizen", personas.KALLE)
        async with subscriber(url, init(token)) as sub:
            assert await sub.next() == {"type": "connection_ack"}
            payload = {"query": document, "variables": {}, "operationName": operation}
            await sub.ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": payload}))
            refused = await sub.next()
            assert refused["id"] == "q" and refused["type"] == "error"
            assert refused["payload"][0]["extensions"]["code"] == "SUBSCRIPTIONS_ONLY"
            await sub.subscribe(MY_EVENTS, id="s")  # a subscription is still welcome
            with pytest.raises(TimeoutError):  # (no event: nothing to say, no error)
                await sub.next(timeout=1)
