"""The sandbox's personas and their scenarios, the same at every seed and scale.

Timelines are placed a number of days before the reference date, so the demo
always looks current; case numbers carry the year the case was opened in, so
use `persona_cases(reference_date)` to learn them. Mass data never reuses a
persona's personal number, case id or case number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from . import names
from .world import Case, Custody, Mandate, Person

KALLE = "195606055555"
GRETA = "193404124129"
NILS = "201903142386"
ANNA = "197801012340"
BENGT = "199212249875"
SARA = "198509231661"
LISA = "194505173213"
TOLVAN = "191212121212"
SARA_CHILD = "202108152485"

PERSONAS = (KALLE, GRETA, NILS, ANNA, BENGT, SARA, LISA, TOLVAN, SARA_CHILD)
KALLE_MANDATE_ID = "FM-000001"

# keys of the persona cases in `persona_cases(...)`
KALLE_BYGGLOV = "kalle-bygglov"
KALLE_KULTURSTIPENDIUM = "kalle-kulturstipendium"
GRETA_SABO = "greta-sabo"
NILS_FORSKOLA = "nils-forskola"
ANNA_ESERVICE = "anna-eservice"
ANNA_ECOS = "anna-ecos"
ANNA_TEKNIK = "anna-teknik"
BENGT_KONTAKTCENTER = "bengt-kontaktcenter"
BENGT_KF = "bengt-kf"
BENGT_KS = "bengt-ks"
BENGT_KFN = "bengt-kfn"
SARA_EKB = "sara-ekb"
SARA_CHILD_FORSKOLA = "sara-child-forskola"
LISA_BYGGLOV = "lisa-bygglov"
TOLVAN_FELANMALAN = "tolvan-felanmalan"
TOLVAN_ESERVICE = "tolvan-eservice"


class PersonaCase(NamedTuple):
    system: str
    id: str
    number: str
    main_number: str | None


@dataclass
class PersonaData:
    """Persons, relations and cases of the personas for one reference date."""

    persons: dict[str, Person]
    custody: list[Custody]
    mandates: list[Mandate]
    cases: dict[str, Case] = field(default_factory=dict)  # key -> case


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
    # the scenario modules import this one's constants, hence the late imports
    from .gen_persona_kit import Builder
    from .gen_scenario_chains import add_chain_scenarios
    from .gen_scenarios import add_single_scenarios

    builder = Builder(reference_date, data)
    add_single_scenarios(builder)
    add_chain_scenarios(builder)
    return data


def persona_cases(reference_date: date) -> dict[str, PersonaCase]:
    """System, id, number and main number of every persona case, by persona-case key."""
    cases = build_personas(reference_date).cases
    return {k: PersonaCase(c.system, c.id, c.number, c.main_number) for k, c in cases.items()}
