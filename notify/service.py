"""Wiring for the app's lifespan: the store, the preference service, the notifier and
the outbox worker, opened and closed together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from connectors.registry import Connectors
from policies.policy import Policy

from .model import Channel
from .notifier import Notifier
from .outbox import Outbox
from .preferences import PreferenceService
from .senders import Sender, SmsSender, SmtpSender
from .settings import NotifySettings
from .store import NotifyStore

#: how long shutdown waits for the message in hand before leaving it to its lease
STOP_GRACE_SECONDS = 15.0


@dataclass
class Notifications:
    store: NotifyStore
    preferences: PreferenceService
    notifier: Notifier
    outbox: Outbox


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def open_notifications(
    settings: NotifySettings,
    policy: Policy,
    connectors: Connectors,
    *,
    clock: Callable[[], datetime] = utc_now,
    sms_transport: httpx.AsyncBaseTransport | None = None,
    run_worker: bool = True,
) -> AsyncIterator[Notifications]:
    """Open everything; the outbox worker runs in the background until the block ends."""
    store = await NotifyStore.open(settings.url)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(store.close)
        senders: dict[Channel, Sender] = {}
        if settings.smtp_url:
            smtp = SmtpSender(
                settings.smtp_url,
                settings.sender,
                timeout=settings.send_timeout_seconds,
                pool=settings.send_concurrency,
            )
            stack.push_async_callback(smtp.close)  # after the worker has stopped
            senders[Channel.EMAIL] = smtp
        if settings.sms_url:
            http = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=sms_transport,
                    timeout=httpx.Timeout(settings.send_timeout_seconds),
                    headers={"user-agent": "knutpunkt/0.1"},
                )
            )
            senders[Channel.SMS] = SmsSender(
                http, settings.sms_url, settings.sms_sender, settings.sms_token
            )
        outbox = Outbox(store, senders, settings, clock)
        notifications = Notifications(
            store=store,
            preferences=PreferenceService(
                store, settings, clock, wake=outbox.wake, available=frozenset(senders)
            ),
            notifier=Notifier(settings, policy, connectors, store, clock, wake=outbox.wake),
            outbox=outbox,
        )
        if not run_worker:
            yield notifications
            return
        worker = asyncio.create_task(outbox.run(), name="notify-outbox")
        try:
            yield notifications
        finally:
            outbox.stop()
            try:
                await asyncio.wait_for(asyncio.shield(worker), STOP_GRACE_SECONDS)
            except TimeoutError:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
