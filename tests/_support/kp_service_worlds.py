"""One sandbox world per register and service system, shared by its connector and simulator
tests (the case systems are in `kp_system_worlds`).

folkbokforing_world()   KALLE and SARA (protected) have custody of NILS; TOLVAN; 250 `MANY`
ombud_world()           GRETA and LISA gave KALLE mandates (one expired), GRETA's to TOLVAN
                        is revoked, TOLVAN gave LISA eleven
"""

from __future__ import annotations

from datetime import date

from kp_worlds import KALLE, LISA, TOLVAN, world_of

from connectors.personal_number import luhn_digit
from simulators import world as w

NILS = "201903142386"
SARA = "198509231661"
GRETA = "193404124129"
REGISTER_DATE = date(2025, 12, 31)


def pnr(n: int) -> str:
    """A valid personal number born 1980-01-01 with serial `n`."""
    nine = f"800101{n:03d}"
    return f"19{nine}{luhn_digit(nine)}"


MANY = [pnr(n) for n in range(250)]


def folkbokforing_world() -> w.World:
    """LISA is valid but not in the register."""
    persons = [
        w.Person(KALLE, "Kalle", "Testson", street="Storgatan 1", postal_code="123 45"),
        w.Person(NILS, "Nils", "Testson", street="Storgatan 1", postal_code="123 45"),
        w.Person(SARA, "Sara", "Skyddad", protected=True, street="Hemlig 2"),
        w.Person(TOLVAN, "Tolvan", "Tolvansson", street="Tolvgatan 12", city="Byn"),
        *(w.Person(p, "Test", f"Person{i}") for i, p in enumerate(MANY)),
    ]
    return world_of(
        persons=persons,
        custody=[w.Custody(KALLE, NILS), w.Custody(SARA, NILS)],
        seed=1,
        reference_date=REGISTER_DATE,
    )


def ombud_world() -> w.World:
    types = [
        w.CaseTypeDef(
            "SN-SABO", "Särskilt boende", "Omsorg", "procapita", "SN", 90, confidential=True
        )
    ]
    mandates = [
        w.Mandate("F-1", GRETA, KALLE, ("SN-SABO", "SN-HEMTJANST"), date(2024, 1, 1), None),
        w.Mandate("F-2", LISA, KALLE, ("BN-BYGGLOV",), date(2023, 1, 1), date(2023, 12, 31)),
        w.Mandate("F-3", GRETA, TOLVAN, ("SN-SABO",), date(2024, 1, 1), None, revoked=True),
        *(
            w.Mandate(f"M-{i:02d}", TOLVAN, LISA, ("KC-FRAGA",), date(2025, 1, 1), None)
            for i in range(11)
        ),
    ]
    return world_of(types=types, mandates=mandates, seed=1, reference_date=REGISTER_DATE)
