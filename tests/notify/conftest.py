"""Fixtures for notifications: the sandbox's mail sink on a real loopback SMTP port, the
SMS gateway mounted as a transport, and a gateway wired to both."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from notify_testing import Clock, Rig

from notify import Channel, Notifier, NotifySettings, NotifyStore, Outbox
from notify.senders import Sender, SmsSender, SmtpSender
from policies.policy import load_policy

if TYPE_CHECKING:
    from simulators.sandbox import Sandbox


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 11, 10, 0, tzinfo=UTC))


@pytest.fixture
async def smtp_url(sandbox: Sandbox) -> AsyncIterator[str]:
    host, port = await sandbox.mail.start("127.0.0.1", 0)
    yield f"smtp://{host}:{port}"
    await sandbox.mail.stop()


class Sinks:
    """Reads the sinks over their HTTP side and sets their faults, as a user would."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def _client(self, name: str) -> httpx.AsyncClient:
        app = self.sandbox.mail.app if name == "mail" else self.sandbox.sms.app
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")

    async def messages(self, name: str) -> list[dict[str, Any]]:
        async with self._client(name) as c:
            r = await c.get("/messages")
            assert r.status_code == 200, r.text
            found: list[dict[str, Any]] = r.json()
            return found

    async def clear(self, name: str) -> None:
        async with self._client(name) as c:
            assert (await c.delete("/messages")).status_code == 204

    async def faults(self, name: str, **faults: Any) -> None:
        async with self._client(name) as c:
            r = await (
                c.put("/_admin/faults", json=faults) if faults else c.delete("/_admin/faults")
            )
            assert r.status_code == 200, r.text

    async def wait_for(self, name: str, count: int, within: float = 10.0) -> list[dict[str, Any]]:
        """The messages once at least `count` arrived (gives up after `within` seconds)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = await self.messages(name)
            if len(found) >= count or asyncio.get_running_loop().time() > deadline:
                return found
            await asyncio.sleep(0.02)


@pytest.fixture
async def smtp_sender(smtp_url: str) -> AsyncIterator[Callable[..., SmtpSender]]:
    """`smtp_sender()`: a sender to the loopback sink, its connections closed at the end."""
    made: list[SmtpSender] = []

    def make(sender: str = "Exempelby kommun <noreply@exempelby.se>") -> SmtpSender:
        made.append(SmtpSender(smtp_url, sender))
        return made[-1]

    yield make
    for sender in made:
        await sender.close()


@pytest.fixture
def sinks(sandbox: Sandbox) -> Sinks:
    return Sinks(sandbox)


@pytest.fixture
def notify_env(smtp_url: str) -> dict[str, str]:
    return {
        "KNUTPUNKT_NOTIFY_SMTP_URL": smtp_url,
        "KNUTPUNKT_NOTIFY_SMS_URL": "http://sms.sandbox/v1/messages",
        "KNUTPUNKT_NOTIFY_PORTAL_URL": "https://minasidor.exempelby.se",
        "KNUTPUNKT_NOTIFY_POLL_SECONDS": "0.05",
        "KNUTPUNKT_NOTIFY_RETRY_BASE_SECONDS": "0.05",
        "KNUTPUNKT_NOTIFY_RETRY_MAX_SECONDS": "0.2",
        "KNUTPUNKT_NOTIFY_QUIET_HOURS": "",
    }


@pytest.fixture
async def notify_gateway(
    make_settings: Callable[..., Any], start_gateway: Callable[..., Any], notify_env: dict[str, str]
) -> AsyncIterator[Any]:
    async with start_gateway(make_settings(**notify_env)) as gw:
        yield gw


@pytest.fixture
async def rig(
    notify_gateway: Any,
    tmp_path: Path,
    clock: Clock,
    smtp_url: str,
    sandbox: Any,
    smtp_sender: Callable[..., SmtpSender],
) -> AsyncIterator[Rig]:
    settings = NotifySettings(
        url=f"sqlite:///{tmp_path}/planner.db",
        smtp_url=smtp_url,
        sms_url="http://sms.sandbox/v1/messages",
        digest_minutes=15,
        quiet_hours="21:00-08:00",
    )
    store = await NotifyStore.open(settings.url)
    connectors = notify_gateway.app.state.knutpunkt.connectors
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.sms.app)) as http:
        senders: dict[Channel, Sender] = {
            Channel.EMAIL: smtp_sender(settings.sender),
            Channel.SMS: SmsSender(http, settings.sms_url, "Exempelby"),
        }
        outbox = Outbox(store, senders, settings, clock)
        notifier = Notifier(settings, load_policy(), connectors, store, clock)
        yield Rig(notify_gateway, store, notifier, outbox, clock)
    await store.close()
