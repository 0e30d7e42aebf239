"""The role × relation × case-kind matrix: the level, and field by field what leaves.

Every case here has every field set (conftest.build_case), so a field that a level
should withhold but does not shows up in `exposed()` and fails the test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from connectors.domain import Case, Person
from policies.caller import Caller, Role
from policies.disclosure import Disclosure, delegated_units, level, situation
from policies.policy import Policy
from policies.redact import GENERIC_SUMMARIES, redact_case
from policies.relations import Representation, RepresentationBasis, relation_to
from policies.views import CaseView, CollaborationView, DocumentView, EventView, PersonView

NONE, EXISTENCE, SUMMARY, FULL = (
    Disclosure.NONE,
    Disclosure.EXISTENCE,
    Disclosure.SUMMARY,
    Disclosure.FULL,
)
KALLE, GRETA, NILS = "195606055555", "193404124129", "201903142386"
LISA, SARA, TOLVAN = "194505173213", "198509231661", "191212121212"
SARA_CHILD = "202008152387"

PERSONS = {
    p.personal_number: p
    for p in (
        Person(KALLE, "Kalle", "Testson"),
        Person(GRETA, "Greta", "Testson"),
        Person(NILS, "Nils", "Testson"),
        Person(LISA, "Lisa", "Lund"),
        Person(TOLVAN, "Tolvan", "Tolvansson"),
        Person(SARA, "Sara", "Skyddad", protected_identity=True),
        Person(SARA_CHILD, "Saga", "Skyddad", protected_identity=True),
    )
}

REPRESENTATIONS = {
    KALLE: [
        Representation(NILS, RepresentationBasis.CUSTODY, date(2037, 3, 13)),
        Representation(
            GRETA,
            RepresentationBasis.POWER_OF_ATTORNEY,
            None,
            frozenset({"SOC-SABO", "SOC-HEMTJANST"}),
        ),
    ],
    SARA: [Representation(SARA_CHILD, RepresentationBasis.CUSTODY, date(2038, 8, 14))],
}


def officer(*units: str) -> Caller:
    return Caller(Role.CASE_OFFICER, subject="o", name="Handläggare", units=frozenset(units))


CALLERS = {
    "kalle": Caller(Role.CITIZEN, subject="k", personal_number=KALLE),
    "lisa": Caller(Role.CITIZEN, subject="l", personal_number=LISA),
    "sara": Caller(Role.CITIZEN, subject="s", personal_number=SARA),
    "citizen_without_number": Caller(Role.CITIZEN, subject="x"),
    "contact_centre": Caller(Role.CONTACT_CENTRE, subject="c", units=frozenset({"KC"})),
    "officer_bn": officer("BN"),
    "officer_sn": officer("SN"),
    "officer_bun": officer("BUN"),
    "officer_mbn": officer("MBN"),
    "officer_tn": officer("TN"),
    "officer_bn_mbn": officer("BN", "MBN"),
    "officer_without_units": officer(),
    "analyst": Caller(Role.ANALYST, subject="a", units=frozenset({"KS"})),
    "public": Caller.anonymous(),
}

OSL_26 = "OSL 26 kap. 1 §"
CASES: dict[str, dict[str, Any]] = {
    "kalle_bygg": {"subject": KALLE},
    "lisa_bygg": {"subject": LISA},
    "greta_bygg": {"subject": GRETA},
    "bn_secret": {"subject": LISA, "confidential": True, "secrecy_ground": "OSL 18 kap. 8 §"},
    "kalle_kultur": {"subject": KALLE, "unit": "KFN", "type_code": "KFN-KULTURSTIPENDIUM"},
    "nils_forskola": {"subject": NILS, "unit": "BUN", "type_code": "EDU-FORSKOLA"},
    "nils_elevhalsa": {
        "subject": NILS,
        "unit": "BUN",
        "type_code": "EDU-ELEVHALSA",
        "confidential": True,
        "secrecy_ground": "OSL 25 kap. 1 §",
    },
    "elevhalsa_open": {"subject": NILS, "unit": "BUN", "type_code": "EDU-ELEVHALSA"},
    "greta_sabo": {
        "subject": GRETA,
        "unit": "SN",
        "type_code": "SOC-SABO",
        "confidential": True,
        "secrecy_ground": OSL_26,
    },
    "greta_ekb": {
        "subject": GRETA,
        "unit": "SN",
        "type_code": "SOC-EKB",
        "confidential": True,
        "secrecy_ground": OSL_26,
    },
    "sn_open": {"subject": LISA, "unit": "SN", "type_code": "SOC-HEMTJANST"},
    "mbn_secret": {
        "subject": LISA,
        "unit": "MBN",
        "type_code": "MILJO-LIVSMEDEL",
        "confidential": True,
        "secrecy_ground": "OSL 30 kap. 23 §",
    },
    "tolvan_gata": {"subject": TOLVAN, "unit": "TN", "type_code": "TEK-GATA"},
    "kc_fraga": {"subject": TOLVAN, "unit": "KC", "type_code": "KC-FRAGA"},
    "sara_ekb": {
        "subject": SARA,
        "unit": "SN",
        "type_code": "SOC-EKB",
        "confidential": True,
        "secrecy_ground": OSL_26,
    },
    "sara_gata": {"subject": SARA, "unit": "TN", "type_code": "TEK-GATA"},
    "sara_child_forskola": {
        "subject": SARA_CHILD,
        "parties": (SARA,),
        "unit": "BUN",
        "type_code": "EDU-FORSKOLA",
    },
}

# (caller, case, level, identity of the subject: shown / hidden / "-" when no subject is shown)
MATRIX = [
    # citizens: own, child, principal in and out of scope, anyone else
    ("kalle", "kalle_bygg", FULL, "shown"),
    ("kalle", "kalle_kultur", FULL, "shown"),
    ("kalle", "nils_forskola", FULL, "shown"),
    ("kalle", "nils_elevhalsa", FULL, "shown"),  # custodians see their child's school health
    ("kalle", "greta_sabo", FULL, "shown"),
    ("kalle", "greta_bygg", NONE, "-"),  # power of attorney, type out of scope
    ("kalle", "greta_ekb", NONE, "-"),
    ("kalle", "lisa_bygg", NONE, "-"),
    ("kalle", "sara_ekb", NONE, "-"),
    ("kalle", "sara_child_forskola", NONE, "-"),
    ("lisa", "lisa_bygg", FULL, "shown"),
    ("lisa", "bn_secret", FULL, "shown"),
    ("lisa", "mbn_secret", FULL, "shown"),
    ("lisa", "sn_open", FULL, "shown"),
    ("lisa", "kalle_bygg", NONE, "-"),
    ("sara", "sara_ekb", FULL, "shown"),  # protected, but it is her own
    ("sara", "sara_gata", FULL, "shown"),
    ("sara", "sara_child_forskola", FULL, "shown"),  # her protected child: she is custodian
    ("sara", "nils_forskola", NONE, "-"),
    ("citizen_without_number", "kalle_bygg", NONE, "-"),
    # contact centre: delegated / not delegated, confidential, overrides, protected identity
    ("contact_centre", "kalle_bygg", SUMMARY, "shown"),
    ("contact_centre", "lisa_bygg", SUMMARY, "shown"),
    ("contact_centre", "bn_secret", EXISTENCE, "-"),
    ("contact_centre", "kalle_kultur", SUMMARY, "shown"),
    ("contact_centre", "nils_forskola", SUMMARY, "shown"),
    ("contact_centre", "nils_elevhalsa", NONE, "-"),
    ("contact_centre", "elevhalsa_open", NONE, "-"),  # EDU-ELEVHALSA override
    ("contact_centre", "greta_sabo", NONE, "-"),  # SN not delegated
    ("contact_centre", "greta_ekb", NONE, "-"),
    ("contact_centre", "sn_open", NONE, "-"),  # not delegated, even when not confidential
    ("contact_centre", "mbn_secret", EXISTENCE, "-"),
    ("contact_centre", "tolvan_gata", SUMMARY, "shown"),
    ("contact_centre", "kc_fraga", SUMMARY, "shown"),
    ("contact_centre", "sara_gata", SUMMARY, "hidden"),
    ("contact_centre", "sara_ekb", NONE, "-"),
    ("contact_centre", "sara_child_forskola", SUMMARY, "hidden"),
    # case officers: own unit, other unit, secrecy between units, overrides
    ("officer_bn", "kalle_bygg", FULL, "shown"),
    ("officer_bn", "bn_secret", FULL, "shown"),
    ("officer_bn", "tolvan_gata", SUMMARY, "shown"),
    ("officer_bn", "sn_open", SUMMARY, "shown"),
    ("officer_bn", "nils_forskola", SUMMARY, "shown"),
    ("officer_bn", "greta_sabo", NONE, "-"),
    ("officer_bn", "mbn_secret", NONE, "-"),
    ("officer_bn", "nils_elevhalsa", NONE, "-"),
    ("officer_bn", "elevhalsa_open", NONE, "-"),
    ("officer_bn", "sara_gata", SUMMARY, "hidden"),
    ("officer_bn", "sara_ekb", NONE, "-"),
    ("officer_bn", "sara_child_forskola", SUMMARY, "hidden"),
    ("officer_sn", "greta_sabo", FULL, "shown"),
    ("officer_sn", "greta_ekb", FULL, "shown"),
    ("officer_sn", "sara_ekb", FULL, "shown"),  # owning unit sees the protected person
    ("officer_sn", "sara_gata", SUMMARY, "hidden"),  # ... but not in another unit's case
    ("officer_sn", "kalle_bygg", SUMMARY, "shown"),
    ("officer_sn", "nils_elevhalsa", NONE, "-"),
    ("officer_bun", "nils_elevhalsa", FULL, "shown"),
    ("officer_bun", "elevhalsa_open", FULL, "shown"),
    ("officer_bun", "nils_forskola", FULL, "shown"),
    ("officer_bun", "sara_child_forskola", FULL, "shown"),
    ("officer_bun", "kalle_bygg", SUMMARY, "shown"),
    ("officer_mbn", "mbn_secret", FULL, "shown"),
    ("officer_mbn", "elevhalsa_open", NONE, "-"),
    ("officer_mbn", "nils_forskola", SUMMARY, "shown"),
    ("officer_mbn", "bn_secret", NONE, "-"),
    ("officer_tn", "sara_gata", FULL, "shown"),
    ("officer_bn_mbn", "bn_secret", FULL, "shown"),
    ("officer_bn_mbn", "mbn_secret", FULL, "shown"),
    ("officer_bn_mbn", "greta_sabo", NONE, "-"),
    ("officer_without_units", "kalle_bygg", SUMMARY, "shown"),
    ("officer_without_units", "greta_sabo", NONE, "-"),
    # analysts and the public never see cases person by person
    ("analyst", "kalle_bygg", NONE, "-"),
    ("analyst", "tolvan_gata", NONE, "-"),
    ("analyst", "greta_sabo", NONE, "-"),
    ("public", "kalle_bygg", NONE, "-"),
    ("public", "kc_fraga", NONE, "-"),
]

EXISTENCE_FIELDS = {
    "ref",
    "level",
    "case_number",
    "main_case_number",
    "type",
    "title",
    "status",
    "unit",
    "opened_at",
    "closed_at",
    "confidential",
    "events",
    "events[].id",
    "events[].occurred_at",
    "events[].kind",
    "events[].summary",
    "events[].diary_event",
}
SUMMARY_FIELDS = {
    "subject",
    "subject.protected_identity",
    "channel",
    "link",
    "events[].concerns",
    "events[].concerns.protected_identity",
    "events[].link",
    "documents",
    "documents[].id",
    "documents[].title",
    "documents[].direction",
    "documents[].registered_at",
    "documents[].confidential",
    "collaborations",
    "collaborations[].kind",
    "collaborations[].from_unit",
    "collaborations[].to_unit",
    "collaborations[].started_at",
    "collaborations[].completed_at",
    "collaborations[].responsibility_retained",
    "collaborations[].follow_up_retained",
    "collaborations[].counterpart",
}
IDENTITY_FIELDS = {
    "subject.personal_number",
    "subject.name",
    "events[].concerns.personal_number",
    "events[].concerns.name",
}
_VIEWS = (PersonView, EventView, DocumentView, CollaborationView)


def exposed(view: object, prefix: str = "") -> set[str]:
    """Every non-null field of a view, nested views included, as dotted paths."""
    found: set[str] = set()
    for field in dataclasses.fields(view):  # type: ignore[arg-type]
        value = getattr(view, field.name)
        if value is None:
            continue
        path = prefix + field.name
        found.add(path)
        if isinstance(value, tuple):
            for item in value:
                if isinstance(item, _VIEWS):
                    found |= exposed(item, f"{path}[].")
        elif isinstance(value, _VIEWS):
            found |= exposed(value, f"{path}.")
    return found


def allowed(disclosure: Disclosure, caller: Caller, case: Case, identity: str) -> set[str]:
    if disclosure is NONE:
        return set()
    fields = set(EXISTENCE_FIELDS)
    if disclosure >= SUMMARY:
        fields |= SUMMARY_FIELDS
        if identity == "shown":
            fields |= IDENTITY_FIELDS
    if disclosure is FULL:
        fields.add("events[].description")
        if caller.role.is_staff and case.secrecy_ground:
            fields.add("secrecy_ground")
    return fields


def see(caller: Caller, case: Case, policy: Policy) -> tuple[Disclosure, CaseView | None]:
    """The pipeline as resolvers run it: relation, level, redaction."""
    reps = REPRESENTATIONS.get(caller.personal_number or "", [])
    disclosure = level(caller, relation_to(caller, case, reps), case, policy)
    represented = {r.personal_number for r in reps}
    view = redact_case(case, disclosure, caller, PERSONS, policy, represented=represented)
    return disclosure, view


@pytest.mark.parametrize(
    ("caller_key", "case_key", "expected", "identity"),
    MATRIX,
    ids=[f"{row[0]}-{row[1]}" for row in MATRIX],
)
def test_matrix(
    policy: Policy,
    case_factory: Callable[..., Case],
    caller_key: str,
    case_key: str,
    expected: Disclosure,
    identity: str,
) -> None:
    caller = CALLERS[caller_key]
    case = case_factory(local_id=case_key, **CASES[case_key])
    disclosure, view = see(caller, case, policy)

    assert disclosure is expected
    if expected is NONE:
        assert view is None
        return
    assert view is not None
    assert view.level is expected
    assert exposed(view) == allowed(expected, caller, case, identity)

    # values behind the fields: titles, summaries, documents, internal events
    if expected is EXISTENCE:
        assert view.title == policy.case_types[case.type.code].name
        assert [e.summary for e in view.events] == [GENERIC_SUMMARIES[e.kind] for e in view.events]
    else:
        assert view.title == case.title
        assert {e.summary for e in view.events} <= {e.summary for e in case.events}
    shown_docs = [d.id for d in view.documents or ()]
    assert (
        shown_docs
        == {
            EXISTENCE: [],
            SUMMARY: [f"{case_key}-d1"],
            FULL: [f"{case_key}-d1", f"{case_key}-d2"],
        }[expected]
    )
    internal_shown = expected is FULL and caller.role is Role.CASE_OFFICER
    assert [e.id for e in view.events] == [
        f"{case_key}-e1",
        f"{case_key}-e2",
        *([f"{case_key}-e3"] if internal_shown else []),
        f"{case_key}-e4",
    ]
    if view.subject is not None:
        assert view.subject.protected_identity is PERSONS[case.subject or ""].protected_identity
        if identity == "shown":
            assert view.subject.personal_number == case.subject
            assert view.subject.name == PERSONS[case.subject or ""].name


def test_the_matrix_covers_every_row_of_the_table(
    policy: Policy, case_factory: Callable[..., Case]
) -> None:
    """Each situation of the level table is reached by at least one matrix row."""
    reached = set()
    for caller_key, case_key, _, _ in MATRIX:
        caller = CALLERS[caller_key]
        case = case_factory(**CASES[case_key])
        reps = REPRESENTATIONS.get(caller.personal_number or "", [])
        found = situation(caller, relation_to(caller, case, reps), case, policy)
        if found is not None:
            reached.add(found)
    assert reached == set(policy.levels)


def test_disclosure_is_ordered() -> None:
    assert NONE < EXISTENCE < SUMMARY < FULL
    assert FULL >= SUMMARY >= SUMMARY > NONE
    assert sorted([FULL, NONE, SUMMARY, EXISTENCE]) == [NONE, EXISTENCE, SUMMARY, FULL]
    assert max(EXISTENCE, SUMMARY) is SUMMARY
    with pytest.raises(TypeError):
        _ = NONE < 1


def test_units_a_caller_handles(policy: Policy) -> None:
    assert delegated_units(CALLERS["officer_bn_mbn"], policy) == frozenset({"BN", "MBN"})
    assert delegated_units(CALLERS["contact_centre"], policy) == policy.delegated_units
    assert delegated_units(CALLERS["analyst"], policy) == frozenset()
    assert delegated_units(CALLERS["kalle"], policy) == frozenset()
