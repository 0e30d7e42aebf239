"""Personal numbers are ASCII digits only (issue 9, item 10): full-width and other Unicode
digits, which `int()` and `\\d` read as digits, are refused before any upstream call,
in arguments and in tokens."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt

from gateway.issuer import DEMO_AUDIENCE, DEMO_ISSUER
from simulators import personas

LOOKUP = """
query ($pnr: String!) {
  citizen(personalNumber: $pnr, purpose: "Samtal") { citizen { name } }
}
"""
#: Kalle's number in full-width (U+FF10..), Arabic-Indic (U+0660..) and Devanagari digits
FOREIGN_DIGITS = [
    "".join(chr(zero + int(d)) for d in personas.KALLE) for zero in (0xFF10, 0x0660, 0x0966)
]


@pytest.mark.parametrize("pnr", [*FOREIGN_DIGITS, personas.KALLE[:8] + "-５５５５"])
async def test_non_ascii_digits_in_an_argument_are_refused_without_upstream_calls(
    gateway: Any, pnr: str
) -> None:
    gateway.reset_counts()
    body = await gateway.query(LOOKUP, {"pnr": pnr}, gateway.token("contact_centre"))
    assert body["data"] == {"citizen": None}
    assert [e["extensions"] for e in body["errors"]] == [
        {"code": "INVALID_PERSONAL_NUMBER", "field": "personalNumber"}
    ]
    assert gateway.upstream_calls() == {}


async def test_the_ascii_form_of_the_same_number_still_works(gateway: Any) -> None:
    body = await gateway.query(LOOKUP, {"pnr": personas.KALLE}, gateway.token("contact_centre"))
    assert body == {"data": {"citizen": {"citizen": {"name": "Kalle Testson"}}}}


async def test_a_citizen_token_with_full_width_digits_is_refused(gateway: Any) -> None:
    key = gateway.issuer.key()
    now = int(time.time())
    claims = {
        "iss": DEMO_ISSUER,
        "aud": DEMO_AUDIENCE,
        "sub": "demo-citizen-fullwidth",
        "iat": now,
        "exp": now + 300,
        "role": "citizen",
        "https://id.oidc.se/claim/personalIdentityNumber": FOREIGN_DIGITS[0],
    }
    token = jwt.encode({"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}, claims, key)
    gateway.reset_counts()
    response = await gateway.post("{ myPages { citizen { name } } }", token=token)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert gateway.upstream_calls() == {}
