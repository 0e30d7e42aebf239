"""What the gateway asks of connectors: three kinds of source system.

Every operation is batched (a list of keys in, one upstream call out, paging
followed to the end within bounds) so that a per-request DataLoader can serve a
whole GraphQL query with one call per system and operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from .domain import Case, Custody, Mandate, Person, SystemInfo

#: Upper bound of cases one connector call may return; larger answers are cut
#: (sorted newest first) so that one person with a huge history cannot exhaust memory.
MAX_CASES_PER_CALL = 5000


@runtime_checkable
class CaseSource(Protocol):
    """A system that holds cases (registry, business system, e-service, contact centre)."""

    system: SystemInfo

    async def cases_for_persons(self, personal_numbers: Sequence[str]) -> list[Case]:
        """All cases in which any of the persons is subject or party, with events,
        documents and collaborations."""
        ...

    async def cases_by_ids(self, local_ids: Sequence[str]) -> list[Case]:
        """The cases with these system-local ids (unknown ids are simply absent)."""
        ...

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[Case]:
        """The cases whose case number or main case number is one of `numbers`."""
        ...

    async def changed_cases(self, since: datetime, until: datetime) -> list[Case]:
        """Cases changed in the half-open window [since, until), all pages."""
        ...


@runtime_checkable
class PopulationRegister(Protocol):
    """The population register (folkbokföring): persons and custody."""

    system: SystemInfo

    async def persons(self, personal_numbers: Sequence[str]) -> list[Person]:
        """The known persons among `personal_numbers` (unknown ones are absent)."""
        ...

    async def custody(self, personal_numbers: Sequence[str]) -> list[Custody]:
        """Custody relations in which any of the persons is custodian or child."""
        ...


@runtime_checkable
class MandateRegister(Protocol):
    """The power-of-attorney register (Mina ombud-like)."""

    system: SystemInfo

    async def mandates_for_grantees(self, personal_numbers: Sequence[str]) -> list[Mandate]:
        """All mandates (valid or not) granted to any of the persons."""
        ...

    async def mandates_for_grantors(self, personal_numbers: Sequence[str]) -> list[Mandate]:
        """All mandates (valid or not) any of the persons granted to someone."""
        ...
