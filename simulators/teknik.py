"""Simulated fault-report system of the technical office (TN): REST JSON, Swedish snake_case.

Fault reports (felanmälningar) with numbers like `FEL-2025-00042`, local times
with offset ("2025-03-11T09:30:00+01:00"), statuses ny, mottagen, pagaende,
vantar_medborgare, vantar_extern, uppdrag_ame, atgardad, stangd, overlamnad,
and offset paging (`offset`, `limit`, `total` in the body). List parameters may
be repeated (`?pnr=a&pnr=b`) or comma-separated.

    GET /felanmalningar?pnr=.. | ids=.. | arendenummer=..  (&offset=&limit=)
    GET /felanmalningar/andrade?fran=ISO&till=ISO(&offset=&limit=)
    GET /felanmalningar/{id}
    GET /openapi.json
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import rest
from .rest import BadRequest
from .world import TZ, UNITS, Case, CaseTypeDef, Collaboration, Document, Event, World

SYSTEM = "teknik"
DEFAULT_LIMIT = 50
MAX_OFFSET = 10_000_000

EVENT_TYPES = {
    "SUBMITTED": "anmalan_inkommen",
    "REGISTERED": "registrerad",
    "STATUS_CHANGED": "statusandring",
    "COMPLETION_REQUESTED": "komplettering_begard",
    "COMPLETION_RECEIVED": "komplettering_inkommen",
    "REFERRAL_SENT": "remiss_skickad",
    "REFERRAL_ANSWERED": "remiss_besvarad",
    "ASSIGNMENT_GIVEN": "uppdrag_lamnat",
    "ASSIGNMENT_COMPLETED": "uppdrag_klarmarkerat",
    "FORWARDED": "vidarebefordrad",
    "DECIDED": "beslut",
    "NOTICE": "meddelande",
    "DELAYED": "forsenad",
    "CLOSED": "avslutad",
}

CHANNELS = {
    "E_SERVICE": "e_tjanst",
    "CONTACT_CENTRE": "kontaktcenter",
    "VISIT": "besok",
    "PHONE": "telefon",
    "MAIL": "brev",
    "EMAIL": "e_post",
    "INTERNAL": "intern",
}

DIRECTIONS = {"INCOMING": "inkommande", "OUTGOING": "utgaende", "DRAFTED": "upprattad"}
COLLABORATION_TYPES = {
    "REFERRAL": "remiss",
    "ASSIGNMENT": "uppdrag",
    "FORWARDING": "vidarebefordran",
}
STATUSES = (
    "ny",
    "mottagen",
    "pagaende",
    "vantar_medborgare",
    "vantar_extern",
    "uppdrag_ame",
    "atgardad",
    "stangd",
    "overlamnad",
)


def create_app(world: World) -> Starlette:
    """The fault-report REST API over the `teknik` cases of `world`."""
    api = _TeknikApi(world)
    return Starlette(
        routes=[
            Route("/felanmalningar", api.search, methods=["GET"]),
            Route("/felanmalningar/andrade", api.changed, methods=["GET"]),
            Route("/felanmalningar/{id}", api.one, methods=["GET"]),
            Route("/openapi.json", api.openapi, methods=["GET"]),
        ],
        exception_handlers=rest.error_handlers(_error),
    )


def _error(status: int, code: str, message: str) -> Mapping[str, object]:
    return {"fel": code, "meddelande": message, "status": status}


class _TeknikApi:
    def __init__(self, world: World) -> None:
        self.world = world

    async def search(self, request: Request) -> JSONResponse:
        which = rest.exactly_one(request, ("pnr", "ids", "arendenummer"))
        values = request.query_params.getlist(which)
        if which == "pnr":
            cases = self.world.cases_of(SYSTEM, rest.key_list(values, which, pattern=rest.PNR))
        elif which == "ids":
            found = (self.world.case(SYSTEM, k) for k in rest.key_list(values, which))
            cases = [c for c in found if c is not None]
        else:
            cases = self.world.cases_by_number(SYSTEM, rest.key_list(values, which))
        return self._page(request, cases)

    async def changed(self, request: Request) -> JSONResponse:
        since = rest.aware_param(request, "fran")
        until = rest.aware_param(request, "till")
        if until < since:
            raise BadRequest("ogiltigt_intervall", "till får inte vara före fran")
        return self._page(request, self.world.changed(SYSTEM, since, until))

    async def one(self, request: Request) -> JSONResponse:
        case = self.world.case(SYSTEM, request.path_params["id"])
        if case is None:
            body = _error(404, "hittades_inte", "Felanmälan finns inte")
            return JSONResponse(body, status_code=404)
        return JSONResponse(_report(case, self.world.case_types))

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(OPENAPI)

    def _page(self, request: Request, cases: Sequence[Case]) -> JSONResponse:
        offset = rest.int_param(request, "offset", 0, 0, MAX_OFFSET)
        limit = rest.int_param(request, "limit", DEFAULT_LIMIT, 1, rest.MAX_PAGE_SIZE)
        types = self.world.case_types
        return JSONResponse(
            {
                "total": len(cases),
                "offset": offset,
                "limit": limit,
                "felanmalningar": [_report(c, types) for c in cases[offset : offset + limit]],
            }
        )


def status_of(case: Case) -> str:
    """The system's own status for a case (several codes for some neutral statuses)."""
    if case.status == "RECEIVED":
        registered = any(e.kind == "REGISTERED" for e in case.events)
        return "mottagen" if registered else "ny"
    if case.status == "WAITING_FOR_OTHER_PARTY":
        with_ame = any(c.to_unit == "AME" and c.completed_at is None for c in case.collaborations)
        return "uppdrag_ame" if with_ame else "vantar_extern"
    return {
        "IN_PROGRESS": "pagaende",
        "WAITING_FOR_CITIZEN": "vantar_medborgare",
        "DECIDED": "atgardad",
        "CLOSED": "stangd",
        "FORWARDED": "overlamnad",
    }[case.status]


def _local(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(TZ).isoformat()


def _unit(code: str) -> dict[str, str]:
    return {"kod": code, "namn": UNITS.get(code, code)}


def _report(case: Case, types: Mapping[str, CaseTypeDef]) -> dict[str, object]:
    type_def = types.get(case.type_code)
    reporter = case.applicant if case.applicant and case.applicant != case.subject else None
    return {
        "id": case.id,
        "arendenummer": case.number,
        "huvudarendenummer": case.main_number,
        "kategori": {
            "kod": case.type_code,
            "benamning": type_def.name if type_def else case.type_code,
        },
        "rubrik": case.title,
        "beskrivning": case.description,
        "status": status_of(case),
        "ansvarig_enhet": _unit(case.unit),
        "berord_person_pnr": case.subject,
        "anmalare_pnr": reporter,
        "kanal": CHANNELS.get(case.channel, "intern"),
        "registrerad": _local(case.opened_at),
        "avslutad": _local(case.closed_at),
        "sekretess": case.confidential,
        "sekretessgrund": case.secrecy_ground,
        "lank": case.link,
        "andrad": _local(case.updated_at),
        "handelser": [_event(e) for e in case.events],
        "handlingar": [_document(d) for d in case.documents],
        "samverkan": [_collaboration(c) for c in case.collaborations],
    }


def _event(event: Event) -> dict[str, object]:
    return {
        "id": event.id,
        "tidpunkt": _local(event.at),
        "typ": EVENT_TYPES[event.kind],
        "rubrik": event.summary,
        "beskrivning": event.description,
        "diarieford": event.diary,
        "intern": event.internal,
        "avser_pnr": event.concerns,
    }


def _document(doc: Document) -> dict[str, object]:
    return {
        "id": doc.id,
        "titel": doc.title,
        "riktning": DIRECTIONS[doc.direction],
        "registrerad": _local(doc.registered_at),
        "sekretess": doc.confidential,
    }


def _collaboration(collab: Collaboration) -> dict[str, object]:
    motpart = None
    if collab.counterpart_system or collab.counterpart_number:
        motpart = {
            "system": collab.counterpart_system,
            "id": collab.counterpart_id,
            "arendenummer": collab.counterpart_number,
        }
    return {
        "typ": COLLABORATION_TYPES[collab.kind],
        "fran_enhet": _unit(collab.from_unit),
        "till_enhet": _unit(collab.to_unit),
        "startad": _local(collab.started_at),
        "avslutad": _local(collab.completed_at),
        "uppfoljning_kvar": collab.follow_up_retained,
        "motpart": motpart,
    }


# --- OpenAPI 3 -------------------------------------------------------------------------------

_S, _N, _B = rest.t("string"), rest.nullable("string"), rest.t("boolean")
_TIME = rest.t("string", format="date-time")
_NTIME = rest.nullable("string", format="date-time")
_UNIT = rest.obj(("kod", "namn"), kod=_S, namn=_S)
_PAGING = [
    rest.param("offset", kind="integer", text="0-based, default 0"),
    rest.param("limit", kind="integer", text=f"1..{rest.MAX_PAGE_SIZE}, default {DEFAULT_LIMIT}"),
]

OPENAPI = rest.document(
    "Felanmälan API (Tekniska förvaltningen, Exempelby kommun)",
    {
        "/felanmalningar": rest.get_op(
            "Sök felanmälningar på personnummer, id eller ärendenummer (exakt ett urval)",
            [
                rest.param("pnr", text="12 siffror; upprepas eller kommasepareras, högst 200"),
                rest.param("ids", text="id:n; upprepas eller kommasepareras, högst 200"),
                rest.param("arendenummer", text="ärende- eller huvudärendenummer, högst 200"),
                *_PAGING,
            ],
            "Sida",
        ),
        "/felanmalningar/andrade": rest.get_op(
            "Felanmälningar ändrade i intervallet [fran, till)",
            [
                rest.param("fran", required=True, text="ISO-8601 med tidszon"),
                rest.param("till", required=True, text="ISO-8601 med tidszon"),
                *_PAGING,
            ],
            "Sida",
        ),
        "/felanmalningar/{id}": rest.get_op(
            "En felanmälan", [rest.param("id", "path")], "Felanmalan"
        ),
    },
    {
        "Error": rest.obj(
            ("fel", "meddelande", "status"), fel=_S, meddelande=_S, status=rest.t("integer")
        ),
        "Sida": rest.obj(
            ("total", "offset", "limit", "felanmalningar"),
            total=rest.t("integer"),
            offset=rest.t("integer"),
            limit=rest.t("integer"),
            felanmalningar=rest.array(rest.ref("Felanmalan")),
        ),
        "Felanmalan": rest.obj(
            (
                "id",
                "arendenummer",
                "kategori",
                "rubrik",
                "status",
                "ansvarig_enhet",
                "kanal",
                "registrerad",
                "sekretess",
                "handelser",
                "handlingar",
                "samverkan",
            ),
            id=_S,
            arendenummer=_S,
            huvudarendenummer=_N,
            kategori=rest.obj(("kod", "benamning"), kod=_S, benamning=_S),
            rubrik=_S,
            beskrivning=_N,
            status=rest.t("string", enum=list(STATUSES)),
            ansvarig_enhet=_UNIT,
            berord_person_pnr=_N,
            anmalare_pnr=_N,
            kanal=rest.t("string", enum=sorted(CHANNELS.values())),
            registrerad=_TIME,
            avslutad=_NTIME,
            sekretess=_B,
            sekretessgrund=_N,
            lank=_N,
            andrad=_TIME,
            handelser=rest.array(
                rest.obj(
                    ("id", "tidpunkt", "typ", "rubrik", "diarieford", "intern"),
                    id=_S,
                    tidpunkt=_TIME,
                    typ=rest.t("string", enum=sorted(EVENT_TYPES.values())),
                    rubrik=_S,
                    beskrivning=_N,
                    diarieford=_B,
                    intern=_B,
                    avser_pnr=_N,
                )
            ),
            handlingar=rest.array(
                rest.obj(
                    ("id", "titel", "riktning", "registrerad", "sekretess"),
                    id=_S,
                    titel=_S,
                    riktning=rest.t("string", enum=sorted(DIRECTIONS.values())),
                    registrerad=_TIME,
                    sekretess=_B,
                )
            ),
            samverkan=rest.array(
                rest.obj(
                    ("typ", "fran_enhet", "till_enhet", "startad", "uppfoljning_kvar"),
                    typ=rest.t("string", enum=sorted(COLLABORATION_TYPES.values())),
                    fran_enhet=_UNIT,
                    till_enhet=_UNIT,
                    startad=_TIME,
                    avslutad=_NTIME,
                    uppfoljning_kvar=_B,
                    motpart=rest.obj((), system=_N, id=_N, arendenummer=_N) | {"nullable": True},
                )
            ),
        ),
    },
)
