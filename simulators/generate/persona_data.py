"""The sandbox's personas and their scenarios, the same at every seed and scale.

Timelines are placed a number of days before the reference date, so the demo
always looks current; case numbers carry the year the case was opened in, so
use `persona_cases(reference_date)` to learn them. Mass data never reuses a
persona's personal number, case id or case number. The ids live in
`simulators.personas`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from .. import names
from ..personas import (
    ANNA,
    BENGT,
    GRETA,
    KALLE,
    KALLE_MANDATE_ID,
    LISA,
    NILS,
    SARA,
    SARA_CHILD,
    TOLVAN,
)
from ..world import Custody, Mandate, Person
from .persona_kit import Builder, PersonaData
from .scenario_chains import add_chain_scenarios
from .scenarios import add_single_scenarios


class PersonaCase(NamedTuple):
    system: str
    id: str
    number: str
    main_number: str | None


def _address(street: str, number: int) -> tuple[str, str]:
    return f"{street} {number}", names.POSTAL_CODES[names.STREETS.index(street)]


def persona_persons() -> dict[str, Person]:
    home = _address("Lönnvägen", 4)
    people = [
        Person(KALLE, "Kalle", "Testson", False, *home),
        Person(GRETA, "Greta", "Testson", False, *_address("Vallhornsvägen", 2)),
        Person(NILS, "Nils", "Testson", False, *home),
        Person(ANNA, "Anna", "Andersson", False, *_address("Strandvägen", 12)),
        Person(BENGT, "Bengt", "Berg", False, *_address("Kyrkogatan", 3)),
        Person(SARA, "Sara", "Skyddad", True),
        Person(SARA_CHILD, "Elsa", "Skyddad", True),
        Person(LISA, "Lisa", "Lund", False, *_address("Lönnvägen", 6)),
        Person(TOLVAN, "Tolvan", "Tolvansson", False, *_address("Storgatan", 12)),
    ]
    return {p.pnr: p for p in people}


def build_personas(reference_date: date) -> PersonaData:
    """All persona data; the scenarios are those of DESIGN.md's persona table."""
    data = PersonaData(
        persons=persona_persons(),
        custody=[Custody(KALLE, NILS), Custody(SARA, SARA_CHILD)],
        mandates=[
            Mandate(
                KALLE_MANDATE_ID,
                GRETA,
                KALLE,
                ("SOC-SABO", "SOC-HEMTJANST"),
                reference_date - timedelta(days=400),
                reference_date + timedelta(days=730),
            )
        ],
    )
    builder = Builder(reference_date, data)
    add_single_scenarios(builder)
    add_chain_scenarios(builder)
    return data


def persona_cases(reference_date: date) -> dict[str, PersonaCase]:
    """System, id, number and main number of every persona case, by persona-case key."""
    cases = build_personas(reference_date).cases
    return {k: PersonaCase(c.system, c.id, c.number, c.main_number) for k, c in cases.items()}
