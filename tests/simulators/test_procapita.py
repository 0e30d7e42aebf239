"""The simulated Procapita case service: operations, continuation paging, WSDL and SOAP faults."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import httpx
import pytest
from kp_system_worlds import PROCAPITA_SPEC, procapita_world, replacing
from kp_worlds import KALLE, LISA, TOLVAN

from simulators import procapita
from simulators.faults import FaultInjector

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS = procapita.NS
FILLERS = [f"PC1{i:05d}" for i in range(35)]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=FaultInjector(procapita.create_app(procapita_world())))
    async with httpx.AsyncClient(base_url="http://procapita.test", transport=transport) as http:
        yield http


def envelope(operation: str, *fields: tuple[str, str], ns: str = NS) -> str:
    inner = "".join(f"<t:{k}>{v}</t:{k}>" for k, v in fields)
    return (
        f'<soap:Envelope xmlns:soap="{SOAP}" xmlns:t="{ns}"><soap:Body>'
        f"<t:{operation}>{inner}</t:{operation}></soap:Body></soap:Envelope>"
    )


async def call(http: httpx.AsyncClient, body: str | bytes, action: str = "") -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action:
        headers["SOAPAction"] = action
    return await http.post("/ProcapitaWS", content=body, headers=headers)


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def answer(response: httpx.Response, operation: str) -> ET.Element:
    assert response.status_code == 200
    body = ET.fromstring(response.content).find(f"{{{SOAP}}}Body")
    assert body is not None
    (element,) = list(body)
    assert element.tag == q(f"{operation}Response")
    return element


def ids(element: ET.Element) -> list[str]:
    return [a.get("id", "") for a in element.iterfind(f"{q('Arenden')}/{q('Arende')}")]


EXPECTED_ARENDE = (
    f'<ns0:Arende xmlns:ns0="{NS}" '
    'id="PC00000193" dnr="SN 2025/0193" senastAndrad="20250323T213000" huvudDnr="SN 2025/0190">'
    '<ns0:Insats kod="SOC-SABO" namn="Särskilt boende" />'
    "<ns0:Rubrik>Ansökan om särskilt boende</ns0:Rubrik>"
    "<ns0:Anteckning>Behov av heldygnsomsorg.</ns0:Anteckning>"
    '<ns0:Status kod="90">Avslutad</ns0:Status><ns0:Enhet kod="SN" namn="Socialnämnden" />'
    '<ns0:Klient pnr="195606055555" /><ns0:Sokande pnr="194505173213" />'
    '<ns0:Aktualisering satt="E" tid="20250311T093000" /><ns0:Avslutad tid="20250323T213000" />'
    '<ns0:Sekretess skyddad="J" grund="OSL 26 kap. 1 § (SoL)" /><ns0:Journal>'
    '<ns0:Post id="PC00000193-e1" tid="20250311T093000" typ="101" diarieford="N" intern="N">'
    "<ns0:Rubrik>Ansökan om särskilt boende inkommen</ns0:Rubrik></ns0:Post>"
    '<ns0:Post id="PC00000193-e2" tid="20250312T093000" typ="130" diarieford="J" intern="N" '
    'avser="194505173213"><ns0:Rubrik>Remiss till hemtjänsten</ns0:Rubrik>'
    "<ns0:Text>Hemtjänstens bedömning begärs.</ns0:Text></ns0:Post>"
    '<ns0:Post id="PC00000193-e3" tid="20250312T153000" typ="170" diarieford="N" intern="J">'
    "<ns0:Rubrik>Intern bedömning</ns0:Rubrik></ns0:Post>"
    '<ns0:Post id="PC00000193-e4" tid="20250323T213000" typ="190" diarieford="N" intern="N">'
    "<ns0:Rubrik>Ärendet avslutat</ns0:Rubrik></ns0:Post></ns0:Journal><ns0:Dokument>"
    '<ns0:Dok id="PC00000193-d1" riktning="IN" reg="20250311T093000" '
    'sekretess="N">Ansökan</ns0:Dok>'
    '<ns0:Dok id="PC00000193-d2" riktning="UPPR" reg="20250312T103000" '
    'sekretess="J">Utredning</ns0:Dok></ns0:Dokument><ns0:Samverkan>'
    '<ns0:Uppdrag typ="REMISS" fran="SN" franNamn="Socialnämnden" till="MBN" tillNamn="Miljö- och '
    'hälsoskyddsnämnden" start="20250312T093000" uppfoljning="N" klar="20250313T093000" '
    'motpartSystem="ecos" motpartId="4711" motpartDnr="MK-2025-837" />'
    '<ns0:Uppdrag typ="UPPDRAG" fran="SN" franNamn="Socialnämnden" till="KS" '
    'tillNamn="Kommunstyrelsen" start="20250312T113000" uppfoljning="J" /></ns0:Samverkan>'
    "</ns0:Arende>"
)


async def test_hamta_arenden_renders_the_whole_record(client: httpx.AsyncClient) -> None:
    action = f"{procapita.ACTION_PREFIX}HamtaArenden"
    body = envelope("HamtaArenden", ("ArendeId", "PC00000193"), ("ArendeId", "PC404"))
    (arende,) = answer(await call(client, body, action), "HamtaArenden").iterfind(
        f"{q('Arenden')}/{q('Arende')}"
    )
    assert ET.tostring(arende, encoding="unicode") == EXPECTED_ARENDE


async def test_persons_and_numbers(client: httpx.AsyncClient) -> None:
    for client_or_applicant in (KALLE, LISA):
        pers = envelope("HamtaArendenForPersoner", ("Personnummer", client_or_applicant))
        assert ids(answer(await call(client, pers), "HamtaArendenForPersoner")) == ["PC00000193"]
    tolvan = envelope("HamtaArendenForPersoner", ("Personnummer", TOLVAN))
    assert ids(answer(await call(client, tolvan), "HamtaArendenForPersoner")) == FILLERS
    main = envelope("HamtaArendenForDiarienummer", ("Diarienummer", "SN 2025/0190"))
    assert ids(answer(await call(client, main), "HamtaArendenForDiarienummer")) == ["PC00000193"]


async def test_changed_cases_follow_the_continuation(client: httpx.AsyncClient) -> None:
    window = (("FranTid", "20250323T000000"), ("TillTid", "20250328T110000"))
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        extra = (("Fortsattning", token),) if token else ()
        body = envelope("HamtaAndradeArenden", *window, ("MaxAntal", "5"), *extra)
        element = answer(await call(client, body), "HamtaAndradeArenden")
        seen.extend(ids(element))
        pages += 1
        token = element.findtext(q("Fortsattning"))
        if token is None:
            break
    assert pages == 3
    assert seen == ["PC00000193", *FILLERS[:10]]  # fillers from 400 h; 410 h is after TillTid


async def test_wsdl_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/ProcapitaWS?WSDL")
    root = ET.fromstring(response.content)
    wsdl = "http://schemas.xmlsoap.org/wsdl/"
    ops = [o.get("name") for o in root.iterfind(f"{{{wsdl}}}portType/{{{wsdl}}}operation")]
    assert ops == list(procapita.OPERATIONS)
    actions = [
        o.get("soapAction") for o in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}operation")
    ]
    assert actions == [f"{NS}/{op}" for op in procapita.OPERATIONS]


def fault(response: httpx.Response) -> str:
    assert response.status_code == 500
    element = ET.fromstring(response.content).find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert element is not None and element.findtext("faultstring")
    return element.findtext("faultcode") or ""


WINDOW = (("FranTid", "20250101T000000"), ("TillTid", "20250201T000000"))


@pytest.mark.parametrize(
    "body",
    [
        "not xml at all",
        envelope("HamtaAllt"),
        envelope("HamtaArenden", ("ArendeId", "x"), ns="urn:annat"),
        envelope("HamtaArenden", ("Personnummer", KALLE)),
        envelope("HamtaArendenForPersoner", ("Personnummer", "3404124129")),
        envelope("HamtaArendenForPersoner", *(("Personnummer", f"{i:012d}") for i in range(201))),
        envelope("HamtaAndradeArenden", ("FranTid", "2025-01-01"), ("TillTid", "20250201T000000")),
        envelope("HamtaAndradeArenden", ("FranTid", "20250301T000000"), WINDOW[1]),
        envelope("HamtaAndradeArenden", *WINDOW, ("MaxAntal", "0")),
        envelope("HamtaAndradeArenden", *WINDOW, ("MaxAntal", "tio")),
        envelope("HamtaAndradeArenden", *WINDOW, ("Fortsattning", "5-000000000000")),
        envelope("HamtaAndradeArenden", *WINDOW, ("Fortsattning", "hej")),
        '<!DOCTYPE lol [<!ENTITY l "lol">]>' + envelope("HamtaArenden", ("ArendeId", "&l;")),
    ],
)
async def test_bad_requests_get_client_faults(client: httpx.AsyncClient, body: str) -> None:
    assert fault(await call(client, body)) == "soap:Client"


async def test_soapaction_mismatch_is_a_client_fault(client: httpx.AsyncClient) -> None:
    body = envelope("HamtaArenden", ("ArendeId", "x"))
    assert fault(await call(client, body, f"{NS}/HamtaAndradeArenden")) == "soap:Client"


async def test_own_bugs_are_server_faults() -> None:
    app = procapita.create_app(
        replacing(procapita_world(), "procapita", PROCAPITA_SPEC.id, status="NO_SUCH_STATUS")
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(base_url="http://procapita.test", transport=transport) as http:
        body = envelope("HamtaArenden", ("ArendeId", "PC00000193"))
        assert fault(await call(http, body)) == "soap:Server"
