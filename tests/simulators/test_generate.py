"""The synthetic municipality: determinism, volumes, valid data and consistent chains."""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest

from connectors.personal_number import birth_date, is_coordination_number, parse_personal_number
from simulators.catalogue import AREAS, CASE_TYPES
from simulators.generate import generate
from simulators.personas import PERSONAS
from simulators.world import CASE_SYSTEMS, CHANNELS, EVENT_KINDS, STATUSES, TZ, Case, World

REF = date(2026, 11, 1)
END = datetime(2026, 11, 2, tzinfo=TZ)  # the end of the reference date
NUMBER_FORMATS = {
    "diarium": r"(KF|KS|KFN|BUN) \d{4}/\d{4,}",
    "byggr": r"BN \d{4}/\d{4,}",
    "procapita": r"SN \d{4}/\d{4,}",
    "ecos": r"MK-\d{4}-\d+",
    "teknik": r"FEL-\d{4}-\d{5,}",
    "edu": r"FSK-\d{4}-\d{5,}",
    "kontaktcenter": r"KC-\d{4}-\d{6,}",
    "eservice": r"ES-\d{4}-\d{6,}",
}
ID_FORMATS = {
    "diarium": r"\d{6,}",
    "byggr": r"BYGG-\d{4}-\d{6,}",
    "procapita": r"PC\d{8}",
    "ecos": r"\d+",
    "teknik": r"fr-\d{4}-\d{5,}",
    "edu": r"\d+",
    "kontaktcenter": r"sf-[0-9a-f]{10}",
    "eservice": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
}


@pytest.fixture(scope="module")
def small() -> World:
    return generate(7, reference_date=REF, scale=0.1)


@pytest.fixture(scope="module")
def full() -> tuple[World, float]:
    started = time.perf_counter()
    world = generate(1, reference_date=REF, scale=1.0)
    return world, time.perf_counter() - started


def all_cases(world: World) -> Iterator[Case]:
    for system in CASE_SYSTEMS:
        yield from world.cases[system]


def digest(world: World) -> str:
    """A stable fingerprint of every record of the world."""
    h = hashlib.sha256()
    for part in (world.persons.values(), world.custody, world.mandates, all_cases(world)):
        for record in part:
            h.update(repr(record).encode())
    return h.hexdigest()


def test_same_seed_date_and_scale_give_the_same_world(small: World) -> None:
    again = generate(7, reference_date=REF, scale=0.1)
    assert digest(again) == digest(small)


def test_another_seed_gives_other_mass_data(small: World) -> None:
    other = generate(8, reference_date=REF, scale=0.1)
    assert digest(other) != digest(small)
    mass = set(small.persons) - set(PERSONAS)
    other_mass = set(other.persons) - set(PERSONAS)
    assert len(mass & other_mass) < len(mass) // 10
    assert [c.title for c in small.cases["teknik"][:50]] != [
        c.title for c in other.cases["teknik"][:50]
    ]


def test_scale_multiplies_persons_and_cases(small: World) -> None:
    double = generate(7, reference_date=REF, scale=0.2)
    assert 1.8 < len(double.persons) / len(small.persons) < 2.2
    assert 1.8 < double.case_count() / small.case_count() < 2.2


def test_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(1, reference_date=REF, scale=0)


def test_volumes_at_scale_1_are_those_of_a_mid_size_municipality(
    full: tuple[World, float],
) -> None:
    world, seconds = full
    assert len(world.persons) >= 20_000
    assert world.case_count() >= 60_000
    sizes = {s: len(world.cases[s]) for s in CASE_SYSTEMS}
    large = min(sizes["teknik"], sizes["kontaktcenter"], sizes["eservice"])
    medium = max(sizes[s] for s in ("diarium", "byggr", "procapita", "ecos", "edu"))
    assert large > medium > 0
    assert min(sizes.values()) >= 4_000
    assert seconds < 15, f"generation took {seconds:.1f} s"  # about 2 s on the dev machine


def test_catalogue_covers_every_case_system_and_area() -> None:
    assert {t.system for t in CASE_TYPES.values()} == set(CASE_SYSTEMS)
    assert {t.area for t in CASE_TYPES.values()} == set(AREAS)
    for code, definition in CASE_TYPES.items():
        assert definition.code == code and definition.promise_days > 0
        assert definition.confidential == (definition.secrecy_ground is not None)
    assert {c for c, t in CASE_TYPES.items() if t.confidential} == {
        "SOC-SABO",
        "SOC-HEMTJANST",
        "SOC-EKB",
        "EDU-ELEVHALSA",
    }


def test_every_case_type_occurs(full: tuple[World, float]) -> None:
    world, _ = full
    assert {c.type_code for c in all_cases(world)} == set(CASE_TYPES)


def test_persons_have_valid_numbers_and_plausible_ages(full: tuple[World, float]) -> None:
    world, _ = full
    oldest = REF - timedelta(days=round(101 * 365.25))
    coordination = 0
    for pnr, person in world.persons.items():
        assert parse_personal_number(pnr) == pnr == person.pnr
        born = birth_date(pnr)
        assert born <= REF, pnr
        assert born >= oldest or pnr in PERSONAS, pnr  # Tolvan (1912) is the test classic
        coordination += is_coordination_number(pnr)
        assert person.given_name and person.family_name
        assert person.protected or (
            person.street and re.fullmatch(r"\d{3} \d{2}", person.postal_code)
        )
    assert 0.005 < coordination / len(world.persons) < 0.02
    protected = sum(p.protected for p in world.persons.values())
    assert 0.001 < protected / len(world.persons) < 0.006


def test_children_have_one_or_two_adult_custodians(full: tuple[World, float]) -> None:
    world, _ = full
    by_child: dict[str, list[str]] = {}
    for rel in world.custody:
        by_child.setdefault(rel.child, []).append(rel.custodian)
    assert len(by_child) > 2_000
    for child, custodians in by_child.items():
        assert 1 <= len(custodians) <= 2 and len(set(custodians)) == len(custodians)
        assert int(child[:4]) >= REF.year - 18
        for custodian in custodians:
            assert int(custodian[:4]) <= int(child[:4]) - 18
    assert Counter(len(c) for c in by_child.values())[2] > len(by_child) // 2
    adult_born = date(REF.year - 18, REF.month, REF.day)
    minors = {pnr for pnr in world.persons if birth_date(pnr) > adult_born}
    assert minors == set(by_child)


def test_mandates_cover_valid_expired_future_and_revoked(full: tuple[World, float]) -> None:
    world, _ = full
    assert 200 <= len(world.mandates) <= 500
    assert len({m.id for m in world.mandates}) == len(world.mandates)
    states: Counter[str] = Counter()
    for m in world.mandates:
        assert m.grantor in world.persons and m.grantee in world.persons
        assert m.scope and all(code in CASE_TYPES for code in m.scope)
        if m.revoked:
            states["revoked"] += 1
        elif m.valid_from > REF:
            states["future"] += 1
        elif m.valid_until is not None and m.valid_until < REF:
            states["expired"] += 1
        else:
            states["valid"] += 1
    assert min(states.values()) >= 10 and len(states) == 4
    assert sum(any(c.startswith("SOC-") for c in m.scope) for m in world.mandates) > 100


@pytest.mark.parametrize("which", ["small", "full"])
def test_every_case_is_well_formed(which: str, request: pytest.FixtureRequest) -> None:
    world = (
        request.getfixturevalue("small") if which == "small" else request.getfixturevalue("full")[0]
    )
    for system in CASE_SYSTEMS:
        ids: set[str] = set()
        numbers: set[str] = set()
        event_ids: set[str] = set()
        doc_ids: set[str] = set()
        for case in world.cases[system]:
            _check_case(world, system, case)
            ids.add(case.id)
            numbers.add(case.number)
            event_ids.update(e.id for e in case.events)
            doc_ids.update(d.id for d in case.documents)
        count = len(world.cases[system])
        assert len(ids) == len(numbers) == count
        assert len(event_ids) == sum(len(c.events) for c in world.cases[system])
        assert len(doc_ids) == sum(len(c.documents) for c in world.cases[system])


def _check_case(world: World, system: str, case: Case) -> None:
    definition = CASE_TYPES[case.type_code]
    assert (case.system, case.unit) == (system, definition.unit), case.id
    assert re.fullmatch(NUMBER_FORMATS[system], case.number), case.number
    assert re.fullmatch(ID_FORMATS[system], case.id), case.id
    assert case.id != case.number
    assert (case.confidential, case.secrecy_ground) == (
        definition.confidential,
        definition.secrecy_ground,
    )
    assert case.status in STATUSES and case.channel in CHANNELS
    assert 2 <= len(case.events) <= 7
    times = [e.at for e in case.events]
    assert times == sorted(times) and times[0] == case.opened_at
    assert times[-1] < END and all(t.tzinfo is TZ for t in times)
    assert case.status == case.events[-1].status_after
    assert (case.closed_at is not None) == (case.status == "CLOSED")
    if case.closed_at is not None:
        assert case.closed_at == times[-1]
    for event in case.events:
        assert event.kind in EVENT_KINDS and event.status_after in STATUSES
        assert event.summary and event.description
    for document in case.documents:
        assert case.opened_at <= document.registered_at < END
        assert document.direction in ("INCOMING", "OUTGOING", "DRAFTED")
        assert document.confidential == case.confidential
    for pnr in case.persons():
        assert pnr in world.persons
    if system == "eservice":
        assert case.link == f"https://etjanster.exempelby.se/arende/{case.id}"


def test_cross_system_chains_are_consistent(full: tuple[World, float]) -> None:
    world, _ = full
    chains: set[str] = set()
    links = 0
    for case in all_cases(world):
        for collab in case.collaborations:
            assert collab.kind in ("REFERRAL", "ASSIGNMENT", "FORWARDING")
            assert collab.started_at < END
            if collab.counterpart_system is None:
                continue
            links += 1
            other = world.case(collab.counterpart_system, collab.counterpart_id or "")
            assert other is not None and other.number == collab.counterpart_number
            assert case.main_number is not None and other.main_number == case.main_number
            back = [c for c in other.collaborations if c.counterpart_id == case.id]
            assert len(back) == 1 and back[0].kind == collab.kind
            chains.add(case.main_number)
    assert links >= 400 and len(chains) >= 200
    systems_in_chains = {
        c.system for c in all_cases(world) if c.main_number and c.main_number in chains
    }
    assert systems_in_chains == set(CASE_SYSTEMS) - {"procapita"}


def test_main_number_is_a_real_case_number(full: tuple[World, float]) -> None:
    world, _ = full
    numbers = {c.number for c in all_cases(world)}
    mains = {c.main_number for c in all_cases(world) if c.main_number}
    assert mains <= numbers


def test_timelines_look_like_a_real_municipality(full: tuple[World, float]) -> None:
    world, _ = full
    cases = list(all_cases(world))
    year_ago = datetime(2025, 11, 1, tzinfo=TZ)
    old = [c for c in cases if c.opened_at < year_ago]
    recent = [c for c in cases if c.opened_at >= END - timedelta(days=30)]
    old_closed = sum(c.status == "CLOSED" for c in old) / len(old)
    recent_closed = sum(c.status == "CLOSED" for c in recent) / len(recent)
    assert 0.7 <= old_closed <= 0.85 and recent_closed < old_closed - 0.1
    assert min(c.opened_at for c in cases) >= datetime(2023, 10, 1, tzinfo=TZ)
    kinds = Counter(e.kind for c in cases for e in c.events)
    assert set(kinds) == set(EVENT_KINDS)
    completion = sum(any(e.kind == "COMPLETION_REQUESTED" for e in c.events) for c in cases)
    assert 0.08 < completion / len(cases) < 0.2
    waiting = [c for c in cases if c.status == "WAITING_FOR_CITIZEN"]
    assert len(waiting) > 100
    overdue = [
        c
        for c in cases
        if c.closed_at is None
        and (END - c.opened_at).days > CASE_TYPES[c.type_code].promise_days * 2
    ]
    assert len(overdue) > 1_000
    assert 0.004 < sum(e.internal for c in cases for e in c.events) / kinds.total() < 0.05
    assert sum(e.diary for c in world.cases["diarium"] for e in c.events) > 10_000
    office = [e.at for c in cases[:5_000] for e in c.events[1:]]
    in_hours = sum(7 <= t.hour < 17 and t.weekday() < 5 for t in office)
    assert in_hours / len(office) > 0.9


def test_channels_follow_the_cost_argument(full: tuple[World, float]) -> None:
    world, _ = full
    channels = Counter(c.channel for c in all_cases(world))
    total = channels.total()
    assert set(channels) == set(CHANNELS)
    assert channels.most_common(2)[0][0] == "E_SERVICE"
    assert (channels["E_SERVICE"] + channels["CONTACT_CENTRE"]) / total > 0.5
    assert {c.channel for c in world.cases["eservice"]} == {"E_SERVICE"}


def test_people_on_cases(full: tuple[World, float]) -> None:
    world, _ = full
    custody = {(r.custodian, r.child) for r in world.custody}
    edu = [c for c in world.cases["edu"] if c.type_code == "EDU-FORSKOLA" and c.applicant]
    assert len(edu) > 1_000
    for case in edu:
        assert (case.applicant, case.subject) in custody
        assert {e.concerns for e in case.events} == {case.subject}
    anonymous = [c for c in world.cases["diarium"] if c.subject is None]
    assert any(c.type_code == "KS-ALLMANT" for c in anonymous)
    agents = [c for c in world.cases["procapita"] if c.applicant]
    assert agents and all(c.type_code in ("SOC-SABO", "SOC-HEMTJANST") for c in agents)


def test_public_diary_titles_carry_names_and_organisations(full: tuple[World, float]) -> None:
    world, _ = full
    pattern = re.compile(r"(\d{8})-(\d{4})")
    named = 0
    for case in [*world.cases["byggr"], *world.cases["diarium"]]:
        match = pattern.search(case.title)
        if match:
            named += 1
            person = world.persons[match.group(1) + match.group(2)]
            assert f"{person.given_name} {person.family_name}" in case.title
    assert named > 500
    assert any("Exempelby Bygg AB" in c.title for c in world.cases["byggr"])
    assert not any(pattern.search(c.title) for c in world.cases["procapita"])
