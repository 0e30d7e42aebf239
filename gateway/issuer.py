"""The demo token issuer: ES256 tokens from a local key, for demo mode only.

The key is a P-256 JWK in a file of mode 0600 (created on first use, default
`${XDG_STATE_HOME:-~/.local/state}/knutpunkt/demo-issuer.jwk`); its `kid` is the
RFC 7638 thumbprint. The gateway trusts this issuer only in demo mode, through
`DemoIssuer.trusted_issuer()`, which carries the public key alone.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from connectors.errors import SettingsError, ValidationError
from connectors.personal_number import parse_personal_number
from policies.caller import Role

from .auth import ROLE_CLAIM_VALUES, ROLES_NEEDING_UNITS, UNIT_CODE, ClaimNames, TrustedIssuer

DEMO_ISSUER = "urn:knutpunkt:demo"
DEMO_AUDIENCE = "knutpunkt"
ALGORITHM = "ES256"
#: the longest lifetime the gateway accepts by default (`[oidc] max_token_lifetime_seconds`)
MAX_TTL = 3600
#: the units staff get when none are asked for (case officers: the building board)
DEFAULT_UNITS: Mapping[Role, tuple[str, ...]] = {
    Role.CONTACT_CENTRE: ("KC",),
    Role.CASE_OFFICER: ("BN",),
    Role.ANALYST: (),
}
DEFAULT_STAFF_NAMES: Mapping[Role, str] = {
    Role.CONTACT_CENTRE: "Demo Kontaktcenter",
    Role.CASE_OFFICER: "Demo Handläggare",
    Role.ANALYST: "Demo Analytiker",
}
#: the sandbox municipality's personas (DESIGN.md), named in their tokens
PERSONA_NAMES: Mapping[str, str] = {
    "195606055555": "Kalle Testson",
    "193404124129": "Greta Testson",
    "201903142386": "Nils Testson",
    "197801012340": "Anna Andersson",
    "199212249875": "Bengt Berg",
    "198509231661": "Sara Skyddad",
    "194505173213": "Lisa Lund",
    "191212121212": "Tolvan Tolvansson",
}
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


def default_key_path(env: Mapping[str, str] | None = None) -> Path:
    """`${XDG_STATE_HOME:-~/.local/state}/knutpunkt/demo-issuer.jwk` (relative XDG ignored)."""
    env = os.environ if env is None else env
    state = env.get("XDG_STATE_HOME", "")
    base = Path(state) if os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / "knutpunkt" / "demo-issuer.jwk"


class DemoIssuer:
    """Issues demo tokens for the four token roles; the key is loaded or made on first use."""

    def __init__(
        self,
        key_file: str | Path | None = None,
        *,
        claims: ClaimNames | None = None,
        clock: Callable[[], float] = time.time,
        max_ttl: int = MAX_TTL,
    ) -> None:
        self._max_ttl = max_ttl
        self._key_file = Path(key_file) if key_file else default_key_path()
        self._claims = claims or ClaimNames()
        self._clock = clock
        self._key: ECKey | None = None

    @property
    def key_file(self) -> Path:
        return self._key_file

    def issue(
        self,
        role: str,
        personal_number: str | None = None,
        units: Sequence[str] = (),
        name: str | None = None,
        ttl: int = 3600,
    ) -> str:
        """A signed token; raises a coded `ValidationError` on bad input."""
        the_role = ROLE_CLAIM_VALUES.get(role)
        if the_role is None:
            raise ValidationError(
                "Rollen ska vara citizen, contact_centre, case_officer eller analyst.",
                code="INVALID_ROLE",
                field="role",
            )
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= self._max_ttl:
            raise ValidationError(
                f"Giltighetstiden ska vara 1–{self._max_ttl} sekunder.",
                code="INVALID_TTL",
                field="ttl",
            )
        if name is not None and not _NAME.match(name):
            raise ValidationError("Namnet är ogiltigt.", code="INVALID_NAME", field="name")
        key = self.key()
        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": DEMO_ISSUER,
            "aud": DEMO_AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": secrets.token_urlsafe(16),
            self._claims.role: role,
        }
        if the_role is Role.CITIZEN:
            claims.update(self._citizen_claims(personal_number, units, name, key))
        else:
            claims.update(self._staff_claims(the_role, personal_number, units, name))
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": "at+jwt"}  # an access token
        return jwt.encode(header, claims, key, algorithms=[ALGORITHM])

    def trusted_issuer(self) -> TrustedIssuer:
        """How the gateway trusts this issuer: its public key only, ES256 only."""
        return TrustedIssuer(
            issuer=DEMO_ISSUER,
            audience=DEMO_AUDIENCE,
            jwks_url=None,
            keys=KeySet([self.public_key()]),
            algorithms=(ALGORITHM,),
        )

    def public_key(self) -> ECKey:
        return ECKey.import_key(self.key().as_dict(private=False))

    def public_jwks(self) -> dict[str, Any]:
        """The JWKS document of this issuer (for a `/.well-known/jwks.json` in demo mode)."""
        return dict(KeySet([self.public_key()]).as_dict(private=False))

    def key(self) -> ECKey:
        """The private signing key: read from the key file, or made and stored there."""
        if self._key is None:
            self._key = _load_key(self._key_file) or _create_key(self._key_file)
        return self._key

    def _citizen_claims(
        self, personal_number: str | None, units: Sequence[str], name: str | None, key: ECKey
    ) -> dict[str, Any]:
        if units:
            raise ValidationError(
                "Enheter gäller bara personal.", code="INVALID_UNIT", field="unit"
            )
        if personal_number is None:
            raise ValidationError(
                "En invånare behöver ett personnummer.",
                code="INVALID_PERSONAL_NUMBER",
                field="personalNumber",
            )
        pnr = parse_personal_number(personal_number)
        # stable per key and person, but not the personal number itself
        digest = hashlib.sha256(f"{key.kid}:{pnr}".encode()).hexdigest()
        claims: dict[str, Any] = {
            "sub": f"demo-citizen-{digest[:16]}",
            self._claims.personal_number: pnr,
        }
        if name or pnr in PERSONA_NAMES:
            claims[self._claims.name] = name or PERSONA_NAMES[pnr]
        return claims

    def _staff_claims(
        self, role: Role, personal_number: str | None, units: Sequence[str], name: str | None
    ) -> dict[str, Any]:
        if personal_number is not None:
            raise ValidationError(
                "Personnummer anges bara för invånare.",
                code="INVALID_PERSONAL_NUMBER",
                field="personalNumber",
            )
        codes = [unit.strip().upper() for unit in units] or list(DEFAULT_UNITS[role])
        bad = [unit for unit in codes if not UNIT_CODE.match(unit)]
        if bad or (role in ROLES_NEEDING_UNITS and not codes):
            raise ValidationError(
                "Enhetskoder är korta versaler, t.ex. BN eller KC.",
                code="INVALID_UNIT",
                field="unit",
            )
        codes = sorted(set(codes))
        display = name or DEFAULT_STAFF_NAMES[role]
        token_role = role.value.lower()
        seed = f"{token_role}|{','.join(codes)}|{display}".encode()
        number = int(hashlib.sha256(seed).hexdigest()[:8], 16) % 10_000
        return {
            "sub": f"demo-{token_role}-{number}",
            self._claims.units: codes,
            self._claims.name: display,
        }


def _load_key(path: Path) -> ECKey | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SettingsError(f"Demonyckeln {path} kan inte läsas.") from exc
    with os.fdopen(fd, encoding="utf-8") as file:
        if stat.S_IMODE(os.fstat(file.fileno()).st_mode) & 0o077:
            raise SettingsError(f"Demonyckeln {path} får bara kunna läsas av ägaren (0600).")
        text = file.read()
    try:
        data = json.loads(text)
        key = ECKey.import_key(data)
    except (ValueError, JoseError) as exc:
        raise SettingsError(f"Demonyckeln {path} är inte en giltig JWK.") from exc
    if not key.is_private or key.get("crv") != "P-256":
        raise SettingsError(f"Demonyckeln {path} ska vara en privat P-256-nyckel.")
    if key.kid != key.thumbprint():
        key = ECKey.import_key({**data, "kid": key.thumbprint()})
    return key


def _create_key(path: Path) -> ECKey:
    key = ECKey.generate_key("P-256", parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(key.as_dict(private=True), file)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)  # never overwrites: a concurrent first use wins
        except FileExistsError:
            existing = _load_key(path)
            if existing is None:
                raise SettingsError(f"Demonyckeln {path} kan inte skapas.") from None
            return existing
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return key


class _ArgumentError(Exception):
    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Parser(argparse.ArgumentParser):
    """argparse writing to our streams and raising instead of calling `sys.exit`."""

    def __init__(self, out: TextIO, err: TextIO, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._out = out
        self._err = err

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            (self._err if file is sys.stderr else self._out).write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _ArgumentError(status, message or "")

    def error(self, message: str) -> NoReturn:
        raise _ArgumentError(2, f"{self.prog}: fel: {message}\n")


def token_main(
    argv: list[str],
    out: TextIO,
    err: TextIO,
    *,
    key_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    max_ttl: int = MAX_TTL,
) -> int:
    """`knutpunkt token ROLE [PERSONAL_NUMBER] [--unit CODE]... [--name TEXT] [--ttl SECONDS]`.

    Prints the bare token and a newline on `out`; errors go to `err` with status 2.
    The key file is `key_file`, else `KNUTPUNKT_DEMO_KEY_FILE`, else the default path.
    """
    env = os.environ if env is None else env
    parser = _Parser(out, err, prog="knutpunkt token", description="Skapa en demotoken.")
    parser.add_argument("role", metavar="ROLE", help=" | ".join(ROLE_CLAIM_VALUES))
    parser.add_argument("personal_number", metavar="PERSONAL_NUMBER", nargs="?")
    parser.add_argument("--unit", action="append", default=[], metavar="CODE")
    parser.add_argument("--name", metavar="TEXT")
    parser.add_argument("--ttl", type=int, default=min(3600, max_ttl), metavar="SECONDS")
    try:
        args = parser.parse_args(argv)
    except _ArgumentError as exc:
        # --help exits 0 with its text already on `out`; every other exit is a usage error
        if exc.status != 0:
            err.write(parser.format_usage())
            err.write(exc.message)
        return exc.status
    path = Path(key_file or env.get("KNUTPUNKT_DEMO_KEY_FILE") or default_key_path(env))
    try:
        token = DemoIssuer(path, max_ttl=max_ttl).issue(
            args.role,
            args.personal_number,
            units=args.unit,
            name=args.name,
            ttl=args.ttl,
        )
    except (ValidationError, SettingsError) as exc:
        err.write(f"knutpunkt token: {exc.message}\n")
        return 2
    out.write(token + "\n")
    return 0
