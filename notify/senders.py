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
from email.header import Header
from email.mime.text import MIMEText
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

    async def close(self) -> None: ...


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
    """Sends e-mail through the municipality's relay, over up to `pool` kept-open
    connections (a relay takes many messages per connection; `close()` quits them)."""

    def __init__(self, url: str, sender: str, *, timeout: float = 10.0, pool: int = 8) -> None:
        self._target = SmtpTarget.parse(url)
        self._sender = sender
        self._timeout = timeout
        self._pool = pool
        self._idle: list[aiosmtplib.SMTP] = []
        _, sender_address = email.utils.parseaddr(sender)
        self._envelope_from = sender_address
        self._domain = sender_address.rpartition("@")[2] or "knutpunkt.invalid"
        name, _ = email.utils.parseaddr(sender)
        self._from_header = email.utils.formataddr((name, sender_address), charset="utf-8")

    def build(self, message: Message) -> MIMEText:
        """The mail (built with the light compat32 model: the typed header registry costs
        milliseconds per message and the headers here are simple)."""
        mail = MIMEText(message.body, "plain", "utf-8")
        mail["From"] = self._from_header
        mail["To"] = message.address  # a checked bare address: no display name, no list
        mail["Subject"] = Header(message.subject, "utf-8").encode()
        mail["Message-ID"] = f"<{message.id}@{self._domain}>"
        mail["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
        mail["Auto-Submitted"] = "auto-generated"
        return mail

    async def _connect(self) -> aiosmtplib.SMTP:
        t = self._target
        smtp = aiosmtplib.SMTP(
            hostname=t.host,
            port=t.port,
            username=t.username,
            password=t.password,
            use_tls=t.use_tls,
            start_tls=t.start_tls,
            timeout=self._timeout,
            # named, not looked up: socket.getfqdn() may wait on DNS
            local_hostname=self._domain,
        )
        try:
            await smtp.connect()  # STARTTLS and AUTH as configured
        except BaseException:
            smtp.close()
            raise
        return smtp

    async def send(self, message: Message) -> None:
        mail = self.build(message)
        try:
            while self._idle:
                smtp = self._idle.pop()
                if not smtp.is_connected:
                    smtp.close()
                    continue
                try:
                    await self._send_on(smtp, mail, message.address)
                    return
                except aiosmtplib.SMTPServerDisconnected:
                    continue  # the relay dropped the idle connection before taking it
            await self._send_on(await self._connect(), mail, message.address)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise SendFailed(
                f"recipient refused ({codes})", permanent=all(c >= 500 for c in codes)
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.code}", permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(f"relay unreachable ({type(exc).__name__})") from exc

    async def _send_on(self, smtp: aiosmtplib.SMTP, mail: MIMEText, to: str) -> None:
        try:
            await smtp.send_message(mail, sender=self._envelope_from, recipients=[to])
        except BaseException:
            smtp.close()  # state unknown after a failure: never reuse it
            raise
        if len(self._idle) < self._pool:
            self._idle.append(smtp)
        else:
            await _quit(smtp)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for smtp in idle:
            await _quit(smtp)


async def _quit(smtp: aiosmtplib.SMTP) -> None:
    try:
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        pass
    finally:
        smtp.close()


class SmsSender:
    """Sends SMS through an HTTP gateway: `POST <sms_url>` with JSON {to, from, message}."""

    def __init__(self, http: httpx.AsyncClient, url: str, sender: str, token: str = "") -> None:
        self._http = http
        self._url = url
        self._sender = sender
        self._token = token

    async def close(self) -> None:
        return None  # the HTTP client belongs to whoever opened it

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
