"""The sandbox's mail sink and SMS gateway: where the hub's notifications arrive.

The mail sink is a real SMTP server (aiosmtpd) that keeps what it receives; the SMS
gateway takes `POST /v1/messages` like a real one. Both show what arrived at
`GET /messages` (JSON list of `{"to", "subject", "body", "receivedAt"}`), forget
it at `DELETE /messages`, and fail on demand through the common `/_admin/faults`
(the mail sink's SMTP side then answers 421 for `down`, 451 at `error_rate`, and
waits for `latency_ms` or `hang`). A message whose idempotency key (Message-ID,
`Idempotency-Key`) was already taken is acknowledged and not stored again, as a
relay that deduplicates would; `GET /_admin/received` tells how many were kept and
how many such repeats arrived (`{"kept", "duplicates"}`), so a test can see a double
send that the deduplication hides.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import uuid
import weakref
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .faults import HANG_SECONDS, FaultInjector, Receive, Scope, Send

MAX_KEPT = 10_000
RECEIVED_PATH = "/_admin/received"
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


class Inbox:
    """What arrived, oldest first, once per idempotency key."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._keys: set[str] = set()
        self.duplicates = 0

    def add(self, key: str | None, to: str, subject: str, body: str) -> bool:
        if key and key in self._keys:
            self.duplicates += 1
            return False
        if key:
            self._keys.add(key)
        self.items.append(
            {
                "to": to,
                "subject": subject,
                "body": body,
                "receivedAt": datetime.now(UTC).isoformat(timespec="milliseconds"),
            }
        )
        del self.items[:-MAX_KEPT]
        return True

    def clear(self) -> None:
        self.items.clear()
        self._keys.clear()
        self.duplicates = 0


def _inspection_routes(inbox: Inbox) -> list[Route]:
    async def messages(request: Request) -> Response:
        if request.method == "DELETE":
            inbox.clear()
            return Response(status_code=204)
        return JSONResponse(inbox.items)

    async def received(request: Request) -> Response:
        return JSONResponse({"kept": len(inbox.items), "duplicates": inbox.duplicates})

    return [
        Route("/messages", messages, methods=["GET", "DELETE"]),
        Route(RECEIVED_PATH, received, methods=["GET"]),
    ]


class _Split:
    """`/messages` and `/_admin/received` (inspection) never fail; everything else goes
    through the faults."""

    def __init__(self, faulty: FaultInjector, plain: Any) -> None:
        self.faulty = faulty
        self.plain = plain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in ("/messages", RECEIVED_PATH):
            await self.plain(scope, receive, send)
        else:
            await self.faulty(scope, receive, send)


class MailSink:
    """An SMTP server that keeps every mail, and its HTTP side (`app`)."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.faults = FaultInjector(Starlette())
        self.app = _Split(self.faults, Starlette(routes=_inspection_routes(self.inbox)))
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        faults = self.faults.faults
        if faults.down:
            return "421 4.3.2 Service not available"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        faults = self.faults.faults
        if faults.hang:
            await asyncio.sleep(HANG_SECONDS)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.down:
            return "421 4.3.2 Service not available"
        if faults.error_rate and self.faults._random.random() < faults.error_rate:
            return "451 4.3.0 Temporary failure, try again"
        raw = envelope.original_content or envelope.content or b""
        mail = email.message_from_bytes(
            raw if isinstance(raw, bytes) else raw.encode(), policy=email.policy.default
        )
        part = mail.get_body(("plain",)) if hasattr(mail, "get_body") else None
        body = part.get_content() if part is not None else ""
        self.inbox.add(
            str(mail.get("Message-ID") or "") or None,
            ", ".join(envelope.rcpt_tos),
            str(mail.get("Subject") or ""),
            str(body).replace("\r\n", "\n"),
        )
        return "250 OK: queued"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Listen for SMTP; returns the bound (host, port)."""
        loop = asyncio.get_running_loop()

        def session() -> SMTP:
            smtp = SMTP(self, hostname="mail-sink.sandbox", ident="Exempelby mail sink")
            self._sessions.add(smtp)
            return smtp

        self._server = await loop.create_server(session, host, port)
        bound = self._server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def stop(self) -> None:
        """Stop listening and hang up on every connected client (as a relay going down)."""
        for smtp in list(self._sessions):
            if smtp.transport is not None:
                smtp.transport.close()
        self._sessions.clear()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def serving(self) -> SmtpServing:
        """A handle like uvicorn's: set `should_exit` and await `task` to stop listening."""
        return SmtpServing(self)


class SmtpServing:
    def __init__(self, sink: MailSink) -> None:
        self._sink = sink
        self._exit = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    @property
    def should_exit(self) -> bool:
        return self._exit.is_set()

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        if value:
            self._exit.set()

    async def _run(self) -> None:
        await self._exit.wait()
        await self._sink.stop()


class SmsGateway:
    """An HTTP SMS gateway: `POST /v1/messages` JSON {"to", "from", "message"}."""

    def __init__(self) -> None:
        self.inbox = Inbox()

        async def send_sms(request: Request) -> Response:
            try:
                data = await request.json()
            except ValueError:
                return JSONResponse({"error": "invalid_json"}, status_code=400)
            if not isinstance(data, dict):
                return JSONResponse({"error": "invalid_body"}, status_code=400)
            to, text = data.get("to"), data.get("message")
            if not isinstance(to, str) or not _E164.match(to):
                return JSONResponse({"error": "invalid_recipient"}, status_code=400)
            if not isinstance(text, str) or not text or len(text) > 1600:
                return JSONResponse({"error": "invalid_message"}, status_code=400)
            key = request.headers.get("idempotency-key")
            created = self.inbox.add(key, to, "", text)
            return JSONResponse(
                {"id": key or uuid.uuid4().hex}, status_code=201 if created else 200
            )

        self.faults = FaultInjector(
            Starlette(routes=[Route("/v1/messages", send_sms, methods=["POST"])])
        )
        self.app = _Split(self.faults, Starlette(routes=_inspection_routes(self.inbox)))


__all__ = ["Inbox", "MailSink", "SmsGateway"]
