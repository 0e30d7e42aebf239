"""The demo's role switcher: tokens for a few sandbox personas, minted server-side.

Mounted only in demo mode (`[demo] enabled`), next to the demo issuer the gateway
then trusts; in production the path does not exist (404).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .issuer import DemoIssuer

TOKEN_PATH = "/graphiql/demo-token"
TTL_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Persona:
    label: str
    role: str = ""  # empty: no token (the public)
    personal_number: str | None = None
    units: tuple[str, ...] = ()
    name: str | None = None


PERSONAS: Mapping[str, Persona] = {
    "public": Persona("Allmänheten (ingen inloggning)"),
    "kalle": Persona("Kalle Testson, invånare", "citizen", "195606055555"),
    "anna": Persona("Anna Andersson, invånare", "citizen", "197801012340"),
    "contact-centre": Persona(
        "Maja Kontaktcenter, handläggare på kontaktcenter",
        "contact_centre",
        units=("KC",),
        name="Maja Kontaktcenter",
    ),
    "sn-officer": Persona(
        "Sven Socialsekreterare, handläggare på socialnämnden (SN)",
        "case_officer",
        units=("SN",),
        name="Sven Socialsekreterare",
    ),
    "analyst": Persona("Alva Analytiker, analytiker", "analyst", name="Alva Analytiker"),
}


def persona_options() -> list[tuple[str, str]]:
    return [(key, persona.label) for key, persona in PERSONAS.items()]


def _error(message: str, code: str, status: int) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, headers={"cache-control": "no-store"})


class DemoTokens:
    """`POST /graphiql/demo-token` `{"persona": "kalle"}` → `{"persona", "token"}`."""

    def __init__(self, issuer: DemoIssuer) -> None:
        self._issuer = issuer

    async def endpoint(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        key = body.get("persona") if isinstance(body, dict) else None
        persona = PERSONAS.get(key) if isinstance(key, str) else None
        if persona is None:
            return _error("Okänd persona.", "UNKNOWN_PERSONA", 400)
        token = None
        if persona.role:
            token = self._issuer.issue(
                persona.role,
                persona.personal_number,
                units=persona.units,
                name=persona.name,
                ttl=TTL_SECONDS,
            )
        return JSONResponse({"persona": key, "token": token}, headers={"cache-control": "no-store"})
