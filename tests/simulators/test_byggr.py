"""The simulated ByggR ArendeExportWS: operations, paging, WSDL and SOAP faults."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import httpx
import pytest
from kp_system_worlds import BYGGR_SPEC, byggr_world, replacing
from kp_worlds import KALLE, TOLVAN

from simulators import byggr
from simulators.faults import FaultInjector

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS = byggr.NS
FILLERS = [f"BYGG-2025-1{i:05d}" for i in range(35)]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FaultInjector(byggr.create_app(byggr_world()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(base_url="http://byggr.test", transport=transport) as http:
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
        headers["SOAPAction"] = f'"{action}"'
    return await http.post("/ArendeExportWS", content=body, headers=headers)


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def result(response: httpx.Response, operation: str) -> ET.Element:
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    body = root.find(f"{{{SOAP}}}Body")
    assert body is not None
    (answer,) = list(body)
    assert answer.tag == q(f"{operation}Response")
    found = answer.find(q(f"{operation}Result"))
    assert found is not None
    return found


def ids(res: ET.Element) -> list[str]:
    return [a.findtext(q("ArendeId")) or "" for a in res.iterfind(f"{q('Arenden')}/{q('Arende')}")]


EXPECTED_ARENDE = (
    f'<ns0:Arende xmlns:ns0="{NS}">'
    "<ns0:ArendeId>BYGG-2025-000193</ns0:ArendeId>"
    "<ns0:Diarienummer>BN 2025/0193</ns0:Diarienummer>"
    "<ns0:Huvudarende>BN 2025/0190</ns0:Huvudarende><ns0:Arendetyp><ns0:Kod>BYGG-LOV</ns0:Kod>"
    "<ns0:Benamning>Bygglov</ns0:Benamning></ns0:Arendetyp>"
    "<ns0:Arendemening>Bygglov för garage &amp; carport, Lönnen 4</ns0:Arendemening>"
    "<ns0:Beskrivning>Nybyggnad av garage 40 kvm.</ns0:Beskrivning>"
    "<ns0:Status>Avslutat</ns0:Status><ns0:Handlaggandeenhet><ns0:Kod>BN</ns0:Kod>"
    "<ns0:Namn>Byggnadsnämnden</ns0:Namn></ns0:Handlaggandeenhet><ns0:Intressenter>"
    "<ns0:Intressent><ns0:Roll>Sökande</ns0:Roll><ns0:PersOrgNr>195606055555</ns0:PersOrgNr>"
    "</ns0:Intressent><ns0:Intressent><ns0:Roll>Ombud</ns0:Roll>"
    "<ns0:PersOrgNr>194505173213</ns0:PersOrgNr></ns0:Intressent></ns0:Intressenter>"
    "<ns0:Kanal>ETJANST</ns0:Kanal><ns0:Inkommen>2025-03-11T09:30:00+01:00</ns0:Inkommen>"
    "<ns0:Avslutad>2025-03-23T21:30:00+01:00</ns0:Avslutad><ns0:Sekretess>false</ns0:Sekretess>"
    "<ns0:SenastAndrad>2025-03-23T21:30:00+01:00</ns0:SenastAndrad><ns0:Handelser><ns0:Handelse>"
    "<ns0:HandelseId>BYGG-2025-000193-e1</ns0:HandelseId>"
    "<ns0:Datum>2025-03-11T09:30:00+01:00</ns0:Datum><ns0:Handelsetyp>ANSOKAN</ns0:Handelsetyp>"
    "<ns0:Rubrik>Ansökan om bygglov inkommen</ns0:Rubrik><ns0:Diarieford>false</ns0:Diarieford>"
    "<ns0:Intern>false</ns0:Intern></ns0:Handelse><ns0:Handelse>"
    "<ns0:HandelseId>BYGG-2025-000193-e2</ns0:HandelseId>"
    "<ns0:Datum>2025-03-12T09:30:00+01:00</ns0:Datum><ns0:Handelsetyp>REMISS</ns0:Handelsetyp>"
    "<ns0:Rubrik>Grannehörande skickat</ns0:Rubrik>"
    "<ns0:Beskrivning>Grannen Lisa Lund hörs.</ns0:Beskrivning>"
    "<ns0:Diarieford>true</ns0:Diarieford><ns0:Intern>false</ns0:Intern>"
    "<ns0:Avser>194505173213</ns0:Avser></ns0:Handelse><ns0:Handelse>"
    "<ns0:HandelseId>BYGG-2025-000193-e3</ns0:HandelseId>"
    "<ns0:Datum>2025-03-12T15:30:00+01:00</ns0:Datum><ns0:Handelsetyp>MEDD</ns0:Handelsetyp>"
    "<ns0:Rubrik>Intern bedömning</ns0:Rubrik><ns0:Diarieford>false</ns0:Diarieford>"
    "<ns0:Intern>true</ns0:Intern></ns0:Handelse><ns0:Handelse>"
    "<ns0:HandelseId>BYGG-2025-000193-e4</ns0:HandelseId>"
    "<ns0:Datum>2025-03-23T21:30:00+01:00</ns0:Datum><ns0:Handelsetyp>AVSLUT</ns0:Handelsetyp>"
    "<ns0:Rubrik>Ärendet avslutat</ns0:Rubrik><ns0:Diarieford>false</ns0:Diarieford>"
    "<ns0:Intern>false</ns0:Intern></ns0:Handelse></ns0:Handelser><ns0:Handlingar><ns0:Handling>"
    "<ns0:HandlingId>BYGG-2025-000193-d1</ns0:HandlingId>"
    "<ns0:Beskrivning>Ansökan</ns0:Beskrivning><ns0:Riktning>Inkommande</ns0:Riktning>"
    "<ns0:Registrerad>2025-03-11T09:30:00+01:00</ns0:Registrerad>"
    "<ns0:Sekretess>false</ns0:Sekretess></ns0:Handling><ns0:Handling>"
    "<ns0:HandlingId>BYGG-2025-000193-d2</ns0:HandlingId>"
    "<ns0:Beskrivning>Yttrande</ns0:Beskrivning><ns0:Riktning>Upprättad</ns0:Riktning>"
    "<ns0:Registrerad>2025-03-12T10:30:00+01:00</ns0:Registrerad>"
    "<ns0:Sekretess>true</ns0:Sekretess></ns0:Handling></ns0:Handlingar><ns0:Samverkan>"
    "<ns0:Samverkansarende><ns0:Typ>Remiss</ns0:Typ><ns0:FranEnhet><ns0:Kod>BN</ns0:Kod>"
    "<ns0:Namn>Byggnadsnämnden</ns0:Namn></ns0:FranEnhet><ns0:TillEnhet><ns0:Kod>MBN</ns0:Kod>"
    "<ns0:Namn>Miljö- och hälsoskyddsnämnden</ns0:Namn></ns0:TillEnhet>"
    "<ns0:Startad>2025-03-12T09:30:00+01:00</ns0:Startad>"
    "<ns0:Klar>2025-03-13T09:30:00+01:00</ns0:Klar>"
    "<ns0:UppfoljningKvar>false</ns0:UppfoljningKvar><ns0:Motpart><ns0:System>ecos</ns0:System>"
    "<ns0:ArendeId>4711</ns0:ArendeId><ns0:Diarienummer>MK-2025-837</ns0:Diarienummer>"
    "</ns0:Motpart></ns0:Samverkansarende><ns0:Samverkansarende><ns0:Typ>Uppdrag</ns0:Typ>"
    "<ns0:FranEnhet><ns0:Kod>BN</ns0:Kod><ns0:Namn>Byggnadsnämnden</ns0:Namn></ns0:FranEnhet>"
    "<ns0:TillEnhet><ns0:Kod>KS</ns0:Kod><ns0:Namn>Kommunstyrelsen</ns0:Namn></ns0:TillEnhet>"
    "<ns0:Startad>2025-03-12T11:30:00+01:00</ns0:Startad>"
    "<ns0:UppfoljningKvar>true</ns0:UppfoljningKvar></ns0:Samverkansarende></ns0:Samverkan>"
    "</ns0:Arende>"
)


async def test_get_arende_renders_the_whole_record(client: httpx.AsyncClient) -> None:
    action = f"{byggr.ACTION_PREFIX}GetArende"
    body = envelope("GetArende", ("Dnr", "BYGG-2025-000193"), ("Dnr", "okänt"))
    res = result(await call(client, body, action), "GetArende")
    (arende,) = res.iterfind(f"{q('Arenden')}/{q('Arende')}")
    assert ET.tostring(arende, encoding="unicode") == EXPECTED_ARENDE


async def test_cases_by_persons_and_numbers(client: httpx.AsyncClient) -> None:
    pers = envelope("GetRelateradeArendenByPersOrgNr", ("PersOrgNr", KALLE), ("PersOrgNr", TOLVAN))
    found = ids(result(await call(client, pers), "GetRelateradeArendenByPersOrgNr"))
    assert found == ["BYGG-2025-000193", *FILLERS]
    org = envelope("GetRelateradeArendenByPersOrgNr", ("PersOrgNr", "5560001234"))
    assert ids(result(await call(client, org), "GetRelateradeArendenByPersOrgNr")) == []
    nums = envelope("GetArendenByDiarienummer", ("Diarienummer", "BN 2025/1003"))
    assert ids(result(await call(client, nums), "GetArendenByDiarienummer")) == ["BYGG-2025-100003"]
    main = envelope("GetArendenByDiarienummer", ("Diarienummer", "BN 2025/0999"))
    assert ids(result(await call(client, main), "GetArendenByDiarienummer")) == FILLERS


async def test_updated_window_is_paged(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    for page in (1, 2, 3):
        body = envelope(
            "GetUpdatedArenden",
            ("FromDatum", "2025-03-23T21:30:00+01:00"),
            ("TomDatum", "2025-03-28 11:00:00"),  # no offset: local time
            ("Sida", str(page)),
            ("SidStorlek", "5"),
        )
        res = result(await call(client, body), "GetUpdatedArenden")
        assert (res.findtext(q("Sida")), res.findtext(q("AntalSidor"))) == (str(page), "3")
        seen.extend(ids(res))
    # the permit closed at 300 h; fillers open at 400 h +, so 400..409 h fall before TomDatum
    assert seen == ["BYGG-2025-000193", *FILLERS[:10]]


async def test_wsdl_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/ArendeExportWS?wsdl")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    wsdl = "http://schemas.xmlsoap.org/wsdl/"
    ops = [o.get("name") for o in root.iterfind(f"{{{wsdl}}}portType/{{{wsdl}}}operation")]
    assert ops == list(byggr.OPERATIONS)
    address = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None and address.get("location") == "http://byggr.test/ArendeExportWS"
    assert root.find(".//{http://www.w3.org/2001/XMLSchema}schema") is not None
    assert (await client.get("/ArendeExportWS")).status_code == 200


def fault(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 500
    root = ET.fromstring(response.content)
    element = root.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert element is not None
    return element.findtext("faultcode") or "", element.findtext("faultstring") or ""


@pytest.mark.parametrize(
    "body",
    [
        "",
        "<inte xml",
        "<Envelope/>",
        f'<soap:Envelope xmlns:soap="{SOAP}"/>',
        f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body><a/><b/></soap:Body></soap:Envelope>',
        envelope("GetAllt"),
        envelope("GetArende", ("Dnr", "x"), ns="http://example.org/fel"),
        envelope("GetArende", ("Okand", "x")),
        envelope("GetArende"),
        envelope("GetArende", *(("Dnr", str(i)) for i in range(201))),
        envelope("GetArende", ("Dnr", "x" * 65)),
        envelope("GetRelateradeArendenByPersOrgNr", ("PersOrgNr", "19560605-5555")),
        envelope("GetUpdatedArenden", ("FromDatum", "igår"), ("TomDatum", "2025-01-01")),
        envelope("GetUpdatedArenden", ("FromDatum", "2025-02-01"), ("TomDatum", "2025-01-01")),
        envelope(
            "GetUpdatedArenden",
            ("FromDatum", "2025-01-01"),
            ("TomDatum", "2025-02-01"),
            ("SidStorlek", "501"),
        ),
        envelope(
            "GetUpdatedArenden",
            ("FromDatum", "2025-01-01"),
            ("FromDatum", "2025-01-02"),
            ("TomDatum", "2025-02-01"),
        ),
        envelope(
            "GetUpdatedArenden",
            ("FromDatum", "2025-01-01"),
            ("TomDatum", "2025-02-01"),
            ("Sida", "-1"),
        ),
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'
        + envelope("GetArende", ("Dnr", "&a;")),
    ],
)
async def test_bad_requests_get_client_faults(client: httpx.AsyncClient, body: str) -> None:
    code, text = fault(await call(client, body))
    assert code == "soap:Client"
    assert text


async def test_soapaction_must_match_and_encoding_must_be_utf8(client: httpx.AsyncClient) -> None:
    body = envelope("GetArende", ("Dnr", "x"))
    assert fault(await call(client, body, f"{byggr.ACTION_PREFIX}GetUpdatedArenden"))[0] == (
        "soap:Client"
    )
    assert fault(await call(client, body.encode("utf-16")))[0] == "soap:Client"
    assert fault(await call(client, b"<a>" + b"x" * 300_000 + b"</a>"))[0] == "soap:Client"


async def test_own_bugs_are_server_faults() -> None:
    app = byggr.create_app(
        replacing(byggr_world(), "byggr", BYGGR_SPEC.id, status="NO_SUCH_STATUS")
    )
    async with httpx.AsyncClient(
        base_url="http://byggr.test", transport=httpx.ASGITransport(app=app)
    ) as http:
        code, _ = fault(await call(http, envelope("GetArende", ("Dnr", "BYGG-2025-000193"))))
    assert code == "soap:Server"
