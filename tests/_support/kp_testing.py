"""Helpers shared by the test files (tests/_support is on pytest's path): a transport that
forwards to another one and records every request it sees."""

from __future__ import annotations

import httpx


class CountingTransport(httpx.AsyncBaseTransport):
    """Forwards to `inner` and keeps the requests, to count upstream calls."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def calls(self, *, exclude_token: bool = True) -> int:
        """Requests made, not counting OAuth2 token fetches unless asked to."""
        return sum(1 for r in self.requests if not (exclude_token and r.url.path == "/oauth/token"))

    def reset(self) -> None:
        self.requests.clear()
