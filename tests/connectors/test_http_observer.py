"""The `CallObserver` hook of `UpstreamClient`: one start and one finish per HTTP attempt."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from connectors import errors
from connectors.http import FinishCall, RetryPolicy, UpstreamClient, at_deadline


class Recorder:
    """A `CallObserver` that writes down what it is told (and tags the request)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, int | None]] = []

    def start(self, system: str, request: httpx.Request) -> FinishCall:
        request.headers["x-observed"] = "1"

        def finish(outcome: str, status: int | None) -> None:
            self.calls.append((system, request.url.path, outcome, status))

        return finish


def client(handler: httpx.MockTransport, recorder: Recorder, attempts: int = 2) -> UpstreamClient:
    http = httpx.AsyncClient(transport=handler, base_url="http://byggr.test")
    return UpstreamClient(
        "byggr", http, retry=RetryPolicy(attempts=attempts, backoff=0), observer=recorder
    )


async def test_each_attempt_is_observed_with_its_outcome_and_status() -> None:
    statuses = iter([503, 502, 200])
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("x-observed"))
        return httpx.Response(next(statuses), json={})

    recorder = Recorder()
    response = await client(httpx.MockTransport(answer), recorder).request("GET", "/a")
    assert response.status_code == 200
    assert recorder.calls == [
        ("byggr", "/a", "unavailable", 503),
        ("byggr", "/a", "unavailable", 502),
        ("byggr", "/a", "ok", 200),
    ]
    assert seen == ["1", "1", "1"]  # the observer's headers reached the system


@pytest.mark.parametrize(
    ("answer", "outcome", "status", "raised"),
    [
        (lambda r: httpx.Response(404), "rejected", 404, errors.UpstreamRejected),
        (
            lambda r: httpx.Response(200, content=b"x" * 2048),
            "contract",
            200,
            errors.UpstreamContractError,
        ),
    ],
)
async def test_errors_that_are_not_retried_are_observed_once(
    answer: object, outcome: str, status: int, raised: type[Exception]
) -> None:
    recorder = Recorder()
    upstream = client(httpx.MockTransport(answer), recorder)  # type: ignore[arg-type]
    upstream.max_body = 1024
    with pytest.raises(raised):
        await upstream.request("GET", "/b")
    assert recorder.calls == [("byggr", "/b", outcome, status)]


async def test_a_transport_failure_and_a_deadline_are_observed_without_status() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        raise AssertionError("not reached")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    recorder = Recorder()
    with pytest.raises(errors.UpstreamUnavailable):
        await client(httpx.MockTransport(refuse), recorder, attempts=0).request("GET", "/c")
    with at_deadline(time.monotonic() + 0.05), pytest.raises(errors.UpstreamTimeout):
        await client(httpx.MockTransport(hang), recorder, attempts=0).request("GET", "/d")
    assert recorder.calls == [
        ("byggr", "/c", "unavailable", None),
        ("byggr", "/d", "timeout", None),
    ]
