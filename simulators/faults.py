"""Fault injection, the same on every simulator.

`PUT /_admin/faults` with JSON ``{"latency_ms": int, "jitter_ms": int,
"error_rate": float, "hang": bool, "drip": bool, "malformed": bool, "down": bool,
"retry_after": int}`` (absent keys mean off; `retry_after` seconds go out as a
`Retry-After` header with the 503 of `down`) replaces the current faults;
`DELETE /_admin/faults` clears them; `GET /_admin/faults` shows them. The defaults a
simulator starts with are its "normal" behaviour (e.g. a realistic latency) and are
what DELETE returns to.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from starlette.requests import ClientDisconnect

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ADMIN_PATH = "/_admin/faults"
OTHER_ADMIN = "/_admin/"
HANG_SECONDS = 3600.0
DRIP_CHUNK = 16
DRIP_PAUSE = 0.05


@dataclass(frozen=True, slots=True)
class Faults:
    latency_ms: int = 0
    jitter_ms: int = 0
    error_rate: float = 0.0
    hang: bool = False
    drip: bool = False
    malformed: bool = False
    down: bool = False
    retry_after: int = 0

    @classmethod
    def from_json(cls, data: object) -> Faults:
        if not isinstance(data, dict):
            raise ValueError("faults must be a JSON object")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        ints = {"latency_ms", "jitter_ms", "retry_after"}
        bools = {"hang", "drip", "malformed", "down"}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in ints:
                if (
                    not isinstance(value, int)
                    or isinstance(value, bool)
                    or not 0 <= value <= 600_000
                ):
                    raise ValueError(f"{key} must be an integer 0..600000")
            elif key in bools:
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
            elif key == "error_rate":
                if (
                    not isinstance(value, int | float)
                    or isinstance(value, bool)
                    or not 0 <= value <= 1
                ):
                    raise ValueError("error_rate must be a number 0..1")
                value = float(value)
            values[key] = value
        return cls(**values)


class FaultInjector:
    """ASGI middleware: applies the current faults to every non-admin request."""

    def __init__(self, app: ASGIApp, *, defaults: Faults | None = None, seed: int = 0) -> None:
        self.app = app
        self.defaults = defaults or Faults()
        self.faults = self.defaults
        self._random = random.Random(seed)
        #: admin paths of the wrapped app that faults never touch
        self.admin_paths: frozenset[str] = frozenset()

    def set(self, faults: Faults) -> None:
        self.faults = faults

    def clear(self) -> None:
        self.faults = self.defaults

    def with_latency(self, latency_ms: int, jitter_ms: int = 0) -> None:
        """Change the normal latency (e.g. zero for tests)."""
        self.defaults = replace(self.defaults, latency_ms=latency_ms, jitter_ms=jitter_ms)
        self.faults = replace(self.faults, latency_ms=latency_ms, jitter_ms=jitter_ms)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == ADMIN_PATH:
            await self._admin(scope, receive, send)
            return
        if scope["path"].startswith(OTHER_ADMIN) and scope["path"] in self.admin_paths:
            await self.app(scope, receive, send)  # the sandbox's own controls ignore faults
            return
        faults = self.faults
        if faults.down:
            wait = str(faults.retry_after).encode()
            await _plain(
                send, 503, b"Service Unavailable", [(b"retry-after", wait)] if wait != b"0" else []
            )
            return
        if faults.hang:
            await asyncio.sleep(HANG_SECONDS)
        delay = faults.latency_ms + (
            self._random.uniform(0, faults.jitter_ms) if faults.jitter_ms else 0
        )
        if delay:
            await asyncio.sleep(delay / 1000)
        if faults.error_rate and self._random.random() < faults.error_rate:
            await _plain(send, 500, b"Internal Server Error")
            return
        distorted: Send = _Distorting(send, faults) if faults.malformed or faults.drip else send
        # a caller that hangs up while we read its request leaves nobody to answer
        with contextlib.suppress(ClientDisconnect):
            await self.app(scope, receive, distorted)

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method == "GET":
            await _json(send, 200, asdict(self.faults))
        elif method == "DELETE":
            self.clear()
            await _json(send, 200, asdict(self.faults))
        elif method == "PUT":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            try:
                self.set(Faults.from_json(json.loads(body or b"{}")))
            except ValueError as exc:
                await _json(send, 400, {"error": "invalid_faults", "message": str(exc)})
                return
            await _json(send, 200, asdict(self.faults))
        else:
            await _json(send, 405, {"error": "method_not_allowed"})


class _Distorting:
    """Wraps `send`: corrupts the body (malformed) and/or sends it slowly (drip)."""

    def __init__(self, send: Send, faults: Faults) -> None:
        self._send = send
        self._faults = faults

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"
            ]
            await self._send({**message, "headers": headers})
            return
        if message["type"] != "http.response.body":
            await self._send(message)
            return
        body: bytes = message.get("body", b"")
        if self._faults.malformed and body:
            body = body[: max(1, len(body) // 2)] + b"\x00<<garbage"
        if not self._faults.drip:
            await self._send({**message, "body": body})
            return
        for i in range(0, len(body), DRIP_CHUNK):
            await self._send(
                {"type": "http.response.body", "body": body[i : i + DRIP_CHUNK], "more_body": True}
            )
            await asyncio.sleep(DRIP_PAUSE)
        await self._send(
            {
                "type": "http.response.body",
                "body": b"",
                "more_body": message.get("more_body", False),
            }
        )


async def _plain(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(body)).encode()),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _json(send: Send, status: int, data: object) -> None:
    await _plain_json(send, status, json.dumps(data).encode())


async def _plain_json(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
