"""`news_for`: who is told of which events, as a plain function over hand-built cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from connectors.domain import Case, Person
from policies import CallerRelations, Policy, Representation, RepresentationBasis, news_for

KALLE = "195606055555"
NILS = "201903142386"
GRETA = "193404124129"
LISA = "194505173213"
PERSONS = {
    KALLE: Person(KALLE, "Kalle", "Testson"),
    NILS: Person(NILS, "Nils", "Testson"),
    GRETA: Person(GRETA, "Greta", "Testson"),
    LISA: Person(LISA, "Lisa", "Lund"),
}
CHILD = Representation(NILS, RepresentationBasis.CUSTODY, date(2037, 3, 13))
PRINCIPAL = Representation(
    GRETA, RepresentationBasis.POWER_OF_ATTORNEY, None, frozenset({"SOC-SABO"})
)


def told(
    case: Case,
    policy: Policy,
    who: str,
    reps: tuple[Representation, ...] = (),
    *,
    include: bool = True,
    answered: bool = True,
    persons: dict[str, Person] | None = None,
) -> list[str]:
    relations = CallerRelations.of(reps, register_answered=answered)
    news = news_for(
        who, case, case.events, relations, persons or PERSONS, policy, include_represented=include
    )
    return [e.id for e in news]


def test_own_case_tells_decisions_and_completion_requests_not_registrations_or_internal_steps(
    case_factory: Callable[..., Case], policy: Policy
) -> None:
    case = case_factory(subject=KALLE)
    assert told(case, policy, KALLE) == ["c1-e2", "c1-e4"]
    assert told(case, policy, KALLE, include=False) == ["c1-e2", "c1-e4"]


@pytest.mark.parametrize(
    ("subject", "type_code", "reps", "include", "expected"),
    [
        (NILS, "EDU-FORSKOLA", (CHILD,), True, ["c1-e2", "c1-e4"]),
        (NILS, "EDU-FORSKOLA", (CHILD,), False, []),
        (NILS, "EDU-FORSKOLA", (), True, []),  # custody ended: nothing
        (GRETA, "SOC-SABO", (PRINCIPAL,), True, ["c1-e2", "c1-e4"]),
        (GRETA, "SOC-SABO", (PRINCIPAL,), False, []),
        (GRETA, "SOC-EKB", (PRINCIPAL,), True, []),  # outside the mandate's scope
        (LISA, "BYGG-LOV", (CHILD, PRINCIPAL), True, []),  # anyone else's case
    ],
)
def test_represented_persons_cases_only_while_the_relation_holds_and_if_chosen(
    case_factory: Callable[..., Case],
    policy: Policy,
    subject: str,
    type_code: str,
    reps: tuple[Representation, ...],
    include: bool,
    expected: list[str],
) -> None:
    case = case_factory(
        subject=subject, type_code=type_code, confidential=type_code.startswith("SOC")
    )
    assert told(case, policy, KALLE, reps, include=include) == expected


def test_protected_identity_and_a_silent_register_fail_closed(
    case_factory: Callable[..., Case], policy: Policy
) -> None:
    protected = {**PERSONS, LISA: Person(LISA, "Lisa", "Lund", protected_identity=True)}
    neighbour = case_factory(subject=KALLE, parties=(LISA,))
    # as on Mina Sidor: a case that names a protected person stays with that person
    # and their representatives, also when it is someone else's case
    assert told(neighbour, policy, KALLE, persons=protected) == []
    assert told(neighbour, policy, LISA, persons=protected) == ["c1-e2", "c1-e4"]
    # the register did not answer: nobody can tell who is protected, so only the case's
    # own persons and those the (separately confirmed) relations name are told
    child = case_factory(subject=NILS, type_code="EDU-FORSKOLA")
    assert told(child, policy, KALLE, (CHILD,), answered=False) == ["c1-e2", "c1-e4"]
    assert told(neighbour, policy, LISA, answered=False) == ["c1-e2", "c1-e4"]
    assert told(child, policy, LISA, answered=False) == []


def test_the_policy_file_decides_the_kinds_per_case_type(
    case_factory: Callable[..., Case], policy: Policy
) -> None:
    fault_report = case_factory(subject=KALLE, type_code="TEK-GATA")
    assert told(fault_report, policy, KALLE) == []  # its news is ASSIGNMENT_COMPLETED/CLOSED
