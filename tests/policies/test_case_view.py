"""`policies.case_view`: the one decision "what may this caller see of this case",
over a table of roles × relations × confidential/protected cases, as plain calls."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.domain import Case, CaseStatus, Person
from policies import (
    OPEN_STATUSES,
    Caller,
    CallerRelations,
    Disclosure,
    Policy,
    Representation,
    RepresentationBasis,
    Role,
    case_view,
    impersonal_view,
    is_open,
    overdue_is_impersonal,
    overdue_units,
)
from policies.redact import redact_case

from .conftest import build_case

NONE, EXISTENCE, SUMMARY, FULL = (
    Disclosure.NONE,
    Disclosure.EXISTENCE,
    Disclosure.SUMMARY,
    Disclosure.FULL,
)
KALLE, GRETA, NILS = "195606055555", "193404124129", "201903142386"
LISA, SARA, SAGA = "194505173213", "198509231661", "202008152387"

PERSONS = {
    p.personal_number: p
    for p in (
        Person(KALLE, "Kalle", "Testson"),
        Person(GRETA, "Greta", "Testson"),
        Person(NILS, "Nils", "Testson"),
        Person(LISA, "Lisa", "Lund"),
        Person(SARA, "Sara", "Skyddad", protected_identity=True),
        Person(SAGA, "Saga", "Skyddad", protected_identity=True),
    )
}

REPRESENTATIONS = {
    KALLE: (
        Representation(NILS, RepresentationBasis.CUSTODY, date(2037, 3, 13)),
        Representation(
            GRETA, RepresentationBasis.POWER_OF_ATTORNEY, None, frozenset({"SOC-HEMTJANST"})
        ),
    ),
    SARA: (Representation(SAGA, RepresentationBasis.CUSTODY, date(2038, 8, 14)),),
}


def officer(*units: str) -> Caller:
    return Caller(Role.CASE_OFFICER, subject="o", units=frozenset(units))


CALLERS = {
    "kalle": Caller(Role.CITIZEN, subject="k", personal_number=KALLE),
    "lisa": Caller(Role.CITIZEN, subject="l", personal_number=LISA),
    "sara": Caller(Role.CITIZEN, subject="s", personal_number=SARA),
    "citizen_without_number": Caller(Role.CITIZEN, subject="x"),
    "contact_centre": Caller(Role.CONTACT_CENTRE, subject="c", units=frozenset({"KC"})),
    "officer_bn": officer("BN"),
    "officer_mbn": officer("MBN"),
    "officer_sn": officer("SN"),
    "analyst": Caller(Role.ANALYST, subject="a", units=frozenset({"KS"})),
    "public": Caller.anonymous(),
}


def _case(local_id: str, type_code: str, unit: str, subject: str, **kw: bool) -> Case:
    return build_case(local_id=local_id, type_code=type_code, unit=unit, subject=subject, **kw)


CASES = {
    "kalle_bygg": _case("c1", "BYGG-LOV", "BN", KALLE),
    "nils_school": _case("c2", "BUN-SKOLSKJUTS", "BUN", NILS),
    "greta_homecare": _case("c3", "SOC-HEMTJANST", "SN", GRETA),
    "greta_benefit": _case("c4", "SOC-EKB", "SN", GRETA),
    "lisa_bygg_confidential": _case("c5", "BYGG-LOV", "BN", LISA, confidential=True),
    "lisa_benefit_confidential": _case("c6", "SOC-EKB", "SN", LISA, confidential=True),
    "sara_bygg_protected": _case("c7", "BYGG-LOV", "BN", SARA),
    "saga_school_protected": _case("c8", "BUN-SKOLSKJUTS", "BUN", SAGA),
    "kalle_ks": _case("c9", "KS-ALLMANT", "KS", KALLE),
}

# (caller, case, population register answered, expected level; NONE = no view)
TABLE = [
    # citizens: own, child, principal in and out of scope, someone else's
    ("kalle", "kalle_bygg", True, FULL),
    ("kalle", "nils_school", True, FULL),
    ("kalle", "greta_homecare", True, FULL),
    ("kalle", "greta_benefit", True, NONE),
    ("lisa", "kalle_bygg", True, NONE),
    ("lisa", "lisa_bygg_confidential", True, FULL),
    ("citizen_without_number", "kalle_bygg", True, NONE),
    # contact centre: delegated, delegated confidential, not delegated
    ("contact_centre", "kalle_bygg", True, SUMMARY),
    ("contact_centre", "kalle_ks", True, SUMMARY),
    ("contact_centre", "lisa_bygg_confidential", True, EXISTENCE),
    ("contact_centre", "greta_homecare", True, NONE),
    ("contact_centre", "lisa_benefit_confidential", True, NONE),
    # case officers: own unit, other unit, other unit confidential
    ("officer_bn", "kalle_bygg", True, FULL),
    ("officer_bn", "lisa_bygg_confidential", True, FULL),
    ("officer_mbn", "kalle_bygg", True, SUMMARY),
    ("officer_mbn", "lisa_bygg_confidential", True, NONE),
    ("officer_sn", "lisa_benefit_confidential", True, FULL),
    ("officer_bn", "lisa_benefit_confidential", True, NONE),
    # analysts and the public never see cases person by person
    ("analyst", "kalle_bygg", True, NONE),
    ("public", "kalle_bygg", True, NONE),
    # protected identity: only the person, whoever represents them, the owning unit
    ("sara", "sara_bygg_protected", True, FULL),
    ("sara", "saga_school_protected", True, FULL),
    ("kalle", "saga_school_protected", True, NONE),
    ("contact_centre", "sara_bygg_protected", True, NONE),
    ("officer_mbn", "sara_bygg_protected", True, NONE),
    ("officer_bn", "sara_bygg_protected", True, FULL),
    # population register down: nobody can tell who is protected (fail closed)
    ("kalle", "kalle_bygg", False, FULL),
    ("kalle", "nils_school", False, FULL),
    ("lisa", "kalle_bygg", False, NONE),
    ("contact_centre", "kalle_bygg", False, NONE),
    ("officer_mbn", "kalle_bygg", False, NONE),
    ("officer_bn", "kalle_bygg", False, FULL),
]


def _relations(caller: Caller, answered: bool) -> CallerRelations:
    reps = REPRESENTATIONS.get(caller.personal_number or "", ())
    return CallerRelations.of(reps, register_answered=answered)


@pytest.mark.parametrize(("who", "which", "answered", "expected"), TABLE)
def test_case_view(
    who: str, which: str, answered: bool, expected: Disclosure, policy: Policy
) -> None:
    caller, case = CALLERS[who], CASES[which]
    relations = _relations(caller, answered)
    persons = PERSONS if answered else {}
    view = case_view(caller, case, relations, persons, policy)
    if expected is NONE:
        assert view is None
        return
    assert view is not None
    assert view.level is expected
    # the view is the whole case redacted to that level, nothing more
    assert view == redact_case(
        case, expected, caller, persons, policy, represented=relations.represented
    )
    if expected >= SUMMARY:
        assert view.subject is not None
        assert view.subject.personal_number == case.subject
        assert view.title == case.title
    else:
        assert view.subject is None
        assert view.title == policy.case_type_name(case.type)


def test_the_table_covers_every_role_and_level() -> None:
    assert {CALLERS[who].role for who, *_ in TABLE} == set(Role)
    assert {expected for *_, expected in TABLE} == set(Disclosure)
    assert {which for _, which, *_ in TABLE} == set(CASES)


def test_relations_name_whom_the_caller_represents() -> None:
    relations = _relations(CALLERS["kalle"], True)
    assert relations.represented == frozenset({NILS, GRETA})
    assert CallerRelations().represented == frozenset()
    assert CallerRelations().register_answered


def test_impersonal_view_withholds_every_personal_field(policy: Policy) -> None:
    case = CASES["sara_bygg_protected"]
    view = impersonal_view(CALLERS["analyst"], case, policy)
    assert view is not None
    assert view.level is EXISTENCE
    assert (view.subject, view.channel, view.link, view.documents, view.collaborations) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert view.title == "Bygglov"
    assert all(e.description is None and e.concerns is None for e in view.events)


@pytest.mark.parametrize(
    ("who", "units", "impersonal"),
    [
        ("officer_bn", frozenset({"BN"}), False),
        ("officer_sn", frozenset({"SN"}), False),
        ("analyst", None, True),
    ],
)
def test_overdue_scope(who: str, units: frozenset[str] | None, impersonal: bool) -> None:
    caller = CALLERS[who]
    assert overdue_units(caller) == units
    assert overdue_is_impersonal(caller) is impersonal


def test_open_statuses() -> None:
    opened = {s for s in CaseStatus if is_open(s)}
    assert opened == OPEN_STATUSES
    assert opened == {
        CaseStatus.RECEIVED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.WAITING_FOR_CITIZEN,
        CaseStatus.WAITING_FOR_OTHER_PARTY,
    }
    assert not is_open(CaseStatus.DECIDED)
    assert not is_open(CaseStatus.CLOSED)
    assert not is_open(CaseStatus.FORWARDED)
