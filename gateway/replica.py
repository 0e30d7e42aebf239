"""The statistics replica's life in the gateway: opened with the app, synced in the
background every `refresh_seconds`, and on demand when a system signals a change."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from connectors.registry import Connectors
from connectors.replica import Replica, utcnow
from policies.statistics import StatisticsPolicy

from .settings import ReplicaSettings

if TYPE_CHECKING:
    from .app import AppState

log = logging.getLogger("knutpunkt.replica")


@contextlib.asynccontextmanager
async def open_replica(
    settings: ReplicaSettings, policy: Any, connectors: Connectors, state: AppState
) -> AsyncIterator[Replica]:
    replica = Replica(
        settings.url,
        StatisticsPolicy(policy.service_promise_days, policy.default_promise_days),
        population=connectors.population,
    )
    await replica.open()
    refresher = replica.start_refresher(connectors.case_sources, interval=settings.refresh_seconds)
    pending: set[asyncio.Task[Any]] = set()

    def refresh_system(system: str) -> None:
        """Pull one system's changes now (e.g. after a webhook), in the background."""
        source = connectors.case_sources.get(system)
        if source is None:
            return
        task = asyncio.create_task(replica.sync({system: source}, utcnow()))
        pending.add(task)
        task.add_done_callback(pending.discard)

    state.refresh_system = refresh_system
    try:
        yield replica
    finally:
        await stop_tasks([refresher, *pending])
        await replica.close()


async def stop_tasks(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel until done: on Python 3.11 `asyncio.wait_for` (used by aiocache) can swallow
    a cancellation that coincides with its result, so one cancel() is not always enough."""
    waiting = {t for t in tasks if not t.done()}
    while waiting:
        for task in waiting:
            task.cancel()
        _, waiting = await asyncio.wait(waiting, timeout=0.2)
