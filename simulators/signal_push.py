"""How a sandbox system tells the hub that a case changed: a signed CloudEvent.

Each signal is a CloudEvent 1.0 (`se.knutpunkt.case.changed`, source
`urn:knutpunkt:system:<id>`, subject the system's own case id), signed as in the
Standard Webhooks specification with the system's secret, and POSTed to the hub
in a background task, retried a few times. Faults on demand (`SignalFaults`) let
tests prove the hub copes: signals lost, sent twice, or sent out of order.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import httpx
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from standardwebhooks import Webhook

log = logging.getLogger(__name__)

CASE_CHANGED = "se.knutpunkt.case.changed"
ATTEMPTS = 4
BACKOFF_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class SignalFaults:
    lose: bool = False  # signals are not sent at all
    duplicate: bool = False  # each signal is sent twice (same id)
    reorder: bool = False  # each signal waits and goes out after the next one

    @classmethod
    def from_json(cls, data: object) -> SignalFaults:
        if not isinstance(data, dict) or set(data) - {"lose", "duplicate", "reorder"}:
            raise ValueError("signal faults are an object with lose, duplicate, reorder")
        if not all(isinstance(v, bool) for v in data.values()):
            raise ValueError("signal faults are true or false")
        return cls(**data)


def signal_body(
    system: str,
    case_id: str,
    *,
    case_number: str,
    personal_numbers: list[str],
    kind: str,
    at: datetime,
) -> tuple[str, bytes]:
    """The id and JSON body of one signal."""
    event_id = uuid.uuid4().hex
    event = CloudEvent(
        {
            "id": event_id,
            "source": f"urn:knutpunkt:system:{system}",
            "type": CASE_CHANGED,
            "specversion": "1.0",
            "subject": case_id,
            "time": at,
            "datacontenttype": "application/json",
        },
        {"caseNumber": case_number, "personalNumbers": personal_numbers, "kind": kind},
    )
    return event_id, JSONFormat().write(event)


class SignalPusher:
    """Sends one system's signals to the hub (no URL: nothing is sent)."""

    def __init__(
        self,
        system: str,
        url: str | None = None,
        secret: str = "",
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.system = system
        self.url = url
        self.secret = secret
        self.transport = transport
        self.faults = SignalFaults()
        self.sent = 0
        self.failed = 0
        self.lost = 0
        self._held: list[bytes] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def configure(self, url: str | None, secret: str) -> None:
        self.url = url
        self.secret = secret

    def state(self) -> dict[str, object]:
        """What `GET /_admin/signals` shows (never the secret)."""
        return {
            "url": self.url,
            "faults": asdict(self.faults),
            "sent": self.sent,
            "failed": self.failed,
            "lost": self.lost,
            "held": len(self._held),
            "pending": len(self._tasks),
        }

    def push(self, body: bytes) -> None:
        """Queue one signal (after the faults had their say); returns at once."""
        if not self.url or not self.secret:
            return
        if self.faults.lose:
            self.lost += 1
            return
        bodies = [body, body] if self.faults.duplicate else [body]
        if self.faults.reorder:
            if not self._held:
                self._held = bodies
                return
            bodies, self._held = bodies + self._held, []
        for item in bodies:
            task = asyncio.create_task(self._deliver(self.url, self.secret, item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def flush(self) -> None:
        """Send what `reorder` holds back."""
        held, self._held = self._held, []
        for item in held:
            task = asyncio.create_task(self._deliver(self.url or "", self.secret, item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def join(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _deliver(self, url: str, secret: str, body: bytes) -> None:
        message_id = f"msg_{uuid.uuid4().hex}"
        async with httpx.AsyncClient(transport=self.transport, timeout=5.0) as client:
            for attempt in range(ATTEMPTS):
                now = datetime.now(UTC)
                signature = Webhook(secret).sign(message_id, now, body.decode("utf-8"))
                headers = {
                    "content-type": "application/cloudevents+json",
                    "webhook-id": message_id,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": signature,
                }
                try:
                    response = await client.post(url, content=body, headers=headers)
                    if response.status_code < 500 and response.status_code != 429:
                        self.sent += 1
                        if response.status_code >= 400:
                            log.warning("the hub refused a signal: %s", response.status_code)
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(BACKOFF_SECONDS * 2**attempt)
        self.failed += 1
