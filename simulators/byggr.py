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


_ARENDEN = '<xs:element name="Arenden"><xs:complexType><xs:sequence><xs:element ref="tns:Arende" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>'  # noqa: E501


def _request(op: str, fields: str) -> str:
    return f'<xs:element name="{op}"><xs:complexType><xs:sequence>{fields}</xs:sequence></xs:complexType></xs:element>'  # noqa: E501


def _response(op: str, extra: str = "") -> str:
    return (
        f'<xs:element name="{op}Response"><xs:complexType><xs:sequence>'
        f'<xs:element name="{op}Result"><xs:complexType><xs:sequence>'
        f'<xs:element ref="tns:Arenden"/>{extra}'
        "</xs:sequence></xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>"
    )


def _many(name: str) -> str:
    return f'<xs:element name="{name}" type="xs:string" maxOccurs="200"/>'


def _opt(name: str, kind: str = "xs:string") -> str:
    return f'<xs:element name="{name}" type="{kind}" minOccurs="0"/>'


_UNIT_T = '<xs:complexType name="Enhet"><xs:sequence><xs:element name="Kod" type="xs:string"/><xs:element name="Namn" type="xs:string"/></xs:sequence></xs:complexType>'  # noqa: E501

SCHEMA = (
    f'<xs:schema targetNamespace="{NS}" elementFormDefault="qualified">'
    + _UNIT_T
    + _request("GetRelateradeArendenByPersOrgNr", _many("PersOrgNr"))
    + _response("GetRelateradeArendenByPersOrgNr")
    + _request("GetArende", _many("Dnr"))
    + _response("GetArende")
    + _request("GetArendenByDiarienummer", _many("Diarienummer"))
    + _response("GetArendenByDiarienummer")
    + _request(
        "GetUpdatedArenden",
        '<xs:element name="FromDatum" type="xs:dateTime"/>'
        '<xs:element name="TomDatum" type="xs:dateTime"/>'
        + _opt("Sida", "xs:int")
        + _opt("SidStorlek", "xs:int"),
    )
    + _response(
        "GetUpdatedArenden",
        '<xs:element name="Sida" type="xs:int"/><xs:element name="AntalSidor" type="xs:int"/>',
    )
    + _ARENDEN
    + '<xs:element name="Arende"><xs:complexType><xs:sequence>'
    '<xs:element name="ArendeId" type="xs:string"/>'
    '<xs:element name="Diarienummer" type="xs:string"/>'
    + _opt("Huvudarende")
    + '<xs:element name="Arendetyp"><xs:complexType><xs:sequence>'
    '<xs:element name="Kod" type="xs:string"/><xs:element name="Benamning" type="xs:string"/>'
    "</xs:sequence></xs:complexType></xs:element>"
    '<xs:element name="Arendemening" type="xs:string"/>'
    + _opt("Beskrivning")
    + '<xs:element name="Status" type="xs:string"/>'
    '<xs:element name="Handlaggandeenhet" type="tns:Enhet"/>'
    '<xs:element name="Intressenter"><xs:complexType><xs:sequence>'
    '<xs:element name="Intressent" minOccurs="0" maxOccurs="unbounded"><xs:complexType>'
    '<xs:sequence><xs:element name="Roll" type="xs:string"/>'
    '<xs:element name="PersOrgNr" type="xs:string"/></xs:sequence></xs:complexType></xs:element>'
    "</xs:sequence></xs:complexType></xs:element>"
    '<xs:element name="Kanal" type="xs:string"/>'
    '<xs:element name="Inkommen" type="xs:dateTime"/>'
    + _opt("Avslutad", "xs:dateTime")
    + '<xs:element name="Sekretess" type="xs:boolean"/>'
    + _opt("Sekretessgrund")
    + _opt("Lank", "xs:anyURI")
    + '<xs:element name="SenastAndrad" type="xs:dateTime"/>'
    '<xs:element name="Handelser"><xs:complexType><xs:sequence>'
    '<xs:element name="Handelse" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>'
    '<xs:element name="HandelseId" type="xs:string"/><xs:element name="Datum" type="xs:dateTime"/>'
    '<xs:element name="Handelsetyp" type="xs:string"/><xs:element name="Rubrik" type="xs:string"/>'
    + _opt("Beskrivning")
    + '<xs:element name="Diarieford" type="xs:boolean"/>'
    '<xs:element name="Intern" type="xs:boolean"/>'
    + _opt("Avser")
    + "</xs:sequence></xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>"
    '<xs:element name="Handlingar"><xs:complexType><xs:sequence>'
    '<xs:element name="Handling" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>'
    '<xs:element name="HandlingId" type="xs:string"/><xs:element name="Beskrivning" type="xs:string"/>'
    '<xs:element name="Riktning" type="xs:string"/><xs:element name="Registrerad" type="xs:dateTime"/>'
    '<xs:element name="Sekretess" type="xs:boolean"/>'
    "</xs:sequence></xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>"
    '<xs:element name="Samverkan"><xs:complexType><xs:sequence>'
    '<xs:element name="Samverkansarende" minOccurs="0" maxOccurs="unbounded"><xs:complexType>'
    '<xs:sequence><xs:element name="Typ" type="xs:string"/>'
    '<xs:element name="FranEnhet" type="tns:Enhet"/><xs:element name="TillEnhet" type="tns:Enhet"/>'
    '<xs:element name="Startad" type="xs:dateTime"/>'
    + _opt("Klar", "xs:dateTime")
    + '<xs:element name="UppfoljningKvar" type="xs:boolean"/>'
    '<xs:element name="Motpart" minOccurs="0"><xs:complexType><xs:sequence>'
    + _opt("System")
    + _opt("ArendeId")
    + _opt("Diarienummer")
    + "</xs:sequence></xs:complexType></xs:element>"
    "</xs:sequence></xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>"
    "</xs:sequence></xs:complexType></xs:element>"
    "</xs:schema>"
)
