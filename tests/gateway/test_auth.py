"""Token validation: every role accepted, every attack on the token refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, Key, KeySet, OKPKey, RSAKey

from connectors.errors import Unauthenticated
from gateway.auth import ClaimNames, TokenValidator, TrustedIssuer
from gateway.issuer import DemoIssuer
from policies.caller import Caller, Role

ISS = "https://idp.exempelby.se"
AUD = "knutpunkt-api"
JWKS_URL = "https://idp.exempelby.se/.well-known/jwks.json"
PNR_CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"
MISSING = object()


@pytest.fixture(scope="module")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "ec-1"})


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})


@pytest.fixture(scope="module")
def okp_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519", parameters={"kid": "ed-1"})


class FakeIdp:
    """The identity provider's JWKS endpoint, counting every request made to it."""

    def __init__(self, keys: list[Key]) -> None:
        self.document: Any = KeySet(keys).as_dict(private=False)
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) != JWKS_URL:
            return httpx.Response(404)
        return httpx.Response(200, json=self.document)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


@pytest.fixture
def idp(ec_key: ECKey, rsa_key: RSAKey, okp_key: OKPKey) -> FakeIdp:
    return FakeIdp([ec_key, rsa_key, okp_key])


@pytest.fixture
async def validator(idp: FakeIdp) -> AsyncIterator[TokenValidator]:
    async with TokenValidator(
        [TrustedIssuer(ISS, AUD, JWKS_URL)], ClaimNames(), 30, idp.http
    ) as the_validator:
        yield the_validator


def claims(**overrides: object) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISS,
        "aud": AUD,
        "sub": "user-1",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "role": "citizen",
        PNR_CLAIM: "195606055555",
        "name": "Kalle Testson",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not MISSING}


def staff(role: str, **overrides: object) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "role": role,
        "sub": f"staff-{role}",
        "name": "Eva Ek",
        "units": ["BN", "KC"],
        PNR_CLAIM: MISSING,
    }
    return claims(**{**defaults, **overrides})


def sign(key: Key, payload: dict[str, Any], alg: str = "ES256", **header: Any) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # "EdDSA" is flagged as deprecated
        header = {"alg": alg, "kid": key.kid, "typ": "at+jwt", **header}
        return jwt.encode(header, payload, key, algorithms=[alg])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_built(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), b64(signature)]
    )


async def refused(validator: TokenValidator, token: str, reason: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        await validator.validate(token)
    assert caught.value.code == "UNAUTHENTICATED"
    assert caught.value.message == "Ogiltig eller utgången inloggning."
    assert reason in caught.value.reason


# --- accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alg", "key_name", "payload", "expected"),
    [
        (
            "ES256",
            "ec_key",
            claims(),
            Caller(
                role=Role.CITIZEN,
                subject="user-1",
                personal_number="195606055555",
                name="Kalle Testson",
                issuer=ISS,
            ),
        ),
        (
            "RS256",
            "rsa_key",
            staff("contact_centre", units=["KC"]),
            Caller(
                role=Role.CONTACT_CENTRE,
                subject="staff-contact_centre",
                name="Eva Ek",
                units=frozenset({"KC"}),
                issuer=ISS,
            ),
        ),
        (
            "PS256",
            "rsa_key",
            staff("case_officer"),
            Caller(
                role=Role.CASE_OFFICER,
                subject="staff-case_officer",
                name="Eva Ek",
                units=frozenset({"BN", "KC"}),
                issuer=ISS,
            ),
        ),
        (
            "EdDSA",
            "okp_key",
            staff("analyst", units=MISSING, name=MISSING),
            Caller(role=Role.ANALYST, subject="staff-analyst", issuer=ISS),
        ),
    ],
    ids=["citizen-ES256", "contact_centre-RS256", "case_officer-PS256", "analyst-EdDSA"],
)
async def test_valid_tokens_of_every_role_are_accepted(
    validator: TokenValidator,
    request: pytest.FixtureRequest,
    alg: str,
    key_name: str,
    payload: dict[str, Any],
    expected: Caller,
) -> None:
    key = request.getfixturevalue(key_name)
    assert await validator.validate(sign(key, payload, alg)) == expected


async def test_personal_number_with_hyphen_is_canonicalised(
    validator: TokenValidator, ec_key: ECKey
) -> None:
    caller = await validator.validate(sign(ec_key, claims(**{PNR_CLAIM: "19560605-5555"})))
    assert caller.personal_number == "195606055555"


async def test_audience_list_containing_ours_is_accepted(
    validator: TokenValidator, ec_key: ECKey
) -> None:
    caller = await validator.validate(sign(ec_key, claims(aud=["other-api", AUD])))
    assert caller.subject == "user-1"


async def test_configured_claim_names_are_used(idp: FakeIdp, ec_key: ECKey) -> None:
    names = ClaimNames(role="kp_role", personal_number="pnr", units="org", name="display")
    payload = claims(kp_role="case_officer", org=["SN"], display="Eva Ek", role=MISSING)
    async with TokenValidator([TrustedIssuer(ISS, AUD, JWKS_URL)], names, 30, idp.http) as v:
        caller = await v.validate(sign(ec_key, payload))
    assert caller == Caller(
        role=Role.CASE_OFFICER, subject="user-1", name="Eva Ek", units=frozenset({"SN"}), issuer=ISS
    )


# --- signature and algorithm attacks --------------------------------------------------------


async def test_forged_signature_with_other_key_and_same_kid_is_refused(
    validator: TokenValidator,
) -> None:
    forger = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
    await refused(validator, sign(forger, claims()), "bad_signature")


async def test_tampered_payload_is_refused(validator: TokenValidator, ec_key: ECKey) -> None:
    header, _, signature = sign(ec_key, claims()).split(".")
    elevated = b64(json.dumps(staff("case_officer")).encode())
    await refused(validator, f"{header}.{elevated}.{signature}", "bad_signature")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none_is_refused(validator: TokenValidator, alg: str) -> None:
    token = hand_built({"alg": alg, "kid": "ec-1", "typ": "JWT"}, claims())
    await refused(validator, token, "refused algorithm")


@pytest.mark.parametrize("secret_form", ["pem", "jwk"])
async def test_hs256_signed_with_the_public_key_is_refused(
    validator: TokenValidator, rsa_key: RSAKey, secret_form: str
) -> None:
    public = RSAKey.import_key(rsa_key.as_dict(private=False))
    secret = public.as_pem() if secret_form == "pem" else json.dumps(public.as_dict()).encode()
    header = b64(json.dumps({"alg": "HS256", "kid": "rsa-1"}).encode())
    payload = b64(json.dumps(claims()).encode())
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    await refused(validator, f"{header}.{payload}.{b64(mac)}", "refused algorithm")


async def test_algorithm_outside_the_issuers_allow_list_is_refused(
    idp: FakeIdp, rsa_key: RSAKey
) -> None:
    issuer = TrustedIssuer(ISS, AUD, JWKS_URL, algorithms=("ES256",))
    async with TokenValidator([issuer], ClaimNames(), 30, idp.http) as v:
        await refused(v, sign(rsa_key, staff("analyst"), "RS256"), "not allowed")
    assert idp.requests == []


async def test_alg_that_does_not_fit_the_kids_key_is_refused(
    validator: TokenValidator, ec_key: ECKey
) -> None:
    # an ES256 signature that names the RSA key: the RSA key must not be tried for ES256
    token = sign(ec_key, claims(), "ES256")
    _, payload, signature = token.split(".")
    other = b64(json.dumps({"alg": "ES256", "kid": "rsa-1"}).encode())
    await refused(validator, f"{other}.{payload}.{signature}", "no key")


@pytest.mark.parametrize(
    "header",
    [
        {"jku": "https://attacker.example/jwks.json"},
        {"x5u": "https://attacker.example/cert.pem"},
        {"x5c": ["MIIBszCCAVmgAwIBAgIU"]},
        {"crit": ["b64"], "b64": True},
    ],
    ids=["jku", "x5u", "x5c", "crit"],
)
async def test_key_carrying_header_members_are_refused(
    validator: TokenValidator, idp: FakeIdp, ec_key: ECKey, header: dict[str, Any]
) -> None:
    await refused(validator, sign(ec_key, claims(), **header), "refused header members")
    assert all(r.url.host == "idp.exempelby.se" for r in idp.requests)


async def test_embedded_jwk_of_the_attacker_is_never_used(
    validator: TokenValidator, idp: FakeIdp
) -> None:
    attacker = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
    token = sign(attacker, claims(), jwk=attacker.as_dict(private=False))
    await refused(validator, token, "refused header members")
    assert idp.requests == []


# --- claims ---------------------------------------------------------------------------------


async def test_expiry_beyond_leeway_is_refused_within_leeway_accepted(
    validator: TokenValidator, ec_key: ECKey
) -> None:
    now = int(time.time())
    await refused(
        validator, sign(ec_key, claims(exp=now - 40, iat=now - 400)), "expired_token(exp)"
    )
    caller = await validator.validate(sign(ec_key, claims(exp=now - 10, iat=now - 400)))
    assert caller.role is Role.CITIZEN


@pytest.mark.parametrize("claim", ["nbf", "iat"])
async def test_not_yet_valid_is_refused_within_leeway_accepted(
    validator: TokenValidator, ec_key: ECKey, claim: str
) -> None:
    now = int(time.time())
    await refused(validator, sign(ec_key, claims(**{claim: now + 120})), f"invalid_claim({claim})")
    caller = await validator.validate(sign(ec_key, claims(**{claim: now + 10})))
    assert caller.role is Role.CITIZEN


async def test_untrusted_issuer_is_refused_without_fetching_keys(
    validator: TokenValidator, idp: FakeIdp, ec_key: ECKey
) -> None:
    await refused(validator, sign(ec_key, claims(iss="https://evil.example")), "untrusted issuer")
    await refused(validator, sign(ec_key, claims(iss=MISSING)), "untrusted issuer")
    assert idp.requests == []


@pytest.mark.parametrize("aud", ["other-api", ["other-api"], MISSING], ids=str)
async def test_wrong_or_missing_audience_is_refused(
    validator: TokenValidator, ec_key: ECKey, aud: object
) -> None:
    await refused(validator, sign(ec_key, claims(aud=aud)), "_claim(aud)")


@pytest.mark.parametrize("claim", ["exp", "sub"])
async def test_missing_exp_or_sub_is_refused(
    validator: TokenValidator, ec_key: ECKey, claim: str
) -> None:
    await refused(validator, sign(ec_key, claims(**{claim: MISSING})), f"missing_claim({claim})")


async def test_empty_or_overlong_sub_is_refused(validator: TokenValidator, ec_key: ECKey) -> None:
    await refused(validator, sign(ec_key, claims(sub="")), "sub")
    await refused(validator, sign(ec_key, claims(sub="x" * 300)), "sub too long")


@pytest.mark.parametrize("role", ["admin", "CITIZEN", "", ["citizen"], None, MISSING], ids=str)
async def test_unknown_or_missing_role_is_refused(
    validator: TokenValidator, ec_key: ECKey, role: object
) -> None:
    await refused(validator, sign(ec_key, claims(role=role)), "role")


@pytest.mark.parametrize(
    "pnr", ["195606055556", "19560605555", "195613055555", 195606055555, None, MISSING], ids=str
)
async def test_citizen_without_a_valid_personal_number_is_refused(
    validator: TokenValidator, ec_key: ECKey, pnr: object
) -> None:
    await refused(validator, sign(ec_key, claims(**{PNR_CLAIM: pnr})), "personal number")


@pytest.mark.parametrize(
    ("role", "units"),
    [
        ("case_officer", MISSING),
        ("case_officer", []),
        ("contact_centre", "KC"),
        ("contact_centre", ["kc"]),
        ("case_officer", ["BN", 7]),
        ("case_officer", ["BYGGNADSNAMNDEN"]),
        ("case_officer", ["B N"]),
        ("analyst", "BN"),
        ("analyst", [f"U{i}" for i in range(51)]),
    ],
    ids=str,
)
async def test_staff_units_must_be_a_list_of_short_codes(
    validator: TokenValidator, ec_key: ECKey, role: str, units: object
) -> None:
    await refused(validator, sign(ec_key, staff(role, units=units)), "unit codes")


async def test_staff_claims_never_carry_a_personal_number(
    validator: TokenValidator, ec_key: ECKey
) -> None:
    payload = staff("analyst", units=[], **{PNR_CLAIM: "195606055555"})
    caller = await validator.validate(sign(ec_key, payload))
    assert caller == Caller(role=Role.ANALYST, subject="staff-analyst", name="Eva Ek", issuer=ISS)


async def test_malformed_name_is_refused(validator: TokenValidator, ec_key: ECKey) -> None:
    await refused(validator, sign(ec_key, claims(name=["Kalle"])), "name")


# --- shape ----------------------------------------------------------------------------------


async def test_over_long_token_is_refused_even_when_signed(
    validator: TokenValidator, idp: FakeIdp, ec_key: ECKey
) -> None:
    token = sign(ec_key, claims(padding="x" * 6200))
    assert len(token) > 8 * 1024
    await refused(validator, token, "too long")
    assert idp.requests == []


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d", "e30.e30.", "W10.e30.", "bm90IGpzb24.e30.", "eyJhbGciOjF9.e30."],
    ids=repr,
)
async def test_garbage_is_refused(validator: TokenValidator, token: str) -> None:
    with pytest.raises(Unauthenticated):
        await validator.validate(token)


# --- several issuers ------------------------------------------------------------------------


async def test_second_issuer_is_accepted_with_its_own_keys_only(
    tmp_path: Path, idp: FakeIdp, ec_key: ECKey
) -> None:
    demo = DemoIssuer(tmp_path / "demo.jwk")
    issuers = [demo.trusted_issuer(), TrustedIssuer(ISS, AUD, JWKS_URL)]
    async with TokenValidator(issuers, ClaimNames(), 30, idp.http) as v:
        from_demo = await v.validate(demo.issue("citizen", "195606055555"))
        from_idp = await v.validate(sign(ec_key, claims()))
        # the IdP's key under the demo issuer's name, and the demo key under the IdP's name
        await refused(v, sign(ec_key, claims(iss="urn:knutpunkt:demo", aud="knutpunkt")), "no key")
        await refused(v, sign(demo.key(), claims()), "no key")
    assert from_demo.issuer == "urn:knutpunkt:demo"
    assert from_demo.personal_number == "195606055555"
    assert from_idp.issuer == ISS
    assert [str(r.url) for r in idp.requests] == [JWKS_URL]  # the unknown kid: rate-limited


async def test_demo_token_is_refused_where_the_demo_issuer_is_not_trusted(
    tmp_path: Path, validator: TokenValidator, idp: FakeIdp
) -> None:
    token = DemoIssuer(tmp_path / "demo.jwk").issue("case_officer", units=["BN"])
    await refused(validator, token, "untrusted issuer")
    assert idp.requests == []


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"algorithms": ("HS256",)},
        {"algorithms": ("ES256", "none")},
        {"algorithms": ()},
        {"jwks_url": "http://idp.exempelby.se/jwks"},
        {"jwks_url": None},
        {"audience": ""},
    ],
    ids=str,
)
def test_unsafe_issuer_configuration_is_refused(kwargs: dict[str, Any]) -> None:
    settings: dict[str, Any] = {"issuer": ISS, "audience": AUD, "jwks_url": JWKS_URL, **kwargs}
    with pytest.raises(ValueError):
        TrustedIssuer(**settings)


def test_issuer_with_private_or_symmetric_fixed_keys_is_refused(ec_key: ECKey) -> None:
    from joserfc.jwk import OctKey

    for keys in (KeySet([ec_key]), KeySet([OctKey.generate_key(256)])):
        with pytest.raises(ValueError, match="public asymmetric"):
            TrustedIssuer(ISS, AUD, None, keys=keys)


def test_loopback_jwks_over_http_is_allowed() -> None:
    issuer = TrustedIssuer(ISS, AUD, "http://127.0.0.1:9200/jwks")
    assert issuer.jwks_url == "http://127.0.0.1:9200/jwks"
