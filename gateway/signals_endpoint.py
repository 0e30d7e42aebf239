"""`POST /signals`: signed CloudEvents from the source systems into the inbox.

| answer | when |
|---|---|
| 202 `{"accepted": n}` | stored durably (a repeated id too; it is processed once) |
| 400 `{"error": {"code": ...}}` | not JSON, no CloudEvent 1.0, wrong type, subject or data, |
|     | batch over 100 |
| 401 one generic body | unsigned, bad signature, stale timestamp, unknown or foreign source |
| 413 | body over 256 KiB |
| 429 + Retry-After | the inbox is full |
| 503 | the inbox cannot be written (nothing was stored) |
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from signals import MAX_BODY_BYTES, InboxFull, SignalRefused, parse, verify
from signals.intake import unauthorized

if TYPE_CHECKING:
    from signals import Signals

log = logging.getLogger("knutpunkt.signals")

RETRY_AFTER_SECONDS = 5


def _refused(signals: Signals | None, exc: SignalRefused) -> Response:
    if signals is not None:
        signals.metrics.refuse(exc.reason)
    log.info("refused a signal: %s (%s)", exc.code, exc.reason)
    return JSONResponse(
        {"error": {"code": exc.code, "message": exc.message}}, status_code=exc.status
    )


async def signals_endpoint(request: Request, signals: Signals | None) -> Response:
    declared = request.headers.get("content-length")
    body = b""
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return _refused(
            signals, SignalRefused(413, "SIGNAL_TOO_LARGE", "Högst 256 KiB.", "too_large")
        )
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return _refused(
                signals, SignalRefused(413, "SIGNAL_TOO_LARGE", "Högst 256 KiB.", "too_large")
            )
    try:
        if signals is None or not signals.verifiers:
            raise unauthorized("unknown_source")
        signers = verify(body, request.headers, signals.verifiers)
        found = parse(body, request.headers.get("content-type", ""), signers)
    except SignalRefused as exc:
        return _refused(signals, exc)
    try:
        await signals.accept(found)
    except InboxFull:
        signals.metrics.refuse("inbox_full")
        return JSONResponse(
            {"error": {"code": "SIGNAL_INBOX_FULL", "message": "Försök igen senare."}},
            status_code=429,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    except Exception:
        log.exception("the signal inbox could not be written")
        signals.metrics.refuse("inbox_unavailable")
        return JSONResponse(
            {"error": {"code": "SIGNAL_INBOX_UNAVAILABLE", "message": "Försök igen senare."}},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return JSONResponse({"accepted": len(found)}, status_code=202)
