"""Status callbacks pushed by the e-service platform.

The platform signs each callback with the shared secret (`[gateway]
webhook_secret`); a valid one makes the case store pull that system's
changes now instead of at its next interval. The answer never says why a callback
was refused.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.errors import GatewayError
from connectors.eservice import verify_callback

if TYPE_CHECKING:
    from .app import AppState

log = logging.getLogger("knutpunkt.webhooks")

MAX_CALLBACK_BYTES = 16 * 1024


async def eservice_webhook(request: Request, state: AppState) -> Response:
    secret = state.settings.gateway.webhook_secret
    if not secret:
        return JSONResponse({"error": "not_found"}, status_code=404)
    body = await request.body()
    if len(body) > MAX_CALLBACK_BYTES:
        return JSONResponse({"error": "too_large"}, status_code=413)
    try:
        ref = verify_callback(body, request.headers.get("x-signature"), secret)
    except GatewayError as exc:
        log.warning("refused an e-service callback: %s", exc.code)
        return JSONResponse({"error": "refused"}, status_code=400)
    if state.case_store is not None:
        state.case_store.refresh_system(ref.system)
    return Response(status_code=204)
