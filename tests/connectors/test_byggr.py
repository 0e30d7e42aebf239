"""ByggrConnector's own behaviour (what it shares with the other case connectors is in
test_case_systems.py and test_soap_systems.py): pages must come in step."""

from __future__ import annotations

import httpx
import pytest
from kp_case_systems import mocked
from kp_case_table import BYGGR_SYSTEM
from kp_worlds import at

from connectors.errors import UpstreamContractError

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


async def test_a_page_out_of_step_is_a_contract_error() -> None:
    inner = (
        '<r:GetUpdatedArendenResponse xmlns:r="http://www.tekis.se/ServiceContract">'
        "<r:GetUpdatedArendenResult><r:Arenden/><r:Sida>3</r:Sida><r:AntalSidor>5</r:AntalSidor>"
        "</r:GetUpdatedArendenResult></r:GetUpdatedArendenResponse>"
    )
    body = f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>{inner}</s:Body></s:Envelope>'.encode()
    connector = mocked(BYGGR_SYSTEM, lambda request: httpx.Response(200, content=body))
    with pytest.raises(UpstreamContractError):
        await connector.changed_cases(at(0), at(1))
