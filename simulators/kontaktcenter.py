"""Simulated contact-centre case system (Streamflow-like, unit KC): REST JSON under `/api/`.

Its own style: snake_case fields, local ISO times with the Swedish offset
("2025-03-11T09:30:00+01:00"), states NEW/ACTIVE/PENDING_CUSTOMER/SUSPENDED/
RESOLVED/CLOSED/HANDED_OVER, handovers to other units typed CLOSE (forwarded, no
follow-up), RETAIN (forwarded, follow-up kept) or SUSPEND (waiting for the other
party), offset paging with a total, and an append-only event log read from a
watermark (every entry has a strictly increasing `seq`).

    GET /api/cases?contact=pnr,.. | id=.. | reference=..  (&offset=&limit=)
    GET /api/cases/{case_id}
    GET /api/eventlog?since=ISO | after=<watermark> (&until=ISO&max=)
    GET /openapi.json
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import rest
from .kontaktcenter_shapes import (
    DEFAULT_LIMIT,
    DEFAULT_LOG_MAX,
    LOG_TYPES,
    MAX_LOG_MAX,
    OPENAPI,
    iso,
    render_case,
)
from .rest import BadRequest
from .world import Case, World

SYSTEM = "kontaktcenter"
#: The log's sequence numbers start here (a log that was never truncated still isn't at 1).
FIRST_SEQ = 100_001

_WATERMARK = re.compile(r"^\d{1,15}$")


def create_app(world: World) -> Starlette:
    """The contact centre's REST API over the `kontaktcenter` cases of `world`."""
    api = _KontaktcenterApi(world)
    return Starlette(
        routes=[
            Route("/api/cases", api.search, methods=["GET"]),
            Route("/api/cases/{case_id}", api.one, methods=["GET"]),
            Route("/api/eventlog", api.eventlog, methods=["GET"]),
            Route("/openapi.json", api.openapi, methods=["GET"]),
        ],
        exception_handlers=rest.error_handlers(_error),
    )


def _error(status: int, code: str, message: str) -> Mapping[str, object]:
    return {"httpStatus": status, "errorCode": code.upper(), "errorMessage": message}


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    at: datetime
    case_id: str
    type: str


def build_log(cases: Sequence[Case]) -> list[LogEntry]:
    """The event log: one entry per case creation and per case event, in time order."""
    raw: list[tuple[datetime, str, int, str]] = []
    for case in cases:
        raw.append((case.opened_at, case.id, -1, "case.created"))
        for index, event in enumerate(case.events):
            raw.append((event.at, case.id, index, LOG_TYPES.get(event.kind, "case.updated")))
    raw.sort(key=lambda r: (r[0], r[1], r[2]))
    return [
        LogEntry(FIRST_SEQ + i, at, case_id, kind) for i, (at, case_id, _, kind) in enumerate(raw)
    ]


class _KontaktcenterApi:
    def __init__(self, world: World) -> None:
        self.world = world
        self._version = -1
        self._rebuild()

    def _rebuild(self) -> None:
        """The event log follows the world (new events recorded through the admin API)."""
        if self._version == self.world.version:
            return
        self._version = self.world.version
        self.log = build_log(self.world.cases.get(SYSTEM, []))
        self._times = [e.at for e in self.log]
        self._seqs = [e.seq for e in self.log]

    async def search(self, request: Request) -> JSONResponse:
        which = rest.exactly_one(request, ("contact", "id", "reference"))
        values = request.query_params.getlist(which)
        if which == "contact":
            keys = rest.key_list(values, which, pattern=rest.PNR)
            cases = self.world.cases_of(SYSTEM, keys)
        elif which == "id":
            keys = rest.key_list(values, which)
            found = (self.world.case(SYSTEM, k) for k in keys)
            cases = [c for c in found if c is not None]
        else:
            keys = rest.key_list(values, which)
            cases = self.world.cases_by_number(SYSTEM, keys)
        offset = rest.int_param(request, "offset", 0, 0, 10_000_000)
        limit = rest.int_param(request, "limit", DEFAULT_LIMIT, 1, rest.MAX_PAGE_SIZE)
        chunk = cases[offset : offset + limit]
        types = self.world.case_types
        return JSONResponse(
            {
                "total": len(cases),
                "offset": offset,
                "limit": limit,
                "cases": [render_case(c, types) for c in chunk],
            }
        )

    async def one(self, request: Request) -> JSONResponse:
        case = self.world.case(SYSTEM, request.path_params["case_id"])
        if case is None:
            return JSONResponse(_error(404, "CASE_NOT_FOUND", "No such case"), status_code=404)
        return JSONResponse(render_case(case, self.world.case_types))

    async def eventlog(self, request: Request) -> JSONResponse:
        self._rebuild()
        params = request.query_params
        if "since" in params and "after" in params:
            raise BadRequest("invalid_position", "give either since or after, not both")
        after = FIRST_SEQ - 1
        if "since" in params:
            start = bisect.bisect_left(self._times, rest.aware_param(request, "since"))
        else:
            raw = params.get("after", "0")
            if not _WATERMARK.match(raw):
                raise BadRequest("invalid_watermark", "after must be a watermark from this log")
            after = int(raw)
            start = bisect.bisect_right(self._seqs, after)
        stop = len(self.log)
        if "until" in params:
            stop = bisect.bisect_left(self._times, rest.aware_param(request, "until"))
        size = rest.int_param(request, "max", DEFAULT_LOG_MAX, 1, MAX_LOG_MAX)
        end = min(max(start, stop), start + size)
        entries = self.log[start:end]
        # the watermark never goes back, even for an empty page
        watermark = max(after, self._seqs[end - 1] if end > 0 else FIRST_SEQ - 1)
        return JSONResponse(
            {
                "events": [
                    {"seq": e.seq, "caseId": e.case_id, "type": e.type, "timestamp": iso(e.at)}
                    for e in entries
                ],
                "nextWatermark": watermark,
                "hasMore": end < stop,
            }
        )

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(OPENAPI)
