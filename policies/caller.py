"""Who is asking: the caller as the gateway takes it to be from the token."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.Enum):
    CITIZEN = "CITIZEN"
    CONTACT_CENTRE = "CONTACT_CENTRE"
    CASE_OFFICER = "CASE_OFFICER"
    ANALYST = "ANALYST"
    PUBLIC = "PUBLIC"

    @property
    def is_staff(self) -> bool:
        return self in (Role.CONTACT_CENTRE, Role.CASE_OFFICER, Role.ANALYST)


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller. `personal_number` only for citizens, `units` only for staff."""

    role: Role
    subject: str | None = None  # the token's `sub`
    personal_number: str | None = None
    name: str | None = None
    units: frozenset[str] = frozenset()
    issuer: str | None = None

    @classmethod
    def anonymous(cls) -> Caller:
        return cls(role=Role.PUBLIC)
