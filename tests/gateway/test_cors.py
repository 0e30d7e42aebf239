"""CORS: portal origins on the allowlist may call the API from a browser; none by default."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.settings import SettingsError

PORTAL = "https://minasidor.exempelby.se"
PREFLIGHT = {
    "origin": PORTAL,
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type",
}


async def test_off_by_default(gateway: Any) -> None:
    preflight = await gateway.client.options("/graphql", headers=PREFLIGHT)
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers
    response = await gateway.client.post(
        "/graphql", json={"query": "{ viewer { role } }"}, headers={"origin": PORTAL}
    )
    assert response.json() == {"data": {"viewer": {"role": "PUBLIC"}}}
    assert "access-control-allow-origin" not in response.headers


async def test_an_allowed_portal_gets_preflight_and_answers(
    make_settings: Any, start_gateway: Any
) -> None:
    settings = make_settings(KNUTPUNKT_GATEWAY_CORS_ORIGINS=f"{PORTAL},https://e.exempelby.se")
    async with start_gateway(settings) as gateway:
        preflight = await gateway.client.options("/graphql", headers=PREFLIGHT)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == PORTAL
        assert preflight.headers["access-control-allow-methods"] == "GET, POST"
        assert preflight.headers["access-control-max-age"] == "600"
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert {"authorization", "content-type"} <= {h.strip() for h in allowed.split(",")}
        assert "access-control-allow-credentials" not in preflight.headers

        token = gateway.token("analyst")
        response = await gateway.client.post(
            "/graphql",
            json={"query": "{ viewer { role } }"},
            headers={"origin": PORTAL, "authorization": f"Bearer {token}"},
        )
        assert response.json() == {"data": {"viewer": {"role": "ANALYST"}}}
        assert response.headers["access-control-allow-origin"] == PORTAL
        assert response.headers["access-control-expose-headers"] == "x-request-id"

        other = {**PREFLIGHT, "origin": "https://evil.example"}
        refused = await gateway.client.options("/graphql", headers=other)
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        answer = await gateway.client.post(
            "/graphql", json={"query": "{ viewer { role } }"}, headers={"origin": other["origin"]}
        )
        assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize("origin", ["*", "https://minasidor.exempelby.se/", "minasidor.se"])
def test_origins_must_be_scheme_and_host(
    make_settings: Any, start_gateway: Any, origin: str
) -> None:
    with pytest.raises(SettingsError, match="cors_origins"):
        start_gateway(make_settings(KNUTPUNKT_GATEWAY_CORS_ORIGINS=origin))
