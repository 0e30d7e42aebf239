"""One sandbox world per case system, shared by its connector and simulator tests.

Each diary-style world (`Archive`: ByggR, Diarium, Procapita) holds the system's full
case (`kp_full_case`), one case per status with every event kind and channel, and 35
fillers about TOLVAN under one main number (paging and batching). The `*_SPEC` constants
say what the full case holds; the connector tests expect `expected_case(SPEC, link)`, the
simulator tests the system's rendering of it. Ecos and Teknik have hand-made worlds.

replacing(world, system, id, **changes)  the same world with one case changed
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from kp_full_case import FullCase, full_case
from kp_worlds import ANNA, KALLE, LISA, TOLVAN, at, case, filler_cases, status_cases, world_of

from connectors.domain import CaseType, Unit
from simulators import world as w

FILLERS = 35

BYGGR_SPEC = FullCase(
    system="byggr",
    id="BYGG-2025-000193",
    number="BN 2025/0193",
    main_number="BN 2025/0190",
    type=CaseType("BYGG-LOV", "Bygglov"),
    unit=Unit("BN", "Byggnadsnämnden"),
    title="Bygglov för garage & carport, Lönnen 4",
    description="Nybyggnad av garage 40 kvm.",
    submitted="Ansökan om bygglov inkommen",
    referral=("Grannehörande skickat", "Grannen Lisa Lund hörs."),
    drafted="Yttrande",
)

DIARIUM_SPEC = FullCase(
    system="diarium",
    id="100193",
    number="KFN 2025/0193",
    main_number="KF 2025/0190",
    type=CaseType("KFN-KULTURSTIPENDIUM", "Kulturstipendium"),
    unit=Unit("KFN", "Kultur- och fritidsnämnden"),
    title="Ansökan om kulturstipendium",
    description="Stipendium för en bok om Exempelby.",
    submitted="Ansökan om kulturstipendium inkommen",
    referral=("Remiss till kulturrådet", "Yttrande begärs."),
    drafted="Tjänsteskrivelse",
)

PROCAPITA_SPEC = FullCase(
    system="procapita",
    id="PC00000193",
    number="SN 2025/0193",
    main_number="SN 2025/0190",
    type=CaseType("SOC-SABO", "Särskilt boende"),
    unit=Unit("SN", "Socialnämnden"),
    title="Ansökan om särskilt boende",
    description="Behov av heldygnsomsorg.",
    submitted="Ansökan om särskilt boende inkommen",
    referral=("Remiss till hemtjänsten", "Hemtjänstens bedömning begärs."),
    drafted="Utredning",
    secrecy_ground="OSL 26 kap. 1 § (SoL)",
)


@dataclass(frozen=True)
class Archive:
    """A diary-style system's sandbox: the full case of `spec`, one case per status and
    `FILLERS` cases about TOLVAN under the main number `{unit} 2025/0999`.

    Status case n is `{status_prefix}n` / `{unit} 2024/000n` (the first with `status_link`),
    filler i is `{filler_prefix}iiiii` / `{unit} 2025/1iii`, titled `{filler_title} i` and
    opened `filler_hours(i)` hours after `T0`.
    """

    spec: FullCase
    area: str
    days: int
    status_prefix: str
    status_link: str
    filler_prefix: str
    filler_title: str
    filler_hours: Callable[[int], float] = lambda i: 400 + i

    @property
    def unit(self) -> str:
        return self.spec.unit.code

    @property
    def filler_main_number(self) -> str:
        return f"{self.unit} 2025/0999"

    def status_id(self, n: int) -> str:
        return f"{self.status_prefix}{n}"

    def filler_id(self, i: int) -> str:
        return f"{self.filler_prefix}{i:05d}"

    def world(self) -> w.World:
        spec, unit = self.spec, self.unit
        code = spec.type.code
        kind = w.CaseTypeDef(code, spec.type.name, self.area, spec.system, unit, self.days)
        per_status = status_cases(
            spec.system,
            type_code=code,
            unit=unit,
            id=self.status_id,
            number=lambda n: f"{unit} 2024/000{n}",
            link=self.status_link,
        )
        fillers = filler_cases(
            spec.system,
            FILLERS,
            type_code=code,
            unit=unit,
            id=self.filler_id,
            number=lambda i: f"{unit} 2025/1{i:03d}",
            title=lambda i: f"{self.filler_title} {i}",
            opened_at=lambda i: at(self.filler_hours(i)),
            main_number=self.filler_main_number,
            subject=TOLVAN,
        )
        return world_of(full_case(spec), *per_status, *fillers, types=[kind])


BYGGR = Archive(
    BYGGR_SPEC,
    "Samhällsbyggnad",
    70,
    status_prefix="BYGG-2024-00000",
    status_link="https://byggr.exempelby.se/arende/x",
    filler_prefix="BYGG-2025-1",
    filler_title="Bygglov",
)
# the first 15 fillers change at the same instant (400 h), the rest one an hour after
# (415 h +): a change cursor must neither lose nor repeat any of them
DIARIUM = Archive(
    DIARIUM_SPEC,
    "Kultur och fritid",
    60,
    status_prefix="20000",
    status_link="https://diarium.exempelby.se/x",
    filler_prefix="3",
    filler_title="Föreningsbidrag",
    filler_hours=lambda i: 400 if i < 15 else 400 + i,
)
PROCAPITA = Archive(
    PROCAPITA_SPEC,
    "Socialtjänst",
    90,
    status_prefix="PC0000000",
    status_link="https://procapita.exempelby.se/arende/x",
    filler_prefix="PC1",
    filler_title="Särskilt boende",
)
byggr_world = BYGGR.world
diarium_world = DIARIUM.world
procapita_world = PROCAPITA.world


def ecos_world() -> w.World:
    """4711 (forwarded to teknik, about ANNA, TOLVAN applies), 4712 (closed, with a link),
    statuses `7n` / `MK-2024-n`, fillers `5000 + i` / `MK-2025-{900 + i}` from 100 h."""
    types = {
        "MILJO-NEDSKRAPNING": w.CaseTypeDef(
            "MILJO-NEDSKRAPNING", "Nedskräpning", "Miljö och hälsa", "ecos", "MBN", 30
        )
    }
    littering = w.Case(
        system="ecos",
        id="4711",
        number="MK-2025-837",
        main_number="MK-2025-837",
        type_code="MILJO-NEDSKRAPNING",
        title="Nedskräpning vid återvinningsstationen",
        description="Soppåsar dumpade bakom containrarna.",
        unit="MBN",
        status="FORWARDED",
        opened_at=at(0),
        subject=ANNA,
        applicant=TOLVAN,
        channel="E_SERVICE",
        confidential=True,
        secrecy_ground="OSL 21 kap. 7 §",
        events=[
            w.Event("4711-e1", at(0), "SUBMITTED", "Anmälan inkommen", diary=True),
            w.Event(
                "4711-e2", at(2), "REGISTERED", "Registrerad", "Intern notering", internal=True
            ),
            w.Event("4711-e3", at(5), "FORWARDED", "Överlämnad till TN", concerns=TOLVAN),
        ],
        documents=[
            w.Document("4711-d1", "Anmälan", "INCOMING", at(0)),
            w.Document("4711-d2", "Tjänsteanteckning", "DRAFTED", at(3), confidential=True),
        ],
        collaborations=[
            w.Collaboration(
                "FORWARDING",
                "MBN",
                "TN",
                at(5),
                completed_at=at(9),
                follow_up_retained=True,
                counterpart_system="teknik",
                counterpart_id="fr-2025-00042",
                counterpart_number="FEL-2025-00042",
            ),
            w.Collaboration("REFERRAL", "MBN", "BN", at(6)),
        ],
    )
    # one case per neutral status, each with every event kind (coverage of both tables)
    per_status = status_cases(
        "ecos",
        type_code="MILJO-NEDSKRAPNING",
        unit="MBN",
        id=lambda n: f"7{n}",
        number=lambda n: f"MK-2024-{n}",
        event_id=lambda n, k: f"7{n}-e{k}",
    )
    fillers = filler_cases(
        "ecos",
        35,
        type_code="MILJO-NEDSKRAPNING",
        unit="MBN",
        id=lambda i: str(5000 + i),
        number=lambda i: f"MK-2025-{900 + i}",
        title=lambda i: f"Nedskräpning {i}",
        opened_at=lambda i: at(100 + i),
        main_number="MK-2025-999",
        subject=TOLVAN,
    )
    # closed before every window the tests ask about; found by subject and applicant
    sewage = case(
        "ecos",
        "4712",
        number="MK-2025-838",
        type_code="MILJO-NEDSKRAPNING",
        title="Tillstånd enskilt avlopp",
        unit="MBN",
        status="CLOSED",
        opened_at=at(-48),
        closed_at=at(-24),
        subject=LISA,
        applicant=KALLE,
        channel="MAIL",
        confidential=True,
        secrecy_ground="OSL 21 kap. 7 §",
        link="https://ecos.example/4712",
        events=[w.Event("4712-e1", at(-24), "CLOSED", "Ärendet avslutat")],
    )
    return world_of(littering, sewage, *per_status, *fillers, types=types.values())


def teknik_world() -> w.World:
    """fr-2025-00042 (closed, from ecos 4711, about ANNA, TOLVAN reports), statuses `st-n`
    (every status code the system emits), fillers `fr-2025-{100 + i}` about TOLVAN from 100 h."""
    types = {
        "TEK-STAD": w.CaseTypeDef(
            "TEK-STAD", "Skräpplockning/städning", "Teknik", "teknik", "TN", 14
        )
    }
    cleanup = w.Case(
        system="teknik",
        id="fr-2025-00042",
        number="FEL-2025-00042",
        main_number="MK-2025-837",
        type_code="TEK-STAD",
        title="Städning vid återvinningsstationen",
        description="Överlämnat från miljö.",
        unit="TN",
        status="CLOSED",
        opened_at=at(0),
        closed_at=at(48),
        subject=ANNA,
        applicant=TOLVAN,
        channel="INTERNAL",
        link="https://felanmalan.example/42",
        events=[
            w.Event("fr42-e1", at(0), "REGISTERED", "Mottaget från MBN", diary=True),
            w.Event(
                "fr42-e2",
                at(3),
                "ASSIGNMENT_GIVEN",
                "Uppdrag till AME",
                "Plocka skräp",
                concerns=ANNA,
            ),
            w.Event(
                "fr42-e3", at(40), "ASSIGNMENT_COMPLETED", "Klarmarkerat av AME", internal=True
            ),
            w.Event("fr42-e4", at(48), "CLOSED", "Avslutat"),
        ],
        documents=[w.Document("fr42-d1", "Uppdrag", "OUTGOING", at(3))],
        collaborations=[
            w.Collaboration("ASSIGNMENT", "TN", "AME", at(3), at(40)),
            w.Collaboration(
                "FORWARDING",
                "MBN",
                "TN",
                at(0),
                follow_up_retained=True,
                counterpart_system="ecos",
                counterpart_id="4711",
                counterpart_number="MK-2025-837",
            ),
        ],
    )
    # every status code the system emits: ny/mottagen, vantar_extern/uppdrag_ame included
    variants: list[tuple[str, list[str], list[w.Collaboration]]] = [
        ("RECEIVED", ["SUBMITTED"], []),
        ("RECEIVED", ["REGISTERED"], []),
        ("IN_PROGRESS", [], []),
        ("WAITING_FOR_CITIZEN", [], []),
        ("WAITING_FOR_OTHER_PARTY", [], []),
        ("WAITING_FOR_OTHER_PARTY", [], [w.Collaboration("ASSIGNMENT", "TN", "AME", at(-5))]),
        ("DECIDED", [], []),
        ("CLOSED", [], []),
        ("FORWARDED", [], []),
    ]
    per_status = [
        w.Case(
            system="teknik",
            id=f"st-{n}",
            number=f"FEL-2024-{n:05d}",
            type_code="TEK-STAD",
            title=status,
            unit="TN",
            status=status,
            opened_at=at(-1000 + n),
            channel=w.CHANNELS[n % len(w.CHANNELS)],
            events=[
                w.Event(f"st-{n}-e{k}", at(-1000 + n), kind, kind) for k, kind in enumerate(kinds)
            ]
            if kinds
            else [
                w.Event(f"st-{n}-e{k}", at(-1000 + n + k / 100), kind, kind)
                for k, kind in enumerate(w.EVENT_KINDS)
            ],
            collaborations=collabs,
        )
        for n, (status, kinds, collabs) in enumerate(variants)
    ]
    fillers = filler_cases(
        "teknik",
        33,
        type_code="TEK-STAD",
        unit="TN",
        id=lambda i: f"fr-2025-{100 + i:05d}",
        number=lambda i: f"FEL-2025-{100 + i:05d}",
        title=lambda i: f"Trasig lampa {i}",
        opened_at=lambda i: at(100 + i),
        status="IN_PROGRESS",
        subject=TOLVAN,
    )
    return world_of(cleanup, *per_status, *fillers, types=types.values())


def replacing(world: w.World, system: str, id: str, **changes: Any) -> w.World:
    """The same world with case `id` of `system` changed (e.g. an unknown status)."""
    cases = [
        replace(c, **changes) if (c.system, c.id) == (system, id) else c
        for held in world.cases.values()
        for c in held
    ]
    return world_of(
        *cases,
        types=world.case_types.values(),
        persons=world.persons.values(),
        custody=world.custody,
        mandates=world.mandates,
        systems=world.cases,
        seed=world.seed,
        reference_date=world.reference_date,
    )
