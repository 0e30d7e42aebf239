"""Simulated Procapita (social services, SN): SOAP 1.1 at `POST /ProcapitaWS`.

Namespace `urn:procapita:arende:ws:1`; SOAPAction `urn:procapita:arende:ws:1/<Operation>`
(optional, but must match the body when sent); WSDL at `GET /ProcapitaWS?wsdl`.

    HamtaArendenForPersoner       Personnummer+ (12 digits)
    HamtaArenden                  ArendeId+ (e.g. PC00012345)
    HamtaArendenForDiarienummer   Diarienummer+ (matches dnr or huvuddnr)
    HamtaAndradeArenden           FranTid, TillTid (window [fran, till), local time),
                                  MaxAntal (1..500, default 100), Fortsattning (token)

Each answers `<XResponse><Arenden><Arende .../>...</Arenden>` (HamtaAndradeArenden
adds `<Fortsattning>` while more remain). Procapita's own shapes: attributes for
codes and times, numeric status codes (10 Aktualiserad, 20 Utredning, 25 Vilande,
27 Väntar på annan part, 30 Beslut, 40 Verkställd, 80 Överflyttad, 90 Avslutad),
numeric journal types, J/N flags and local times as "20250311T093000".
"""

from __future__ import annotations

import hashlib
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

SYSTEM = "procapita"
NS = "urn:procapita:arende:ws:1"
ACTION_PREFIX = f"{NS}/"
PATH = "/ProcapitaWS"
TIME_FORMAT = "%Y%m%dT%H%M%S"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500

PNR = re.compile(r"^\d{12}$")
TOKEN = re.compile(r"^(\d{1,9})-([0-9a-f]{12})$")

STATUS_CODES = {
    "RECEIVED": ("10", "Aktualiserad"),
    "IN_PROGRESS": ("20", "Utredning"),
    "WAITING_FOR_CITIZEN": ("25", "Vilande"),
    "WAITING_FOR_OTHER_PARTY": ("27", "Väntar på annan part"),
    "DECIDED": ("30", "Beslut"),
    "FORWARDED": ("80", "Överflyttad"),
    "CLOSED": ("90", "Avslutad"),
}

JOURNAL_TYPES = {
    "SUBMITTED": "101",
    "REGISTERED": "102",
    "STATUS_CHANGED": "110",
    "COMPLETION_REQUESTED": "120",
    "COMPLETION_RECEIVED": "121",
    "REFERRAL_SENT": "130",
    "REFERRAL_ANSWERED": "131",
    "ASSIGNMENT_GIVEN": "140",
    "ASSIGNMENT_COMPLETED": "141",
    "FORWARDED": "150",
    "DECIDED": "160",
    "NOTICE": "170",
    "DELAYED": "171",
    "CLOSED": "190",
}

CHANNELS = {
    "E_SERVICE": "E",
    "CONTACT_CENTRE": "K",
    "VISIT": "B",
    "PHONE": "T",
    "MAIL": "P",
    "EMAIL": "M",
    "INTERNAL": "I",
}

DIRECTIONS = {"INCOMING": "IN", "OUTGOING": "UT", "DRAFTED": "UPPR"}
COLLABORATION_TYPES = {"REFERRAL": "REMISS", "ASSIGNMENT": "UPPDRAG", "FORWARDING": "OVERLAMNING"}

OPERATIONS = (
    "HamtaArendenForPersoner",
    "HamtaArenden",
    "HamtaArendenForDiarienummer",
    "HamtaAndradeArenden",
)


def create_app(world: World) -> Starlette:
    """The Procapita case service over the `procapita` cases of `world`."""
    service = _ProcapitaWS(world)
    return Starlette(routes=[Route(PATH, service.endpoint, methods=["GET", "POST"])])


class _ProcapitaWS:
    def __init__(self, world: World) -> None:
        self.world = world
        self.operations = {
            "HamtaArendenForPersoner": Operation(self.by_person, ("Personnummer",)),
            "HamtaArenden": Operation(self.by_id, ("ArendeId",)),
            "HamtaArendenForDiarienummer": Operation(self.by_number, ("Diarienummer",)),
            "HamtaAndradeArenden": Operation(
                self.changed, ("FranTid", "TillTid", "MaxAntal", "Fortsattning")
            ),
        }

    async def endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" in {k.lower() for k in request.query_params}:
                return soap.wsdl(
                    service="ProcapitaWS",
                    ns=NS,
                    location=soap.endpoint_url(request),
                    action_prefix=ACTION_PREFIX,
                    operations=OPERATIONS,
                    schema=SCHEMA,
                )
            return PlainTextResponse("ProcapitaWS. Tjänstebeskrivning: ?wsdl")
        return await soap.dispatch(request, NS, self.operations, ACTION_PREFIX)

    async def by_person(self, element: ET.Element) -> ET.Element:
        pnrs = soap.keys(element, NS, "Personnummer")
        if not all(PNR.match(p) for p in pnrs):
            raise SoapFault("Client", "Personnummer ska vara 12 siffror.")
        return self._answer("HamtaArendenForPersoner", self.world.cases_of(SYSTEM, pnrs))

    async def by_id(self, element: ET.Element) -> ET.Element:
        ids = soap.keys(element, NS, "ArendeId")
        found = (self.world.case(SYSTEM, i) for i in ids)
        return self._answer("HamtaArenden", [c for c in found if c is not None])

    async def by_number(self, element: ET.Element) -> ET.Element:
        numbers = soap.keys(element, NS, "Diarienummer")
        cases = self.world.cases_by_number(SYSTEM, numbers)
        return self._answer("HamtaArendenForDiarienummer", cases)

    async def changed(self, element: ET.Element) -> ET.Element:
        raw_since = soap.single(element, NS, "FranTid") or ""
        raw_until = soap.single(element, NS, "TillTid") or ""
        since, until = _time_param(raw_since, "FranTid"), _time_param(raw_until, "TillTid")
        if until < since:
            raise SoapFault("Client", "TillTid får inte vara före FranTid.")
        size = soap.integer(element, NS, "MaxAntal", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        fingerprint = hashlib.sha256(f"{raw_since}/{raw_until}".encode()).hexdigest()[:12]
        offset = _read_token(soap.single(element, NS, "Fortsattning", required=False), fingerprint)
        cases = self.world.changed(SYSTEM, since, until)
        answer = self._answer("HamtaAndradeArenden", cases[offset : offset + size])
        if offset + size < len(cases):
            ET.SubElement(
                answer, soap.qname(NS, "Fortsattning")
            ).text = f"{offset + size}-{fingerprint}"
        return answer

    def _answer(self, operation: str, cases: list[Case]) -> ET.Element:
        response = ET.Element(soap.qname(NS, f"{operation}Response"))
        arenden = ET.SubElement(response, soap.qname(NS, "Arenden"))
        for case in cases:
            arenden.append(self._arende(case))
        return response

    def _arende(self, case: Case) -> ET.Element:
        attrs = {"id": case.id, "dnr": case.number, "senastAndrad": _time(case.updated_at)}
        if case.main_number:
            attrs["huvudDnr"] = case.main_number
        el = ET.Element(soap.qname(NS, "Arende"), attrs)
        type_def = self.world.case_types.get(case.type_code)
        name = type_def.name if type_def else case.type_code
        _child(el, "Insats", kod=case.type_code, namn=name)
        _child(el, "Rubrik").text = case.title
        if case.description is not None:
            _child(el, "Anteckning").text = case.description
        code, label = STATUS_CODES[case.status]
        _child(el, "Status", kod=code).text = label
        _child(el, "Enhet", kod=case.unit, namn=UNITS.get(case.unit, case.unit))
        if case.subject:
            _child(el, "Klient", pnr=case.subject)
        if case.applicant and case.applicant != case.subject:
            _child(el, "Sokande", pnr=case.applicant)
        _child(el, "Aktualisering", satt=CHANNELS.get(case.channel, "I"), tid=_time(case.opened_at))
        if case.closed_at is not None:
            _child(el, "Avslutad", tid=_time(case.closed_at))
        secrecy = {"skyddad": _flag(case.confidential)}
        if case.secrecy_ground:
            secrecy["grund"] = case.secrecy_ground
        _child(el, "Sekretess", **secrecy)
        if case.link:
            _child(el, "Lank").text = case.link
        journal = _child(el, "Journal")
        for event in case.events:
            journal.append(_post(event))
        documents = _child(el, "Dokument")
        for doc in case.documents:
            documents.append(_dok(doc))
        samverkan = _child(el, "Samverkan")
        for collab in case.collaborations:
            samverkan.append(_uppdrag(collab))
        return el


def _post(event: Event) -> ET.Element:
    attrs = {
        "id": event.id,
        "tid": _time(event.at),
        "typ": JOURNAL_TYPES[event.kind],
        "diarieford": _flag(event.diary),
        "intern": _flag(event.internal),
    }
    if event.concerns:
        attrs["avser"] = event.concerns
    el = ET.Element(soap.qname(NS, "Post"), attrs)
    _child(el, "Rubrik").text = event.summary
    if event.description is not None:
        _child(el, "Text").text = event.description
    return el


def _dok(doc: Document) -> ET.Element:
    el = ET.Element(
        soap.qname(NS, "Dok"),
        {
            "id": doc.id,
            "riktning": DIRECTIONS[doc.direction],
            "reg": _time(doc.registered_at),
            "sekretess": _flag(doc.confidential),
        },
    )
    el.text = doc.title
    return el


def _uppdrag(collab: Collaboration) -> ET.Element:
    attrs = {
        "typ": COLLABORATION_TYPES[collab.kind],
        "fran": collab.from_unit,
        "franNamn": UNITS.get(collab.from_unit, collab.from_unit),
        "till": collab.to_unit,
        "tillNamn": UNITS.get(collab.to_unit, collab.to_unit),
        "start": _time(collab.started_at),
        "uppfoljning": _flag(collab.follow_up_retained),
    }
    optional = {
        "klar": _time(collab.completed_at) if collab.completed_at else None,
        "motpartSystem": collab.counterpart_system,
        "motpartId": collab.counterpart_id,
        "motpartDnr": collab.counterpart_number,
    }
    attrs.update({k: v for k, v in optional.items() if v})
    return ET.Element(soap.qname(NS, "Uppdrag"), attrs)


def _child(parent: ET.Element, name: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, soap.qname(NS, name), attrs)


def _flag(value: bool) -> str:
    return "J" if value else "N"


def _time(at: datetime) -> str:
    return at.astimezone(TZ).strftime(TIME_FORMAT)


def _time_param(raw: str, name: str) -> datetime:
    try:
        return datetime.strptime(raw, TIME_FORMAT).replace(tzinfo=TZ)
    except ValueError:
        raise SoapFault("Client", f"{name} ska anges som ÅÅÅÅMMDDTHHMMSS.") from None


def _read_token(token: str | None, fingerprint: str) -> int:
    if token is None:
        return 0
    match = TOKEN.match(token)
    if match is None or match.group(2) != fingerprint:
        raise SoapFault("Client", "Ogiltig Fortsattning för denna fråga.")
    return int(match.group(1))


def _keys_request(op: str, key: str) -> str:
    return (
        f'<xs:element name="{op}"><xs:complexType><xs:sequence>'
        f'<xs:element name="{key}" type="xs:string" maxOccurs="200"/>'
        "</xs:sequence></xs:complexType></xs:element>"
    )


def _response(op: str, extra: str = "") -> str:
    return (
        f'<xs:element name="{op}Response"><xs:complexType><xs:sequence>'
        f'<xs:element ref="tns:Arenden"/>{extra}</xs:sequence></xs:complexType></xs:element>'
    )


def _attrs(*names: str, optional: tuple[str, ...] = ()) -> str:
    required = "".join(f'<xs:attribute name="{n}" type="xs:string" use="required"/>' for n in names)
    return required + "".join(f'<xs:attribute name="{n}" type="xs:string"/>' for n in optional)


def _empty(name: str, attrs: str, occurs: str = "") -> str:
    return (
        f'<xs:element name="{name}"{occurs}><xs:complexType>{attrs}</xs:complexType></xs:element>'
    )


def _texted(name: str, attrs: str, occurs: str = "") -> str:
    return (
        f'<xs:element name="{name}"{occurs}><xs:complexType><xs:simpleContent>'
        f'<xs:extension base="xs:string">{attrs}</xs:extension>'
        "</xs:simpleContent></xs:complexType></xs:element>"
    )


_OPT = ' minOccurs="0"'
_MANY = ' minOccurs="0" maxOccurs="unbounded"'

SCHEMA = (
    f'<xs:schema targetNamespace="{NS}" elementFormDefault="qualified">'
    + _keys_request("HamtaArendenForPersoner", "Personnummer")
    + _response("HamtaArendenForPersoner")
    + _keys_request("HamtaArenden", "ArendeId")
    + _response("HamtaArenden")
    + _keys_request("HamtaArendenForDiarienummer", "Diarienummer")
    + _response("HamtaArendenForDiarienummer")
    + '<xs:element name="HamtaAndradeArenden"><xs:complexType><xs:sequence>'
    '<xs:element name="FranTid" type="xs:string"/><xs:element name="TillTid" type="xs:string"/>'
    '<xs:element name="MaxAntal" type="xs:int" minOccurs="0"/>'
    '<xs:element name="Fortsattning" type="xs:string" minOccurs="0"/>'
    "</xs:sequence></xs:complexType></xs:element>"
    + _response(
        "HamtaAndradeArenden", '<xs:element name="Fortsattning" type="xs:string" minOccurs="0"/>'
    )
    + '<xs:element name="Arenden"><xs:complexType><xs:sequence>'
    f'<xs:element name="Arende"{_MANY}><xs:complexType><xs:sequence>'
    + _empty("Insats", _attrs("kod", "namn"))
    + '<xs:element name="Rubrik" type="xs:string"/>'
    f'<xs:element name="Anteckning" type="xs:string"{_OPT}/>'
    + _texted("Status", _attrs("kod"))
    + _empty("Enhet", _attrs("kod", "namn"))
    + _empty("Klient", _attrs("pnr"), _OPT)
    + _empty("Sokande", _attrs("pnr"), _OPT)
    + _empty("Aktualisering", _attrs("satt", "tid"))
    + _empty("Avslutad", _attrs("tid"), _OPT)
    + _empty("Sekretess", _attrs("skyddad", optional=("grund",)))
    + f'<xs:element name="Lank" type="xs:anyURI"{_OPT}/>'
    '<xs:element name="Journal"><xs:complexType><xs:sequence>'
    f'<xs:element name="Post"{_MANY}><xs:complexType><xs:sequence>'
    f'<xs:element name="Rubrik" type="xs:string"/><xs:element name="Text" type="xs:string"{_OPT}/>'
    "</xs:sequence>"
    + _attrs("id", "tid", "typ", "diarieford", "intern", optional=("avser",))
    + "</xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>"
    '<xs:element name="Dokument"><xs:complexType><xs:sequence>'
    + _texted("Dok", _attrs("id", "riktning", "reg", "sekretess"), _MANY)
    + "</xs:sequence></xs:complexType></xs:element>"
    '<xs:element name="Samverkan"><xs:complexType><xs:sequence>'
    + _empty(
        "Uppdrag",
        _attrs(
            "typ",
            "fran",
            "franNamn",
            "till",
            "tillNamn",
            "start",
            "uppfoljning",
            optional=("klar", "motpartSystem", "motpartId", "motpartDnr"),
        ),
        _MANY,
    )
    + "</xs:sequence></xs:complexType></xs:element>"
    "</xs:sequence>"
    + _attrs("id", "dnr", "senastAndrad", optional=("huvudDnr",))
    + "</xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>"
    "</xs:schema>"
)
