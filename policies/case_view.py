"""The one decision "what may this caller see of this case".

`case_view(caller, case, relations, persons, policy)` takes the caller's relation
to the case (own, child, principal, none), picks the disclosure level from the
policy, shields cases about persons with protected identity, and redacts the case
to that level: a `CaseView`, or None when the case stays invisible. Resolvers only
call it, render the view and record the access note.

Beside it, the two list rules that decide which cases a list may hold: whose
overdue cases a caller may list (`overdue_units`, `overdue_is_impersonal`) and
which statuses count as open (`OPEN_STATUSES`, `is_open`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connectors.domain import Case, CaseStatus, Person

from .caller import Caller, Role
from .disclosure import level
from .levels import Disclosure
from .persons import shields_case
from .policy import Policy
from .redact import redact_case
from .relations import Representation, relation_to
from .views import CaseView

__all__ = [
    "OPEN_STATUSES",
    "CallerRelations",
    "case_view",
    "impersonal_view",
    "is_open",
    "overdue_is_impersonal",
    "overdue_units",
]


@dataclass(frozen=True, slots=True)
class CallerRelations:
    """Whom the caller stands for, as far as the registers told.

    `representations`: the persons a citizen caller may act for (children in
    custody, principals by mandate). `register_answered`: False when the population
    register failed this request, so nobody can tell who is protected (fail closed).
    """

    representations: tuple[Representation, ...] = ()
    register_answered: bool = True

    @classmethod
    def of(
        cls, representations: Sequence[Representation], *, register_answered: bool = True
    ) -> CallerRelations:
        return cls(tuple(representations), register_answered)

    @property
    def represented(self) -> frozenset[str]:
        return frozenset(r.personal_number for r in self.representations)


def case_view(
    caller: Caller,
    case: Case,
    relations: CallerRelations,
    persons: Mapping[str, Person],
    policy: Policy,
) -> CaseView | None:
    """The case as `caller` may see it under `policy`; None when it stays invisible.

    `persons`: the population-register records of the case's persons (missing ones
    count as protected). The level of a visible case is `CaseView.level`.
    """
    relation = relation_to(caller, case, relations.representations)
    disclosure = level(caller, relation, case, policy)
    if disclosure is Disclosure.NONE:
        return None
    represented = relations.represented
    if shields_case(
        caller, case, persons, represented, register_answered=relations.register_answered
    ):
        return None
    return redact_case(case, disclosure, caller, persons, policy, represented=represented)


def impersonal_view(caller: Caller, case: Case, policy: Policy) -> CaseView | None:
    """The case with no personal data at all (an analyst's overdue list): the existence
    level, where subject, titles, texts and documents are withheld. Not a read of
    anyone's data."""
    return redact_case(case, Disclosure.EXISTENCE, caller, {}, policy)


def overdue_units(caller: Caller) -> frozenset[str] | None:
    """The units whose overdue cases the caller may list; None for every unit.

    A case officer lists only their own units' cases; an analyst sees every unit,
    but only impersonally (`overdue_is_impersonal`)."""
    if caller.role is Role.CASE_OFFICER:
        return frozenset(caller.units)
    return None


def overdue_is_impersonal(caller: Caller) -> bool:
    """True when the caller's overdue list shows cases without any personal data."""
    return caller.role is Role.ANALYST


#: a case in one of these statuses is still being handled (Mina Sidor's "open only")
OPEN_STATUSES: frozenset[CaseStatus] = frozenset(
    {
        CaseStatus.RECEIVED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.WAITING_FOR_CITIZEN,
        CaseStatus.WAITING_FOR_OTHER_PARTY,
    }
)


def is_open(status: CaseStatus) -> bool:
    return status in OPEN_STATUSES
