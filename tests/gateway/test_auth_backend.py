"""The Starlette auth backend: anonymous without a header, 401 for any bad one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.auth import ClaimNames, TokenValidator
from gateway.auth_backend import KnutpunktAuthBackend, auth_error_response, caller_of
from gateway.issuer import DemoIssuer

GENERIC_401 = {
    "errors": [
        {
            "message": "Ogiltig eller utgången inloggning.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}


async def whoami(request: Request) -> Response:
    caller = caller_of(request)
    return JSONResponse(
        {
            "role": caller.role.value,
            "subject": caller.subject,
            "personalNumber": caller.personal_number,
            "units": sorted(caller.units),
            "authenticated": request.user.is_authenticated,
            "scopes": request.auth.scopes,
        }
    )


@pytest.fixture
def issuer(tmp_path: Path) -> DemoIssuer:
    return DemoIssuer(tmp_path / "demo.jwk")


@pytest.fixture
async def client(issuer: DemoIssuer) -> AsyncIterator[httpx.AsyncClient]:
    def no_network() -> httpx.AsyncClient:
        raise AssertionError("the demo issuer's keys are fixed; nothing is fetched")

    async with TokenValidator([issuer.trusted_issuer()], ClaimNames(), 30, no_network) as v:
        app = Starlette(
            routes=[Route("/whoami", whoami)],
            middleware=[
                Middleware(
                    AuthenticationMiddleware,
                    backend=KnutpunktAuthBackend(v),
                    on_error=auth_error_response,
                )
            ],
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            yield http


async def test_no_header_is_anonymous(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami")
    assert response.status_code == 200
    assert response.json() == {
        "role": "PUBLIC",
        "subject": None,
        "personalNumber": None,
        "units": [],
        "authenticated": False,
        "scopes": [],
    }


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_valid_bearer_token_puts_the_caller_on_the_request(
    client: httpx.AsyncClient, issuer: DemoIssuer, scheme: str
) -> None:
    token = issuer.issue("case_officer", units=["BN", "SN"])
    response = await client.get("/whoami", headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 200
    body = response.json()
    assert body["subject"].startswith("demo-case_officer-")
    assert body == {
        "role": "CASE_OFFICER",
        "subject": body["subject"],
        "personalNumber": None,
        "units": ["BN", "SN"],
        "authenticated": True,
        "scopes": ["authenticated", "case_officer"],
    }


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-token",
        "Bearer ",
        "Bearer",
        "",
        "Basic a2FsbGU6aGVtbGlndA==",
        "Token eyJhbGciOiJFUzI1NiJ9.e30.",
    ],
    ids=repr,
)
async def test_bad_authorization_is_401_with_a_generic_body(
    client: httpx.AsyncClient, authorization: str
) -> None:
    response = await client.get("/whoami", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json() == GENERIC_401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_expired_and_forged_tokens_get_the_same_answer(
    client: httpx.AsyncClient, issuer: DemoIssuer, tmp_path: Path
) -> None:
    expired = DemoIssuer(issuer.key_file, clock=lambda: 1_000_000_000.0).issue("analyst", ttl=60)
    forged = DemoIssuer(tmp_path / "other.jwk").issue("citizen", "195606055555")
    answers = []
    for token in (expired, forged):
        response = await client.get("/whoami", headers={"Authorization": f"Bearer {token}"})
        answers.append((response.status_code, response.content, response.headers["content-type"]))
    assert answers[0] == answers[1]
    assert answers[0][0] == 401
    assert httpx.Response(200, content=answers[0][1]).json() == GENERIC_401


async def test_several_authorization_headers_are_refused(
    client: httpx.AsyncClient, issuer: DemoIssuer
) -> None:
    token = issuer.issue("analyst")
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", "Bearer x")]
    response = await client.get("/whoami", headers=headers)
    assert response.status_code == 401
    assert response.json() == GENERIC_401
