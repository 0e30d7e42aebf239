"""The policy file: the shipped default, strict validation, and a replaced file."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.domain import Case, CaseType
from policies.caller import Caller, Role
from policies.disclosure import Disclosure, level
from policies.errors import PolicyError
from policies.levels import Situation
from policies.policy import Policy, load_policy, policy_from_data, policy_from_toml
from policies.relations import Relation

CONTACT_CENTRE = Caller(Role.CONTACT_CENTRE, subject="kc1", units=frozenset({"KC"}))
OFFICER_BN = Caller(Role.CASE_OFFICER, subject="bn1", units=frozenset({"BN"}))

CASE_TYPES = {
    "KF-MEDBORGARFORSLAG": ("Medborgarförslag", "Demokrati"),
    "KFN-KULTURSTIPENDIUM": ("Kulturstipendium", "Kultur och fritid"),
    "KS-BEREDNING": ("Beredning av fullmäktigeärende", "Demokrati"),
    "KFN-YTTRANDE": ("Yttrande över remiss", "Kultur och fritid"),
    "BUN-YTTRANDE": ("Yttrande över remiss", "Utbildning"),
    "MILJO-YTTRANDE": ("Yttrande till byggnadsnämnden", "Miljö och hälsa"),
    "KFN-FORENINGSBIDRAG": ("Föreningsbidrag", "Kultur och fritid"),
    "KS-ALLMANT": ("Allmänt ärende", "Demokrati"),
    "BUN-SKOLSKJUTS": ("Skolskjuts", "Utbildning"),
    "BYGG-LOV": ("Bygglov", "Samhällsbyggnad"),
    "BYGG-RIVNING": ("Rivningslov", "Samhällsbyggnad"),
    "BYGG-ANMALAN": ("Anmälan", "Samhällsbyggnad"),
    "BYGG-FORHANDSBESKED": ("Förhandsbesked", "Samhällsbyggnad"),
    "SOC-SABO": ("Särskilt boende", "Socialtjänst"),
    "SOC-HEMTJANST": ("Hemtjänst", "Socialtjänst"),
    "SOC-EKB": ("Ekonomiskt bistånd", "Socialtjänst"),
    "MILJO-NEDSKRAPNING": ("Nedskräpning", "Miljö och hälsa"),
    "MILJO-LIVSMEDEL": ("Livsmedelskontroll", "Miljö och hälsa"),
    "MILJO-AVLOPP": ("Enskilt avlopp", "Miljö och hälsa"),
    "MILJO-BULLER": ("Klagomål buller", "Miljö och hälsa"),
    "TEK-GATA": ("Felanmälan gata", "Teknik"),
    "TEK-BELYSNING": ("Felanmälan belysning", "Teknik"),
    "TEK-STAD": ("Skräpplockning/städning", "Teknik"),
    "EDU-FORSKOLA": ("Förskoleplats", "Utbildning"),
    "EDU-SKOLVAL": ("Skolval", "Utbildning"),
    "EDU-ELEVHALSA": ("Elevhälsa", "Utbildning"),
    "KC-FRAGA": ("Fråga till kommunen", "Service"),
    "KC-SYNPUNKT": ("Synpunkt", "Service"),
    "KC-MEDBORGARFORSLAG": ("Medborgarförslag (mottaget)", "Demokrati"),
    "ES-NEDSKRAPNING": ("Anmälan om nedskräpning", "Miljö och hälsa"),
    "ES-PARKERINGSTILLSTAND": ("Parkeringstillstånd", "Teknik"),
    "ES-FORSKOLA": ("Ansökan förskoleplats", "Utbildning"),
    "ES-KULTURSTIPENDIUM": ("Ansökan kulturstipendium", "Kultur och fritid"),
}


def test_default_policy_holds_the_designed_table(policy: Policy) -> None:
    assert {s.value: d.value for s, d in policy.levels.items()} == {
        "citizen.own": "FULL",
        "citizen.child": "FULL",
        "citizen.principal_in_scope": "FULL",
        "citizen.principal_out_of_scope": "NONE",
        "citizen.other": "NONE",
        "contact_centre.delegated": "SUMMARY",
        "contact_centre.delegated_confidential": "EXISTENCE",
        "contact_centre.not_delegated": "NONE",
        "contact_centre.not_delegated_confidential": "NONE",
        "case_officer.own_unit": "FULL",
        "case_officer.other_unit": "SUMMARY",
        "case_officer.other_unit_confidential": "NONE",
    }
    assert policy.delegated_units == frozenset({"KS", "KF", "KFN", "BN", "MBN", "TN", "BUN", "KC"})
    assert [o.pattern for o in policy.overrides] == ["EDU-ELEVHALSA", "BYGG-*"]


def test_default_policy_catalogue_units_and_numbers(policy: Policy) -> None:
    assert dict(policy.units) == {
        "KF": "Kommunfullmäktige",
        "KS": "Kommunstyrelsen",
        "SN": "Socialnämnden",
        "BN": "Byggnadsnämnden",
        "MBN": "Miljö- och hälsoskyddsnämnden",
        "TN": "Tekniska nämnden",
        "BUN": "Barn- och utbildningsnämnden",
        "KFN": "Kultur- och fritidsnämnden",
        "AME": "Arbetsmarknadsenheten",
        "KC": "Kontaktcenter",
    }
    assert dict(policy.case_types) == {
        code: CaseType(code, name, area) for code, (name, area) in CASE_TYPES.items()
    }
    assert set(policy.areas) == {
        "Samhällsbyggnad",
        "Socialtjänst",
        "Utbildning",
        "Miljö och hälsa",
        "Teknik",
        "Kultur och fritid",
        "Demokrati",
        "Service",
    }
    assert policy.suppression_threshold == 5
    assert policy.default_promise_days == 30
    assert set(policy.service_promise_days) == set(CASE_TYPES)
    assert policy.promise_days("BYGG-LOV") == 70
    assert policy.promise_days("OKAND-TYP") == 30
    assert policy.unit("SN").name == "Socialnämnden"
    assert policy.unit("XX").name == "XX"


def test_policy_values_are_read_only(policy: Policy) -> None:
    with pytest.raises(TypeError):
        policy.units["XX"] = "Påhittad nämnd"  # type: ignore[index]
    with pytest.raises(TypeError):
        policy.levels[Situation.CITIZEN_OTHER] = Disclosure.FULL  # type: ignore[index]


def _mutated(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy with `value` set at the '/'-separated `path` (DELETE removes it)."""
    out = copy.deepcopy(data)
    *parents, last = path.split("/")
    node = out
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return out


DELETE = object()

BROKEN = [
    ("extra", {}, "extra", "unknown section"),
    ("statistics", DELETE, "statistics", "missing section"),
    ("version", 2, "version", "must be 1"),
    ("units", "KF", "units", "must be a table"),
    ("units/kf", "Fel", "units.kf", "unit codes"),
    ("units/KS", "", "units.KS", "non-empty string"),
    ("contact_centre/delegated_units", ["KS", "XX"], "contact_centre.delegated_units", "'XX'"),
    ("contact_centre/delegated_units", "KS", "contact_centre.delegated_units", "list"),
    ("contact_centre/everyone", True, "contact_centre.everyone", "unknown key"),
    ("levels/citizen/own", "ALL", "levels.citizen.own", "unknown level 'ALL'"),
    ("levels/citizen/own", "full", "levels.citizen.own", "unknown level 'full'"),
    ("levels/citizen/own", 3, "levels.citizen.own", "unknown level 3"),
    ("levels/citizen/neighbour", "FULL", "levels.citizen.neighbour", "unknown key"),
    ("levels/case_officer/own_unit", DELETE, "levels.case_officer.own_unit", "missing key"),
    ("levels/contact_centre", DELETE, "levels.contact_centre", "missing role"),
    ("levels/admin", {"own": "FULL"}, "levels.admin", "unknown role"),
    ("levels/analyst", {"own": "NONE"}, "levels.analyst", "cannot be given levels"),
    ("overrides/BYGGG-LOV", {"citizen": {"own": "FULL"}}, 'overrides."BYGGG-LOV"', "unknown case"),
    ("overrides/NOPE-*", {"citizen": {"own": "FULL"}}, 'overrides."NOPE-*"', "matches no"),
    ("overrides/BY GG", {"citizen": {"own": "FULL"}}, 'overrides."BY GG"', "a pattern is"),
    ("overrides/BYGG-*", {}, 'overrides."BYGG-*"', "at least one row"),
    (
        "overrides/EDU-ELEVHALSA/contact_centre/delegated",
        "HIDDEN",
        'overrides."EDU-ELEVHALSA".contact_centre.delegated',
        "unknown level",
    ),
    (
        "overrides/EDU-ELEVHALSA/public",
        {"x": "NONE"},
        'overrides."EDU-ELEVHALSA".public',
        "cannot be given levels",
    ),
    ("catalogue/areas", [], "catalogue.areas", "non-empty"),
    ("catalogue/case_types/BYGG-LOV/area", "Bygg", "catalogue.case_types.BYGG-LOV.area", "'Bygg'"),
    ("catalogue/case_types/BYGG-LOV/unit", "BN", "catalogue.case_types.BYGG-LOV.unit", "unknown"),
    ("catalogue/case_types/BYGG-LOV/name", DELETE, "catalogue.case_types.BYGG-LOV.name", "missing"),
    (
        "catalogue/case_types/bygg lov",
        {"name": "x", "area": "Teknik"},
        "catalogue.case_types.bygg lov",
        "codes",
    ),
    ("statistics/suppression_threshold", 0, "statistics.suppression_threshold", "whole number"),
    ("statistics/suppression_threshold", True, "statistics.suppression_threshold", "whole number"),
    ("statistics/suppression_threshold", "5", "statistics.suppression_threshold", "whole number"),
    ("service_promises/default_days", -1, "service_promises.default_days", "whole number"),
    ("service_promises/days/OKAND-TYP", 10, "service_promises.days.OKAND-TYP", "unknown case type"),
    ("service_promises/days/BYGG-LOV", 2.5, "service_promises.days.BYGG-LOV", "whole number"),
]


@pytest.mark.parametrize(("path", "value", "key", "problem"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_policy_is_refused_naming_the_key(
    default_policy_text: str, path: str, value: Any, key: str, problem: str
) -> None:
    data = _mutated(tomllib.loads(default_policy_text), path, value)
    with pytest.raises(PolicyError) as info:
        policy_from_data(data, source="kommunens-policy.toml")
    assert info.value.key == key
    assert problem in info.value.problem
    assert str(info.value).startswith(f"kommunens-policy.toml: {key}: ")


def test_the_unmutated_default_is_accepted(default_policy_text: str) -> None:
    assert policy_from_data(tomllib.loads(default_policy_text), source="default_policy.toml") == (
        load_policy()
    )


def test_bad_toml_and_missing_files_are_policy_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_toml("[levels\ncitizen = 1", source="trasig.toml")
    assert info.value.key == "(syntax)"
    missing = tmp_path / "finns-inte.toml"
    with pytest.raises(PolicyError) as info:
        load_policy(missing)
    assert info.value.key == "(file)"
    assert info.value.source == str(missing)


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_a_replaced_policy_file_changes_the_outcome(
    tmp_path: Path, default_policy_text: str, case_factory: Callable[..., Case]
) -> None:
    street = case_factory(type_code="TEK-GATA", unit="TN", system="teknik")
    littering = case_factory(type_code="MILJO-NEDSKRAPNING", unit="MBN", system="ecos")
    permit = case_factory(type_code="BYGG-LOV", unit="BN")
    default = load_policy()
    before = [
        level(OFFICER_BN, Relation.NONE, street, default),
        level(CONTACT_CENTRE, Relation.NONE, littering, default),
        level(CONTACT_CENTRE, Relation.NONE, permit, default),
    ]
    assert before == [Disclosure.SUMMARY, Disclosure.SUMMARY, Disclosure.SUMMARY]

    text = _replace(
        default_policy_text,
        'other_unit = "SUMMARY"\nother_unit_conf',
        'other_unit = "EXISTENCE"\nother_unit_conf',
    )
    text = _replace(text, '"BN", "MBN", ', "")  # neither BN nor MBN delegated any more
    path = tmp_path / "kommunens-policy.toml"
    path.write_text(text, "utf-8")
    replaced = load_policy(path)

    assert replaced.source == str(path)
    assert replaced.delegated_units == frozenset({"KS", "KF", "KFN", "TN", "BUN", "KC"})
    assert [
        level(OFFICER_BN, Relation.NONE, street, replaced),
        level(CONTACT_CENTRE, Relation.NONE, littering, replaced),
        # building permits stay answerable: the BYGG-* override covers "not delegated"
        level(CONTACT_CENTRE, Relation.NONE, permit, replaced),
    ] == [Disclosure.EXISTENCE, Disclosure.NONE, Disclosure.SUMMARY]


def test_exact_override_wins_over_prefix_and_rows_fall_through(default_policy_text: str) -> None:
    text = default_policy_text + (
        '\n[overrides.BYGG-RIVNING.contact_centre]\nnot_delegated = "EXISTENCE"\n'
    )
    policy = policy_from_toml(text)
    assert [o.pattern for o in policy.overrides] == ["EDU-ELEVHALSA", "BYGG-RIVNING", "BYGG-*"]
    assert (
        policy.level_for("BYGG-RIVNING", Situation.CONTACT_CENTRE_NOT_DELEGATED)
        is Disclosure.EXISTENCE
    )
    # a row the exact override does not set falls through to the prefix override
    assert (
        policy.level_for("BYGG-RIVNING", Situation.CONTACT_CENTRE_DELEGATED) is Disclosure.SUMMARY
    )
    assert (
        policy.level_for("BYGG-LOV", Situation.CONTACT_CENTRE_NOT_DELEGATED) is Disclosure.SUMMARY
    )
    # and one no override sets falls through to the default table
    assert policy.level_for("BYGG-RIVNING", Situation.CITIZEN_OTHER) is Disclosure.NONE


def test_default_policy_knows_every_case_type_of_the_sandbox(policy: Policy) -> None:
    from simulators.catalogue import CASE_TYPES as SANDBOX_TYPES

    assert set(SANDBOX_TYPES) <= set(policy.case_types)
    assert set(SANDBOX_TYPES) <= set(policy.service_promise_days)
    for code, sandbox in SANDBOX_TYPES.items():
        assert policy.case_types[code].area == sandbox.area, code
