"""The personas and their scenarios: exactly as DESIGN.md tells, at every seed and scale."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from connectors.personal_number import parse_personal_number
from simulators import personas as p
from simulators.generate import generate
from simulators.generate.persona_data import (
    PersonaCase,
    build_personas,
    persona_cases,
    persona_persons,
)
from simulators.world import CASE_SYSTEMS, TZ, Case, World

REF = date(2026, 11, 1)
END = datetime(2026, 11, 2, tzinfo=TZ)


@pytest.fixture(scope="module")
def world() -> World:
    return generate(1, reference_date=REF, scale=0.05)


@pytest.fixture(scope="module")
def refs() -> dict[str, PersonaCase]:
    return persona_cases(REF)


def case(world: World, refs: dict[str, PersonaCase], key: str) -> Case:
    ref = refs[key]
    found = world.case(ref.system, ref.id)
    assert found is not None, key
    return found


def timeline(c: Case) -> list[tuple[str, str | None, str]]:
    return [(e.kind, e.status_after, e.summary) for e in c.events]


def persona_part(world: World) -> tuple[list[object], list[object], list[object], list[str]]:
    """Everything of the world that concerns a persona, as comparable values."""
    cases = [c for s in CASE_SYSTEMS for c in world.cases[s] if set(c.persons()) & set(p.PERSONAS)]
    return (
        [world.persons[pnr] for pnr in p.PERSONAS],
        [r for r in world.custody if {r.custodian, r.child} & set(p.PERSONAS)],
        [m for m in world.mandates if {m.grantor, m.grantee} & set(p.PERSONAS)],
        sorted(repr(c) for c in cases),
    )


def test_persons_exist_with_their_names() -> None:
    names = {
        pnr: (x.given_name, x.family_name, x.protected) for pnr, x in persona_persons().items()
    }
    assert names == {
        p.KALLE: ("Kalle", "Testson", False),
        p.GRETA: ("Greta", "Testson", False),
        p.NILS: ("Nils", "Testson", False),
        p.ANNA: ("Anna", "Andersson", False),
        p.BENGT: ("Bengt", "Berg", False),
        p.SARA: ("Sara", "Skyddad", True),
        p.SARA_CHILD: ("Elsa", "Skyddad", True),
        p.LISA: ("Lisa", "Lund", False),
        p.TOLVAN: ("Tolvan", "Tolvansson", False),
    }
    for pnr in p.PERSONAS:
        assert parse_personal_number(pnr) == pnr
    assert persona_persons()[p.SARA].street == ""


def test_personas_are_the_same_at_every_seed_and_scale(world: World) -> None:
    other = generate(2, reference_date=REF, scale=0.1)
    assert persona_part(other) == persona_part(world)
    assert len(persona_part(world)[3]) == 16


def test_mass_data_never_reuses_persona_ids_or_numbers(
    world: World, refs: dict[str, PersonaCase]
) -> None:
    for key, ref in refs.items():
        same_id = [c for c in world.cases[ref.system] if c.id == ref.id]
        same_number = [c for c in world.cases[ref.system] if c.number == ref.number]
        assert len(same_id) == len(same_number) == 1, key
        assert same_id[0] is same_number[0]
    assert len({(r.system, r.id) for r in refs.values()}) == len(refs)


def test_timelines_follow_the_reference_date(world: World, refs: dict[str, PersonaCase]) -> None:
    later = REF + timedelta(days=200)
    moved = build_personas(later).cases
    for key in refs:
        here = case(world, refs, key)
        there = moved[key]
        assert [e.at + timedelta(days=200) for e in here.events] == [e.at for e in there.events]
        assert timeline(here) == timeline(there)
        assert here.events[-1].at < END
    assert moved[p.KALLE_BYGGLOV].number == f"BN {REF.year + 1}/0193"  # opened in 2027 now
    assert refs[p.KALLE_BYGGLOV] == PersonaCase("byggr", "BYGG-2026-000193", "BN 2026/0193", None)


def test_kalle(world: World, refs: dict[str, PersonaCase]) -> None:
    permit = case(world, refs, p.KALLE_BYGGLOV)
    assert (permit.system, permit.type_code, permit.unit, permit.subject) == (
        "byggr",
        "BYGG-LOV",
        "BN",
        p.KALLE,
    )
    assert permit.title == (
        "Bygglov för nybyggnad av garage, Lönnen 4, sökande Kalle Testson 19560605-5555"
    )
    assert timeline(permit) == [
        ("SUBMITTED", "RECEIVED", "Bygglovsansökan inkommen för fastigheten Lönnen 4"),
        ("REGISTERED", "IN_PROGRESS", "Ärendet registrerat"),
        ("REFERRAL_SENT", "WAITING_FOR_OTHER_PARTY", "Grannehörande skickat"),
        ("REFERRAL_ANSWERED", "IN_PROGRESS", "Grannehörande besvarat"),
        ("DECIDED", "DECIDED", "Bygglov beviljat"),
    ]
    assert "Lisa Lund" in (permit.events[2].description or "")
    grant = case(world, refs, p.KALLE_KULTURSTIPENDIUM)
    assert (grant.system, grant.type_code, grant.unit, grant.status) == (
        "diarium",
        "KFN-KULTURSTIPENDIUM",
        "KFN",
        "CLOSED",
    )
    assert timeline(grant) == [
        ("SUBMITTED", "RECEIVED", "Ansökan om kulturstipendium inkommen"),
        ("DELAYED", "IN_PROGRESS", "Kulturstipendiebeslut dröjer på grund av handläggares sjukdom"),
        ("DECIDED", "DECIDED", "Ansökan om kulturstipendium avslagen"),
        ("CLOSED", "CLOSED", "Ärendet avslutat"),
    ]
    assert grant.closed_at == grant.events[-1].at
    assert [(r.custodian, r.child) for r in world.custody_of(p.NILS)] == [(p.KALLE, p.NILS)]
    [mandate] = world.mandates_for_grantee(p.KALLE)
    assert (mandate.id, mandate.grantor, mandate.scope, mandate.revoked) == (
        p.KALLE_MANDATE_ID,
        p.GRETA,
        ("SOC-SABO", "SOC-HEMTJANST"),
        False,
    )
    assert mandate.valid_from <= REF <= (mandate.valid_until or REF)


def test_greta_and_nils(world: World, refs: dict[str, PersonaCase]) -> None:
    housing = case(world, refs, p.GRETA_SABO)
    assert (housing.system, housing.type_code, housing.subject, housing.applicant) == (
        "procapita",
        "SOC-SABO",
        p.GRETA,
        None,
    )
    assert (housing.confidential, housing.secrecy_ground) == (True, "OSL 26 kap. 1 §")
    assert timeline(housing) == [
        ("SUBMITTED", "RECEIVED", "Ansökan om särskilt boende inkommen"),
        ("DELAYED", "IN_PROGRESS", "Inga platser i särskilt boende ännu lediga"),
        ("DECIDED", "DECIDED", "Plats i särskilt boende tilldelad i Vallhornet"),
    ]
    assert {e.concerns for e in housing.events} == {p.GRETA}
    assert all(d.confidential for d in housing.documents) and housing.documents
    preschool = case(world, refs, p.NILS_FORSKOLA)
    assert (preschool.system, preschool.type_code, preschool.subject, preschool.applicant) == (
        "edu",
        "EDU-FORSKOLA",
        p.NILS,
        p.KALLE,
    )
    assert timeline(preschool) == [
        ("SUBMITTED", "RECEIVED", "Förskoleplats sökt"),
        ("STATUS_CHANGED", "RECEIVED", "Förskoleansökan ändrad"),
        ("STATUS_CHANGED", "RECEIVED", "Förskoleansökan ändrad"),
        ("DECIDED", "DECIDED", "Förskoleplats tilldelad i Nyckelpigan"),
    ]
    assert {e.concerns for e in preschool.events} == {p.NILS}
    assert world.cases_of("edu", [p.KALLE]) == [preschool]


def test_anna_chain(world: World, refs: dict[str, PersonaCase]) -> None:
    eservice = case(world, refs, p.ANNA_ESERVICE)
    ecos = case(world, refs, p.ANNA_ECOS)
    teknik = case(world, refs, p.ANNA_TEKNIK)
    assert [(c.system, c.type_code, c.unit, c.subject) for c in (eservice, ecos, teknik)] == [
        ("eservice", "ES-NEDSKRAPNING", "MBN", p.ANNA),
        ("ecos", "MILJO-NEDSKRAPNING", "MBN", p.ANNA),
        ("teknik", "TEK-STAD", "TN", p.ANNA),
    ]
    assert eservice.channel == "E_SERVICE" and eservice.link
    assert ecos.number == f"MK-{REF.year}-837"
    assert {c.main_number for c in (eservice, ecos, teknik)} == {ecos.number}
    forward = [(c.kind, c.from_unit, c.to_unit, c.counterpart_id) for c in eservice.collaborations]
    assert forward == [("FORWARDING", "MBN", "MBN", ecos.id)]
    [to_teknik] = [c for c in ecos.collaborations if c.counterpart_system == "teknik"]
    assert (to_teknik.kind, to_teknik.to_unit, to_teknik.follow_up_retained) == (
        "FORWARDING",
        "TN",
        True,
    )
    assert (to_teknik.counterpart_id, to_teknik.counterpart_number) == (teknik.id, teknik.number)
    assert to_teknik.completed_at == ecos.events[-1].at
    [ame] = [c for c in teknik.collaborations if c.to_unit == "AME"]
    assert (ame.kind, ame.counterpart_system, ame.completed_at) == (
        "ASSIGNMENT",
        None,
        teknik.events[2].at,
    )
    assert [e.kind for e in teknik.events] == [
        "SUBMITTED",
        "ASSIGNMENT_GIVEN",
        "ASSIGNMENT_COMPLETED",
        "CLOSED",
    ]
    assert teknik.events[2].summary == "Klarmarkerat av Arbetsmarknadsenheten"
    assert (ecos.status, ecos.events[-1].at > teknik.events[-1].at) == ("CLOSED", True)
    assert [e.kind for e in ecos.events][-2:] == ["FORWARDED", "CLOSED"]
    assert world.cases_by_number("teknik", [ecos.number]) == [teknik]


def test_bengt_chain(world: World, refs: dict[str, PersonaCase]) -> None:
    centre = case(world, refs, p.BENGT_KONTAKTCENTER)
    council = case(world, refs, p.BENGT_KF)
    board = case(world, refs, p.BENGT_KS)
    culture = case(world, refs, p.BENGT_KFN)
    assert [(c.system, c.type_code, c.unit) for c in (centre, council, board, culture)] == [
        ("kontaktcenter", "KC-MEDBORGARFORSLAG", "KC"),
        ("diarium", "KF-MEDBORGARFORSLAG", "KF"),
        ("diarium", "KS-BEREDNING", "KS"),
        ("diarium", "KFN-YTTRANDE", "KFN"),
    ]
    year = (REF - timedelta(days=298)).year
    assert council.number == f"KF {year}/0031"
    assert {c.main_number for c in (centre, council, board, culture)} == {council.number}
    handover = centre.collaborations[0]
    assert (handover.kind, handover.to_unit, handover.follow_up_retained) == (
        "FORWARDING",
        "KF",
        False,
    )
    assert (handover.counterpart_system, handover.counterpart_id) == ("diarium", council.id)
    outgoing = [(c.kind, c.from_unit, c.to_unit, c.counterpart_id) for c in council.collaborations]
    assert outgoing == [("FORWARDING", "KC", "KF", centre.id), ("ASSIGNMENT", "KF", "KS", board.id)]
    assert [(c.kind, c.to_unit, c.counterpart_id) for c in board.collaborations] == [
        ("ASSIGNMENT", "KS", council.id),
        ("REFERRAL", "KFN", culture.id),
    ]
    assert [e.kind for e in council.events][-2:] == ["DECIDED", "CLOSED"]
    assert council.status == centre.status == board.status == culture.status == "CLOSED"
    assert all(e.diary for e in council.events)


def test_sara_lisa_and_tolvan(world: World, refs: dict[str, PersonaCase]) -> None:
    support = case(world, refs, p.SARA_EKB)
    assert (support.type_code, support.subject, support.confidential) == ("SOC-EKB", p.SARA, True)
    assert world.persons[p.SARA].protected and world.persons[p.SARA_CHILD].protected
    child = case(world, refs, p.SARA_CHILD_FORSKOLA)
    assert (child.system, child.subject, child.applicant) == ("edu", p.SARA_CHILD, p.SARA)
    assert [(r.custodian, r.child) for r in world.custody_of(p.SARA_CHILD)] == [
        (p.SARA, p.SARA_CHILD)
    ]
    permit = case(world, refs, p.LISA_BYGGLOV)
    assert (permit.system, permit.type_code, permit.subject) == ("byggr", "BYGG-LOV", p.LISA)
    fault = case(world, refs, p.TOLVAN_FELANMALAN)
    assert (fault.system, fault.type_code, fault.subject) == ("teknik", "TEK-GATA", p.TOLVAN)
    form = case(world, refs, p.TOLVAN_ESERVICE)
    assert (form.system, form.status, form.closed_at) == ("eservice", "WAITING_FOR_CITIZEN", None)
    assert [e.kind for e in form.events] == ["SUBMITTED", "COMPLETION_REQUESTED"]
    assert {c.system for c in world.cases_of("teknik", [p.TOLVAN])} == {"teknik"}
