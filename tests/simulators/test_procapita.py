"""The simulated Procapita case service: operations, continuation paging, WSDL and SOAP faults."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import httpx
import pytest
from kp_worlds import at, world_of

from simulators import procapita
from simulators import world as w
from simulators.faults import FaultInjector

GRETA = "193404124129"
KALLE = "195606055555"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS = procapita.NS


def make_world(status: str = "WAITING_FOR_CITIZEN") -> w.World:
    types = {
        "SOC-SABO": w.CaseTypeDef(
            "SOC-SABO", "Särskilt boende", "Socialtjänst", "procapita", "SN", 90, True, "OSL 26:1"
        )
    }
    sabo = w.Case(
        system="procapita",
        id="PC00012345",
        number="SN 2025/1187",
        main_number="SN 2025/1180",
        type_code="SOC-SABO",
        title="Ansökan om särskilt boende",
        description="Behov av heldygnsomsorg.",
        unit="SN",
        status=status,
        opened_at=at(0),
        subject=GRETA,
        applicant=KALLE,
        channel="PHONE",
        confidential=True,
        secrecy_ground="OSL 26 kap. 1 §",
        events=[
            w.Event("j1", at(0), "SUBMITTED", "Ansökan inkommen", "Via telefon", concerns=GRETA),
            w.Event("j2", at(48), "DELAYED", "Inga platser lediga", internal=True, diary=True),
        ],
        documents=[w.Document("d1", "Ansökan", "INCOMING", at(0), confidential=True)],
        collaborations=[
            w.Collaboration(
                "ASSIGNMENT",
                "SN",
                "KS",
                at(1),
                completed_at=at(2),
                follow_up_retained=True,
                counterpart_number="KS 2025/0001",
            )
        ],
    )
    others = [
        w.Case(
            system="procapita",
            id=f"PC1{i:07d}",
            number=f"SN 2025/2{i:03d}",
            type_code="SOC-EKB",
            title=f"Ekonomiskt bistånd {i}",
            unit="SN",
            status="CLOSED",
            opened_at=at(100 + i),
            closed_at=at(101 + i),
            subject=KALLE,
            confidential=True,
        )
        for i in range(12)
    ]
    return world_of(sabo, *others, types=types.values())


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=FaultInjector(procapita.create_app(make_world())))
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
    f'<ns0:Arende xmlns:ns0="{NS}" id="PC00012345" dnr="SN 2025/1187" '
    'senastAndrad="20250313T093000" huvudDnr="SN 2025/1180">'
    '<ns0:Insats kod="SOC-SABO" namn="Särskilt boende" />'
    "<ns0:Rubrik>Ansökan om särskilt boende</ns0:Rubrik>"
    "<ns0:Anteckning>Behov av heldygnsomsorg.</ns0:Anteckning>"
    '<ns0:Status kod="25">Vilande</ns0:Status>'
    '<ns0:Enhet kod="SN" namn="Socialnämnden" />'
    '<ns0:Klient pnr="193404124129" /><ns0:Sokande pnr="195606055555" />'
    '<ns0:Aktualisering satt="T" tid="20250311T093000" />'
    '<ns0:Sekretess skyddad="J" grund="OSL 26 kap. 1 §" />'
    "<ns0:Journal>"
    '<ns0:Post id="j1" tid="20250311T093000" typ="101" diarieford="N" intern="N" '
    'avser="193404124129"><ns0:Rubrik>Ansökan inkommen</ns0:Rubrik>'
    "<ns0:Text>Via telefon</ns0:Text></ns0:Post>"
    '<ns0:Post id="j2" tid="20250313T093000" typ="171" diarieford="J" intern="J">'
    "<ns0:Rubrik>Inga platser lediga</ns0:Rubrik></ns0:Post>"
    "</ns0:Journal>"
    '<ns0:Dokument><ns0:Dok id="d1" riktning="IN" reg="20250311T093000" sekretess="J">'
    "Ansökan</ns0:Dok></ns0:Dokument>"
    '<ns0:Samverkan><ns0:Uppdrag typ="UPPDRAG" fran="SN" franNamn="Socialnämnden" till="KS" '
    'tillNamn="Kommunstyrelsen" start="20250311T103000" uppfoljning="J" klar="20250311T113000" '
    'motpartDnr="KS 2025/0001" /></ns0:Samverkan>'
    "</ns0:Arende>"
)


async def test_hamta_arenden_renders_the_whole_record(client: httpx.AsyncClient) -> None:
    action = f"{procapita.ACTION_PREFIX}HamtaArenden"
    body = envelope("HamtaArenden", ("ArendeId", "PC00012345"), ("ArendeId", "PC404"))
    (arende,) = answer(await call(client, body, action), "HamtaArenden").iterfind(
        f"{q('Arenden')}/{q('Arende')}"
    )
    assert ET.tostring(arende, encoding="unicode") == EXPECTED_ARENDE


async def test_persons_and_numbers(client: httpx.AsyncClient) -> None:
    pers = envelope("HamtaArendenForPersoner", ("Personnummer", GRETA))
    assert ids(answer(await call(client, pers), "HamtaArendenForPersoner")) == ["PC00012345"]
    kalle = envelope("HamtaArendenForPersoner", ("Personnummer", KALLE))
    assert len(ids(answer(await call(client, kalle), "HamtaArendenForPersoner"))) == 13
    main = envelope("HamtaArendenForDiarienummer", ("Diarienummer", "SN 2025/1180"))
    assert ids(answer(await call(client, main), "HamtaArendenForDiarienummer")) == ["PC00012345"]


async def test_changed_cases_follow_the_continuation(client: httpx.AsyncClient) -> None:
    window = (("FranTid", "20250311T000000"), ("TillTid", "20250316T000000"))
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
    assert seen == ["PC00012345", *(f"PC1{i:07d}" for i in range(11))]  # 111 h is after TillTid


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
        envelope("HamtaArenden", ("Personnummer", GRETA)),
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
    app = procapita.create_app(make_world(status="NO_SUCH_STATUS"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(base_url="http://procapita.test", transport=transport) as http:
        body = envelope("HamtaArenden", ("ArendeId", "PC00012345"))
        assert fault(await call(http, body)) == "soap:Server"
