"""The people type family: Citizen, Representation, Viewer."""

from __future__ import annotations

import strawberry

import policies
from policies import PersonView

from .common import Date, Role, Unit

RepresentationBasis = strawberry.enum(policies.RepresentationBasis)


@strawberry.type
class Citizen:
    personal_number: str | None = strawberry.field(
        description="12 digits, YYYYMMDDNNNN (personnummer or samordningsnummer). Null where the caller may not see it."
    )
    name: str | None = strawberry.field(
        description="Null where protected identity or policy hides it from the caller."
    )
    protected_identity: bool = strawberry.field(
        description="True when the person has protected personal data (skyddade personuppgifter)."
    )

    @classmethod
    def of(cls, person: PersonView) -> Citizen:
        return cls(
            personal_number=person.personal_number,
            name=person.name,
            protected_identity=person.protected_identity,
        )


@strawberry.type
class Representation:
    citizen: Citizen
    basis: RepresentationBasis
    valid_until: Date | None = strawberry.field(
        description="Last day the representation holds: the 18th birthday eve for custody, the mandate's end for a power of attorney."
    )


@strawberry.type
class Viewer:
    role: Role
    name: str | None = strawberry.field(
        description="Display name from the token, when there is one."
    )
    units: list[Unit] = strawberry.field(
        description="Units the caller works for (CASE_OFFICER) or handles under delegation (CONTACT_CENTRE)."
    )
