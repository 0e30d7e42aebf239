"""Helpers shared by the test files (tests/_support is on pytest's path): a transport that
forwards to another one and records every request it sees."""

from __future__ import annotations

import asyncio
import time

import httpx

from connectors.http import request_deadline


class CountingTransport(httpx.AsyncBaseTransport):
    """Forwards to `inner` and keeps the requests, to count upstream calls."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []
        #: per request, the seconds left of the request deadline when it was sent (or None)
        self.time_left: list[float | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        deadline = request_deadline.get()
        self.time_left.append(None if deadline is None else deadline - time.monotonic())
        return await self.inner.handle_async_request(request)

    def calls(self, *, exclude_token: bool = True) -> int:
        """Requests made, not counting OAuth2 token fetches unless asked to."""
        return sum(1 for r in self.requests if not (exclude_token and r.url.path == "/oauth/token"))

    def reset(self) -> None:
        self.requests.clear()
        self.time_left.clear()


async def away_from_window_end(window: int) -> None:
    """Rate counters start over with each window: don't let one end in the middle of a test."""
    left = window - time.time() % window
    if left < 5:
        await asyncio.sleep(left + 0.1)
