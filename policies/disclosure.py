"""How much of a case a caller may see: `level(caller, relation, case, policy)`.

The caller's role and relation to the case pick a situation (a row of the
policy's level table); the policy answers with the level, taking per-case-type
overrides into account. ANALYST and PUBLIC never see cases person by person.
"""

from __future__ import annotations

from connectors.domain import Case

from .caller import Caller, Role
from .levels import Disclosure, Situation
from .policy import Policy
from .relations import Relation

__all__ = ["Disclosure", "delegated_units", "level", "may_see_cases", "situation"]

_CITIZEN = {
    Relation.OWN: Situation.CITIZEN_OWN,
    Relation.CHILD: Situation.CITIZEN_CHILD,
    Relation.PRINCIPAL_IN_SCOPE: Situation.CITIZEN_PRINCIPAL_IN_SCOPE,
    Relation.PRINCIPAL_OUT_OF_SCOPE: Situation.CITIZEN_PRINCIPAL_OUT_OF_SCOPE,
    Relation.NONE: Situation.CITIZEN_OTHER,
}


def situation(caller: Caller, relation: Relation, case: Case, policy: Policy) -> Situation | None:
    """The row of the level table for this caller and case; None when no row applies."""
    if caller.role is Role.CITIZEN:
        if not caller.personal_number:
            return None
        return _CITIZEN[relation]
    if caller.role is Role.CONTACT_CENTRE:
        if case.unit.code in policy.delegated_units:
            if case.confidential:
                return Situation.CONTACT_CENTRE_DELEGATED_CONFIDENTIAL
            return Situation.CONTACT_CENTRE_DELEGATED
        if case.confidential:
            return Situation.CONTACT_CENTRE_NOT_DELEGATED_CONFIDENTIAL
        return Situation.CONTACT_CENTRE_NOT_DELEGATED
    if caller.role is Role.CASE_OFFICER:
        if case.unit.code in caller.units:
            return Situation.CASE_OFFICER_OWN_UNIT
        if case.confidential:
            return Situation.CASE_OFFICER_OTHER_UNIT_CONFIDENTIAL
        return Situation.CASE_OFFICER_OTHER_UNIT
    return None  # ANALYST, PUBLIC: statistics, overdue lists and the public diary only


def may_see_cases(caller: Caller) -> bool:
    """False for callers no case is ever shown to, person by person (ANALYST, PUBLIC, a
    citizen without a number): their case look-ups are answered before any upstream call."""
    if caller.role is Role.CITIZEN:
        return bool(caller.personal_number)
    return caller.role in (Role.CONTACT_CENTRE, Role.CASE_OFFICER)


def level(caller: Caller, relation: Relation, case: Case, policy: Policy) -> Disclosure:
    """The caller's disclosure level for `case` under `policy`."""
    row = situation(caller, relation, case, policy)
    if row is None:
        return Disclosure.NONE
    return policy.level_for(case.type.code, row)


def delegated_units(caller: Caller, policy: Policy) -> frozenset[str]:
    """The units whose cases the caller handles: a case officer's own units, the
    contact centre's delegated units, nothing for anyone else."""
    if caller.role is Role.CASE_OFFICER:
        return caller.units
    if caller.role is Role.CONTACT_CENTRE:
        return policy.delegated_units
    return frozenset()
