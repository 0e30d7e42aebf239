"""Identifiers in each system's own style, handed out in opening order.

Case numbers run per year (and per unit in the registry) as they do in real
registries: ``KS 2025/0412``, ``BN 2025/0193``, ``MK-2025-837``,
``FEL-2025-00042``. Local ids differ from numbers and by system. Persona ids
and numbers are reserved and skipped.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

from ..world import CASE_SYSTEMS, Case
from .cases import Links

ESERVICE_LINK = "https://etjanster.exempelby.se/arende/{id}"

# (number format, local id maker(year, seq, serial, rng)), seq counted per year (and unit)
IdMaker = Callable[[int, int, int, random.Random], str]
STYLES: dict[str, tuple[str, IdMaker]] = {
    "diarium": ("{unit} {year}/{seq:04d}", lambda y, s, n, r: str(100_000 + n)),
    "byggr": ("BN {year}/{seq:04d}", lambda y, s, n, r: f"BYGG-{y}-{s:06d}"),
    "procapita": ("SN {year}/{seq:04d}", lambda y, s, n, r: f"PC{10_000 + n:08d}"),
    "ecos": ("MK-{year}-{seq}", lambda y, s, n, r: str(40_000 + n)),
    "teknik": ("FEL-{year}-{seq:05d}", lambda y, s, n, r: f"fr-{y}-{s:05d}"),
    "edu": ("FSK-{year}-{seq:05d}", lambda y, s, n, r: str(500_000 + n)),
    "kontaktcenter": ("KC-{year}-{seq:06d}", lambda y, s, n, r: f"sf-{r.getrandbits(40):010x}"),
    "eservice": ("ES-{year}-{seq:06d}", lambda y, s, n, r: _uuid_like(r)),
}


def _uuid_like(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def number_cases(
    rng: random.Random,
    cases: dict[str, list[Case]],
    reserved: Iterable[Case],
    links: Links,
) -> None:
    """Give every mass case its id, number, event and document ids; then resolve `links`."""
    taken_ids: dict[str, set[str]] = {s: set() for s in CASE_SYSTEMS}
    taken_numbers: dict[str, set[str]] = {s: set() for s in CASE_SYSTEMS}
    for case in reserved:
        taken_ids[case.system].add(case.id)
        taken_numbers[case.system].add(case.number)
    for system in CASE_SYSTEMS:
        _number_system(rng, system, cases[system], taken_ids[system], taken_numbers[system])
    for record, target in links.collaborations:
        record.counterpart_system = target.system
        record.counterpart_id = target.id
        record.counterpart_number = target.number
    for case, main in links.main.values():
        case.main_number = main.number


def _number_system(
    rng: random.Random, system: str, cases: list[Case], ids: set[str], numbers: set[str]
) -> None:
    number_format, make_id = STYLES[system]
    per_unit = "{unit}" in number_format
    counters: dict[tuple[str, int], int] = {}
    serial = 0
    cases.sort(key=lambda c: c.opened_at)
    for case in cases:
        year = case.opened_at.year
        key = (case.unit if per_unit else "", year)
        seq = counters.get(key, 0)
        while True:  # skip reserved numbers and ids (personas), and the rare random clash
            seq += 1
            serial += 1
            number = number_format.format(unit=case.unit, year=year, seq=seq)
            local_id = make_id(year, seq, serial, rng)
            if number not in numbers and local_id not in ids:
                break
        counters[key] = seq
        numbers.add(number)
        ids.add(local_id)
        case.id = local_id
        case.number = number
        for n, event in enumerate(case.events, start=1):
            event.id = f"{local_id}-e{n}"
        for n, document in enumerate(case.documents, start=1):
            document.id = f"{local_id}-d{n}"
        if system == "eservice":
            case.link = ESERVICE_LINK.format(id=local_id)
