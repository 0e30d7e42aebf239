"""Protected identity (skyddade personuppgifter): who may see a person's name and number.

Fails closed. For a protected person only the person themself, case officers of
a unit owning one of the person's cases, and a citizen who represents the person
(custodian of the child, holder of their power of attorney) see name and
personal number; everyone else gets nulls. A person the population register did
not return is treated as protected: we cannot know they are not.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from connectors.domain import Case, Person

from .caller import Caller, Role
from .views import PersonView

#: roles that may see (unprotected) persons' names and numbers at all
_SEES_PERSONS = (Role.CITIZEN, Role.CONTACT_CENTRE, Role.CASE_OFFICER)
#: roles that may look a person up by number (Dina Sidor)
_FINDS_PERSONS = (Role.CONTACT_CENTRE, Role.CASE_OFFICER)


def person_view(
    pnr: str,
    caller: Caller,
    persons: Mapping[str, Person],
    owning_units_of_person_cases: Collection[str],
    *,
    represented: Collection[str] = (),
) -> PersonView:
    """The person `pnr` as `caller` may see them.

    `owning_units_of_person_cases`: units owning one of the person's cases (a case
    officer of such a unit sees a protected person). `represented`: the persons the
    caller (a citizen) may act for, from `relations.representations`.
    """
    person = persons.get(pnr)
    protected = person.protected_identity if person is not None else True
    name = person.name if person is not None else None
    if _may_see(pnr, protected, caller, owning_units_of_person_cases, represented):
        return PersonView(personal_number=pnr, name=name, protected_identity=protected)
    return PersonView(personal_number=None, name=None, protected_identity=protected)


def staff_may_find_person(caller: Caller, person: Person, owning_units: Collection[str]) -> bool:
    """May a staff lookup show this person? False must look exactly like "unknown"."""
    if caller.role not in _FINDS_PERSONS:
        return False
    if not person.protected_identity:
        return True
    return _officer_of(caller, owning_units)


def _may_see(
    pnr: str,
    protected: bool,
    caller: Caller,
    owning_units: Collection[str],
    represented: Collection[str],
) -> bool:
    if caller.role is Role.CITIZEN and caller.personal_number == pnr:
        return True
    if caller.role not in _SEES_PERSONS:
        return False
    if not protected:
        return True
    if caller.role is Role.CITIZEN:
        return pnr in represented
    return _officer_of(caller, owning_units)


def _officer_of(caller: Caller, owning_units: Collection[str]) -> bool:
    return caller.role is Role.CASE_OFFICER and any(u in caller.units for u in owning_units)


def shields_case(
    caller: Caller,
    case: Case,
    persons: Mapping[str, Person],
    represented: Collection[str] = (),
    *,
    register_answered: bool = True,
) -> bool:
    """True when a case must stay invisible because it is about a protected person.

    Protected identity is about whereabouts, and a case tells where a person lives,
    goes to school or gets care: such a case is shown only to the protected person,
    whoever represents them, and case officers of the unit that owns it. When the
    population register did not answer, nobody can tell who is protected, so every
    case with persons is shielded from everyone else (fail closed).
    """
    people = case.persons
    if not people:
        return False
    if caller.role is Role.CASE_OFFICER and case.unit.code in caller.units:
        return False
    own = caller.personal_number if caller.role is Role.CITIZEN else None
    if not register_answered:
        return not (own is not None and (own in people or people & set(represented)))
    protected = {p for p in people if (person := persons.get(p)) and person.protected_identity}
    if not protected:
        return False
    return not (own is not None and (own in protected or protected <= set(represented) | {own}))
