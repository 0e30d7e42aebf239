"""ProcapitaConnector's own behaviour (what it shares with the other case connectors is in
test_case_systems.py and test_soap_systems.py): its status table, secrecy of every case,
the continuation token and the shape of its times."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from kp_case_systems import contract_error, mocked, real_answer
from kp_case_table import PROCAPITA_SYSTEM
from kp_system_worlds import PROCAPITA_SPEC
from kp_worlds import at

from connectors import procapita
from connectors.errors import UpstreamContractError
from simulators import procapita as procapita_sim

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
EXPECTED = PROCAPITA_SYSTEM.known[PROCAPITA_SPEC.id]
OPENED = "20250311T093000"  # the full case's opening time as Procapita writes it


async def _answer() -> str:
    return await real_answer(PROCAPITA_SYSTEM, lambda c: c.cases_by_ids([PROCAPITA_SPEC.id]))


def test_every_status_the_simulator_emits_is_known() -> None:
    emitted = {code for code, _ in procapita_sim.STATUS_CODES.values()}
    assert emitted <= set(procapita.STATUSES)
    assert set(procapita.STATUSES) - emitted == {"40"}  # Verkställd: known, not simulated


async def test_every_case_is_confidential_even_when_upstream_forgets() -> None:
    good = await _answer()
    forgotten = good.replace('skyddad="J" grund="OSL 26 kap. 1 § (SoL)"', 'skyddad="N"')
    assert forgotten != good
    connector = mocked(PROCAPITA_SYSTEM, lambda request: httpx.Response(200, content=forgotten))
    (case,) = await connector.cases_by_ids([PROCAPITA_SPEC.id])
    assert case == replace(EXPECTED, secrecy_ground="OSL 26 kap. 1 §")


async def test_a_repeating_continuation_is_a_contract_error() -> None:
    inner = (
        '<r:HamtaAndradeArendenResponse xmlns:r="urn:procapita:arende:ws:1">'
        "<r:Arenden/><r:Fortsattning>10-abc</r:Fortsattning></r:HamtaAndradeArendenResponse>"
    )
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        body = f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>{inner}</s:Body></s:Envelope>'
        return httpx.Response(200, content=body.encode())

    with pytest.raises(UpstreamContractError):
        await mocked(PROCAPITA_SYSTEM, handler).changed_cases(at(0), at(1))
    assert len(calls) == 2
    assert "<t:Fortsattning>10-abc</t:Fortsattning>" in calls[1].content.decode()


@pytest.mark.parametrize(
    "raw",
    [
        "2026311T093000",
        "2026-03-11T09:30:00",
        "20260311 093000",
        "20260311T0930",
        "２０２６0311T093000",
    ],
)
async def test_procapita_times_must_have_the_basic_iso_shape(raw: str) -> None:
    good = await _answer()
    assert OPENED in good
    body = good.replace(OPENED, raw).encode()
    await contract_error(PROCAPITA_SYSTEM, body, lambda c: c.cases_by_ids([PROCAPITA_SPEC.id]))


async def test_procapita_times_are_stockholm_time() -> None:
    body = (await _answer()).replace(OPENED, "20260311T093005")
    connector = mocked(PROCAPITA_SYSTEM, lambda request: httpx.Response(200, content=body))
    (case,) = await connector.cases_by_ids([PROCAPITA_SPEC.id])
    assert case.opened_at == datetime(2026, 3, 11, 9, 30, 5, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert case.opened_at.utcoffset() == timedelta(hours=1)
