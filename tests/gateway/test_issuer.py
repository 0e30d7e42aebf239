"""The demo issuer: its key file, its tokens, its input checks and its command line."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from connectors.errors import SettingsError, ValidationError
from gateway.auth import ClaimNames, TokenValidator
from gateway.issuer import DemoIssuer, default_key_path, token_main
from policies.caller import Caller, Role

PNR_CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"


def no_network() -> Any:
    raise AssertionError("nothing is fetched for the demo issuer")


def decode(issuer: DemoIssuer, token: str) -> jwt.Token:
    return jwt.decode(token, issuer.public_key(), algorithms=["ES256"])


def rfc7638_thumbprint(jwk: dict[str, Any]) -> str:
    members = {k: jwk[k] for k in ("crv", "kty", "x", "y")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "state" / "knutpunkt" / "demo-issuer.jwk"


@pytest.fixture
def issuer(key_file: Path) -> DemoIssuer:
    return DemoIssuer(key_file)


# --- the key file ---------------------------------------------------------------------------


def test_key_file_is_created_on_first_use_private_to_the_owner(
    issuer: DemoIssuer, key_file: Path
) -> None:
    assert not key_file.exists()
    issuer.issue("analyst")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    jwk = json.loads(key_file.read_text())
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("EC", "P-256", "ES256")
    assert "d" in jwk
    assert jwk["kid"] == rfc7638_thumbprint(jwk)
    assert [p.name for p in key_file.parent.iterdir()] == ["demo-issuer.jwk"]


async def test_key_is_reused_by_the_next_issuer(issuer: DemoIssuer, key_file: Path) -> None:
    token = issuer.issue("citizen", "195606055555")
    again = DemoIssuer(key_file)
    assert again.key().kid == issuer.key().kid
    async with TokenValidator([again.trusted_issuer()], ClaimNames(), 30, no_network) as v:
        assert (await v.validate(token)).personal_number == "195606055555"


def test_trusted_issuer_carries_the_public_key_only(issuer: DemoIssuer) -> None:
    trusted = issuer.trusted_issuer()
    assert (trusted.issuer, trusted.audience, trusted.jwks_url) == (
        "urn:knutpunkt:demo",
        "knutpunkt",
        None,
    )
    assert trusted.algorithms == ("ES256",)
    assert trusted.keys is not None
    [key] = trusted.keys.keys
    assert not key.is_private
    assert key.kid == issuer.key().kid
    [published] = issuer.public_jwks()["keys"]
    assert sorted(published) == ["alg", "crv", "kid", "kty", "use", "x", "y"]


def test_key_file_readable_by_others_is_refused(issuer: DemoIssuer, key_file: Path) -> None:
    issuer.key()
    os.chmod(key_file, 0o644)
    with pytest.raises(SettingsError, match="0600"):
        DemoIssuer(key_file).key()


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"kty": "oct", "k": "c2VjcmV0"}),
        json.dumps(ECKey.generate_key("P-256").as_dict(private=False)),
        json.dumps(ECKey.generate_key("P-384").as_dict(private=True)),
    ],
    ids=["garbage", "oct", "public-only", "P-384"],
)
def test_broken_key_file_is_refused(key_file: Path, content: str) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_text(content)
    key_file.chmod(0o600)
    with pytest.raises(SettingsError):
        DemoIssuer(key_file).issue("analyst")


def test_default_key_path_follows_xdg_state_home(tmp_path: Path) -> None:
    assert default_key_path({"XDG_STATE_HOME": str(tmp_path)}) == (
        tmp_path / "knutpunkt" / "demo-issuer.jwk"
    )
    fallback = Path.home() / ".local" / "state" / "knutpunkt" / "demo-issuer.jwk"
    assert default_key_path({}) == fallback
    assert default_key_path({"XDG_STATE_HOME": "relative/dir"}) == fallback


# --- tokens ---------------------------------------------------------------------------------


def test_citizen_token_claims(key_file: Path) -> None:
    issuer = DemoIssuer(key_file, clock=lambda: 1_750_000_000.5)
    token = decode(issuer, issuer.issue("citizen", "19560605-5555", ttl=600))
    assert token.header == {"typ": "at+jwt", "alg": "ES256", "kid": issuer.key().kid}
    claims = dict(token.claims)
    sub, jti = claims.pop("sub"), claims.pop("jti")
    assert claims == {
        "iss": "urn:knutpunkt:demo",
        "aud": "knutpunkt",
        "iat": 1_750_000_000,
        "nbf": 1_750_000_000,
        "exp": 1_750_000_600,
        "role": "citizen",
        PNR_CLAIM: "195606055555",
        "name": "Kalle Testson",
    }
    assert sub.startswith("demo-citizen-") and "195606055555" not in sub
    assert isinstance(jti, str) and len(jti) >= 16


def test_citizen_subject_is_stable_per_person(issuer: DemoIssuer) -> None:
    def sub(pnr: str) -> str:
        return str(decode(issuer, issuer.issue("citizen", pnr)).claims["sub"])

    assert sub("195606055555") == sub("195606055555")
    assert sub("195606055555") != sub("193404124129")
    claims = decode(issuer, issuer.issue("citizen", "191212121212", name="T. T.")).claims
    assert claims["name"] == "T. T."


def test_every_token_has_its_own_jti(issuer: DemoIssuer) -> None:
    jtis = {decode(issuer, issuer.issue("analyst")).claims["jti"] for _ in range(5)}
    assert len(jtis) == 5


@pytest.mark.parametrize(
    ("role", "units", "expected_units", "expected_name"),
    [
        ("contact_centre", (), ["KC"], "Demo Kontaktcenter"),
        ("case_officer", (), ["BN"], "Demo Handläggare"),
        ("case_officer", ("sn", "BN", "SN"), ["BN", "SN"], "Demo Handläggare"),
        ("analyst", (), [], "Demo Analytiker"),
    ],
)
def test_staff_defaults(
    issuer: DemoIssuer,
    role: str,
    units: tuple[str, ...],
    expected_units: list[str],
    expected_name: str,
) -> None:
    claims = decode(issuer, issuer.issue(role, units=units)).claims
    assert claims["units"] == expected_units
    assert claims["name"] == expected_name
    assert claims["sub"].startswith(f"demo-{role}-")
    assert PNR_CLAIM not in claims


async def test_tokens_of_every_role_validate(issuer: DemoIssuer) -> None:
    async with TokenValidator([issuer.trusted_issuer()], ClaimNames(), 30, no_network) as v:
        citizen = await v.validate(issuer.issue("citizen", "201903142386"))
        officer = await v.validate(issuer.issue("case_officer", units=["BUN"], name="Eva Ek"))
        agent = await v.validate(issuer.issue("contact_centre"))
        analyst = await v.validate(issuer.issue("analyst"))
    assert citizen == Caller(
        role=Role.CITIZEN,
        subject=citizen.subject,
        personal_number="201903142386",
        name="Nils Testson",
        issuer="urn:knutpunkt:demo",
    )
    assert officer == Caller(
        role=Role.CASE_OFFICER,
        subject=officer.subject,
        name="Eva Ek",
        units=frozenset({"BUN"}),
        issuer="urn:knutpunkt:demo",
    )
    assert (agent.role, agent.units) == (Role.CONTACT_CENTRE, frozenset({"KC"}))
    assert (analyst.role, analyst.units) == (Role.ANALYST, frozenset())


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"role": "admin"}, "INVALID_ROLE"),
        ({"role": "CITIZEN", "personal_number": "195606055555"}, "INVALID_ROLE"),
        ({"role": "citizen"}, "INVALID_PERSONAL_NUMBER"),
        ({"role": "citizen", "personal_number": "195606055556"}, "INVALID_PERSONAL_NUMBER"),
        ({"role": "citizen", "personal_number": "195606055555", "units": ["BN"]}, "INVALID_UNIT"),
        ({"role": "analyst", "personal_number": "195606055555"}, "INVALID_PERSONAL_NUMBER"),
        ({"role": "case_officer", "units": ["bygg nämnd"]}, "INVALID_UNIT"),
        ({"role": "case_officer", "units": [""]}, "INVALID_UNIT"),
        ({"role": "analyst", "ttl": 0}, "INVALID_TTL"),
        ({"role": "analyst", "ttl": 86_401}, "INVALID_TTL"),
        ({"role": "analyst", "ttl": True}, "INVALID_TTL"),
        ({"role": "analyst", "name": ""}, "INVALID_NAME"),
        ({"role": "analyst", "name": "a\nb"}, "INVALID_NAME"),
    ],
    ids=str,
)
def test_bad_input_is_a_coded_error(issuer: DemoIssuer, kwargs: dict[str, Any], code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        issuer.issue(**kwargs)
    assert caught.value.code == code


# --- the command line -----------------------------------------------------------------------


def run(argv: list[str], key_file: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = token_main(argv, out, err, key_file=key_file)
    return status, out.getvalue(), err.getvalue()


def test_cli_prints_the_bare_token(key_file: Path) -> None:
    before = int(time.time())
    status, out, err = run(
        ["case_officer", "--unit", "BN", "--unit", "MBN", "--name", "Eva Ek", "--ttl", "120"],
        key_file,
    )
    assert (status, err) == (0, "")
    assert out.endswith("\n") and out.count("\n") == 1
    claims = decode(DemoIssuer(key_file), out.strip()).claims
    assert (claims["role"], claims["units"], claims["name"]) == (
        "case_officer",
        ["BN", "MBN"],
        "Eva Ek",
    )
    assert claims["exp"] - claims["iat"] == 120
    assert claims["iat"] >= before


def test_cli_citizen_with_personal_number(key_file: Path) -> None:
    status, out, _ = run(["citizen", "195606055555"], key_file)
    assert status == 0
    assert decode(DemoIssuer(key_file), out.strip()).claims[PNR_CLAIM] == "195606055555"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["boss"], "Rollen ska vara"),
        (["citizen"], "personnummer"),
        (["citizen", "195606055556"], "kontrollsiffra"),
        (["analyst", "--ttl", "soon"], "--ttl"),
        (["analyst", "--ttl", "100000"], "Giltighetstiden"),
        (["case_officer", "--unit", "b-n"], "Enhetskoder"),
        (["analyst", "--colour", "blue"], "--colour"),
        ([], "ROLE"),
    ],
    ids=str,
)
def test_cli_errors_go_to_stderr_with_status_2(
    key_file: Path, argv: list[str], message: str
) -> None:
    status, out, err = run(argv, key_file)
    assert (status, out) == (2, "")
    assert message in err


def test_cli_help_goes_to_stdout(key_file: Path) -> None:
    status, out, err = run(["--help"], key_file)
    assert (status, err) == (0, "")
    assert "ROLE" in out and "--unit" in out
    assert not key_file.exists()


def test_cli_key_file_from_environment(tmp_path: Path) -> None:
    key_file = tmp_path / "from-env.jwk"
    out, err = io.StringIO(), io.StringIO()
    env = {"KNUTPUNKT_DEMO_KEY_FILE": str(key_file), "XDG_STATE_HOME": str(tmp_path / "xdg")}
    assert token_main(["analyst"], out, err, env=env) == 0
    assert key_file.exists()
    assert not (tmp_path / "xdg").exists()
