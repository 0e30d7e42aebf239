"""Status callbacks pushed by the e-service platform.

The platform signs each callback with the shared secret (`[gateway]
webhook_secret`); a valid one makes the case store pull that system's
changes now instead of at its next interval and, when the e-service platform is a
signalling system, goes into the signal inbox like any signal. The answer never says why a callback
was refused.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.errors import GatewayError
from connectors.eservice import verify_callback
from signals import Signal

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
    if state.signals is not None and ref.system in state.signals.processor.sources:
        # one more signal source: the callback ends the cached answers about the case
        signal_id = "callback-" + hashlib.sha256(body).hexdigest()[:32]
        try:
            await state.signals.accept([Signal(ref.system, signal_id, ref.local_id)])
        except Exception:  # the pull still finds the change; the platform need not retry
            log.warning("an e-service callback could not become a signal", exc_info=True)
    return Response(status_code=204)
