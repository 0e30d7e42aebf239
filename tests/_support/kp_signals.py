"""Helpers for signal tests: secrets, signed requests, CloudEvents."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

SECRET = "whsec_" + base64.b64encode(b"knutpunkt-test-secret-0123456789").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-system-secret-9876543210").decode()
CASE_SYSTEMS = (
    "diarium",
    "byggr",
    "procapita",
    "ecos",
    "teknik",
    "edu",
    "kontaktcenter",
    "eservice",
)


def signalling_env(
    systems: tuple[str, ...] = CASE_SYSTEMS, secret: str = SECRET, **extra: str
) -> dict[str, str]:
    env: dict[str, str] = {}
    for system in systems:
        env[f"KNUTPUNKT_SYSTEMS_{system.upper()}_SIGNALS"] = "true"
        env[f"KNUTPUNKT_SYSTEMS_{system.upper()}_SIGNAL_SECRET"] = secret
    env.update(extra)
    return env


def event(system: str, subject: str, *, id: str | None = None, **attrs: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "specversion": "1.0",
        "id": id or uuid.uuid4().hex,
        "source": f"urn:knutpunkt:system:{system}",
        "type": "se.knutpunkt.case.changed",
        "subject": subject,
        "time": datetime.now(UTC).isoformat(),
    }
    found.update(attrs)
    return found


def signed(
    body: bytes | str, secret: str = SECRET, *, at: float | None = None, msg_id: str | None = None
) -> dict[str, str]:
    text = body if isinstance(body, str) else body.decode("utf-8")
    now = time.time() if at is None else at
    message_id = msg_id or f"msg_{uuid.uuid4().hex}"
    stamp = datetime.fromtimestamp(now, UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": Webhook(secret).sign(message_id, stamp, text),
    }


def request(
    payload: Any, secret: str = SECRET, *, batch: bool = False
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    headers = signed(body, secret)
    headers["content-type"] = (
        "application/cloudevents-batch+json" if batch else "application/cloudevents+json"
    )
    return body, headers


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 2.0) -> float:  # noqa: ASYNC109
    """Seconds until `check()` holds; fails after `timeout`."""
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.02)
