"""Case look-ups leak nothing by side channels: a hidden case costs the same upstream
calls as one that does not exist (issue 9, item 3), and callers who can never see a
case get their answer before any upstream call (item 5)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from connectors.domain import CaseRef
from resolvers.ids import case_id
from simulators import personas
from simulators.generate.persona_data import PersonaCase, persona_cases

CASE = "query ($id: ID!, $purpose: String) { case(id: $id, purpose: $purpose) { caseNumber } }"
BY_NUMBER = """query ($n: String!, $purpose: String) {
  casesByNumber(caseNumber: $n, purpose: $purpose) { caseNumber } }"""


def _persona(key: str) -> PersonaCase:
    return persona_cases(date.today())[key]


def _id(system: str, local_id: str) -> str:
    return case_id(CaseRef(system, local_id))


def _absent(local_id: str) -> str:
    """A local id of the same shape that the system does not hold."""
    return local_id[:-3] + ("999" if not local_id.endswith("999") else "998")


async def _calls(gateway: Any, query: str, variables: dict[str, Any], token: str) -> dict[str, int]:
    gateway.reset_counts()
    body = await gateway.query(query, variables, token)
    assert "errors" not in body, body
    return dict(gateway.upstream_calls())


@pytest.mark.parametrize(
    ("caller", "case_key"),
    [
        (("citizen", personas.ANNA), personas.TOLVAN_FELANMALAN),  # someone else's case
        (("citizen", personas.KALLE), personas.TOLVAN_ESERVICE),
        (("case_officer", None), personas.GRETA_SABO),  # confidential, another unit
        (("contact_centre", None), personas.GRETA_SABO),  # social services: not delegated
    ],
)
async def test_a_hidden_case_costs_the_same_calls_as_a_missing_one(
    gateway: Any, caller: tuple[str, str | None], case_key: str
) -> None:
    role, pnr = caller
    token = gateway.token(role, pnr)
    hidden = _persona(case_key)
    purpose = None if role == "citizen" else "Uppföljning"
    hidden_vars = {"id": _id(hidden.system, hidden.id), "purpose": purpose}
    missing_vars = {"id": _id(hidden.system, _absent(hidden.id)), "purpose": purpose}
    # a citizen's representations (custody, mandates) are the caller's own, cached
    # across requests: a first look-up warms them, so both sides start alike
    await gateway.query(CASE, {"id": _id(hidden.system, "warm-up"), "purpose": purpose}, token)

    first = [
        await _calls(gateway, CASE, hidden_vars, token),
        await _calls(gateway, CASE, missing_vars, token),
    ]
    again = [
        await _calls(gateway, CASE, hidden_vars, token),
        await _calls(gateway, CASE, missing_vars, token),
    ]
    assert first[0] == first[1]
    assert hidden.system in first[0]  # the case system was asked, both times
    assert "folkbokforing" in first[0]  # and the register, both times
    assert again[0] == again[1]


async def test_both_answers_look_the_same(gateway: Any) -> None:
    token = gateway.token("citizen", personas.ANNA)
    hidden = _persona(personas.TOLVAN_FELANMALAN)
    answers = [
        await gateway.query(CASE, {"id": _id(hidden.system, local)}, token)
        for local in (hidden.id, _absent(hidden.id))
    ]
    assert answers == [{"data": {"case": None}}, {"data": {"case": None}}]


async def test_a_hidden_case_number_costs_the_same_calls_as_a_missing_one(gateway: Any) -> None:
    token = gateway.token("citizen", personas.ANNA)
    hidden = _persona(personas.TOLVAN_FELANMALAN)
    absent = hidden.number[:-3] + "999"
    await gateway.query(BY_NUMBER, {"n": "warm-up"}, token)  # the caller's representations
    counts = [await _calls(gateway, BY_NUMBER, {"n": n}, token) for n in (hidden.number, absent)]
    assert counts[0] == counts[1]
    assert "folkbokforing" in counts[0]


@pytest.mark.parametrize("role", [None, "analyst"])
async def test_callers_who_never_see_cases_cause_no_upstream_calls(
    gateway: Any, role: str | None
) -> None:
    token = gateway.token(role) if role else None
    case = _persona(personas.KALLE_BYGGLOV)
    gateway.reset_counts()
    by_id = await gateway.query(CASE, {"id": _id(case.system, case.id)}, token)
    by_number = await gateway.query(BY_NUMBER, {"n": case.number}, token)
    assert by_id == {"data": {"case": None}}
    assert by_number == {"data": {"casesByNumber": []}}
    assert gateway.upstream_calls() == {}
