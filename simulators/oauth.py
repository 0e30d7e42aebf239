"""OAuth2 client credentials for sandbox systems that demand them.

`TokenGate` wraps a simulator: `POST /oauth/token` (RFC 6749 §4.4, client
authentication by HTTP Basic or form fields) hands out short-lived bearer tokens;
every other request (except the fault admin endpoint) needs one, else 401.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from .faults import ADMIN_PATH, ASGIApp, Receive, Scope, Send

TOKEN_PATH = "/oauth/token"
TOKEN_TTL = 300


class TokenService:
    """Issues and checks opaque access tokens for known clients."""

    def __init__(self, clients: Mapping[str, str], ttl: int = TOKEN_TTL) -> None:
        self._clients = dict(clients)
        self._tokens: dict[str, float] = {}
        self.ttl = ttl
        self.issued = 0

    def issue(self, client_id: str, client_secret: str) -> str | None:
        expected = self._clients.get(client_id)
        if expected is None or not secrets.compare_digest(expected, client_secret):
            return None
        token = secrets.token_urlsafe(24)
        self._tokens[token] = time.monotonic() + self.ttl
        self.issued += 1
        return token

    def valid(self, token: str) -> bool:
        expires = self._tokens.get(token)
        return expires is not None and expires > time.monotonic()


class TokenGate:
    """ASGI middleware demanding a bearer token from `TokenService`."""

    def __init__(self, app: ASGIApp, tokens: TokenService) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == ADMIN_PATH:
            await self.app(scope, receive, send)
            return
        if scope["path"] == TOKEN_PATH:
            await self._token(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if not auth.startswith("Bearer ") or not self.tokens.valid(auth[7:].strip()):
            await _json(send, 401, {"error": "invalid_token"}, bearer=True)
            return
        await self.app(scope, receive, send)

    async def _token(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await _json(send, 405, {"error": "invalid_request"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body") or len(body) > 8192:
                break
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        headers = dict(scope.get("headers", []))
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.startswith("Basic "):
            try:
                decoded = base64.b64decode(auth[6:]).decode("utf-8")
                client_id, _, client_secret = decoded.partition(":")
            except (ValueError, UnicodeDecodeError):
                await _json(send, 401, {"error": "invalid_client"})
                return
        if form.get("grant_type") != "client_credentials":
            await _json(send, 400, {"error": "unsupported_grant_type"})
            return
        token = self.tokens.issue(client_id, client_secret)
        if token is None:
            await _json(send, 401, {"error": "invalid_client"})
            return
        await _json(
            send,
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": self.tokens.ttl},
        )


async def _json(send: Send, status: int, data: Any, *, bearer: bool = False) -> None:
    body = json.dumps(data).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if bearer:
        headers.append((b"www-authenticate", b'Bearer error="invalid_token"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
