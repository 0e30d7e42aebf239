"""`/metrics`: the Prometheus exposition, on the gateway's port or a port of its own.

Who may read it: with `[metrics] token` set, only a request with
`Authorization: Bearer <token>`; without one, everyone on a port of its own
(`[metrics] port`, reachable only from where the operator lets it be) and in the
demo, but nobody on the gateway's port in production.
"""

from __future__ import annotations

import hmac

from prometheus_client.exposition import choose_encoder
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..settings import Settings
from .metrics import Metrics

METRICS_PATH = "/metrics"


class MetricsEndpoint:
    """The Starlette endpoint; `token` empty and `open_without_token` false: always 401."""

    def __init__(self, metrics: Metrics, token: str, *, open_without_token: bool) -> None:
        self._metrics = metrics
        self._token = token.encode()
        self._open = open_without_token

    @classmethod
    def for_settings(
        cls, metrics: Metrics, settings: Settings, *, own_port: bool
    ) -> MetricsEndpoint:
        return cls(
            metrics,
            settings.metrics.token,
            open_without_token=own_port or settings.demo.enabled,
        )

    def allowed(self, request: Request) -> bool:
        if not self._token:
            return self._open
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        given_token = given.strip().encode()
        return scheme.lower() == "bearer" and hmac.compare_digest(given_token, self._token)

    async def respond(self, request: Request) -> Response:
        if not self.allowed(request):
            return PlainTextResponse(
                "Unauthorized\n", status_code=401, headers={"www-authenticate": "Bearer"}
            )
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(
            encoder(self._metrics.registry),
            headers={"content-type": content_type, "cache-control": "no-store"},
        )


def metrics_app(metrics: Metrics, settings: Settings) -> Starlette:
    """The app `knutpunkt serve` runs on `[metrics] port`: `/metrics` and nothing else."""
    endpoint = MetricsEndpoint.for_settings(metrics, settings, own_port=True)
    return Starlette(routes=[Route(METRICS_PATH, endpoint.respond)])
