"""Every GraphQL block of the README runs against the app with the default limits, for
the role it is written for, without errors (the limits of issue 9 must not break them)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from simulators import personas

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def _callers(query: str) -> list[tuple[str, str | None]]:
    """Who the README says runs the block: citizens for Mina Sidor, the contact
    centre for Dina Sidor, everyone for the statistics and the public diary."""
    if "myPages" in query:
        return [("citizen", personas.KALLE), ("citizen", personas.ANNA)]
    if "citizen(" in query:
        return [("contact_centre", None)]
    return [("public", None), ("analyst", None)]


def test_the_readme_has_graphql_blocks() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("query", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
async def test_every_readme_query_runs(make_settings: Any, start_gateway: Any, query: str) -> None:
    store_needed = "caseStatistics" in query or "publicDiary" in query
    settings = make_settings(
        KNUTPUNKT_CASESTORE_ENABLED="true" if store_needed else "false",
        KNUTPUNKT_CASESTORE_REFRESH_SECONDS="3600",
    )
    async with start_gateway(settings) as gateway:
        if store_needed:  # statistics and the diary read the case store: fill it first
            state = gateway.app.state.knutpunkt
            store = state.services.case_store
            await store.sync(state.connectors.case_sources, datetime.now(UTC))
        for role, pnr in _callers(query):
            token = None if role == "public" else gateway.token(role, pnr)
            body = await gateway.query(query, token=token)
            assert "errors" not in body, (role, body)
            assert body["data"] and all(v is not None for v in body["data"].values()), body
