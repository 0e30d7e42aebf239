"""Case chains across systems: Anna's littering report and Bengt's citizen proposal."""

from __future__ import annotations

from datetime import date
from typing import Any

from simulators import personas
from simulators.generate.persona_data import PersonaCase, persona_cases

CHAIN = """
query ($number: String!, $purpose: String) {
  casesByNumber(caseNumber: $number, purpose: $purpose) {
    id caseNumber mainCaseNumber system { id } responsibleUnit { code } status
    collaborations { kind fromUnit { code } toUnit { code } responsibilityRetained followUpRetained
                     counterpartCase { caseNumber system { id } } }
    chain { caseNumber system { id } responsibleUnit { code } }
  }
}
"""


def _cases() -> dict[str, PersonaCase]:
    return persona_cases(date.today())


async def test_annas_littering_report_reads_as_one_chain(gateway: Any) -> None:
    cases = _cases()
    ecos = cases[personas.ANNA_ECOS]
    token = gateway.token("case_officer", units=["MBN"])
    body = await gateway.query(
        CHAIN, {"number": ecos.main_number, "purpose": "Uppföljning av nedskräpning"}, token
    )
    assert "errors" not in body, body
    found = body["data"]["casesByNumber"]
    by_system = {c["system"]["id"]: c for c in found}
    assert set(by_system) == {"eservice", "ecos", "teknik"}
    for case in found:
        assert case["mainCaseNumber"] == ecos.main_number
        assert [c["system"]["id"] for c in case["chain"]] == ["eservice", "ecos", "teknik"]
    forwarding = [
        c
        for c in by_system["ecos"]["collaborations"]
        if c["kind"] == "FORWARDING" and c["toUnit"]["code"] == "TN"
    ]
    assert forwarding == [
        {
            "kind": "FORWARDING",
            "fromUnit": {"code": "MBN"},
            "toUnit": {"code": "TN"},
            "responsibilityRetained": False,
            "followUpRetained": True,
            "counterpartCase": {
                "caseNumber": cases[personas.ANNA_TEKNIK].number,
                "system": {"id": "teknik"},
            },
        }
    ]
    assignment = [c for c in by_system["teknik"]["collaborations"] if c["kind"] == "ASSIGNMENT"]
    assert len(assignment) == 1
    assert assignment[0]["fromUnit"] == {"code": "TN"} and assignment[0]["toUnit"] == {
        "code": "AME"
    }
    assert assignment[0]["responsibilityRetained"] is True
    e_forward = by_system["eservice"]["collaborations"]
    assert e_forward and e_forward[0]["counterpartCase"]["caseNumber"] == ecos.number


async def test_anna_sees_her_own_chain(gateway: Any) -> None:
    cases = _cases()
    token = gateway.token("citizen", personas.ANNA)
    body = await gateway.query(CHAIN, {"number": cases[personas.ANNA_ECOS].main_number}, token)
    assert "errors" not in body, body
    assert {c["system"]["id"] for c in body["data"]["casesByNumber"]} == {
        "eservice",
        "ecos",
        "teknik",
    }


async def test_bengts_proposal_from_contact_centre_through_kf_ks_kfn(gateway: Any) -> None:
    cases = _cases()
    kf = cases[personas.BENGT_KF]
    token = gateway.token("citizen", personas.BENGT)
    body = await gateway.query(CHAIN, {"number": kf.main_number}, token)
    assert "errors" not in body, body
    found = body["data"]["casesByNumber"]
    units = {c["responsibleUnit"]["code"] for c in found}
    assert {"KC", "KF", "KS", "KFN"} <= units
    chain = next(c for c in found if c["caseNumber"] == kf.number)["chain"]
    assert chain[0]["system"]["id"] == "kontaktcenter"
    assert {c["system"]["id"] for c in chain} == {"kontaktcenter", "diarium"}


async def test_other_citizens_get_no_chain_and_no_oracle(gateway: Any) -> None:
    cases = _cases()
    token = gateway.token("citizen", personas.KALLE)
    body = await gateway.query(CHAIN, {"number": cases[personas.ANNA_ECOS].main_number}, token)
    unknown = await gateway.query(CHAIN, {"number": "MK-1999-99999"}, token)
    assert body == unknown == {"data": {"casesByNumber": []}}
