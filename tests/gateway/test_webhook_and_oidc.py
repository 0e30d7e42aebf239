"""The e-service callback endpoint, and a municipality's own identity provider (KNUTPUNKT_OIDC_*)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey
from kp_worlds import wait_until

from simulators import personas
from simulators.eservice_webhook import sign

SECRET = "a-shared-secret"


def _callback(flow_id: str = "4711") -> bytes:
    return json.dumps(
        {
            "event": "status_changed",
            "flowInstanceID": flow_id,
            "status": "Under handläggning",
            "occurred": "2026-11-20T10:00:00+01:00",
        }
    ).encode()


async def test_a_signed_callback_refreshes_the_systems_case_store(
    make_settings: Any, start_gateway: Any, tmp_path: Path
) -> None:
    settings = make_settings(
        KNUTPUNKT_GATEWAY_WEBHOOK_SECRET=SECRET,
        KNUTPUNKT_CASESTORE_ENABLED="true",
        KNUTPUNKT_CASESTORE_REFRESH_SECONDS="3600",
    )
    async with start_gateway(settings) as gateway:
        store = gateway.app.state.knutpunkt.services.case_store
        await wait_until(lambda: store.last_synced("eservice") is not None, timeout=15)
        first = store.last_synced("eservice")  # the first background sync
        assert first is not None
        body = _callback()
        ok = await gateway.client.post(
            "/hooks/eservice", content=body, headers={"x-signature": sign(body, SECRET)}
        )
        assert ok.status_code == 204
        await wait_until(lambda: store.last_synced("eservice") != first, timeout=15)
        assert store.last_synced("eservice") > first
        forged = await gateway.client.post(
            "/hooks/eservice", content=body, headers={"x-signature": sign(body, "wrong")}
        )
        unsigned = await gateway.client.post("/hooks/eservice", content=body)
        assert forged.status_code == unsigned.status_code == 400
        assert forged.json() == unsigned.json() == {"error": "refused"}


async def test_callbacks_are_off_without_a_secret(gateway: Any) -> None:
    body = _callback()
    response = await gateway.client.post(
        "/hooks/eservice", content=body, headers={"x-signature": sign(body, "")}
    )
    assert response.status_code == 404


async def test_the_municipalitys_identity_provider_is_trusted_beside_the_demo_issuer(
    make_settings: Any, start_gateway: Any
) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "idp-1"}, private=True)
    jwks = {"keys": [key.as_dict(private=False)]}
    fetched: list[str] = []

    def idp(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, json=jwks)

    settings = make_settings(
        KNUTPUNKT_OIDC_ISSUER="https://idp.exempelby.se",
        KNUTPUNKT_OIDC_AUDIENCE="knutpunkt-prod",
        KNUTPUNKT_OIDC_JWKS_URL="https://idp.exempelby.se/jwks.json",
    )
    now = int(time.time())
    claims = {
        "iss": "https://idp.exempelby.se",
        "aud": "knutpunkt-prod",
        "sub": "u-17",
        "iat": now,
        "exp": now + 300,
        "role": "case_officer",
        "units": ["MBN"],
        "name": "Eva Inspektör",
    }
    token = jwt.encode({"alg": "ES256", "kid": "idp-1", "typ": "at+jwt"}, claims, key)
    async with start_gateway(settings, jwks_transport=httpx.MockTransport(idp)) as gateway:
        body = await gateway.query("{ viewer { role name units { code } } }", token=token)
        assert body == {
            "data": {
                "viewer": {
                    "role": "CASE_OFFICER",
                    "name": "Eva Inspektör",
                    "units": [{"code": "MBN"}],
                }
            }
        }
        assert fetched == ["https://idp.exempelby.se/jwks.json"]
        demo = await gateway.query(
            "{ viewer { role } }", token=gateway.token("citizen", personas.KALLE)
        )
        assert demo == {"data": {"viewer": {"role": "CITIZEN"}}}
        wrong_audience = jwt.encode(
            {"alg": "ES256", "kid": "idp-1"}, {**claims, "aud": "other"}, key
        )
        refused = await gateway.post("{ viewer { role } }", token=wrong_audience)
        assert refused.status_code == 401


async def test_the_demo_issuer_is_not_trusted_outside_demo_mode(
    make_settings: Any, start_gateway: Any
) -> None:
    from dataclasses import replace

    settings = make_settings()
    settings = replace(settings, demo=replace(settings.demo, enabled=False))
    async with start_gateway(settings) as gateway:
        response = await gateway.post(
            "{ viewer { role } }", token=gateway.token("citizen", personas.KALLE)
        )
        assert response.status_code == 401
        anonymous = await gateway.query("{ viewer { role } }")
        assert anonymous == {"data": {"viewer": {"role": "PUBLIC"}}}


async def test_the_register_token_is_fetched_once_and_reused(gateway: Any) -> None:
    token = gateway.token("citizen", personas.KALLE)
    for _ in range(3):
        await gateway.query("{ myPages { citizen { name } } }", token=token)
    folk = gateway.transports["folkbokforing"].requests
    assert [r.url.path for r in folk].count("/oauth/token") == 1
    assert all(
        r.headers.get("authorization", "").startswith("Bearer ")
        for r in folk
        if r.url.path != "/oauth/token"
    )
