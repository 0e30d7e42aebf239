"""The gateway over real Redis (cache) and PostgreSQL (access log) connections."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis.asyncio as redis_client

from gateway.audit import open_audit_log
from simulators import personas

MY_PAGES = "{ myPages { citizen { name } cases { totalCount } } }"
PG = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.mark.redis
async def test_relations_are_cached_in_redis_across_gateway_replicas(
    make_settings: Any, start_gateway: Any
) -> None:
    db = 11
    flush = redis_client.Redis(host="127.0.0.1", port=6379, db=db)
    await flush.flushdb()
    settings = make_settings(KNUTPUNKT_CACHE_URL=f"redis://127.0.0.1:6379/{db}")
    try:
        async with start_gateway(settings) as first:
            token = first.token("citizen", personas.KALLE)
            body = await first.query(MY_PAGES, token=token)
            assert body["data"]["myPages"]["citizen"]["name"] == "Kalle Testson"
            assert first.upstream_calls()["folkbokforing"] == 2
        assert await flush.dbsize() > 0
        async with start_gateway(settings) as second:  # another replica, same Redis
            again = await second.query(MY_PAGES, token=token)
            assert again == body
            calls = second.upstream_calls()
            assert "folkbokforing" not in calls and "ombud" not in calls
            assert calls["procapita"] == 1  # case data is live, never served from the cache
    finally:
        await flush.flushdb()
        await flush.aclose()


@pytest.mark.postgres
async def test_staff_reads_are_logged_in_postgresql(make_settings: Any, start_gateway: Any) -> None:
    table = f"audit_test_{uuid.uuid4().hex[:12]}"
    url = f"{PG}?table={table}"
    settings = make_settings(KNUTPUNKT_AUDIT_URL=url)
    async with start_gateway(settings) as gateway:
        lookup = '{ citizen(personalNumber: "195606055555", purpose: "Samtal om bygglov") { citizen { name } } }'
        body = await gateway.query(lookup, token=gateway.token("case_officer", units=["BN"]))
        assert body["data"]["citizen"]["citizen"]["name"] == "Kalle Testson"
        log = await gateway.query(
            "{ myAccessLog { edges { node { actorRole purpose } } } }",
            token=gateway.token("citizen", personas.KALLE),
        )
        assert log["data"]["myAccessLog"]["edges"] == [
            {"node": {"actorRole": "CASE_OFFICER", "purpose": "Samtal om bygglov"}}
        ]
    audit = open_audit_log(url)
    await audit.open()
    try:
        result = await audit.verify()
        assert result.ok
        kalle, _, _ = await audit.for_subject(personas.KALLE, 10, None)
        assert [(r.actor_role.value, r.actor_units, r.outcome.value) for r in kalle] == [
            ("CASE_OFFICER", ("BN",), "ALLOWED")
        ]
        # Nils' preschool case names Kalle as applicant: a read of Nils' data too
        nils, _, _ = await audit.for_subject(personas.NILS, 10, None)
        assert len(nils) == 1 and result.checked == 2
    finally:
        await audit.close()
        import psycopg

        async with await psycopg.AsyncConnection.connect(PG, autocommit=True) as conn:
            await conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
