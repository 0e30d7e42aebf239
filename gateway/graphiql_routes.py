"""GraphiQL's routes: its assets (in the demo, or when `[gateway] graphiql`) and, in the
demo, the persona tokens of its role switcher."""

from __future__ import annotations

from starlette.routing import Route

from .demo_personas import TOKEN_PATH, DemoTokens, persona_options
from .graphiql import GraphiQLPage
from .issuer import DemoIssuer
from .settings import Settings
from .trust import claim_names


def graphiql_routes(settings: Settings) -> tuple[list[Route], GraphiQLPage | None]:
    """GraphiQL's assets (in the demo, or when `[gateway] graphiql`) and, in the demo, its
    persona tokens."""
    if not (settings.gateway.graphiql or settings.demo.enabled):
        return [], None
    routes: list[Route] = []
    personas: list[tuple[str, str]] = []
    if settings.demo.enabled:
        issuer = DemoIssuer(settings.demo.key_file or None, claims=claim_names(settings))
        tokens = DemoTokens(issuer)
        routes.append(Route(TOKEN_PATH, tokens.endpoint, methods=["POST"]))
        personas = persona_options()
    page = GraphiQLPage(personas=personas, demo_token_url=TOKEN_PATH if personas else "")
    routes.append(Route("/graphiql/{version}/{name}", page.asset, methods=["GET"]))
    return routes, page
