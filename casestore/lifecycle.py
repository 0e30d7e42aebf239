"""The case store's life in a running gateway: opened with the app, synced in the
background every `refresh_seconds`, and on demand when a system signals a change."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from connectors.registry import Connectors
from policies.policy import Policy
from policies.statistics import StatisticsPolicy

from .store import CaseStore, utcnow


class LiveCaseStore:
    """An open case store with its refresher; `refresh_system` pulls one system now."""

    def __init__(self, store: CaseStore, connectors: Connectors) -> None:
        self.store = store
        self._connectors = connectors
        self._pending: set[asyncio.Task[Any]] = set()

    def refresh_system(self, system: str) -> None:
        """Pull one system's changes now (e.g. after a webhook), in the background."""
        source = self._connectors.case_sources.get(system)
        if source is None:
            return
        task = asyncio.create_task(self.store.sync({system: source}, utcnow()))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)


@contextlib.asynccontextmanager
async def open_case_store(
    url: str, refresh_seconds: float, policy: Policy, connectors: Connectors
) -> AsyncIterator[LiveCaseStore]:
    store = CaseStore(
        url,
        StatisticsPolicy(policy.service_promise_days, policy.default_promise_days),
        population=connectors.population,
    )
    await store.open()
    refresher = store.start_refresher(connectors.case_sources, interval=refresh_seconds)
    live = LiveCaseStore(store, connectors)
    try:
        yield live
    finally:
        await stop_tasks([refresher, *live._pending])
        await store.close()


async def stop_tasks(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel until done: on Python 3.11 `asyncio.wait_for` (used by aiocache) can swallow
    a cancellation that coincides with its result, so one cancel() is not always enough."""
    waiting = {t for t in tasks if not t.done()}
    while waiting:
        for task in waiting:
            task.cancel()
        _, waiting = await asyncio.wait(waiting, timeout=0.2)
