"""Simulated preschool/school placement system (BUN): REST JSON, child + guardian model.

Applications (`FSK-2025-00012`) concern a child (`child.personalNumber`) and
are made by guardians (`guardians[]`); a guardian's personal number finds the
child's applications too. Times are epoch milliseconds, statuses numeric
(1 Ansökan, 2 Ändrad, 3 Erbjuden, 4 Placerad, 5 Avslutad, 6 Väntar på
komplettering, 7 Väntar på annan part, 8 Överlämnad, 9 Återkallad), paging by
page number (`page` from 1, `pageSize`, `totalPages` in the body).

    GET /v1/applications?personalNumber=a,b | ids=1,2 | referenceNumber=..  (&page=&pageSize=)
    GET /v1/applications/modified?fromMs=&toMs=(&page=&pageSize=)
    GET /v1/applications/{id}
    GET /openapi.json
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import rest
from .edu_shapes import (
    CHANNEL_CODES,
    DEFAULT_PAGE_SIZE,
    EPOCH,
    MAX_MS,
    NUMERIC,
    OPENAPI,
    STATUS_TEXTS,
    attachment,
    history,
    numeric_id,
    status_code,
    to_ms,
    transfer,
)
from .rest import BadRequest
from .world import UNITS, Case, World

SYSTEM = "edu"
MAX_PAGE = 1_000_000


def create_app(world: World) -> Starlette:
    """The placement REST API over the `edu` cases of `world`."""
    api = _EduApi(world)
    return Starlette(
        routes=[
            Route("/v1/applications", api.search, methods=["GET"]),
            Route("/v1/applications/modified", api.modified, methods=["GET"]),
            Route("/v1/applications/{id}", api.one, methods=["GET"]),
            Route("/openapi.json", api.openapi, methods=["GET"]),
        ],
        exception_handlers=rest.error_handlers(_problem),
    )


def _problem(status: int, code: str, message: str) -> Mapping[str, object]:
    return {"type": f"urn:edu:problem:{code}", "title": code, "status": status, "detail": message}


class _EduApi:
    def __init__(self, world: World) -> None:
        self.world = world
        # the guardian model: the child's custodians (and whoever applied) find the application
        custodians: dict[str, list[str]] = defaultdict(list)
        for rel in world.custody:
            custodians[rel.child].append(rel.custodian)
        self.guardians: dict[str, list[str]] = {}
        self.by_person: dict[str, list[Case]] = defaultdict(list)
        for case in world.cases.get(SYSTEM, []):
            found = list(custodians.get(case.subject, ())) if case.subject else []
            if case.applicant and case.applicant != case.subject and case.applicant not in found:
                found.append(case.applicant)
            self.guardians[case.id] = found
            for pnr in {*found, *case.persons()}:
                self.by_person[pnr].append(case)

    async def search(self, request: Request) -> JSONResponse:
        which = rest.exactly_one(request, ("personalNumber", "ids", "referenceNumber"))
        values = request.query_params.getlist(which)
        if which == "personalNumber":
            seen: dict[str, Case] = {}
            for pnr in rest.key_list(values, which, pattern=rest.PNR):
                for case in self.by_person.get(pnr, ()):
                    seen[case.id] = case
            cases = sorted(seen.values(), key=lambda c: c.opened_at)
        elif which == "ids":
            found = (
                self.world.case(SYSTEM, k) for k in rest.key_list(values, which, pattern=NUMERIC)
            )
            cases = [c for c in found if c is not None]
        else:
            cases = self.world.cases_by_number(SYSTEM, rest.key_list(values, which))
        return self._page(request, cases)

    async def modified(self, request: Request) -> JSONResponse:
        since = _ms_param(request, "fromMs")
        until = _ms_param(request, "toMs")
        if until < since:
            raise BadRequest("invalid_interval", "toMs must not be less than fromMs")
        return self._page(request, self.world.changed(SYSTEM, since, until))

    async def one(self, request: Request) -> JSONResponse:
        local_id = request.path_params["id"]
        if not NUMERIC.fullmatch(local_id):
            raise BadRequest("invalid_id", "application id must be numeric")
        case = self.world.case(SYSTEM, local_id)
        if case is None:
            body = _problem(404, "not_found", "Application not found")
            return JSONResponse(body, status_code=404)
        return JSONResponse(self._application(case))

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(OPENAPI)

    def _page(self, request: Request, cases: Sequence[Case]) -> JSONResponse:
        page = rest.int_param(request, "page", 1, 1, MAX_PAGE)
        size = rest.int_param(request, "pageSize", DEFAULT_PAGE_SIZE, 1, rest.MAX_PAGE_SIZE)
        start = (page - 1) * size
        return JSONResponse(
            {
                "page": page,
                "pageSize": size,
                "totalPages": -(-len(cases) // size),
                "totalItems": len(cases),
                "data": [self._application(c) for c in cases[start : start + size]],
            }
        )

    def _application(self, case: Case) -> dict[str, object]:
        type_def = self.world.case_types.get(case.type_code)
        code = status_code(case)
        return {
            "applicationId": numeric_id(case.id),
            "referenceNumber": case.number,
            "mainReferenceNumber": case.main_number,
            "applicationType": {
                "code": case.type_code,
                "description": type_def.name if type_def else case.type_code,
            },
            "title": case.title,
            "notes": case.description,
            "statusCode": code,
            "statusText": STATUS_TEXTS[code],
            "organisation": {"orgCode": case.unit, "orgName": UNITS.get(case.unit, case.unit)},
            "child": {"personalNumber": case.subject} if case.subject else None,
            "guardians": [
                {"personalNumber": pnr, "isApplicant": pnr == case.applicant}
                for pnr in self.guardians.get(case.id, ())
            ],
            "submittedVia": CHANNEL_CODES.get(case.channel, 7),
            "createdMs": to_ms(case.opened_at),
            "closedMs": to_ms(case.closed_at),
            "protected": case.confidential,
            "protectionReason": case.secrecy_ground,
            "portalUrl": case.link,
            "modifiedMs": to_ms(case.updated_at),
            "history": [history(e) for e in case.events],
            "attachments": [attachment(d) for d in case.documents],
            "transfers": [transfer(c) for c in case.collaborations],
        }


def _ms_param(request: Request, name: str) -> datetime:
    raw = request.query_params.get(name)
    if not raw:
        raise BadRequest("missing_parameter", f"{name} is required")
    value = rest.int_param(request, name, 0, 0, MAX_MS)
    return EPOCH + timedelta(milliseconds=value)
