"""Simulated e-service platform (Open ePlatform-like): REST JSON under `/api/flowinstances`.

Its own style: flow instances with numeric-looking `flowInstanceID`s, the
platform's configured statuses (`statusID`, Swedish name, OEP `contentType`),
local times without offset ("2025-03-11 09:30:00", Europe/Stockholm), deep links
`https://etjanster.exempelby.se/oversikt/flowinstance/<id>`, and page-number paging
announced in a `Link: <...>; rel="next"` header (plus `X-Total-Count`).

It pushes status changes: when a citizen sends a completion
(`POST /api/flowinstances/{id}/complete`) the case gets a COMPLETION_RECEIVED
event and status IN_PROGRESS, and a signed callback goes to the webhook URL
(see `simulators.eservice_webhook`).

    GET  /api/flowinstances?citizenIdentifier=.. | flowInstanceIDs=.. | referenceNumber=..
         (&page=&perPage=)
    GET  /api/flowinstances/changed?fromDate=ISO&toDate=ISO (&page=&perPage=)
    GET  /api/flowinstances/{id}
    POST /api/flowinstances/{id}/complete   {"citizenIdentifier": "..."} (optional body)
    PUT  /_admin/webhook                    {"url": "...", "secret": "..."}
    GET  /_admin/webhook
    GET  /openapi.json
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import rest
from .eservice_shapes import (
    DEFAULT_PER_PAGE,
    OPENAPI,
    SYSTEM,
    flow_instance_id,
    render_case,
    status_of,
)
from .eservice_webhook import Notifier
from .rest import BadRequest
from .world import TZ, Case, Event, World

MAX_BODY = 16 * 1024
SEARCH_PARAMS = ("citizenIdentifier", "flowInstanceIDs", "referenceNumber")


def create_app(
    world: World,
    *,
    callback_url: str | None = None,
    callback_secret: str = "",
    transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The e-service platform's REST API over the `eservice` cases of `world`.

    `callback_url`/`callback_secret` set the webhook (changeable at run time through
    `PUT /_admin/webhook`); `transport` is the one the callbacks are sent through
    (tests inject one). The notifier is `app.state.notifier`.
    """
    notifier = Notifier(callback_url, callback_secret, transport=transport)
    api = _EserviceApi(world, notifier)
    app = Starlette(
        routes=[
            Route("/api/flowinstances", api.search, methods=["GET"]),
            Route("/api/flowinstances/changed", api.changed, methods=["GET"]),
            Route("/api/flowinstances/{flow_instance_id}", api.one, methods=["GET"]),
            Route("/api/flowinstances/{flow_instance_id}/complete", api.complete, methods=["POST"]),
            Route("/_admin/webhook", api.webhook, methods=["GET", "PUT"]),
            Route("/openapi.json", api.openapi, methods=["GET"]),
        ],
        exception_handlers=rest.error_handlers(_error),
    )
    app.state.notifier = notifier
    return app


def _error(status: int, code: str, message: str) -> Mapping[str, object]:
    return {"status": status, "error": code.upper(), "message": message}


def _fail(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(_error(status, code, message), status_code=status)


class _EserviceApi:
    def __init__(self, world: World, notifier: Notifier) -> None:
        self.world = world
        self.notifier = notifier

    async def search(self, request: Request) -> Response:
        which = rest.exactly_one(
            request, ("citizenIdentifier", "flowInstanceIDs", "referenceNumber")
        )
        values = request.query_params.getlist(which)
        if which == "citizenIdentifier":
            keys = rest.key_list(values, which, pattern=rest.PNR)
            cases = self.world.cases_of(SYSTEM, keys)
        elif which == "flowInstanceIDs":
            keys = rest.key_list(values, which)
            found = (self.world.case(SYSTEM, k) for k in keys)
            cases = [c for c in found if c is not None]
        else:
            keys = rest.key_list(values, which)
            cases = self.world.cases_by_number(SYSTEM, keys)
        return self._page(request, cases)

    async def changed(self, request: Request) -> Response:
        since = rest.aware_param(request, "fromDate")
        until = rest.aware_param(request, "toDate")
        if until < since:
            raise BadRequest("invalid_interval", "toDate must not be before fromDate")
        return self._page(request, self.world.changed(SYSTEM, since, until))

    async def one(self, request: Request) -> Response:
        case = self.world.case(SYSTEM, request.path_params["flow_instance_id"])
        if case is None:
            return _fail(404, "FLOW_INSTANCE_NOT_FOUND", "No such flow instance")
        return JSONResponse(render_case(case, self.world.case_types))

    async def complete(self, request: Request) -> Response:
        """The citizen sends the completion asked for; the case goes back to IN_PROGRESS."""
        case = self.world.case(SYSTEM, request.path_params["flow_instance_id"])
        if case is None:
            return _fail(404, "FLOW_INSTANCE_NOT_FOUND", "No such flow instance")
        body = await _json_body(request, required=False)
        citizen = body.get("citizenIdentifier")
        if citizen is not None and (not isinstance(citizen, str) or citizen not in case.persons()):
            return _fail(403, "NOT_OWNER", "The citizen is not a party to this flow instance")
        if case.status != "WAITING_FOR_CITIZEN":
            return _fail(
                409, "NOT_WAITING_FOR_COMPLETION", "The flow instance awaits no completion"
            )
        at = _now_after(case)
        case.events.append(
            Event(
                id=f"{case.id}-k{len(case.events) + 1}",
                at=at,
                kind="COMPLETION_RECEIVED",
                summary="Komplettering inkommen",
                status_after="IN_PROGRESS",
            )
        )
        case.status = "IN_PROGRESS"
        self.world.reindex()
        self.notifier.notify(
            {
                "event": "status_changed",
                "flowInstanceID": flow_instance_id(case.id),
                "status": status_of(case.status)[1],
                "occurred": at.isoformat(),
            }
        )
        return JSONResponse(render_case(case, self.world.case_types))

    async def webhook(self, request: Request) -> Response:
        if request.method == "PUT":
            body = await _json_body(request, required=True)
            url, secret = body.get("url"), body.get("secret", "")
            if url is not None and (
                not isinstance(url, str) or not url.startswith(("http://", "https://"))
            ):
                raise BadRequest("invalid_url", "url must be an http(s) URL or null")
            if not isinstance(secret, str):
                raise BadRequest("invalid_secret", "secret must be a string")
            self.notifier.configure(url, secret)
        return JSONResponse(self.notifier.state())

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(OPENAPI)

    def _page(self, request: Request, cases: Sequence[Case]) -> Response:
        page = rest.int_param(request, "page", 1, 1, 1_000_000)
        per_page = rest.int_param(request, "perPage", DEFAULT_PER_PAGE, 1, rest.MAX_PAGE_SIZE)
        start = (page - 1) * per_page
        chunk = cases[start : start + per_page]
        headers = {"X-Total-Count": str(len(cases))}
        if start + per_page < len(cases):
            query = request.url.include_query_params(page=page + 1, perPage=per_page).query
            headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'
        types = self.world.case_types
        return JSONResponse([render_case(c, types) for c in chunk], headers=headers)


async def _json_body(request: Request, *, required: bool) -> dict[str, object]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest("body_too_large", "the request body is too large")
    if not raw.strip():
        if required:
            raise BadRequest("missing_body", "a JSON object is required")
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("invalid_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("invalid_json", "the body must be a JSON object")
    return data


def _now_after(case: Case) -> datetime:
    """Now, in whole seconds, but never before the case's last event (the sandbox may be
    dated in the future)."""
    now = datetime.now(TZ).replace(microsecond=0)
    last = case.updated_at.astimezone(TZ)
    return now if now > last else (last + timedelta(seconds=1)).replace(microsecond=0)
