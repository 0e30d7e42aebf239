"""Disclosure levels and the situations the policy table is keyed by.

A situation is the caller's role combined with how the case relates to them
(their own, a child's, their unit's, a delegated unit's ...). The policy file
maps every situation to a level; per-case-type overrides can change single rows.
"""

from __future__ import annotations

import enum

_ORDER = ("NONE", "EXISTENCE", "SUMMARY", "FULL")


class Disclosure(enum.Enum):
    """How much of a case a caller may see, from nothing to everything (orderable)."""

    NONE = "NONE"
    EXISTENCE = "EXISTENCE"
    SUMMARY = "SUMMARY"
    FULL = "FULL"

    def __init__(self, value: str) -> None:
        self._rank = _ORDER.index(value)  # once per member: compared for every case

    @property
    def rank(self) -> int:
        return self._rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Disclosure):
            return NotImplemented
        return self._rank < other._rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Disclosure):
            return NotImplemented
        return self._rank <= other._rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Disclosure):
            return NotImplemented
        return self._rank > other._rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Disclosure):
            return NotImplemented
        return self._rank >= other._rank


class Situation(enum.Enum):
    """One row of the level table: `<role>.<situation>` as written in the policy file."""

    CITIZEN_OWN = "citizen.own"
    CITIZEN_CHILD = "citizen.child"
    CITIZEN_PRINCIPAL_IN_SCOPE = "citizen.principal_in_scope"
    CITIZEN_PRINCIPAL_OUT_OF_SCOPE = "citizen.principal_out_of_scope"
    CITIZEN_OTHER = "citizen.other"
    CONTACT_CENTRE_DELEGATED = "contact_centre.delegated"
    CONTACT_CENTRE_DELEGATED_CONFIDENTIAL = "contact_centre.delegated_confidential"
    CONTACT_CENTRE_NOT_DELEGATED = "contact_centre.not_delegated"
    CONTACT_CENTRE_NOT_DELEGATED_CONFIDENTIAL = "contact_centre.not_delegated_confidential"
    CASE_OFFICER_OWN_UNIT = "case_officer.own_unit"
    CASE_OFFICER_OTHER_UNIT = "case_officer.other_unit"
    CASE_OFFICER_OTHER_UNIT_CONFIDENTIAL = "case_officer.other_unit_confidential"

    @property
    def role_key(self) -> str:
        return self.value.split(".", 1)[0]

    @property
    def key(self) -> str:
        return self.value.split(".", 1)[1]


#: the role sections the level table may contain, as spelled in the policy file
CONFIGURABLE_ROLES = ("citizen", "contact_centre", "case_officer")
#: roles that exist but never get person-level case access, whatever the file says
UNCONFIGURABLE_ROLES = ("analyst", "public")
