"""Mass population of the sandbox: persons, custody of children and powers of attorney.

Everything comes from one `random.Random`, drawn in a fixed order, so a seed
and a reference date always give the same people. Persona numbers are passed
in as `reserved` and never handed out again.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from .. import names
from ..world import Custody, Mandate, Person

PERSONS_AT_SCALE_1 = 22_000
MANDATES_AT_SCALE_1 = 320
COORDINATION_SHARE = 0.01
PROTECTED_SHARE = 0.003
YEAR = 365.2425

# Relative weight of each age 0..100, a rough Swedish population pyramid.
AGE_WEIGHTS = tuple(
    12 if a < 18 else 13 if a < 65 else 11 if a < 75 else 8 if a < 85 else 3 if a < 95 else 1
    for a in range(101)
)

MANDATE_SCOPES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("SOC-SABO", "SOC-HEMTJANST"), 50),
    (("SOC-HEMTJANST",), 15),
    (("SOC-SABO", "SOC-HEMTJANST", "SOC-EKB"), 10),
    (("BYGG-LOV", "BYGG-ANMALAN", "BYGG-RIVNING"), 10),
    (("TEK-GATA", "KC-FRAGA", "ES-PARKERINGSTILLSTAND"), 10),
    (("EDU-SKOLVAL",), 5),
)


@dataclass
class Population:
    """The mass persons and their relations, with the pools case generation draws from."""

    persons: dict[str, Person] = field(default_factory=dict)
    birth: dict[str, int] = field(default_factory=dict)  # pnr -> birth date ordinal
    custody: list[Custody] = field(default_factory=list)
    custodians: dict[str, list[str]] = field(default_factory=dict)  # child -> custodians
    mandates: list[Mandate] = field(default_factory=list)
    agent_of: dict[str, str] = field(default_factory=dict)  # grantor -> grantee, valid now
    adults: list[str] = field(default_factory=list)  # 18 and older
    working: list[str] = field(default_factory=list)  # 18-66
    elderly: list[str] = field(default_factory=list)  # 75 and older
    preschool: list[str] = field(default_factory=list)  # 1-6
    school: list[str] = field(default_factory=list)  # 6-15
    pupils: list[str] = field(default_factory=list)  # 6-18


def generate_population(
    rng: random.Random, reference_date: date, scale: float, reserved: Iterable[str]
) -> Population:
    """Persons (≥ 20,000 at scale 1), custody records and a few hundred mandates."""
    count = max(10, round(PERSONS_AT_SCALE_1 * scale))
    ref = reference_date.toordinal()
    taken = set(reserved)
    ages = rng.choices(range(101), weights=AGE_WEIGHTS, k=count)
    families = rng.choices(names.FAMILY_NAMES, weights=names.FAMILY_WEIGHTS, k=count)
    pop = Population()
    born_cache: dict[int, tuple[str, int]] = {}

    def new_person(age: int, family: str, born: int | None = None) -> Person:
        if born is None:
            born = min(ref, ref - int(age * YEAR) - rng.randrange(365))
        male = rng.random() < 0.5
        coordination = rng.random() < COORDINATION_SHARE
        while True:
            ymd = born_cache.get(born)
            if ymd is None:
                text = date.fromordinal(born).strftime("%Y%m%d")
                ymd = born_cache[born] = (text, names.date_sum(text[2:]))
            text, dsum = ymd
            if coordination:
                text = f"{text[:6]}{int(text[6:]) + 60:02d}"
                dsum = names.date_sum(text[2:])
            pnr = names.personal_number(text, rng.randrange(500) * 2 + male, dsum)
            if pnr not in taken:
                break
        taken.add(pnr)
        older = age >= 50
        if male:
            pool = names.MALE_OLDER if older else names.MALE_YOUNGER
        else:
            pool = names.FEMALE_OLDER if older else names.FEMALE_YOUNGER
        person = Person(pnr, pool[rng.randrange(len(pool))], family)
        if rng.random() < PROTECTED_SHARE:
            person.protected = True
        else:
            street = rng.randrange(len(names.STREETS))
            person.street = f"{names.STREETS[street]} {rng.randint(1, 60)}"
            person.postal_code = names.POSTAL_CODES[street]
        pop.persons[pnr] = person
        pop.birth[pnr] = born
        return person

    adult_births: list[int] = []
    adult_pnrs: list[str] = []
    for age, family in zip(ages, families, strict=True):
        if age >= 18:
            person = new_person(age, family)
            pop.adults.append(person.pnr)
            if age <= 66:
                pop.working.append(person.pnr)
            if age >= 75:
                pop.elderly.append(person.pnr)
    order = sorted(pop.adults, key=pop.birth.__getitem__)
    adult_births = [pop.birth[p] for p in order]
    adult_pnrs = order
    partner: dict[str, str] = {}

    def around(birth: int, low_years: float, high_years: float) -> str | None:
        lo = bisect.bisect_left(adult_births, birth - int(high_years * YEAR))
        hi = bisect.bisect_right(adult_births, birth - int(low_years * YEAR))
        return adult_pnrs[rng.randrange(lo, hi)] if hi > lo else None

    for age, _family in zip(ages, families, strict=True):
        if age >= 18:
            continue
        child_birth = min(ref, ref - int(age * YEAR) - rng.randrange(365))
        first = around(child_birth, 19, 45)
        family = pop.persons[first].family_name if first else _family
        child = new_person(age, family, child_birth)
        if 1 <= age <= 6:
            pop.preschool.append(child.pnr)
        if 6 <= age <= 15:
            pop.school.append(child.pnr)
        if age >= 6:
            pop.pupils.append(child.pnr)
        if first is None:
            continue
        guardians = [first]
        second = partner.get(first)
        if second is None and rng.random() < 0.8:
            second = around(pop.birth[first], -4, 6)
            if second is not None and second != first and second not in partner:
                partner[first], partner[second] = second, first
                _share_address(pop.persons[first], pop.persons[second])
            else:
                second = None
        adult_at_birth = child_birth - int(18 * YEAR)
        if second is not None and pop.birth[second] <= adult_at_birth and rng.random() < 0.92:
            guardians.append(second)
        _share_address(pop.persons[first], child)
        pop.custodians[child.pnr] = guardians
        pop.custody.extend(Custody(g, child.pnr) for g in guardians)

    _add_mandates(rng, pop, reference_date, scale)
    return pop


def _share_address(source: Person, target: Person) -> None:
    if not source.protected and not target.protected:
        target.street, target.postal_code = source.street, source.postal_code


def _add_mandates(rng: random.Random, pop: Population, reference_date: date, scale: float) -> None:
    """Elderly grantors, grantees mostly adult children (same family name, a generation younger)."""
    count = min(len(pop.elderly), round(MANDATES_AT_SCALE_1 * scale))
    by_family: dict[str, list[str]] = {}
    for pnr in pop.working:
        by_family.setdefault(pop.persons[pnr].family_name, []).append(pnr)
    scopes = [s for s, _ in MANDATE_SCOPES]
    weights = [w for _, w in MANDATE_SCOPES]
    for number, grantor in enumerate(rng.sample(pop.elderly, count), start=1):
        kin = by_family.get(pop.persons[grantor].family_name, [])
        grantee = None
        for _ in range(6):
            if not kin:
                break
            candidate = kin[rng.randrange(len(kin))]
            if 18 * YEAR <= pop.birth[candidate] - pop.birth[grantor] <= 50 * YEAR:
                grantee = candidate
                break
        if grantee is None:
            grantee = pop.working[rng.randrange(len(pop.working))]
        scope = rng.choices(scopes, weights=weights)[0]
        roll = rng.random()
        start = reference_date - timedelta(days=rng.randint(30, 1500))
        until: date | None = reference_date + timedelta(days=rng.randint(30, 1500))
        if roll < 0.3:
            until = None
        revoked = False
        if 0.7 <= roll < 0.82:  # expired
            until = reference_date - timedelta(days=rng.randint(1, 600))
            start = until - timedelta(days=rng.randint(180, 900))
        elif 0.82 <= roll < 0.9:  # not yet valid
            start = reference_date + timedelta(days=rng.randint(1, 60))
        elif roll >= 0.9:
            revoked = True
        pop.mandates.append(
            Mandate(f"FM-{100000 + number:06d}", grantor, grantee, scope, start, until, revoked)
        )
        if roll < 0.7:
            pop.agent_of[grantor] = grantee
