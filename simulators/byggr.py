"""Simulated ByggR (building permits, BN): SOAP 1.1 at `POST /ArendeExportWS`.

Namespace `http://www.tekis.se/ServiceContract`; SOAPAction
`http://www.tekis.se/ServiceContract/IArendeExportWS/<Operation>` (optional, but
must match the body when sent); WSDL at `GET /ArendeExportWS?wsdl`.

    GetRelateradeArendenByPersOrgNr  PersOrgNr+ (12-digit personnummer or 10-digit org.nr)
    GetArende                        Dnr+ (ByggR's own ärende id, e.g. BYGG-2025-000193)
    GetArendenByDiarienummer         Diarienummer+ (matches diarienummer or huvudärende)
    GetUpdatedArenden                FromDatum, TomDatum (xs:dateTime, window [from, tom)),
                                     Sida (1-based), SidStorlek (1..500, default 100)

Each answers `<XResponse><XResult><Arenden><Arende>...` (GetUpdatedArenden adds
`Sida` and `AntalSidor`). Times are xs:dateTime with the Swedish local offset
("2025-03-11T09:30:00+01:00"); a window given without offset is local time.
Status texts are ByggR's Swedish ones; events carry ByggR handelsetyp codes.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from . import soap
from .soap import Operation, SoapFault
from .world import TZ, UNITS, Case, Collaboration, Document, Event, World

SYSTEM = "byggr"
NS = "http://www.tekis.se/ServiceContract"
ACTION_PREFIX = f"{NS}/IArendeExportWS/"
PATH = "/ArendeExportWS"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500

PERS_ORG_NR = re.compile(r"^\d{10}(\d{2})?$")

STATUS_TEXTS = {
    "RECEIVED": "Ansökan inkommen",
    "IN_PROGRESS": "Under handläggning",
    "WAITING_FOR_CITIZEN": "Komplettering begärd",
    "WAITING_FOR_OTHER_PARTY": "Grannehörande",
    "DECIDED": "Beslut fattat",
    "CLOSED": "Avslutat",
    "FORWARDED": "Överlämnat",
}

EVENT_TYPES = {
    "SUBMITTED": "ANSOKAN",
    "REGISTERED": "REG",
    "STATUS_CHANGED": "STATUS",
    "COMPLETION_REQUESTED": "KOMPLBEG",
    "COMPLETION_RECEIVED": "KOMPLINK",
    "REFERRAL_SENT": "REMISS",
    "REFERRAL_ANSWERED": "REMISSVAR",
    "ASSIGNMENT_GIVEN": "UPPDRAG",
    "ASSIGNMENT_COMPLETED": "UPPDRAGKLAR",
    "FORWARDED": "OVERLAMN",
    "DECIDED": "BESLUT",
    "NOTICE": "MEDD",
    "DELAYED": "FORSEN",
    "CLOSED": "AVSLUT",
}

CHANNELS = {
    "E_SERVICE": "ETJANST",
    "CONTACT_CENTRE": "KONTAKTCENTER",
    "VISIT": "BESOK",
    "PHONE": "TELEFON",
    "MAIL": "POST",
    "EMAIL": "EPOST",
    "INTERNAL": "INTERN",
}

DIRECTIONS = {"INCOMING": "Inkommande", "OUTGOING": "Utgående", "DRAFTED": "Upprättad"}
COLLABORATION_TYPES = {"REFERRAL": "Remiss", "ASSIGNMENT": "Uppdrag", "FORWARDING": "Overlamning"}

OPERATIONS = (
    "GetRelateradeArendenByPersOrgNr",
    "GetArende",
    "GetArendenByDiarienummer",
    "GetUpdatedArenden",
)


def create_app(world: World) -> Starlette:
    """The ByggR ArendeExportWS over the `byggr` cases of `world`."""
    service = _ArendeExport(world)
    return Starlette(routes=[Route(PATH, service.endpoint, methods=["GET", "POST"])])


class _ArendeExport:
    def __init__(self, world: World) -> None:
        self.world = world
        self.operations = {
            "GetRelateradeArendenByPersOrgNr": Operation(self.by_person, ("PersOrgNr",)),
            "GetArende": Operation(self.by_id, ("Dnr",)),
            "GetArendenByDiarienummer": Operation(self.by_number, ("Diarienummer",)),
            "GetUpdatedArenden": Operation(
                self.updated, ("FromDatum", "TomDatum", "Sida", "SidStorlek")
            ),
        }

    async def endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" in {k.lower() for k in request.query_params}:
                return soap.wsdl(
                    service="ArendeExportWS",
                    ns=NS,
                    location=soap.endpoint_url(request),
                    action_prefix=ACTION_PREFIX,
                    operations=OPERATIONS,
                    schema=SCHEMA,
                )
            return PlainTextResponse("ArendeExportWS. Tjänstebeskrivning: ?wsdl")
        return await soap.dispatch(request, NS, self.operations, ACTION_PREFIX)

    async def by_person(self, element: ET.Element) -> ET.Element:
        numbers = soap.keys(element, NS, "PersOrgNr")
        if not all(PERS_ORG_NR.match(n) for n in numbers):
            raise SoapFault("Client", "PersOrgNr ska vara 10 eller 12 siffror.")
        return self._answer("GetRelateradeArendenByPersOrgNr", self.world.cases_of(SYSTEM, numbers))

    async def by_id(self, element: ET.Element) -> ET.Element:
        ids = soap.keys(element, NS, "Dnr")
        found = (self.world.case(SYSTEM, i) for i in ids)
        return self._answer("GetArende", [c for c in found if c is not None])

    async def by_number(self, element: ET.Element) -> ET.Element:
        numbers = soap.keys(element, NS, "Diarienummer")
        return self._answer("GetArendenByDiarienummer", self.world.cases_by_number(SYSTEM, numbers))

    async def updated(self, element: ET.Element) -> ET.Element:
        since = _window_time(soap.single(element, NS, "FromDatum"), "FromDatum")
        until = _window_time(soap.single(element, NS, "TomDatum"), "TomDatum")
        if until < since:
            raise SoapFault("Client", "TomDatum får inte vara före FromDatum.")
        page = soap.integer(element, NS, "Sida", 1, 1, 1_000_000)
        size = soap.integer(element, NS, "SidStorlek", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        cases = self.world.changed(SYSTEM, since, until)
        pages = max(1, math.ceil(len(cases) / size))
        answer = self._answer("GetUpdatedArenden", cases[(page - 1) * size : page * size])
        result = answer[0]
        _text(result, "Sida", str(page))
        _text(result, "AntalSidor", str(pages))
        return answer

    def _answer(self, operation: str, cases: list[Case]) -> ET.Element:
        response = ET.Element(soap.qname(NS, f"{operation}Response"))
        result = ET.SubElement(response, soap.qname(NS, f"{operation}Result"))
        arenden = ET.SubElement(result, soap.qname(NS, "Arenden"))
        for case in cases:
            arenden.append(self._arende(case))
        return response

    def _arende(self, case: Case) -> ET.Element:
        el = ET.Element(soap.qname(NS, "Arende"))
        _text(el, "ArendeId", case.id)
        _text(el, "Diarienummer", case.number)
        _text(el, "Huvudarende", case.main_number)
        type_def = self.world.case_types.get(case.type_code)
        arendetyp = _child(el, "Arendetyp")
        _text(arendetyp, "Kod", case.type_code)
        _text(arendetyp, "Benamning", type_def.name if type_def else case.type_code)
        _text(el, "Arendemening", case.title)
        _text(el, "Beskrivning", case.description)
        _text(el, "Status", STATUS_TEXTS[case.status])
        _unit(el, "Handlaggandeenhet", case.unit)
        intressenter = _child(el, "Intressenter")
        if case.subject:
            _intressent(intressenter, "Sökande", case.subject)
        if case.applicant and case.applicant != case.subject:
            _intressent(intressenter, "Ombud", case.applicant)
        _text(el, "Kanal", CHANNELS.get(case.channel, "INTERN"))
        _text(el, "Inkommen", _time(case.opened_at))
        _text(el, "Avslutad", _time(case.closed_at))
        _text(el, "Sekretess", "true" if case.confidential else "false")
        _text(el, "Sekretessgrund", case.secrecy_ground)
        _text(el, "Lank", case.link)
        _text(el, "SenastAndrad", _time(case.updated_at))
        handelser = _child(el, "Handelser")
        for event in case.events:
            handelser.append(_handelse(event))
        handlingar = _child(el, "Handlingar")
        for doc in case.documents:
            handlingar.append(_handling(doc))
        samverkan = _child(el, "Samverkan")
        for collab in case.collaborations:
            samverkan.append(_samverkan(collab))
        return el


def _handelse(event: Event) -> ET.Element:
    el = ET.Element(soap.qname(NS, "Handelse"))
    _text(el, "HandelseId", event.id)
    _text(el, "Datum", _time(event.at))
    _text(el, "Handelsetyp", EVENT_TYPES[event.kind])
    _text(el, "Rubrik", event.summary)
    _text(el, "Beskrivning", event.description)
    _text(el, "Diarieford", "true" if event.diary else "false")
    _text(el, "Intern", "true" if event.internal else "false")
    _text(el, "Avser", event.concerns)
    return el


def _handling(doc: Document) -> ET.Element:
    el = ET.Element(soap.qname(NS, "Handling"))
    _text(el, "HandlingId", doc.id)
    _text(el, "Beskrivning", doc.title)
    _text(el, "Riktning", DIRECTIONS[doc.direction])
    _text(el, "Registrerad", _time(doc.registered_at))
    _text(el, "Sekretess", "true" if doc.confidential else "false")
    return el


def _samverkan(collab: Collaboration) -> ET.Element:
    el = ET.Element(soap.qname(NS, "Samverkansarende"))
    _text(el, "Typ", COLLABORATION_TYPES[collab.kind])
    _unit(el, "FranEnhet", collab.from_unit)
    _unit(el, "TillEnhet", collab.to_unit)
    _text(el, "Startad", _time(collab.started_at))
    _text(el, "Klar", _time(collab.completed_at))
    _text(el, "UppfoljningKvar", "true" if collab.follow_up_retained else "false")
    if collab.counterpart_system or collab.counterpart_number:
        motpart = _child(el, "Motpart")
        _text(motpart, "System", collab.counterpart_system)
        _text(motpart, "ArendeId", collab.counterpart_id)
        _text(motpart, "Diarienummer", collab.counterpart_number)
    return el


def _child(parent: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(parent, soap.qname(NS, name))


def _text(parent: ET.Element, name: str, value: str | None) -> None:
    """A child element with text; absent values are left out, as ByggR does."""
    if value is not None:
        _child(parent, name).text = value


def _unit(parent: ET.Element, name: str, code: str) -> None:
    el = _child(parent, name)
    _text(el, "Kod", code)
    _text(el, "Namn", UNITS.get(code, code))


def _intressent(parent: ET.Element, role: str, pnr: str) -> None:
    el = _child(parent, "Intressent")
    _text(el, "Roll", role)
    _text(el, "PersOrgNr", pnr)


def _time(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.astimezone(TZ).isoformat(timespec="seconds")


def _window_time(raw: str | None, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw or "")
    except ValueError:
        raise SoapFault("Client", f"{name} ska vara ett xs:dateTime.") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=TZ)


# --- XML Schema of the WSDL ------------------------------------------------------------------


def _el(name: str, kind: str = "xs:string", occurs: str = "") -> str:
    return f'<xs:element name="{name}" type="{kind}"{occurs}/>'


def _seq(name: str, *children: str, occurs: str = "") -> str:
    inner = "".join(children)
    return (
        f'<xs:element name="{name}"{occurs}><xs:complexType><xs:sequence>{inner}'
        "</xs:sequence></xs:complexType></xs:element>"
    )


_OPT = ' minOccurs="0"'
_MANY = ' minOccurs="0" maxOccurs="unbounded"'
_KEYS = ' maxOccurs="200"'


def _response(op: str, *extra: str) -> str:
    return _seq(f"{op}Response", _seq(f"{op}Result", '<xs:element ref="tns:Arenden"/>', *extra))


SCHEMA = (
    f'<xs:schema targetNamespace="{NS}" elementFormDefault="qualified">'
    '<xs:complexType name="Enhet"><xs:sequence>'
    f"{_el('Kod')}{_el('Namn')}</xs:sequence></xs:complexType>"
    + _seq("GetRelateradeArendenByPersOrgNr", _el("PersOrgNr", occurs=_KEYS))
    + _response("GetRelateradeArendenByPersOrgNr")
    + _seq("GetArende", _el("Dnr", occurs=_KEYS))
    + _response("GetArende")
    + _seq("GetArendenByDiarienummer", _el("Diarienummer", occurs=_KEYS))
    + _response("GetArendenByDiarienummer")
    + _seq(
        "GetUpdatedArenden",
        _el("FromDatum", "xs:dateTime"),
        _el("TomDatum", "xs:dateTime"),
        _el("Sida", "xs:int", _OPT),
        _el("SidStorlek", "xs:int", _OPT),
    )
    + _response("GetUpdatedArenden", _el("Sida", "xs:int"), _el("AntalSidor", "xs:int"))
    + '<xs:element name="Arenden"><xs:complexType><xs:sequence>'
    f'<xs:element ref="tns:Arende"{_MANY}/></xs:sequence></xs:complexType></xs:element>'
    + _seq(
        "Arende",
        _el("ArendeId"),
        _el("Diarienummer"),
        _el("Huvudarende", occurs=_OPT),
        _seq("Arendetyp", _el("Kod"), _el("Benamning")),
        _el("Arendemening"),
        _el("Beskrivning", occurs=_OPT),
        _el("Status"),
        _el("Handlaggandeenhet", "tns:Enhet"),
        _seq("Intressenter", _seq("Intressent", _el("Roll"), _el("PersOrgNr"), occurs=_MANY)),
        _el("Kanal"),
        _el("Inkommen", "xs:dateTime"),
        _el("Avslutad", "xs:dateTime", _OPT),
        _el("Sekretess", "xs:boolean"),
        _el("Sekretessgrund", occurs=_OPT),
        _el("Lank", "xs:anyURI", _OPT),
        _el("SenastAndrad", "xs:dateTime"),
        _seq(
            "Handelser",
            _seq(
                "Handelse",
                _el("HandelseId"),
                _el("Datum", "xs:dateTime"),
                _el("Handelsetyp"),
                _el("Rubrik"),
                _el("Beskrivning", occurs=_OPT),
                _el("Diarieford", "xs:boolean"),
                _el("Intern", "xs:boolean"),
                _el("Avser", occurs=_OPT),
                occurs=_MANY,
            ),
        ),
        _seq(
            "Handlingar",
            _seq(
                "Handling",
                _el("HandlingId"),
                _el("Beskrivning"),
                _el("Riktning"),
                _el("Registrerad", "xs:dateTime"),
                _el("Sekretess", "xs:boolean"),
                occurs=_MANY,
            ),
        ),
        _seq(
            "Samverkan",
            _seq(
                "Samverkansarende",
                _el("Typ"),
                _el("FranEnhet", "tns:Enhet"),
                _el("TillEnhet", "tns:Enhet"),
                _el("Startad", "xs:dateTime"),
                _el("Klar", "xs:dateTime", _OPT),
                _el("UppfoljningKvar", "xs:boolean"),
                _seq(
                    "Motpart",
                    _el("System", occurs=_OPT),
                    _el("ArendeId", occurs=_OPT),
                    _el("Diarienummer", occurs=_OPT),
                    occurs=_OPT,
                ),
                occurs=_MANY,
            ),
        ),
    )
    + "</xs:schema>"
)
