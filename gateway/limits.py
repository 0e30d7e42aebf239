"""Request-size limits applied before any parsing."""

from __future__ import annotations

import json
from collections.abc import Collection
from urllib.parse import parse_qs

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = json.dumps(
    {"errors": [{"message": "Begäran är för stor.", "extensions": {"code": "REQUEST_TOO_LARGE"}}]}
).encode()

#: a query sent by GET outside demo mode (it would land in proxy and browser logs, and
#: be cached and replayed): refused, with the method to use
POST_ONLY = JSONResponse(
    {
        "errors": [
            {
                "message": "Frågor skickas med POST.",
                "extensions": {"code": "METHOD_NOT_ALLOWED"},
            }
        ]
    },
    status_code=405,
    headers={"Allow": "POST"},
)


def refused_get(scope: Scope, *, allowed: bool) -> bool:
    """A GET carrying a GraphQL query while queries by GET are not allowed."""
    if allowed or scope["type"] != "http" or scope.get("method") != "GET":
        return False
    params = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return "query" in params


class BodyLimit:
    """Answers 413 when a request body (declared or streamed) exceeds `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt: Collection[str] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        #: paths whose endpoint applies its own limit
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        declared = None
        for key, value in scope.get("headers", ()):
            if key == b"content-length":
                declared = value  # the last one, as a dict of the headers would keep
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _reject(send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _reject(send)


class _TooLarge(Exception):
    pass


async def _reject(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(TOO_LARGE)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": TOO_LARGE})
