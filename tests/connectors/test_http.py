"""The HTTP plumbing: error mapping, retries, breaker, deadline and body cap."""

from __future__ import annotations

import asyncio
import gzip
import inspect
import json
import time

import httpx
import pytest

from connectors import errors
from connectors.http import (
    CircuitBreaker,
    RetryPolicy,
    UpstreamClient,
    at_deadline,
    deadline_share,
    read_json,
    retry_after,
    upstream_errors,
)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _subclasses(sub)
    return found


TRANSPORT_ERRORS = sorted(
    (
        c
        for c in _subclasses(httpx.TransportError) | {httpx.TransportError}
        if c.__module__.startswith("httpx")
    ),
    key=lambda c: c.__name__,
)


@pytest.mark.parametrize("exc_type", TRANSPORT_ERRORS, ids=lambda c: c.__name__)
def test_every_httpx_transport_error_maps_to_an_upstream_error(exc_type: type[Exception]) -> None:
    request = httpx.Request("GET", "http://secret.internal/path?token=abc")
    with pytest.raises(errors.UpstreamError) as caught, upstream_errors("byggr"):
        raise exc_type("boom", request=request)
    expected = (
        errors.UpstreamTimeout
        if issubclass(exc_type, httpx.TimeoutException)
        else errors.UpstreamUnavailable
    )
    assert type(caught.value) is expected
    assert caught.value.system == "byggr"
    assert caught.value.__cause__ is not None
    assert "secret.internal" not in caught.value.message


def test_transport_error_list_is_not_empty() -> None:
    names = {c.__name__ for c in TRANSPORT_ERRORS}
    assert {"ConnectError", "ReadTimeout", "RemoteProtocolError", "ProxyError"} <= names


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, errors.UpstreamRejected),
        (403, errors.UpstreamRejected),
        (404, errors.UpstreamRejected),
        (429, errors.UpstreamUnavailable),
        (500, errors.UpstreamUnavailable),
        (503, errors.UpstreamUnavailable),
    ],
)
async def test_status_codes_map(status: int, expected: type[Exception]) -> None:
    client = _client(
        lambda request: httpx.Response(status, text="upstream body with secrets"), retries=0
    )
    with pytest.raises(expected) as caught:
        await client.request("GET", "/x")
    assert "secrets" not in str(caught.value)
    assert caught.value.extensions()["system"] == "sys"  # type: ignore[attr-defined]


async def test_idempotent_reads_are_retried_then_succeed() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503) if len(seen) < 3 else httpx.Response(200, json={"ok": True})

    client = _client(handler, retries=2)
    response = await client.request("GET", "/x")
    assert response.json() == {"ok": True}
    assert len(seen) == 3


async def test_non_idempotent_requests_are_not_retried() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503)

    client = _client(handler, retries=3)
    with pytest.raises(errors.UpstreamUnavailable):
        await client.request("POST", "/x")
    assert len(seen) == 1


async def test_a_post_is_retried_only_when_declared_a_read() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content.decode())
        return httpx.Response(503)

    client = _client(handler, retries=2)
    with pytest.raises(errors.UpstreamUnavailable):
        await client.request("POST", "/rpc", content="write")
    with pytest.raises(errors.UpstreamUnavailable):
        await client.request("POST", "/rpc", content="read", read=True)
    assert seen == ["write", "read", "read", "read"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("2", 2.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), ("", None)],
)
def test_retry_after_reads_seconds_and_dates(header: str, expected: float | None) -> None:
    response = httpx.Response(503, headers={"retry-after": header} if header else {})
    assert retry_after(response) == expected


async def test_a_hop_share_caps_a_call_while_the_request_budget_decides_its_start() -> None:
    seen: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/slow":
            await asyncio.sleep(0.5)
        return httpx.Response(200, json={"ok": True})

    http = httpx.AsyncClient(base_url="http://sys.test", transport=httpx.MockTransport(handler))
    client = UpstreamClient("sys", http, retry=RetryPolicy(attempts=0), min_budget=0.15)
    with at_deadline(time.monotonic() + 1.0), deadline_share(0.1):
        # a share of 0.1 s is under the minimum budget, but the request has 1 s left
        assert (await client.request("GET", "/fast")).json() == {"ok": True}
        with pytest.raises(errors.UpstreamTimeout):
            await client.request("GET", "/slow")  # cut after its 0.1 s share
    with at_deadline(time.monotonic() + 0.1), pytest.raises(errors.UpstreamTimeout):
        await client.request("GET", "/never")  # 0.1 s left of the request: not started
    assert seen == ["/fast", "/slow"]
    assert client.skipped == 1


async def test_breaker_opens_after_threshold_and_then_refuses_without_calling() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    client = _client(handler, retries=0, breaker=CircuitBreaker(threshold=3, reset_after=60))
    for _ in range(3):
        with pytest.raises(errors.UpstreamUnavailable):
            await client.request("GET", "/x")
    assert client.breaker.is_open and not client.breaker.healthy
    with pytest.raises(errors.UpstreamUnavailable):
        await client.request("GET", "/x")
    assert len(seen) == 3


async def test_breaker_half_opens_and_closes_on_success() -> None:
    ok = False

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200 if ok else 500)

    client = _client(handler, retries=0, breaker=CircuitBreaker(threshold=1, reset_after=0.05))
    with pytest.raises(errors.UpstreamUnavailable):
        await client.request("GET", "/x")
    assert client.breaker.is_open
    await asyncio.sleep(0.06)
    ok = True
    await client.request("GET", "/x")
    assert client.breaker.healthy


async def test_deadline_cuts_a_hanging_system() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200)

    client = _client(handler, retries=2)
    started = time.monotonic()
    with at_deadline(time.monotonic() + 0.1), pytest.raises(errors.UpstreamTimeout):
        await client.request("GET", "/x")
    assert time.monotonic() - started < 0.5


async def test_huge_bodies_are_a_contract_error() -> None:
    client = _client(lambda r: httpx.Response(200, content=b"x" * 2048), retries=0, max_body=1024)
    with pytest.raises(errors.UpstreamContractError):
        await client.request("GET", "/x")


async def test_bodies_are_read_whole_plain_or_encoded_within_the_cap() -> None:
    body = json.dumps({"cases": [{"id": i} for i in range(100)]}).encode()
    packed = gzip.compress(body)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/gzip":
            return httpx.Response(200, content=packed, headers={"content-encoding": "gzip"})
        return httpx.Response(200, content=body)

    client = _client(handler, retries=0, max_body=len(body))
    for path in ("/plain", "/gzip"):
        response = await client.request("GET", path)
        assert read_json(response) == {"cases": [{"id": i} for i in range(100)]}
        assert response.content == body
    # the cap counts decoded bytes: a small packed body that unpacks past it is refused
    small = _client(handler, retries=0, max_body=len(body) - 1)
    assert len(packed) < len(body) - 1
    with pytest.raises(errors.UpstreamContractError):
        await small.request("GET", "/gzip")
    with pytest.raises(errors.UpstreamContractError):
        await small.request("GET", "/plain")


async def test_contract_error_is_not_retried() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"x" * 2048)

    client = _client(handler, retries=2, max_body=1024)
    with pytest.raises(errors.UpstreamContractError):
        await client.request("GET", "/x")
    assert len(seen) == 1


def test_every_error_class_has_a_distinct_stable_code() -> None:
    classes = [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.GatewayError)
    ]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes))
    assert errors.UpstreamContractError.code == "UPSTREAM_CONTRACT"
    assert errors.UpstreamTimeout.code == "UPSTREAM_TIMEOUT"
    assert errors.UpstreamUnavailable.code == "UPSTREAM_UNAVAILABLE"


def _client(
    handler, *, retries: int, breaker: CircuitBreaker | None = None, max_body: int = 1 << 20
) -> UpstreamClient:  # type: ignore[no-untyped-def]
    http = httpx.AsyncClient(base_url="http://sys.test", transport=httpx.MockTransport(handler))
    return UpstreamClient(
        "sys",
        http,
        retry=RetryPolicy(attempts=retries, backoff=0.001),
        breaker=breaker,
        max_body=max_body,
    )
