"""Only access tokens open the API, for at most their allowed lifetime (issue 9, item 6);
every refusal is logged with a reason code, rate-limited, and counted (item 7)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
from kp_idp import FakeIdp
from kp_scrape import by, scrape

from connectors.errors import ValidationError
from gateway.issuer import DemoIssuer
from simulators import personas

VIEWER = "{ viewer { role } }"
REFUSED = {"errors": [{"message": "Ogiltig eller utgången inloggning.", "extensions": {"code": "UNAUTHENTICATED"}}]}  # fmt: skip


async def _status(gateway: Any, token: str) -> int:
    response = await gateway.post(VIEWER, token=token)
    if response.status_code == 401:
        assert response.json() == REFUSED
    return int(response.status_code)


def _now() -> int:
    return int(time.time())


async def test_only_access_tokens_are_accepted_by_default(
    make_settings: Any, start_gateway: Any
) -> None:
    idp = FakeIdp()
    async with start_gateway(
        make_settings(**idp.settings_env()), jwks_transport=idp.transport()
    ) as gateway:
        statuses = {
            "at+jwt": await _status(gateway, idp.token("analyst")),
            "application/at+jwt": await _status(
                gateway, idp.token("analyst", typ="application/at+jwt")
            ),
            "id token": await _status(gateway, idp.token("analyst", typ="JWT", nonce="n-1")),
            "plain JWT": await _status(gateway, idp.token("analyst", typ="JWT")),
            "untyped": await _status(gateway, idp.token("analyst", typ=None)),
            "refresh": await _status(gateway, idp.token("analyst", typ="refresh+jwt")),
            "logout": await _status(gateway, idp.token("analyst", typ="logout+jwt")),
        }
    assert statuses == {
        "at+jwt": 200,
        "application/at+jwt": 200,
        "id token": 401,
        "plain JWT": 401,
        "untyped": 401,
        "refresh": 401,
        "logout": 401,
    }


async def test_plain_jwt_access_tokens_where_the_idp_issues_them(
    make_settings: Any, start_gateway: Any
) -> None:
    idp = FakeIdp()
    settings = make_settings(**idp.settings_env(), KNUTPUNKT_OIDC_ACCEPT_PLAIN_JWT="true")
    async with start_gateway(settings, jwks_transport=idp.transport()) as gateway:
        statuses = {
            "plain JWT": await _status(gateway, idp.token("analyst", typ="JWT")),
            "untyped": await _status(gateway, idp.token("analyst", typ=None)),
            "id token (nonce)": await _status(gateway, idp.token("analyst", typ="JWT", nonce="n")),
            "id token (at_hash)": await _status(
                gateway, idp.token("analyst", typ=None, at_hash="x")
            ),
            "keycloak id": await _status(
                gateway, idp.token("analyst", typ="JWT", claims={"typ": "ID"})
            ),
            "keycloak refresh": await _status(
                gateway, idp.token("analyst", typ=None, claims={"typ": "Refresh"})
            ),
            "refresh+jwt": await _status(gateway, idp.token("analyst", typ="refresh+jwt")),
        }
    assert statuses == {
        "plain JWT": 200,
        "untyped": 200,
        "id token (nonce)": 401,
        "id token (at_hash)": 401,
        "keycloak id": 401,
        "keycloak refresh": 401,
        "refresh+jwt": 401,
    }


async def test_token_lifetime_is_capped(make_settings: Any, start_gateway: Any) -> None:
    idp = FakeIdp()
    now = _now()
    hour = idp.token("analyst", iat=now, exp=now + 3600)
    day = idp.token("analyst", iat=now, exp=now + 86_400)
    no_iat = idp.token("analyst", iat=None)
    async with start_gateway(
        make_settings(**idp.settings_env()), jwks_transport=idp.transport()
    ) as gateway:
        assert [await _status(gateway, t) for t in (hour, day, no_iat)] == [200, 401, 401]
    longer = make_settings(**idp.settings_env(), KNUTPUNKT_OIDC_MAX_TOKEN_LIFETIME_SECONDS="90000")
    async with start_gateway(longer, jwks_transport=idp.transport()) as gateway:
        assert [await _status(gateway, t) for t in (hour, day)] == [200, 200]


def test_the_demo_issuer_stays_within_the_lifetime_cap(tmp_path: Path) -> None:
    issuer = DemoIssuer(tmp_path / "k.jwk")
    assert issuer.issue("analyst", ttl=3600)
    with pytest.raises(ValidationError) as caught:
        issuer.issue("analyst", ttl=3601)
    assert (caught.value.code, caught.value.message) == (
        "INVALID_TTL",
        "Giltighetstiden ska vara 1–3600 sekunder.",
    )
    assert DemoIssuer(tmp_path / "k.jwk", max_ttl=7200).issue("analyst", ttl=7200)


async def test_refused_tokens_are_logged_with_a_reason_and_counted(
    make_settings: Any, start_gateway: Any, caplog: pytest.LogCaptureFixture
) -> None:
    idp = FakeIdp()
    id_token = idp.token("citizen", personas.KALLE, typ="JWT", nonce="n-1")
    now = _now()
    expired = idp.token("citizen", personas.KALLE, iat=now - 4000, exp=now - 3000)
    caplog.set_level(logging.WARNING, logger="knutpunkt.auth")
    async with start_gateway(
        make_settings(**idp.settings_env()), jwks_transport=idp.transport()
    ) as gateway:
        assert await _status(gateway, id_token) == 401
        assert await _status(gateway, expired) == 401
        assert await _status(gateway, "not-a-token") == 401
        metrics = await scrape(gateway.client)
    lines = [r.getMessage().split(" detail=")[0] for r in caplog.records]
    assert lines == [
        "bearer token refused: reason=token_type",
        "bearer token refused: reason=expired",
        "bearer token refused: reason=malformed",
    ]
    assert {r.levelno for r in caplog.records} == {logging.WARNING}
    for token in (id_token, expired):
        assert token not in caplog.text
        assert token.split(".")[1] not in caplog.text  # not even the claims
    assert by(metrics, "knutpunkt_tokens_refused_total", "reason") == {
        ("expired",): 1,
        ("malformed",): 1,
        ("token_type",): 1,
    }


async def test_the_refusal_log_is_rate_limited_but_the_count_is_not(
    make_settings: Any, start_gateway: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="knutpunkt.auth")
    settings = make_settings(KNUTPUNKT_OIDC_REFUSAL_LOG_PER_MINUTE="3")
    async with start_gateway(settings) as gateway:
        for i in range(10):
            assert await _status(gateway, f"garbage-{i}") == 401
        metrics = await scrape(gateway.client)
    assert len(caplog.records) == 3
    assert by(metrics, "knutpunkt_tokens_refused_total", "reason") == {("malformed",): 10}
