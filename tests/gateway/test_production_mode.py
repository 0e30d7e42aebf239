"""Production mode (DESIGN "Demo and production", issue 9 item 2): no introspection for
PUBLIC and CITIZEN, no field suggestions, queries only by POST, GraphiQL only when
configured. Demo mode keeps all of them open."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from kp_idp import FakeIdp

from simulators import personas

SCHEMA = "{ __schema { queryType { name } } }"
TYPE_IN_FRAGMENT = 'query { ...f } fragment f on Query { __type(name: "Case") { name } }'
INTROSPECTION_REFUSED = {
    "data": None,
    "errors": [
        {
            "message": "Schemat kan inte utforskas med den här inloggningen.",
            "extensions": {"code": "INTROSPECTION_DISABLED"},
        }
    ],
}


def production(make_settings: Any, idp: FakeIdp, **env: str) -> Any:
    settings = make_settings(**idp.settings_env(), **env)
    return replace(settings, demo=replace(settings.demo, enabled=False))


def tokens(idp: FakeIdp) -> dict[str, str | None]:
    return {
        "public": None,
        "citizen": idp.token("citizen", personas.KALLE),
        "contact_centre": idp.token("contact_centre"),
        "case_officer": idp.token("case_officer"),
        "analyst": idp.token("analyst"),
    }


async def test_introspection_only_for_the_configured_staff_roles(
    make_settings: Any, start_gateway: Any
) -> None:
    idp = FakeIdp()
    async with start_gateway(
        production(make_settings, idp), jwks_transport=idp.transport()
    ) as gateway:
        answers = {
            role: [await gateway.query(q, token=token) for q in (SCHEMA, TYPE_IN_FRAGMENT)]
            for role, token in tokens(idp).items()
        }
        typename = await gateway.query("{ __typename }")
    allowed = [
        {"data": {"__schema": {"queryType": {"name": "Query"}}}},
        {"data": {"__type": {"name": "Case"}}},
    ]
    assert answers == {
        "public": [INTROSPECTION_REFUSED] * 2,
        "citizen": [INTROSPECTION_REFUSED] * 2,
        "contact_centre": allowed,
        "case_officer": allowed,
        "analyst": allowed,
    }
    assert typename == {"data": {"__typename": "Query"}}


async def test_the_introspection_roles_are_configurable_but_never_citizens(
    make_settings: Any, start_gateway: Any
) -> None:
    idp = FakeIdp()
    settings = production(
        make_settings, idp, KNUTPUNKT_GATEWAY_INTROSPECTION_ROLES="analyst,citizen"
    )
    async with start_gateway(settings, jwks_transport=idp.transport()) as gateway:
        codes = {}
        for role, token in tokens(idp).items():
            body = await gateway.query(SCHEMA, token=token)
            codes[role] = body["errors"][0]["extensions"]["code"] if "errors" in body else None
    assert codes == {
        "public": "INTROSPECTION_DISABLED",
        "citizen": "INTROSPECTION_DISABLED",
        "contact_centre": "INTROSPECTION_DISABLED",
        "case_officer": "INTROSPECTION_DISABLED",
        "analyst": None,
    }


async def test_demo_mode_lets_everyone_introspect(gateway: Any) -> None:
    body = await gateway.query(SCHEMA)
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ viewr { role } }", "Cannot query field 'viewr' on type 'Query'."),
        (
            "{ caseStatistics(filter: { groupBy: [CHANEL] }) { suppressionThreshold } }",
            "Value 'CHANEL' does not exist in 'StatisticsDimension' enum.",
        ),
    ],
)
async def test_no_field_suggestions_in_production(
    make_settings: Any, start_gateway: Any, gateway: Any, query: str, message: str
) -> None:
    demo = await gateway.query(query)
    assert "Did you mean" in demo["errors"][0]["message"]
    idp = FakeIdp()
    async with start_gateway(
        production(make_settings, idp), jwks_transport=idp.transport()
    ) as prod:
        body = await prod.query(query, token=idp.token("analyst"))
    assert body == {
        "data": None,
        "errors": [
            {
                "message": message,
                "locations": body["errors"][0]["locations"],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ],
    }


async def test_queries_by_get_are_refused_in_production(
    make_settings: Any, start_gateway: Any
) -> None:
    idp = FakeIdp()
    token = idp.token("citizen", personas.KALLE)
    headers = {"authorization": f"Bearer {token}"}
    async with start_gateway(
        production(make_settings, idp), jwks_transport=idp.transport()
    ) as gateway:
        gateway.reset_counts()
        response = await gateway.client.get(
            "/graphql", params={"query": "{ myPages { citizen { name } } }"}, headers=headers
        )
        assert gateway.upstream_calls() == {}
        posted = await gateway.query("{ viewer { role } }", token=token)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {
        "errors": [
            {"message": "Frågor skickas med POST.", "extensions": {"code": "METHOD_NOT_ALLOWED"}}
        ]
    }
    assert posted == {"data": {"viewer": {"role": "CITIZEN"}}}


async def test_queries_by_get_still_work_in_demo_mode(gateway: Any) -> None:
    response = await gateway.client.get("/graphql", params={"query": "{ viewer { role } }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"role": "PUBLIC"}}}


async def test_graphiql_only_when_enabled(
    make_settings: Any, start_gateway: Any, gateway: Any
) -> None:
    html = {"accept": "text/html"}
    idp = FakeIdp()
    statuses = {"demo": (await gateway.client.get("/graphql", headers=html)).status_code}
    for name, env in (("production", {}), ("enabled", {"KNUTPUNKT_GATEWAY_GRAPHIQL": "true"})):
        async with start_gateway(
            production(make_settings, idp, **env), jwks_transport=idp.transport()
        ) as prod:
            statuses[name] = (await prod.client.get("/graphql", headers=html)).status_code
    assert statuses == {"demo": 200, "production": 404, "enabled": 200}
