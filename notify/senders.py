"""The two ways out: an SMTP relay (aiosmtplib) and an HTTP SMS gateway (httpx).

A sender either returns (the relay took the message) or raises `SendFailed`,
`permanent` when trying again cannot help (a 5xx SMTP reply, a 4xx HTTP answer).
Every message carries its outbox id as idempotency key: the `Message-ID` header
for mail, the `Idempotency-Key` header for SMS, so that a relay seeing a retry of
something it already took can recognise it.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
import httpx

from .model import Message


class SendFailed(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Sender(Protocol):
    async def send(self, message: Message) -> None: ...


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """Where and how to reach the relay, from `smtp://user:pass@host:587?starttls=true`."""

    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None  # None: use STARTTLS when the relay offers it

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                "smtp_url must be smtp://[user:pass@]host[:port][?starttls=true|false]"
            )
        query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"starttls"}
        if unknown:
            raise ValueError(f"unknown smtp_url options: {sorted(unknown)}")
        starttls = query.get("starttls")
        if starttls not in (None, "true", "false"):
            raise ValueError("smtp_url starttls must be true or false")
        use_tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if use_tls else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
            start_tls=None if starttls is None or use_tls else starttls == "true",
        )


class SmtpSender:
    """Sends e-mail through the municipality's relay."""

    def __init__(self, url: str, sender: str, *, timeout: float = 10.0) -> None:
        self._target = SmtpTarget.parse(url)
        self._sender = sender
        self._timeout = timeout
        _, sender_address = email.utils.parseaddr(sender)
        self._envelope_from = sender_address
        self._domain = sender_address.rpartition("@")[2] or "knutpunkt.invalid"

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = message.address  # a checked bare address: no display name, no list
        mail["Subject"] = message.subject
        mail["Message-ID"] = f"<{message.id}@{self._domain}>"
        mail["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.body)
        return mail

    async def send(self, message: Message) -> None:
        t = self._target
        try:
            await aiosmtplib.send(
                self.build(message),
                sender=self._envelope_from,
                recipients=[message.address],
                hostname=t.host,
                port=t.port,
                username=t.username,
                password=t.password,
                use_tls=t.use_tls,
                start_tls=t.start_tls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise SendFailed(
                f"recipient refused ({codes})", permanent=all(c >= 500 for c in codes)
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.code}", permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(f"relay unreachable ({type(exc).__name__})") from exc


class SmsSender:
    """Sends SMS through an HTTP gateway: `POST <sms_url>` with JSON {to, from, message}."""

    def __init__(self, http: httpx.AsyncClient, url: str, sender: str, token: str = "") -> None:
        self._http = http
        self._url = url
        self._sender = sender
        self._token = token

    async def send(self, message: Message) -> None:
        headers = {"idempotency-key": message.id}
        if self._token:
            headers["authorization"] = f"Bearer {self._token}"
        try:
            response = await self._http.post(
                self._url,
                json={"to": message.address, "from": self._sender, "message": message.body},
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise SendFailed(f"gateway unreachable ({type(exc).__name__})") from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        retry = status >= 500 or status in (408, 409, 425, 429)
        raise SendFailed(f"HTTP {status}", permanent=not retry)
