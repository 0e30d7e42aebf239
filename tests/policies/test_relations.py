"""Relations: custody until the 18th birthday eve, mandates while valid, relation to a case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from connectors.domain import Case, Custody, Mandate
from policies.caller import Caller, Role
from policies.relations import (
    Relation,
    Representation,
    RepresentationBasis,
    majority_date,
    relation_to,
    representations,
)

KALLE = "195606055555"
GRETA = "193404124129"
NILS = "201903142386"
LISA = "194505173213"
TODAY = date(2026, 3, 11)
CUSTODY = RepresentationBasis.CUSTODY
POA = RepresentationBasis.POWER_OF_ATTORNEY


def mandate(
    valid_from: date,
    valid_until: date | None,
    *,
    grantor: str = GRETA,
    grantee: str = KALLE,
    scope: frozenset[str] = frozenset({"SOC-SABO", "SOC-HEMTJANST"}),
) -> Mandate:
    return Mandate("m1", grantor, grantee, scope, valid_from, valid_until)


def test_kalle_represents_nils_and_greta() -> None:
    found = representations(
        KALLE,
        [Custody(KALLE, NILS), Custody("197001011233", NILS)],
        [mandate(date(2024, 1, 1), None), mandate(date(2024, 1, 1), None, grantee=LISA)],
        TODAY,
    )
    assert found == [
        Representation(NILS, CUSTODY, date(2037, 3, 13), None),
        Representation(GRETA, POA, None, frozenset({"SOC-SABO", "SOC-HEMTJANST"})),
    ]


@pytest.mark.parametrize(
    ("today", "expected_until"),
    [
        (date(2026, 3, 10), date(2026, 3, 11)),  # two days before the 18th birthday
        (date(2026, 3, 11), date(2026, 3, 11)),  # the birthday eve: the last day
        (date(2026, 3, 12), None),  # the 18th birthday: custody is over
        (date(2030, 1, 1), None),
    ],
)
def test_custody_ends_on_the_eve_of_the_18th_birthday(
    pnr_factory: Callable[[str, str], str], today: date, expected_until: date | None
) -> None:
    child = pnr_factory("20080312", "238")
    found = representations(KALLE, [Custody(KALLE, child)], [], today)
    expected = [Representation(child, CUSTODY, expected_until)] if expected_until else []
    assert found == expected


@pytest.mark.parametrize(("today", "kept"), [(date(2026, 3, 11), True), (date(2026, 3, 12), False)])
def test_custody_of_a_child_with_a_coordination_number(
    pnr_factory: Callable[[str, str], str], today: date, kept: bool
) -> None:
    child = pnr_factory("20080372", "238")  # samordningsnummer: day 12 + 60
    found = representations(KALLE, [Custody(KALLE, child)], [], today)
    assert found == ([Representation(child, CUSTODY, date(2026, 3, 11))] if kept else [])


def test_leap_day_child_comes_of_age_on_28_february(pnr_factory: Callable[[str, str], str]) -> None:
    child = pnr_factory("20080229", "238")
    assert majority_date(child) == date(2026, 2, 28)
    assert representations(KALLE, [Custody(KALLE, child)], [], date(2026, 2, 27)) == [
        Representation(child, CUSTODY, date(2026, 2, 27))
    ]
    assert representations(KALLE, [Custody(KALLE, child)], [], date(2026, 2, 28)) == []


def test_custody_of_an_impossible_number_or_of_oneself_gives_nothing() -> None:
    assert (
        representations(
            KALLE, [Custody(KALLE, "20081399" + "0000"), Custody(KALLE, KALLE)], [], TODAY
        )
        == []
    )


@pytest.mark.parametrize(
    ("today", "valid"),
    [
        (date(2025, 12, 31), False),  # the day before it starts
        (date(2026, 1, 1), True),  # its first day
        (date(2026, 6, 30), True),  # its last day
        (date(2026, 7, 1), False),  # the day after it ended
    ],
)
def test_a_mandate_holds_from_its_first_to_its_last_day(today: date, valid: bool) -> None:
    found = representations(KALLE, [], [mandate(date(2026, 1, 1), date(2026, 6, 30))], today)
    expected = Representation(
        GRETA, POA, date(2026, 6, 30), frozenset({"SOC-SABO", "SOC-HEMTJANST"})
    )
    assert found == ([expected] if valid else [])


def test_an_open_ended_mandate_and_a_self_granted_one() -> None:
    found = representations(
        KALLE,
        [],
        [mandate(date(2020, 1, 1), None), mandate(date(2020, 1, 1), None, grantor=KALLE)],
        date(2099, 1, 1),
    )
    assert [(r.personal_number, r.valid_until) for r in found] == [(GRETA, None)]


CITIZEN = Caller(Role.CITIZEN, subject="k", personal_number=KALLE)
REPS = [
    Representation(NILS, CUSTODY, date(2037, 3, 13)),
    Representation(GRETA, POA, None, frozenset({"SOC-SABO", "SOC-HEMTJANST"})),
]


@pytest.mark.parametrize(
    ("subject", "parties", "type_code", "expected"),
    [
        (KALLE, (), "BYGG-LOV", Relation.OWN),
        (LISA, (KALLE,), "BYGG-LOV", Relation.OWN),  # a party, not the subject
        (NILS, (), "EDU-FORSKOLA", Relation.CHILD),
        (None, (NILS,), "EDU-FORSKOLA", Relation.CHILD),
        (GRETA, (), "SOC-SABO", Relation.PRINCIPAL_IN_SCOPE),
        (GRETA, (), "SOC-HEMTJANST", Relation.PRINCIPAL_IN_SCOPE),
        (GRETA, (), "SOC-EKB", Relation.PRINCIPAL_OUT_OF_SCOPE),
        (GRETA, (), "BYGG-LOV", Relation.PRINCIPAL_OUT_OF_SCOPE),
        (LISA, (), "BYGG-LOV", Relation.NONE),
        (None, (), "KS-ALLMANT", Relation.NONE),
        (GRETA, (KALLE,), "BYGG-LOV", Relation.OWN),  # the strongest relation wins
        (GRETA, (NILS,), "SOC-EKB", Relation.CHILD),
    ],
)
def test_relation_of_a_citizen_to_a_case(
    case_factory: Callable[..., Case],
    subject: str | None,
    parties: tuple[str, ...],
    type_code: str,
    expected: Relation,
) -> None:
    case = case_factory(subject=subject, parties=parties, type_code=type_code)
    assert relation_to(CITIZEN, case, REPS) is expected


def test_without_representations_only_own_cases_relate(case_factory: Callable[..., Case]) -> None:
    assert relation_to(CITIZEN, case_factory(subject=NILS), []) is Relation.NONE
    assert (
        relation_to(CITIZEN, case_factory(subject=GRETA, type_code="SOC-SABO"), []) is Relation.NONE
    )


@pytest.mark.parametrize(
    "caller",
    [
        Caller(Role.CASE_OFFICER, units=frozenset({"BN"}), personal_number=KALLE),
        Caller(Role.CONTACT_CENTRE, units=frozenset({"KC"})),
        Caller(Role.ANALYST),
        Caller.anonymous(),
        Caller(Role.CITIZEN, subject="x"),  # a citizen without a number relates to nothing
    ],
)
def test_non_citizens_have_no_personal_relation(
    caller: Caller, case_factory: Callable[..., Case]
) -> None:
    assert relation_to(caller, case_factory(subject=KALLE), REPS) is Relation.NONE


@pytest.mark.parametrize(
    ("subject", "parties", "type_code", "expected"),
    [
        (
            GRETA,
            (KALLE,),
            "SOC-SABO",
            Relation.PRINCIPAL_IN_SCOPE,
        ),  # via the mandate, not as applicant
        (GRETA, (KALLE,), "SOC-EKB", Relation.PRINCIPAL_OUT_OF_SCOPE),
        (
            LISA,
            (KALLE,),
            "SOC-HEMTJANST",
            Relation.NONE,
        ),  # applied for someone: no access of its own
        (NILS, (KALLE,), "EDU-ELEVHALSA", Relation.CHILD),
        (KALLE, (LISA,), "SOC-EKB", Relation.OWN),
        (None, (KALLE,), "SOC-EKB", Relation.OWN),
    ],
)
def test_applicants_of_confidential_cases_need_a_relation_to_the_subject(
    case_factory: Callable[..., Case],
    subject: str | None,
    parties: tuple[str, ...],
    type_code: str,
    expected: Relation,
) -> None:
    case = case_factory(subject=subject, parties=parties, type_code=type_code, confidential=True)
    assert relation_to(CITIZEN, case, REPS) is expected
