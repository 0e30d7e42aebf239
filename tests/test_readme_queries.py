"""Every GraphQL block of the README runs against the app with the default limits, for
the role it is written for, without errors (the limits of issue 9 must not break them)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kp_worlds import wait_until

from simulators import personas

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def _callers(query: str) -> list[tuple[str, str | None]]:
    """Who the README says runs the block: citizens for Mina Sidor, the contact
    centre for Dina Sidor, everyone for the statistics and the public diary."""
    if "Notification" in query:  # Kalle turns notifications on
        return [("citizen", personas.KALLE)]
    if "myPages" in query:
        return [("citizen", personas.KALLE), ("citizen", personas.ANNA)]
    if "citizen(" in query:
        return [("contact_centre", None)]
    return [("public", None), ("analyst", None)]


def test_the_readme_has_graphql_blocks() -> None:
    assert len(BLOCKS) >= 4


SET_EMAIL = next(b for b in BLOCKS if "setNotificationSettings" in b)


@pytest.mark.parametrize("query", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
async def test_every_readme_query_runs(
    make_settings: Any, start_gateway: Any, sandbox: Any, query: str
) -> None:
    store_needed = "caseStatistics" in query or "publicDiary" in query
    env = {}
    notifying = "Notification" in query
    if notifying:  # the README's mail sink, on a real loopback SMTP port
        host, port = await sandbox.mail.start("127.0.0.1", 0)
        env = {
            "KNUTPUNKT_NOTIFY_SMTP_URL": f"smtp://{host}:{port}",
            "KNUTPUNKT_NOTIFY_POLL_SECONDS": "0.05",
        }
    settings = make_settings(
        KNUTPUNKT_CASESTORE_ENABLED="true" if store_needed else "false",
        KNUTPUNKT_CASESTORE_REFRESH_SECONDS="3600",
        **env,
    )
    try:
        async with start_gateway(settings) as gateway:
            if store_needed:  # statistics and the diary read the case store: fill it first
                state = gateway.app.state.knutpunkt
                store = state.services.case_store
                await store.sync(state.connectors.case_sources, datetime.now(UTC))
            for role, pnr in _callers(query):
                token = None if role == "public" else gateway.token(role, pnr)
                if "verifyNotificationChannel" in query:  # as the README says: set, read the mail
                    assert "errors" not in await gateway.query(SET_EMAIL, token=token)
                    await wait_until(lambda: bool(sandbox.mail.inbox.items), timeout=10)
                    code = re.search(r"\b\d{6}\b", sandbox.mail.inbox.items[-1]["body"])
                    assert code is not None, sandbox.mail.inbox.items
                    query = query.replace('"123456"', f'"{code.group()}"')
                body = await gateway.query(query, token=token)
                assert "errors" not in body, (role, body)
                assert body["data"] and all(v is not None for v in body["data"].values()), body
    finally:
        if notifying:
            await sandbox.mail.stop()
