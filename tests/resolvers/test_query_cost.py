"""One query must never stall the hub (issue 9, item 1): a cost computed before
execution (`QUERY_TOO_COSTLY`), a cap on root fields, on the answer's size and on the
request's execution time, each with a coded error, counted in /metrics."""

from __future__ import annotations

import time
from typing import Any

from kp_scrape import by, scrape

from simulators import personas

#: the review's attack: `chain` nested eight deep under `myPages.cases(first: 500)`
ATTACK = (
    "{ myPages { cases(first: 500) { edges { node { "
    + "chain { " * 8
    + "caseNumber"
    + " }" * 8
    + " } } } } }"
)


def chain_query(depth: int, first: int | str = 500) -> str:
    inner = "chain { " * depth + "caseNumber" + " }" * depth
    head = "query ($n: Int) " if isinstance(first, str) else ""
    return f"{head}{{ myPages {{ cases(first: {first}) {{ edges {{ node {{ {inner} }} }} }} }} }}"


def chain_cost(depth: int, first: int) -> int:
    """The cost model of resolvers/cost.py spelled out: `myPages`, its `cases` and every
    `chain` call systems (10 each time they run); every object costs 1 (connection
    wrappers nothing); a chain is assumed 5 long, a connection `first` long."""
    chain = 0
    for _ in range(depth):
        chain = 10 + 5 * (1 + chain)
    cases = 10 + first * (1 + chain)
    return 10 + 1 + cases


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_the_attack_is_refused_before_any_upstream_call(
    gateway: Any, make_settings: Any, start_gateway: Any
) -> None:
    token = gateway.token("citizen", personas.KALLE)
    gateway.reset_counts()
    started = time.perf_counter()
    body = await gateway.query(ATTACK, token=token)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert body["data"] is None
    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]  # too deep for the default depth 10
    assert gateway.upstream_calls() == {}
    print(f"attack refused by the depth limit in {elapsed_ms:.1f} ms")

    # with the depth limit out of the way, the cost refuses it all the same
    deep = make_settings(KNUTPUNKT_GATEWAY_MAX_QUERY_DEPTH="30")
    async with start_gateway(deep) as gw:
        gw.reset_counts()
        started = time.perf_counter()
        body = await gw.query(ATTACK, token=token)
        elapsed_ms = (time.perf_counter() - started) * 1000
        metrics = await scrape(gw.client)
        assert gw.upstream_calls() == {}
    [error] = body["errors"]
    assert body["data"] is None
    assert error["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": chain_cost(8, 500),
        "maxCost": 250_000,
    }
    assert by(metrics, "knutpunkt_queries_refused_total", "code") == {("QUERY_TOO_COSTLY",): 1}
    print(f"attack (cost {chain_cost(8, 500)}) refused by the cost limit in {elapsed_ms:.1f} ms")


async def test_the_cost_counts_list_sizes_from_arguments_and_variables(gateway: Any) -> None:
    token = gateway.token("citizen", personas.ANNA)
    allowed = await gateway.query(chain_query(3), token=token)  # the README's use, thrice over
    assert "errors" not in allowed, allowed
    refused = await gateway.query(chain_query(4), token=token)
    assert refused["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": chain_cost(4, 500),
        "maxCost": 250_000,
    }
    few = await gateway.query(chain_query(4, "$n"), {"n": 20}, token)
    assert "errors" not in few, few
    many = await gateway.query(chain_query(4, "$n"), {"n": 500}, token)
    assert _codes(many) == ["QUERY_TOO_COSTLY"]
    assert many["errors"][0]["extensions"]["cost"] == chain_cost(4, 500)


async def test_the_cost_limit_is_configurable(make_settings: Any, start_gateway: Any) -> None:
    settings = make_settings(KNUTPUNKT_GATEWAY_MAX_QUERY_COST="1000")
    async with start_gateway(settings) as gw:
        token = gw.token("citizen", personas.ANNA)
        body = await gw.query(chain_query(2, 50), token=token)
    assert body["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": chain_cost(2, 50),
        "maxCost": 1000,
    }


async def test_at_most_ten_root_fields(gateway: Any) -> None:
    ten = " ".join(f"v{i}: viewer {{ role }}" for i in range(10))
    assert await gateway.query("{ " + ten + " __typename }") == {
        "data": {**{f"v{i}": {"role": "PUBLIC"} for i in range(10)}, "__typename": "Query"}
    }
    body = await gateway.query("{ " + ten + " v10: viewer { role } }")
    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (
            "Frågan har 11 fält på översta nivån; högst 10 tillåts.",
            {"code": "TOO_MANY_ROOT_FIELDS"},
        )
    ]


async def test_an_answer_too_large_is_replaced_by_a_coded_error(
    make_settings: Any, start_gateway: Any
) -> None:
    query = "{ myPages { citizen { name } cases { edges { node { caseNumber title } } } } }"
    async with start_gateway(make_settings(KNUTPUNKT_GATEWAY_MAX_RESPONSE_BYTES="300")) as gw:
        token = gw.token("citizen", personas.KALLE)
        small = await gw.query("{ myPages { citizen { name } } }", token=token)
        large = await gw.post(query, token=token)
        metrics = await scrape(gw.client)
    assert small == {"data": {"myPages": {"citizen": {"name": "Kalle Testson"}}}}
    assert large.status_code == 200
    assert large.json() == {
        "data": None,
        "errors": [
            {
                "message": "Svaret blev för stort. Be om färre poster eller färre fält.",
                "extensions": {"code": "RESPONSE_TOO_LARGE"},
            }
        ],
    }
    assert by(metrics, "knutpunkt_queries_refused_total", "code") == {("RESPONSE_TOO_LARGE",): 1}


async def test_a_request_is_stopped_after_the_execution_limit(
    make_settings: Any, start_gateway: Any
) -> None:
    settings = make_settings(
        KNUTPUNKT_GATEWAY_MAX_EXECUTION_SECONDS="0.5", KNUTPUNKT_GATEWAY_DEADLINE_SECONDS="30"
    )
    async with start_gateway(settings) as gw:
        await gw.faults("byggr", hang=True)
        token = gw.token("citizen", personas.KALLE)
        started = time.monotonic()
        response = await gw.post("{ myPages { cases { totalCount } } }", token=token)
        elapsed = time.monotonic() - started
        health = await gw.client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "errors": [
            {
                "message": "Begäran tog för lång tid och avbröts.",
                "extensions": {"code": "REQUEST_TIMEOUT"},
            }
        ]
    }
    assert elapsed < 5  # bound check: stopped at 0.5 s, not at the 30 s deadline
    assert health.status_code == 200
