"""The deterministic sandbox municipality: `generate(seed, reference_date, scale)`.

Same seed, reference date and scale give the same `World`, record for record.
The personas (see `personas`) are always there with the same ids and texts;
the mass data around them (≥ 20,000 persons and ≥ 60,000 cases over three
years at scale 1) changes with the seed and grows with the scale.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from ..catalogue import CASE_TYPES
from ..personas import PERSONAS
from ..world import World
from .cases import CaseFactory
from .numbers import number_cases
from .persona_data import build_personas
from .population import generate_population


def generate(seed: int = 1, *, reference_date: date, scale: float = 1.0) -> World:
    """Build the whole sandbox municipality for `reference_date` (nothing happens after it)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    with _collector_paused():
        return _generate(seed, reference_date, scale)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Millions of new objects, none of them cyclic garbage: spare the cycle collector."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _generate(seed: int, reference_date: date, scale: float) -> World:
    rng = random.Random(seed)
    personas = build_personas(reference_date)
    population = generate_population(rng, reference_date, scale, reserved=PERSONAS)
    factory = CaseFactory(rng, population, reference_date)
    cases = factory.generate(scale)
    number_cases(rng, cases, personas.cases.values(), factory.links)
    for case in personas.cases.values():
        cases[case.system].append(case)
    persons = {**personas.persons, **population.persons}
    return World(
        seed=seed,
        reference_date=reference_date,
        scale=scale,
        case_types=dict(CASE_TYPES),
        persons=persons,
        custody=[*personas.custody, *population.custody],
        mandates=[*personas.mandates, *population.mandates],
        cases=cases,
    )
