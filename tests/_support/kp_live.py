"""A gateway under uvicorn on a free loopback port (the sandbox mounted as transports),
and a small graphql-transport-ws client over the `websockets` library."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from kp_procs import free_port
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect


@asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[str]:
    """`app` on a free port until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(1000):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class Subscriber:
    """One graphql-transport-ws connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, id: str = "1"
    ) -> None:
        payload = {"query": query, "variables": variables or {}}
        await self.ws.send(json.dumps({"id": id, "type": "subscribe", "payload": payload}))

    async def next(self, timeout: float = 2.0) -> dict[str, Any]:  # noqa: ASYNC109
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            found: dict[str, Any] = message
            return found


@asynccontextmanager
async def subscriber(base_url: str, init: dict[str, Any] | None) -> AsyncIterator[Subscriber]:
    """Connected and (when `init` is given) initialised; the ack is checked by the caller."""
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        if init is not None:
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        yield Subscriber(ws)
