"""Status callbacks of the e-service platform: signed JSON POSTs to one webhook URL.

Each callback is delivered in a background task, retried a few times with a short
back-off; a failing receiver never affects the platform. The signature header is
`X-Signature: sha256=<hex>`, an HMAC-SHA256 of the raw body with the shared secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging

import httpx

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Signature"
ATTEMPTS = 3
BACKOFF_SECONDS = 0.2
TIMEOUT_SECONDS = 5.0


def sign(body: bytes, secret: str) -> str:
    """The value of the signature header for `body`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class Notifier:
    """Sends status callbacks to the configured URL (none: nothing is sent)."""

    def __init__(
        self,
        url: str | None,
        secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF_SECONDS,
    ) -> None:
        self.url = url
        self.secret = secret
        self.transport = transport
        self.attempts = attempts
        self.backoff = backoff
        self.delivered = 0
        self.failed = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def configure(self, url: str | None, secret: str) -> None:
        self.url = url
        self.secret = secret

    def state(self) -> dict[str, object]:
        """What `GET /_admin/webhook` shows (never the secret)."""
        return {
            "url": self.url,
            "signed": bool(self.secret),
            "delivered": self.delivered,
            "failed": self.failed,
            "pending": len(self._tasks),
        }

    def notify(self, payload: dict[str, object]) -> None:
        """Queue one callback; returns at once."""
        if not self.url:
            return
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        task = asyncio.create_task(self._deliver(self.url, self.secret, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def join(self) -> None:
        """Wait for every queued callback (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _deliver(self, url: str, secret: str, body: bytes) -> None:
        headers = {"content-type": "application/json", SIGNATURE_HEADER: sign(body, secret)}
        try:
            async with httpx.AsyncClient(
                transport=self.transport, timeout=TIMEOUT_SECONDS
            ) as client:
                for attempt in range(self.attempts):
                    try:
                        response = await client.post(url, content=body, headers=headers)
                        if response.is_success:
                            self.delivered += 1
                            return
                    except httpx.HTTPError:
                        pass
                    if attempt + 1 < self.attempts:
                        await asyncio.sleep(self.backoff * (2**attempt))
        except Exception:  # a broken receiver or URL must never break the platform
            log.warning("webhook delivery failed", exc_info=True)
        self.failed += 1
        log.warning("webhook not delivered after %d attempts", self.attempts)
