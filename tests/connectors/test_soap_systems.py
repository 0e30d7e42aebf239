"""What the SOAP connectors (ByggR, Procapita) do alike: the operation as SOAPAction,
broken envelopes as contract errors, SOAP faults mapped by fault code, and the real
simulator's client fault for a request it refuses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from kp_case_systems import (
    CaseSystem,
    connected,
    contract_error,
    mocked,
    real_answer,
    simulated,
)
from kp_case_table import BYGGR_SYSTEM, PROCAPITA_SYSTEM
from kp_testing import CountingTransport as Counting
from kp_worlds import KALLE, at

from connectors.errors import UpstreamRejected, UpstreamUnavailable
from connectors.http import RetryPolicy

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
#: per system: the SOAPAction of the person search, and replacements that break its answer
ACTIONS = {
    "byggr": '"http://www.tekis.se/ServiceContract/IArendeExportWS/GetRelateradeArendenByPersOrgNr"',
    "procapita": '"urn:procapita:arende:ws:1/HamtaArendenForPersoner"',
}
BREAKAGES = {
    "byggr": [
        ("Avslutat", "Makulerat"),
        ("<ns0:ArendeId>BYGG-2025-000193</ns0:ArendeId>", ""),
        ("2025-03-11T09:30:00+01:00", "11/3 2025"),
        ("<ns0:Sekretess>false", "<ns0:Sekretess>nej"),
        ("ETJANST", "BREVDUVA"),
        ("GetArendeResponse", "GetArendeSvar"),
    ],
    "procapita": [
        ('kod="90"', 'kod="99"'),
        ('id="PC00000193" ', ""),
        ("20250311T093000", "2025-03-11 09:30"),
        ('skyddad="J"', 'skyddad="kanske"'),
        ('satt="E"', 'satt="Q"'),
        ('typ="101"', 'typ="999"'),
        ('riktning="IN"', 'riktning="IN_OCH_UT"'),
        ("HamtaArendenResponse", "HamtaArendenSvar"),
    ],
}
SOAP_SYSTEMS = pytest.mark.parametrize("system", [BYGGR_SYSTEM, PROCAPITA_SYSTEM], ids=str)


def _envelope(inner: str) -> bytes:
    return f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>{inner}</s:Body></s:Envelope>'.encode()


def _fault(code: str) -> bytes:
    return _envelope(
        f"<s:Fault><faultcode>s:{code}</faultcode><faultstring>x</faultstring></s:Fault>"
    )


@SOAP_SYSTEMS
async def test_calls_name_their_operation_as_soap_action(
    system: CaseSystem[Any], connector: Any, counting: Counting
) -> None:
    await connector.cases_for_persons([KALLE])
    (request,) = counting.requests
    assert request.headers["SOAPAction"] == ACTIONS[system.name]
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"


@SOAP_SYSTEMS
async def test_broken_answers_are_contract_errors(system: CaseSystem[Any]) -> None:
    (known,) = system.known
    good = await real_answer(system, lambda c: c.cases_by_ids([known]))
    assert all(old in good for old, _ in BREAKAGES[system.name])  # every replacement hits
    variants = [
        b"\x00<<garbage",
        b"<not-closed>",
        *(good.replace(old, new).encode() for old, new in BREAKAGES[system.name]),
        good.encode("utf-16"),
        _envelope(""),
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + _envelope("&a;"),
    ]
    for body in variants:
        await contract_error(system, body, lambda c: c.cases_by_ids([known]))


@SOAP_SYSTEMS
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, _fault("Client"), UpstreamRejected),
        (500, _fault("Client.Validation"), UpstreamRejected),
        (500, _fault("Server"), UpstreamUnavailable),
        (500, b"Internal Server Error", UpstreamUnavailable),
        (503, b"", UpstreamUnavailable),
        (200, _fault("Client"), UpstreamRejected),
        (200, _fault("Server"), UpstreamUnavailable),
    ],
)
async def test_soap_faults_map_by_fault_code(
    system: CaseSystem[Any], status: int, body: bytes, expected: type[Exception]
) -> None:
    connector = mocked(system, lambda request: httpx.Response(status, content=body))
    with pytest.raises(expected) as caught:
        await connector.cases_for_persons([KALLE])
    assert type(caught.value) is expected


@SOAP_SYSTEMS
async def test_the_real_simulator_rejects_a_wrong_request_as_client_fault(
    system: CaseSystem[Any],
) -> None:
    retry = RetryPolicy(attempts=0)
    async with connected(system, simulated(system), retry=retry, page_size=100_000) as connector:
        with pytest.raises(UpstreamRejected):
            await connector.changed_cases(at(0), at(1))
