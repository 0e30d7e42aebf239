"""Which identity providers the gateway trusts, from the settings.

The municipality's provider (`[oidc]`, `KNUTPUNKT_OIDC_*`) is trusted when
configured; the local demo issuer only in demo mode.
"""

from __future__ import annotations

import httpx

from connectors.errors import SettingsError

from .auth import ClaimNames, TokenValidator, TrustedIssuer, default_http_factory
from .issuer import DemoIssuer
from .settings import Settings


def claim_names(settings: Settings) -> ClaimNames:
    """Where this deployment's tokens carry role, personal number, units and name."""
    oidc = settings.oidc
    return ClaimNames(
        role=oidc.claim_role,
        personal_number=oidc.claim_personal_number,
        units=oidc.claim_units,
        name=oidc.claim_name,
    )


def build_validator(
    settings: Settings, *, jwks_transport: httpx.AsyncBaseTransport | None = None
) -> TokenValidator:
    issuers: list[TrustedIssuer] = []
    oidc = settings.oidc
    if oidc.issuer or oidc.audience or oidc.jwks_url:
        if not (oidc.issuer and oidc.audience and oidc.jwks_url):
            raise SettingsError(
                "KNUTPUNKT_OIDC_ISSUER, KNUTPUNKT_OIDC_AUDIENCE och KNUTPUNKT_OIDC_JWKS_URL "
                "ska anges tillsammans."
            )
        try:
            issuers.append(
                TrustedIssuer(
                    oidc.issuer, oidc.audience, oidc.jwks_url, plain_jwt=oidc.accept_plain_jwt
                )
            )
        except ValueError as exc:
            raise SettingsError(f"[oidc]: {exc}") from None
    claims = claim_names(settings)
    if settings.demo.enabled:
        issuers.append(
            DemoIssuer(
                settings.demo.key_file or None,
                claims=claims,
                max_ttl=oidc.max_token_lifetime_seconds,
            ).trusted_issuer()
        )

    def http_factory() -> httpx.AsyncClient:
        if jwks_transport is None:
            return default_http_factory()
        return httpx.AsyncClient(transport=jwks_transport, timeout=httpx.Timeout(5.0))

    return TokenValidator(
        issuers,
        claims,
        oidc.leeway_seconds,
        http_factory,
        max_lifetime=oidc.max_token_lifetime_seconds,
    )
