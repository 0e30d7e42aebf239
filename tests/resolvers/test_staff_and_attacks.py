"""Dina Sidor, function-level rules and the attacks, through the whole app."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectors.personal_number import luhn_digit
from gateway.audit import open_audit_log
from simulators import personas
from simulators.generate.persona_data import PersonaCase, persona_cases

LOOKUP = """
query ($pnr: String!, $purpose: String!) {
  citizen(personalNumber: $pnr, purpose: $purpose) {
    citizen { personalNumber name protectedIdentity }
    cases(first: 500) { totalCount edges { node { id caseNumber title system { id } confidential
      subject { personalNumber name } events(first: 50) { edges { node { summary description } } }
      documents { title } secrecyGround } } }
  }
}
"""


def _case(key: str) -> PersonaCase:
    return persona_cases(date.today())[key]


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_contact_centre_sees_kalles_building_permit_in_summary(gateway: Any) -> None:
    token = gateway.token("contact_centre")
    body = await gateway.query(
        LOOKUP, {"pnr": personas.KALLE, "purpose": "Kalle ringer om bygglovet"}, token
    )
    assert "errors" not in body, body
    view = body["data"]["citizen"]
    assert view["citizen"]["name"] == "Kalle Testson"
    permit = next(
        e["node"]
        for e in view["cases"]["edges"]
        if e["node"]["caseNumber"] == _case(personas.KALLE_BYGGLOV).number
    )
    assert permit["title"]  # SUMMARY shows the real title ...
    assert all(
        ev["node"]["description"] is None for ev in permit["events"]["edges"]
    )  # ... but no descriptions
    assert permit["secrecyGround"] is None


async def test_contact_centre_does_not_learn_of_gretas_social_services_case(gateway: Any) -> None:
    token = gateway.token("contact_centre")
    body = await gateway.query(LOOKUP, {"pnr": personas.GRETA, "purpose": "Greta ringer"}, token)
    assert "errors" not in body, body
    systems = {e["node"]["system"]["id"] for e in body["data"]["citizen"]["cases"]["edges"]}
    assert "procapita" not in systems


async def test_kalle_sees_gretas_special_housing_in_full(gateway: Any) -> None:
    token = gateway.token("citizen", personas.KALLE)
    query = """{ myPages { cases(first: 500) { edges { node { caseNumber confidential title
        events(first: 50) { edges { node { summary description } } } } } } } }"""
    body = await gateway.query(query, token=token)
    sabo = next(
        e["node"]
        for e in body["data"]["myPages"]["cases"]["edges"]
        if e["node"]["caseNumber"] == _case(personas.GRETA_SABO).number
    )
    assert sabo["confidential"] is True
    assert any(ev["node"]["description"] for ev in sabo["events"]["edges"])


async def test_protected_person_is_unknown_to_the_contact_centre(gateway: Any) -> None:
    token = gateway.token("contact_centre")
    sara = await gateway.query(LOOKUP, {"pnr": personas.SARA, "purpose": "Samtal"}, token)
    unknown = "20000101238" + str(luhn_digit("000101238"))
    nobody = await gateway.query(LOOKUP, {"pnr": unknown, "purpose": "Samtal"}, token)
    assert sara == nobody == {"data": {"citizen": None}}


async def test_owning_units_officer_learns_saras_name_but_others_do_not(gateway: Any) -> None:
    sn = await gateway.query(
        LOOKUP,
        {"pnr": personas.SARA, "purpose": "Handläggning"},
        gateway.token("case_officer", units=["SN"]),
    )
    assert sn["data"]["citizen"]["citizen"] == {
        "personalNumber": personas.SARA,
        "name": "Sara Skyddad",
        "protectedIdentity": True,
    }
    bn = await gateway.query(
        LOOKUP,
        {"pnr": personas.SARA, "purpose": "Handläggning"},
        gateway.token("case_officer", units=["BN"]),
    )
    assert bn == {"data": {"citizen": None}}


async def test_sara_sees_herself_and_her_child(gateway: Any) -> None:
    query = """{ myPages { citizen { name personalNumber } represents { citizen { name personalNumber } } } }"""
    body = await gateway.query(query, token=gateway.token("citizen", personas.SARA))
    view = body["data"]["myPages"]
    assert view["citizen"] == {"name": "Sara Skyddad", "personalNumber": personas.SARA}
    assert view["represents"][0]["citizen"]["personalNumber"] == personas.SARA_CHILD


@pytest.mark.parametrize("purpose", ["", "   ", "\t\n"])
async def test_purpose_is_mandatory_and_checked_before_any_upstream_call(
    gateway: Any, purpose: str
) -> None:
    gateway.reset_counts()
    body = await gateway.query(
        LOOKUP, {"pnr": personas.KALLE, "purpose": purpose}, gateway.token("contact_centre")
    )
    assert _codes(body) == ["PURPOSE_REQUIRED"]
    assert body["data"] is None or body["data"]["citizen"] is None
    assert gateway.upstream_calls() == {}


@pytest.mark.parametrize(
    "pnr",
    ["19560605555", "195606055556", "195613055555", "abcdefghijkl", "1956-06-05-5555", "1" * 200],
)
async def test_invalid_personal_numbers_are_coded_errors_without_upstream_calls(
    gateway: Any, pnr: str
) -> None:
    gateway.reset_counts()
    body = await gateway.query(
        LOOKUP, {"pnr": pnr, "purpose": "Test"}, gateway.token("contact_centre")
    )
    assert _codes(body) == ["INVALID_PERSONAL_NUMBER"]
    assert gateway.upstream_calls() == {}


@pytest.mark.parametrize(
    ("role", "query", "code"),
    [
        ("contact_centre", "{ myPages { citizen { name } } }", "FORBIDDEN"),
        ("case_officer", "{ myAccessLog { totalCount } }", "FORBIDDEN"),
        (
            "analyst",
            '{ citizen(personalNumber: "195606055555", purpose: "x") { citizen { name } } }',
            "FORBIDDEN",
        ),
        (
            "citizen",
            '{ citizen(personalNumber: "195606055555", purpose: "x") { citizen { name } } }',
            "FORBIDDEN",
        ),
        (None, "{ myPages { citizen { name } } }", "UNAUTHENTICATED"),
        (
            None,
            '{ citizen(personalNumber: "195606055555", purpose: "x") { citizen { name } } }',
            "UNAUTHENTICATED",
        ),
    ],
)
async def test_function_level_rules(gateway: Any, role: str | None, query: str, code: str) -> None:
    token = None
    if role == "citizen":
        token = gateway.token("citizen", personas.TOLVAN)
    elif role:
        token = gateway.token(role)
    body = await gateway.query(query, token=token)
    assert _codes(body) == [code]
    assert body["data"] is None or set(body["data"].values()) == {None}


async def test_a_citizen_cannot_reach_other_peoples_cases_by_id_alias_batch(gateway: Any) -> None:
    lisa = await gateway.query(
        """{ myPages { cases { edges { node { id } } } } }""",
        token=gateway.token("citizen", personas.LISA),
    )
    ids = [e["node"]["id"] for e in lisa["data"]["myPages"]["cases"]["edges"]]
    assert ids
    aliases = " ".join(f'c{i}: case(id: "{case_id}") {{ title }}' for i, case_id in enumerate(ids))
    kalle = gateway.token("citizen", personas.KALLE)
    body = await gateway.query("{ " + aliases + " }", token=kalle)
    assert body == {"data": {f"c{i}": None for i in range(len(ids))}}
    garbage = await gateway.query('{ case(id: "Q2FzZTpieWdncjpub3BlCg") { title } }', token=kalle)
    assert garbage == {"data": {"case": None}}


async def test_too_many_aliases_and_too_deep_queries_are_refused(gateway: Any) -> None:
    token = gateway.token("citizen", personas.KALLE)
    many = " ".join(f"v{i}: viewer {{ role }}" for i in range(40))
    # 40 aliased root fields break two limits: aliases (15) and root fields (10)
    assert _codes(await gateway.query("{ " + many + " }", token=token)) == [
        "GRAPHQL_VALIDATION_FAILED",
        "TOO_MANY_ROOT_FIELDS",
    ]
    deep = "{ myPages { cases { edges { node { " + "chain { " * 12 + "id" + " }" * 12 + " } } } } }"
    body = await gateway.query(deep, token=token)
    assert body["data"] is None and _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImNpdGl6ZW4ifQ.",
        "Basic dXNlcjpwYXNz",
    ],
)
async def test_bad_tokens_get_a_generic_401(gateway: Any, header: str) -> None:
    response = await gateway.client.post(
        "/graphql", json={"query": "{ viewer { role } }"}, headers={"authorization": header}
    )
    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {
                "message": "Ogiltig eller utgången inloggning.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }


async def test_expired_and_tampered_demo_tokens_are_refused(gateway: Any) -> None:
    good = gateway.token("citizen", personas.KALLE)
    head, payload, sig = good.split(".")
    tampered = ".".join(
        [head, payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1], sig]
    )
    response = await gateway.client.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"authorization": f"Bearer {tampered}"},
    )
    assert response.status_code == 401


async def test_staff_reads_are_in_the_access_log_and_the_citizen_sees_them(
    gateway: Any, settings: Any
) -> None:
    purpose = "Kalle ringer\x07 om bygglovet\nrad två"
    await gateway.query(
        LOOKUP, {"pnr": personas.KALLE, "purpose": purpose}, gateway.token("contact_centre")
    )
    await gateway.query(
        LOOKUP, {"pnr": personas.SARA, "purpose": "Nyfiken"}, gateway.token("contact_centre")
    )
    log = await gateway.query(
        "{ myAccessLog { totalCount edges { node { actorRole actorUnit { code } purpose at } } } }",
        token=gateway.token("citizen", personas.KALLE),
    )
    entries = [e["node"] for e in log["data"]["myAccessLog"]["edges"]]
    assert len(entries) == 1
    assert entries[0]["actorRole"] == "CONTACT_CENTRE"
    assert entries[0]["actorUnit"] == {"code": "KC"}
    assert entries[0]["purpose"] == "Kalle ringer\\x07 om bygglovet\\x0arad två"
    audit = open_audit_log(settings.audit.url)
    await audit.open()
    try:
        records, _, total = await audit.for_subject(personas.SARA, 10, None)
        assert total == 1
        assert [r.outcome.value for r in records] == ["DENIED"]
        assert (await audit.verify()).ok
    finally:
        await audit.close()


async def test_no_access_log_means_staff_reads_fail_closed(
    tmp_path: Path, make_settings: Any, start_gateway: Any
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a directory should be")
    settings = make_settings(KNUTPUNKT_AUDIT_URL=f"sqlite:///{blocked}/audit.db")
    async with start_gateway(settings) as gateway:
        staff = await gateway.query(
            LOOKUP, {"pnr": personas.KALLE, "purpose": "Samtal"}, gateway.token("contact_centre")
        )
        citizen = await gateway.query(
            "{ myPages { citizen { name } } }", token=gateway.token("citizen", personas.KALLE)
        )
    assert staff["data"] is None
    assert _codes(staff) == ["AUDIT_UNAVAILABLE"]
    assert citizen["data"]["myPages"]["citizen"]["name"] == "Kalle Testson"


async def test_applying_for_someone_gives_no_access_to_their_confidential_case(
    gateway: Any, world: Any
) -> None:
    today = date.today()

    def covers(applicant: str, subject: str, type_code: str) -> bool:
        return any(
            m.grantor == subject
            and not m.revoked
            and type_code in m.scope
            and m.valid_from <= today
            and (m.valid_until is None or today <= m.valid_until)
            for m in world.mandates_for_grantee(applicant)
        ) or any(
            c.child == subject for c in world.custody_of(applicant) if c.custodian == applicant
        )

    found = [
        c
        for c in world.cases["procapita"]
        if c.applicant
        and c.subject
        and c.applicant != c.subject
        and not covers(c.applicant, c.subject, c.type_code)
    ]
    assert found, "the sandbox should hold such cases"
    case = found[0]
    token = gateway.token("citizen", case.applicant)
    pages = await gateway.query(
        "{ myPages { cases(first: 500) { edges { node { caseNumber } } } } }", token=token
    )
    numbers = {e["node"]["caseNumber"] for e in pages["data"]["myPages"]["cases"]["edges"]}
    assert case.number not in numbers
    import base64

    case_id = base64.urlsafe_b64encode(f"Case:procapita:{case.id}".encode()).decode().rstrip("=")
    direct = await gateway.query(f'{{ case(id: "{case_id}") {{ title }} }}', token=token)
    assert direct == {"data": {"case": None}}


async def test_everyone_a_staff_lookup_shows_is_in_their_access_log(gateway: Any) -> None:
    query = """query ($pnr: String!) { citizen(personalNumber: $pnr, purpose: "Samtal") {
        represents { citizen { name } } cases { totalCount } } }"""
    body = await gateway.query(query, {"pnr": personas.KALLE}, gateway.token("contact_centre"))
    assert {r["citizen"]["name"] for r in body["data"]["citizen"]["represents"]} == {
        "Nils Testson",
        "Greta Testson",
    }
    log = "{ myAccessLog { totalCount edges { node { actorRole purpose } } } }"
    for pnr in (personas.KALLE, personas.GRETA, personas.NILS):
        seen = await gateway.query(log, token=gateway.token("citizen", pnr))
        assert seen["data"]["myAccessLog"]["edges"] == [
            {"node": {"actorRole": "CONTACT_CENTRE", "purpose": "Samtal"}}
        ], pnr


@pytest.mark.parametrize("role", ["contact_centre", "case_officer"])
async def test_staff_must_give_a_purpose_to_read_a_case(gateway: Any, role: str) -> None:
    number = _case(personas.KALLE_BYGGLOV).number
    token = gateway.token(role, units=["BN"]) if role == "case_officer" else gateway.token(role)
    gateway.reset_counts()
    missing = await gateway.query(
        f'{{ casesByNumber(caseNumber: "{number}") {{ title }} }}', token=token
    )
    assert _codes(missing) == ["PURPOSE_REQUIRED"] and gateway.upstream_calls() == {}
    given = await gateway.query(
        f'{{ casesByNumber(caseNumber: "{number}", purpose: "Samtal") {{ title }} }}', token=token
    )
    assert given["data"]["casesByNumber"][0]["title"]


async def test_a_protected_childs_case_cannot_be_read_by_case_number(gateway: Any) -> None:
    number = _case(personas.SARA_CHILD_FORSKOLA).number
    query = (
        '{ casesByNumber(caseNumber: "NUMBER", purpose: "Samtal") { caseNumber events { edges { node { summary } } } } }'
    ).replace("NUMBER", number)
    for token in (gateway.token("contact_centre"), gateway.token("case_officer", units=["SN"])):
        assert await gateway.query(query, token=token) == {"data": {"casesByNumber": []}}
    owning = await gateway.query(query, token=gateway.token("case_officer", units=["BUN"]))
    assert [c["caseNumber"] for c in owning["data"]["casesByNumber"]] == [number]
    mother = await gateway.query(
        query.replace(', purpose: "Samtal"', ""), token=gateway.token("citizen", personas.SARA)
    )
    assert [c["caseNumber"] for c in mother["data"]["casesByNumber"]] == [number]


async def test_without_the_population_register_staff_see_no_case_about_a_person(
    gateway: Any,
) -> None:
    await gateway.faults("folkbokforing", down=True)
    number = _case(personas.KALLE_BYGGLOV).number
    query = '{ casesByNumber(caseNumber: "NUMBER", purpose: "Samtal") { caseNumber } }'.replace(
        "NUMBER", number
    )
    body = await gateway.query(query, token=gateway.token("contact_centre"))
    assert body["data"] == {"casesByNumber": []}
    assert {"code": "UPSTREAM_UNAVAILABLE", "system": "folkbokforing"} in [
        e["extensions"] for e in body["errors"]
    ]
    own_unit = await gateway.query(query, token=gateway.token("case_officer", units=["BN"]))
    assert [c["caseNumber"] for c in own_unit["data"]["casesByNumber"]] == [number]


async def test_odd_bodies_and_times_get_coded_errors(gateway: Any) -> None:
    deep = b'{"query": "{ viewer { role } }", "variables": ' + b"[" * 30000 + b"]" * 30000 + b"}"
    response = await gateway.client.post(
        "/graphql", content=deep, headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 413)
    assert response.json()["errors"][0]["extensions"]["code"] in (
        "REQUEST_TOO_DEEP",
        "REQUEST_TOO_LARGE",
    )
    naive = await gateway.query(
        '{ myPages { events(since: "2026-01-01T00:00:00") { totalCount } } }',
        token=gateway.token("citizen", personas.KALLE),
    )
    assert _codes(naive) == ["INVALID_DATETIME"]
    many = "{ " + " ".join(f"a{i}: __typename" for i in range(1500)) + " }"
    assert _codes(await gateway.query(many)) != []
    assert all(_codes(await gateway.query(many)))


async def test_a_protected_person_sees_the_withheld_lookup_in_her_access_log(gateway: Any) -> None:
    await gateway.query(
        LOOKUP, {"pnr": personas.SARA, "purpose": "Nyfiken"}, gateway.token("contact_centre")
    )
    log = await gateway.query(
        "{ myAccessLog { edges { node { actorRole purpose outcome } } } }",
        token=gateway.token("citizen", personas.SARA),
    )
    assert log["data"]["myAccessLog"]["edges"] == [
        {"node": {"actorRole": "CONTACT_CENTRE", "purpose": "Nyfiken", "outcome": "DENIED"}}
    ]
