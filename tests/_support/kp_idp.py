"""A municipality's identity provider for whole-app tests: one EC key, its JWKS served
through an `httpx.MockTransport` (pass `idp.transport()` as `jwks_transport`)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from joserfc import jws
from joserfc.jwk import ECKey, KeySet

ISSUER = "https://idp.exempelby.se"
AUDIENCE = "knutpunkt-prod"
JWKS_URL = "https://idp.exempelby.se/jwks.json"
PNR_CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"


class FakeIdp:
    """Signs tokens like a real IdP would; `settings_env()` trusts it."""

    def __init__(self) -> None:
        self.key = ECKey.generate_key("P-256", parameters={"kid": "idp-1"})

    def settings_env(self) -> dict[str, str]:
        return {
            "KNUTPUNKT_OIDC_ISSUER": ISSUER,
            "KNUTPUNKT_OIDC_AUDIENCE": AUDIENCE,
            "KNUTPUNKT_OIDC_JWKS_URL": JWKS_URL,
        }

    def transport(self) -> httpx.MockTransport:
        jwks = KeySet([self.key]).as_dict(private=False)
        return httpx.MockTransport(lambda request: httpx.Response(200, json=jwks))

    def token(
        self,
        role: str,
        pnr: str | None = None,
        *,
        typ: str | None = "at+jwt",
        claims: dict[str, Any] | None = None,
        **more: Any,
    ) -> str:
        """A signed token; `typ` is the header's (None: untyped), `claims`/`more` add or
        replace payload claims (`claims` for names that are no identifiers, e.g. "typ")."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": f"idp-{role}",
            "iat": now,
            "exp": now + 300,
            "role": role,
        }
        if pnr is not None:
            payload[PNR_CLAIM] = pnr
        elif role != "citizen":
            payload.setdefault("units", ["KC"] if role == "contact_centre" else ["BN"])
        payload.update({**(claims or {}), **more})  # a claim given as None is left out
        payload = {k: v for k, v in payload.items() if v is not None}
        header: dict[str, Any] = {"alg": "ES256", "kid": "idp-1"}
        body = json.dumps(payload, separators=(",", ":")).encode()
        if typ is not None:
            header["typ"] = typ
        # jws, not jwt: joserfc's jwt.encode would add "typ": "JWT" to an untyped header
        return jws.serialize_compact(header, body, self.key, algorithms=["ES256"])
