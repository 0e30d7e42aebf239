"""CORS for the portals: an allowlist of browser origins, off when the list is empty.

Portals call the API from their own origin with a bearer token (no cookies), so
credentials stay off; only GET and POST, and the headers a GraphQL client sends.
"""

from __future__ import annotations

import re

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from connectors.errors import SettingsError

from .settings import GatewaySettings

ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$")
ALLOWED_HEADERS = ("authorization", "content-type", "accept", "x-request-id")
MAX_AGE_SECONDS = 600


def cors_middleware(gw: GatewaySettings) -> list[Middleware]:
    """Starlette's `CORSMiddleware` for `[gateway] cors_origins`, or nothing."""
    origins = list(gw.cors_origins)
    bad = [origin for origin in origins if not ORIGIN.match(origin)]
    if bad:
        raise SettingsError(
            f"[gateway] cors_origins: {bad} är inte ursprung som https://minasidor.exempelby.se "
            "(schema och värd, utan sökväg; * är inte tillåtet)."
        )
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=["x-request-id"],
            allow_credentials=False,
            max_age=MAX_AGE_SECONDS,
        )
    ]
