"""Whom a citizen may act for, and how a case relates to the caller.

A citizen acts for themselves, for a child in their custody until the child
turns 18 (population register), and for a person who gave them a power of
attorney (mandate register) — only for the case types in its scope and only
while it is valid. Everything here is computed for one `today`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from connectors.domain import Case, Custody, Mandate
from connectors.personal_number import birth_date

from .caller import Caller, Role

AGE_OF_MAJORITY = 18


class RepresentationBasis(enum.Enum):
    CUSTODY = "CUSTODY"
    POWER_OF_ATTORNEY = "POWER_OF_ATTORNEY"


class Relation(enum.Enum):
    """How a case relates to the caller, strongest first."""

    OWN = "OWN"
    CHILD = "CHILD"
    PRINCIPAL_IN_SCOPE = "PRINCIPAL_IN_SCOPE"
    PRINCIPAL_OUT_OF_SCOPE = "PRINCIPAL_OUT_OF_SCOPE"
    NONE = "NONE"


@dataclass(frozen=True, slots=True)
class Representation:
    """The caller may act for `personal_number`: a child (scope None = every case
    type) or a principal (scope = the mandate's case-type codes)."""

    personal_number: str
    basis: RepresentationBasis
    valid_until: date | None
    scope: frozenset[str] | None = None

    def covers(self, case_type: str) -> bool:
        return self.scope is None or case_type in self.scope


def majority_date(pnr: str) -> date:
    """The 18th birthday; a 29 February birthday counts as 28 February in
    non-leap years (the earlier day: custody ends rather too soon than too late)."""
    born = birth_date(pnr)
    year = born.year + AGE_OF_MAJORITY
    try:
        return born.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def representations(
    citizen_pnr: str, custody: Iterable[Custody], mandates: Iterable[Mandate], today: date
) -> list[Representation]:
    """The representations valid on `today`: children under 18, mandates in force."""
    found: list[Representation] = []
    for record in custody:
        if record.custodian != citizen_pnr or record.child == citizen_pnr:
            continue
        try:
            eve = majority_date(record.child) - timedelta(days=1)
        except ValueError:
            continue  # an impossible birth date: no rights can be derived from it
        if today <= eve:
            found.append(Representation(record.child, RepresentationBasis.CUSTODY, eve))
    for mandate in mandates:
        if mandate.grantee != citizen_pnr or mandate.grantor == citizen_pnr:
            continue
        if mandate.valid_from > today:
            continue
        if mandate.valid_until is not None and today > mandate.valid_until:
            continue
        found.append(
            Representation(
                mandate.grantor,
                RepresentationBasis.POWER_OF_ATTORNEY,
                mandate.valid_until,
                frozenset(mandate.scope),
            )
        )
    found.sort(key=lambda r: (r.basis.value, r.personal_number, r.valid_until or date.max))
    return found


def relation_to(caller: Caller, case: Case, representations: Sequence[Representation]) -> Relation:
    """The strongest relation between a citizen caller and the persons of `case`.

    The subject's own case is OWN; so is a case the caller is a party to (e.g. applied
    for), unless it is confidential and about someone else.

    Staff and anonymous callers have no personal relation to cases (NONE).
    """
    if caller.role is not Role.CITIZEN or not caller.personal_number:
        return Relation.NONE
    pnr = caller.personal_number
    if pnr == case.subject:
        return Relation.OWN
    # Secrecy protects the person the case is about: on a confidential case, having
    # applied (for someone else) gives no access of its own; only custody of, or a
    # mandate from, the subject does (with the mandate's scope and validity).
    guarded = case.confidential and case.subject is not None
    if pnr in case.parties and not guarded:
        return Relation.OWN
    persons = frozenset({case.subject}) if guarded else case.persons
    related = [r for r in representations if r.personal_number in persons]
    if any(r.basis is RepresentationBasis.CUSTODY for r in related):
        return Relation.CHILD
    principals = [r for r in related if r.basis is RepresentationBasis.POWER_OF_ATTORNEY]
    if any(r.covers(case.type.code) for r in principals):
        return Relation.PRINCIPAL_IN_SCOPE
    if principals:
        return Relation.PRINCIPAL_OUT_OF_SCOPE
    return Relation.NONE
