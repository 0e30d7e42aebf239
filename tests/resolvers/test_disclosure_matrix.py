"""The disclosure matrix: every caller × relation × case kind, field by field, through the whole app.

The selection set is generated from the schema (every field of `Case`, recursing into
its object types and one level into nested cases), so a field added later is fetched
automatically — and fails here until the field table below says at which level it may
be shown. The expected level is NOT computed with `policies.*`: it is transcribed from
DESIGN.md's default table and `default_policy.toml` (delegation and overrides) into the
small oracle below; relations come from the sandbox's ground truth (`World`).

Rows: `<caller>-<case kind>-<path>[-<policy>]`, path = `case` (by global id),
`by_number` (`casesByNumber`) or `chain` (as an element of `case(id) { chain }`).
"""

from __future__ import annotations

import base64
import enum
import json
import re
import tomllib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager

import policies
from gateway.app import create_app
from gateway.issuer import DemoIssuer
from gateway.settings import AuditSettings, CaseStoreSettings, Settings, load_settings
from resolvers.schema import build_schema
from simulators import personas
from simulators.generate.persona_data import persona_cases
from simulators.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox
from simulators.world import CASE_SYSTEMS, SYSTEMS, World
from simulators.world import Case as WorldCase

pytestmark = pytest.mark.asyncio(loop_scope="module")

# --- the oracle: DESIGN.md's default table and the policy file, transcribed -----------------


class Level(enum.IntEnum):
    NONE = 0
    EXISTENCE = 1
    SUMMARY = 2
    FULL = 3


N, E, S, F = Level.NONE, Level.EXISTENCE, Level.SUMMARY, Level.FULL
DEFAULT_ROWS: Mapping[tuple[str, str], Level] = {
    ("citizen", "own"): F,
    ("citizen", "child"): F,
    ("citizen", "principal_in_scope"): F,
    ("citizen", "principal_out_of_scope"): N,
    ("citizen", "other"): N,
    ("contact_centre", "delegated"): S,
    ("contact_centre", "delegated_confidential"): E,
    ("contact_centre", "not_delegated"): N,
    ("contact_centre", "not_delegated_confidential"): N,
    ("case_officer", "own_unit"): F,
    ("case_officer", "other_unit"): S,
    ("case_officer", "other_unit_confidential"): N,
}
#: most specific first: (exact code or prefix ending in "*", rows it replaces)
OVERRIDES: tuple[tuple[str, Mapping[tuple[str, str], Level]], ...] = (
    (
        "EDU-ELEVHALSA",
        {
            ("contact_centre", "delegated"): N,
            ("contact_centre", "delegated_confidential"): N,
            ("contact_centre", "not_delegated"): N,
            ("contact_centre", "not_delegated_confidential"): N,
            ("case_officer", "other_unit"): N,
            ("case_officer", "other_unit_confidential"): N,
        },
    ),
    (
        "BYGG-*",
        {
            ("contact_centre", "delegated"): S,
            ("contact_centre", "not_delegated"): S,
            ("case_officer", "other_unit"): S,
        },
    ),
)
DELEGATED = frozenset({"KS", "KF", "KFN", "BN", "MBN", "TN", "BUN", "KC"})
#: a second policy: social services delegated, the building board not (BYGG-* override shows)
VARIANT = "sn_delegated"
VARIANT_DELEGATED = (DELEGATED - {"BN"}) | {"SN"}
DELEGATED_BY_POLICY = {"default": DELEGATED, VARIANT: VARIANT_DELEGATED}


def expected_level(caller: Caller, case: WorldCase, relation: str, policy: str) -> Level:
    if caller.role == "citizen":
        row = ("citizen", relation)
    elif caller.role == "contact_centre":
        delegated = case.unit in DELEGATED_BY_POLICY[policy]
        key = ("delegated" if delegated else "not_delegated") + (
            "_confidential" if case.confidential else ""
        )
        row = ("contact_centre", key)
    elif caller.role == "case_officer":
        if case.unit in caller.units:
            row = ("case_officer", "own_unit")
        else:
            row = ("case_officer", "other_unit_confidential" if case.confidential else "other_unit")
    else:
        return N  # analyst and public: never person-level case access
    for pattern, rows in OVERRIDES:
        matches = (
            case.type_code.startswith(pattern[:-1])
            if pattern.endswith("*")
            else case.type_code == pattern
        )
        if matches and row in rows:
            return rows[row]
    return DEFAULT_ROWS[row]


#: the minimum level at which each field may be non-null (a new schema field fails until listed)
CASE_FIELDS: Mapping[str, Level] = {
    **dict.fromkeys(
        [
            "id",
            "caseNumber",
            "mainCaseNumber",
            "system",
            "type",
            "title",
            "status",
            "responsibleUnit",
            "openedAt",
            "closedAt",
            "confidential",
            "events",
            "chain",
            "servicePromise",
        ],
        E,
    ),
    **dict.fromkeys(["subject", "channel", "link", "documents", "collaborations"], S),
    "secrecyGround": F,
}
EVENT_FIELDS: Mapping[str, Level] = {
    **dict.fromkeys(["id", "occurredAt", "kind", "summary", "diaryEvent", "case"], E),
    **dict.fromkeys(["concerns", "link"], S),
    "description": F,
}
CITIZEN_FIELDS = frozenset({"personalNumber", "name", "protectedIdentity"})

# --- the selection set, generated from the schema --------------------------------------------


def selection(
    t: graphql.GraphQLObjectType, case_depth: int = 0, path: frozenset[str] = frozenset()
) -> str:
    """Every field without required arguments; nested cases one level deep, leaves only."""
    parts = []
    for name, f in t.fields.items():
        if any(graphql.is_required_argument(a) for a in f.args.values()):
            continue
        inner = graphql.get_named_type(f.type)
        if graphql.is_leaf_type(inner):
            parts.append(name)
        elif inner.name == "Case":
            if case_depth == 0:
                parts.append(f"{name} {{ {selection(inner, 1, frozenset())} }}")
        elif isinstance(inner, graphql.GraphQLObjectType) and inner.name not in path:
            parts.append(f"{name} {{ {selection(inner, case_depth, path | {t.name})} }}")
    return " ".join(parts)


SCHEMA = graphql.build_schema(build_schema().as_str())


def object_type(name: str) -> graphql.GraphQLObjectType:
    found = SCHEMA.get_type(name)
    assert isinstance(found, graphql.GraphQLObjectType), name
    return found


#: staff must say why they read a case (the access log records it); citizens' is ignored
PURPOSE = "Matristest av utlämnande"
CASE_TYPE = object_type("Case")
SELECTION = selection(CASE_TYPE)
QUERIES = {
    "case": "query ($id: ID!, $purpose: String) { case(id: $id, purpose: $purpose) { "
    + SELECTION
    + " } }",
    "by_number": "query ($number: String!, $purpose: String) {"
    " casesByNumber(caseNumber: $number, purpose: $purpose) { " + SELECTION + " } }",
    "chain": "query ($id: ID!, $purpose: String) { case(id: $id, purpose: $purpose) { id chain { "
    + SELECTION
    + " } } }",
}


def gid(kind: str, system: str, local: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{system}:{local}".encode()).decode().rstrip("=")


def ungid(token: str) -> str:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()


# --- callers, relations and case kinds ---------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    key: str
    role: str  # citizen | contact_centre | case_officer | analyst | public
    pnr: str | None = None
    units: frozenset[str] = frozenset()


def age_on(pnr: str, today: date) -> int:
    born = date(int(pnr[:4]), int(pnr[4:6]), int(pnr[6:8]) % 60 or 1)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def children(world: World, pnr: str, today: date) -> set[str]:
    return {
        c.child
        for c in world.custody_of(pnr)
        if c.custodian == pnr and c.child != pnr and age_on(c.child, today) < 18
    }


def mandates(world: World, grantee: str, today: date) -> dict[str, set[str]]:
    """grantor -> case types in scope, for the mandates in force today."""
    found: dict[str, set[str]] = {}
    for m in world.mandates_for_grantee(grantee):
        if (
            not m.revoked
            and m.valid_from <= today
            and (m.valid_until is None or today <= m.valid_until)
        ):
            found.setdefault(m.grantor, set()).update(m.scope)
    return found


def relation(world: World, pnr: str, case: WorldCase, today: date) -> str:
    if pnr == case.subject:
        return "own"
    # on a confidential case about someone else, having applied gives nothing of its own
    guarded = case.confidential and case.subject is not None
    parties = {case.subject} if guarded and case.subject else set(case.persons())
    if pnr in set(case.persons()) and not guarded:
        return "own"
    if children(world, pnr, today) & parties:
        return "child"
    scopes = [scope for grantor, scope in mandates(world, pnr, today).items() if grantor in parties]
    if any(case.type_code in scope for scope in scopes):
        return "principal_in_scope"
    return "principal_out_of_scope" if scopes else "other"


def represented(world: World, caller: Caller, today: date) -> set[str]:
    if caller.role != "citizen" or caller.pnr is None:
        return set()
    return children(world, caller.pnr, today) | set(mandates(world, caller.pnr, today))


def persona(key: str) -> Callable[[World, date], WorldCase]:
    def pick(world: World, today: date) -> WorldCase:
        ref = persona_cases(today)[key]
        found = world.case(ref.system, ref.id)
        assert found is not None, key
        return found

    return pick


def first(
    pred: Callable[[World, date, WorldCase], bool], what: str
) -> Callable[[World, date], WorldCase]:
    def pick(world: World, today: date) -> WorldCase:
        for system in CASE_SYSTEMS:
            for case in sorted(world.cases[system], key=lambda c: c.id):
                if case.subject not in personas.PERSONAS and pred(world, today, case):
                    return case
        raise AssertionError(f"the sandbox world has no {what}")

    return pick


def _custodian(world: World, today: date, case: WorldCase) -> str | None:
    if not case.subject:
        return None
    found = sorted(
        c.custodian
        for c in world.custody_of(case.subject)
        if c.child == case.subject
        and c.custodian not in case.persons()
        and age_on(case.subject, today) < 18
    )
    return found[0] if found else None


def _grantee(world: World, today: date, case: WorldCase) -> str | None:
    """A holder of a power of attorney in force from the case's subject, not a party."""
    if not case.subject:
        return None
    found = sorted(
        m.grantee
        for m in world.mandates_for_grantor(case.subject)
        if case.subject in mandates(world, m.grantee, today) and m.grantee not in case.persons()
    )
    return found[0] if found else None


def _protected(world: World, pnr: str | None) -> bool:
    return pnr is not None and world.persons[pnr].protected


def _counterpart_elsewhere(world: World, case: WorldCase) -> bool:
    return any(
        c.counterpart_id
        and world.case(c.counterpart_system or "", c.counterpart_id)
        and c.to_unit != c.from_unit
        for c in case.collaborations
    )


@dataclass(frozen=True)
class CaseKind:
    key: str
    pick: Callable[[World, date], WorldCase]
    #: case-specific citizens: subject, applicant, custodian, grantee
    extra: tuple[str, ...] = ()
    #: the relation a caller's row is meant to exercise (checked against the world)
    intended: Mapping[str, str] = field(default_factory=dict)


def _internal(case: WorldCase) -> bool:
    return any(e.internal for e in case.events)


CASE_KINDS = (
    CaseKind("kalle_bygglov", persona(personas.KALLE_BYGGLOV), intended={"citizen_kalle": "own"}),
    CaseKind(
        "kalle_kulturstipendium",
        persona(personas.KALLE_KULTURSTIPENDIUM),
        intended={"citizen_kalle": "own"},
    ),
    # Kalle applied for Nils' place himself, so the strongest relation is "own", not "child"
    CaseKind("nils_forskola", persona(personas.NILS_FORSKOLA), intended={"citizen_kalle": "own"}),
    CaseKind(
        "greta_sabo", persona(personas.GRETA_SABO), intended={"citizen_kalle": "principal_in_scope"}
    ),
    CaseKind("sara_ekb", persona(personas.SARA_EKB), intended={"citizen_sara": "own"}),
    CaseKind(
        "sara_child_forskola",
        persona(personas.SARA_CHILD_FORSKOLA),
        intended={"citizen_sara": "own"},
    ),
    CaseKind("lisa_bygglov", persona(personas.LISA_BYGGLOV), intended={"citizen_lisa": "own"}),
    CaseKind(
        "tolvan_felanmalan", persona(personas.TOLVAN_FELANMALAN), intended={"citizen_tolvan": "own"}
    ),
    CaseKind(
        "tolvan_eservice", persona(personas.TOLVAN_ESERVICE), intended={"citizen_tolvan": "own"}
    ),
    CaseKind(
        "anna_ecos_chain", persona(personas.ANNA_ECOS), ("subject",), {"citizen_subject": "own"}
    ),
    CaseKind(
        "bengt_kf_chain", persona(personas.BENGT_KF), ("subject",), {"citizen_subject": "own"}
    ),
    CaseKind(
        "child_case",
        first(
            lambda w, t, c: _custodian(w, t, c) is not None and not _protected(w, c.subject),
            "child's case",
        ),
        ("subject", "custodian"),
        {"citizen_subject": "own", "citizen_custodian": "child"},
    ),
    CaseKind(
        "elevhalsa",
        first(
            lambda w, t, c: c.type_code == "EDU-ELEVHALSA" and _internal(c) and bool(c.applicant),
            "EDU-ELEVHALSA case",
        ),
        ("subject", "applicant"),
        {"citizen_subject": "own", "citizen_applicant": "child"},
    ),
    CaseKind(
        "social_principal_in_scope",
        first(
            lambda w, t, c: (
                c.system == "procapita"
                and _grantee(w, t, c) is not None
                and relation(w, _grantee(w, t, c) or "", c, t) == "principal_in_scope"
            ),
            "social-services case under a power of attorney",
        ),
        ("subject", "grantee"),
        {"citizen_subject": "own", "citizen_grantee": "principal_in_scope"},
    ),
    CaseKind(
        "principal_out_of_scope",
        first(
            lambda w, t, c: (
                _grantee(w, t, c) is not None
                and relation(w, _grantee(w, t, c) or "", c, t) == "principal_out_of_scope"
            ),
            "case of a principal outside the mandate's scope",
        ),
        ("subject", "grantee"),
        {"citizen_subject": "own", "citizen_grantee": "principal_out_of_scope"},
    ),
    CaseKind(
        "social_confidential_internal",
        first(
            lambda w, t, c: (
                c.system == "procapita" and _internal(c) and not _protected(w, c.subject)
            ),
            "SN case with internal events",
        ),
        ("subject",),
        {"citizen_subject": "own"},
    ),
    CaseKind(
        "bygglov_internal",
        first(
            lambda w, t, c: c.type_code == "BYGG-LOV" and _internal(c) and bool(c.subject),
            "BYGG-LOV with internal events",
        ),
        ("subject",),
        {"citizen_subject": "own"},
    ),
    CaseKind(
        "bygglov_referral",
        first(
            lambda w, t, c: c.type_code == "BYGG-LOV" and _counterpart_elsewhere(w, c),
            "BYGG-LOV with a referral",
        ),
    ),
    CaseKind(
        "kc_internal",
        first(
            lambda w, t, c: (
                c.unit == "KC" and _internal(c) and bool(c.subject) and not _protected(w, c.subject)
            ),
            "KC case with internal events",
        ),
        ("subject",),
        {"citizen_subject": "own"},
    ),
    CaseKind(
        "protected_subject",
        first(
            lambda w, t, c: not c.confidential and _protected(w, c.subject),
            "case of a protected person",
        ),
        ("subject",),
        {"citizen_subject": "own"},
    ),
    CaseKind(
        "no_subject_internal",
        first(
            lambda w, t, c: not c.subject and _internal(c),
            "case without subject with internal events",
        ),
    ),
)
CITIZENS = {
    "citizen_kalle": personas.KALLE,
    "citizen_sara": personas.SARA,
    "citizen_tolvan": personas.TOLVAN,
    "citizen_lisa": personas.LISA,
}
STAFF = ("contact_centre", "officer_own_unit", "officer_other_unit", "analyst", "public")
PATHS = ("case", "by_number", "chain")


def rows() -> Iterator[Any]:
    for kind in CASE_KINDS:
        callers = [*CITIZENS, *(f"citizen_{x}" for x in kind.extra), *STAFF]
        for caller in callers:
            for path in PATHS:
                yield pytest.param("default", caller, kind, path, id=f"{caller}-{kind.key}-{path}")
        for path in PATHS:
            yield pytest.param(
                VARIANT,
                "contact_centre",
                kind,
                path,
                id=f"contact_centre-{kind.key}-{path}-{VARIANT}",
            )


def resolve_caller(world: World, today: date, key: str, case: WorldCase) -> Caller:
    if key in CITIZENS:
        return Caller(key, "citizen", CITIZENS[key])
    if key.startswith("citizen_"):
        pnr = {
            "subject": case.subject,
            "applicant": case.applicant,
            "custodian": _custodian(world, today, case),
            "grantee": _grantee(world, today, case),
        }[key.removeprefix("citizen_")]
        assert pnr, f"{key} of {case.system}:{case.id}"
        return Caller(key, "citizen", pnr)
    if key == "officer_own_unit":
        return Caller(key, "case_officer", units=frozenset({case.unit}))
    if key == "officer_other_unit":
        return Caller(key, "case_officer", units=frozenset({"KFN" if case.unit != "KFN" else "TN"}))
    if key == "contact_centre":
        return Caller(key, "contact_centre", units=frozenset({"KC"}))
    return Caller(key, key)


# --- the running app: one sandbox, two gateways (default policy and the variant) --------------


def _settings(tmp: Path, issuer: DemoIssuer, policy_file: Path | None) -> Settings:
    settings = load_settings(None, env={})
    settings = replace(
        settings,
        demo=replace(settings.demo, enabled=True, key_file=str(issuer.key_file)),
        audit=AuditSettings(url=f"sqlite:///{tmp}/audit.db"),
        casestore=CaseStoreSettings(url=f"sqlite:///{tmp}/casestore.db", enabled=False),
        policy=replace(settings.policy, file=str(policy_file) if policy_file else ""),
    )
    settings = settings.with_system_urls({s: f"http://{s}.sandbox" for s in SYSTEMS})
    systems = dict(settings.systems)
    systems["folkbokforing"] = replace(
        systems["folkbokforing"],
        token_url="http://folkbokforing.sandbox/oauth/token",
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    return replace(settings, systems=systems)


def variant_policy(path: Path) -> Path:
    text = (Path(policies.__file__).parent / "default_policy.toml").read_text("utf-8")
    line = 'delegated_units = ["KS", "KF", "KFN", "BN", "MBN", "TN", "BUN", "KC"]'
    assert text.count(line) == 1
    assert set(tomllib.loads(text)["contact_centre"]["delegated_units"]) == DELEGATED
    variant = '["' + '", "'.join(sorted(VARIANT_DELEGATED)) + '"]'
    path.write_text(text.replace(line, f"delegated_units = {variant}"), "utf-8")
    return path


@dataclass
class Matrix:
    world: World
    today: date
    issuer: DemoIssuer
    clients: dict[str, httpx.AsyncClient]
    absent: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    picked: dict[str, WorldCase] = field(default_factory=dict)

    def pick(self, kind: CaseKind) -> WorldCase:
        if kind.key not in self.picked:
            self.picked[kind.key] = kind.pick(self.world, self.today)
        return self.picked[kind.key]

    def token(self, caller: Caller) -> str | None:
        if caller.role == "public":
            return None
        if caller.role == "citizen":
            return self.issuer.issue("citizen", caller.pnr)
        return self.issuer.issue(caller.role, units=sorted(caller.units))

    async def query(
        self, policy: str, query: str, variables: dict[str, str], token: str | None
    ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.clients[policy].post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = json.loads(response.content)
        return body


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def matrix(world: World, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Matrix]:
    tmp = tmp_path_factory.mktemp("disclosure-matrix")
    issuer = DemoIssuer(tmp / "demo-issuer.jwk")
    sandbox = Sandbox.build(world=world, latency=False)
    transports = {s: httpx.ASGITransport(app=sandbox.apps[s]) for s in SYSTEMS}
    policies_ = {"default": None, VARIANT: variant_policy(tmp / "variant_policy.toml")}
    clients: dict[str, httpx.AsyncClient] = {}
    managers = []
    for name, policy_file in policies_.items():
        (tmp / name).mkdir()
        app = create_app(_settings(tmp / name, issuer, policy_file), transports=transports)
        manager = LifespanManager(app)
        await manager.__aenter__()
        managers.append(manager)
        clients[name] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        )
    yield Matrix(world, world.reference_date, issuer, clients)
    for client in clients.values():
        await client.aclose()
    for manager in managers:
        await manager.__aexit__(None, None, None)


# --- the checks -------------------------------------------------------------------------------


@dataclass
class Check:
    """Field-by-field expectations for one caller under one policy."""

    world: World
    today: date
    caller: Caller
    policy: str
    problems: list[str] = field(default_factory=list)
    #: below SUMMARY a summary may depend on the event kind only
    generic: dict[str, str] = field(default_factory=dict)

    def level(self, case: WorldCase) -> Level:
        rel = (
            relation(self.world, self.caller.pnr, case, self.today) if self.caller.pnr else "other"
        )
        found = expected_level(self.caller, case, rel, self.policy)
        return N if found > N and self.shielded(case) else found

    def shielded(self, case: WorldCase) -> bool:
        """A case about a protected person: only they, their representatives and the
        owning unit's case officers may see it at all (it tells their whereabouts)."""
        people = set(case.persons())
        if self.caller.role == "case_officer" and case.unit in self.caller.units:
            return False
        protected = {
            p for p in people if p in self.world.persons and self.world.persons[p].protected
        }
        if not protected:
            return False
        own = self.caller.pnr if self.caller.role == "citizen" else None
        if own is None:
            return True
        return not (
            own in protected
            or protected <= represented(self.world, self.caller, self.today) | {own}
        )

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def eq(self, where: str, got: object, want: object) -> None:
        if got != want:
            self.fail(where, f"got {got!r}, expected {want!r}")

    def world_case(self, node_id: str) -> WorldCase:
        kind, system, local = ungid(node_id).split(":", 2)
        found = self.world.case(system, local)
        assert kind == "Case" and found is not None, node_id
        return found

    def visible(self, cases: list[WorldCase]) -> list[str]:
        shown = [c for c in cases if self.level(c) > N]
        shown.sort(key=lambda c: (c.opened_at, c.system, c.id))
        return [gid("Case", c.system, c.id) for c in shown]

    def chain_of(self, case: WorldCase) -> list[WorldCase]:
        number = case.main_number or case.number
        found = {
            (c.system, c.id): c
            for s in CASE_SYSTEMS
            for c in self.world.cases_by_number(s, [number])
        }
        found[(case.system, case.id)] = case
        return list(found.values())

    def case(self, node: dict[str, Any], where: str, depth: int = 0) -> None:
        case = self.world_case(node["id"])
        where = f"{where}[{case.system}:{case.id}]"
        lvl = self.level(case)
        if lvl is N:
            self.fail(where, "a case the caller may not see is in the response")
            return
        self._leaks(node, CASE_FIELDS, lvl, where)
        self.eq(f"{where}.caseNumber", node["caseNumber"], case.number)
        self.eq(f"{where}.system", node["system"]["id"], case.system)
        self.eq(f"{where}.type", node["type"]["code"], case.type_code)
        self.eq(f"{where}.responsibleUnit", node["responsibleUnit"]["code"], case.unit)
        self.eq(f"{where}.confidential", node["confidential"], case.confidential)
        self.eq(f"{where}.openedAt", _time(node["openedAt"]), case.opened_at)
        self.eq(f"{where}.closedAt", _time(node["closedAt"]), case.closed_at)
        self.eq(f"{where}.status", node["status"], case.status)
        self.eq(f"{where}.mainCaseNumber", node["mainCaseNumber"], case.main_number)
        want_title = case.title if lvl >= S else node["type"]["name"]
        self.eq(f"{where}.title", node["title"], want_title)
        if lvl >= S:
            self.eq(f"{where}.channel", node["channel"], case.channel)
            self.person(node["subject"], case.subject, case, f"{where}.subject")
            docs = [
                (d.title, d.confidential) for d in case.documents if lvl is F or not d.confidential
            ]
            got = [(d["title"], d["confidential"]) for d in node["documents"] or []]
            self.eq(f"{where}.documents", sorted(got), sorted(docs))
        want_ground = (
            case.secrecy_ground
            if lvl is F and self.caller.role in ("contact_centre", "case_officer")
            else None
        )
        self.eq(f"{where}.secrecyGround", node["secrecyGround"], want_ground)
        self.events(node, case, lvl, where, depth)
        if lvl >= S:
            self.collaborations(node, case, where, depth)
        if depth == 0:
            chain = node["chain"]
            self.eq(f"{where}.chain", [c["id"] for c in chain], self.visible(self.chain_of(case)))
            for i, element in enumerate(chain):
                self.case(element, f"{where}.chain[{i}]", depth + 1)

    def events(
        self, node: dict[str, Any], case: WorldCase, lvl: Level, where: str, depth: int
    ) -> None:
        sees_internal = (
            lvl is F and self.caller.role == "case_officer" and case.unit in self.caller.units
        )
        want = [e for e in case.events if sees_internal or not e.internal]
        got = [edge["node"] for edge in node["events"]["edges"]]
        self.eq(f"{where}.events.totalCount", node["events"]["totalCount"], len(want))
        by_id = {e.id: e for e in case.events}
        seen = []
        for i, ev in enumerate(got):
            here = f"{where}.events[{i}]"
            local = ungid(ev["id"]).rsplit(":", 1)[-1]
            event = by_id.get(local)
            if event is None:
                self.fail(here, f"unknown event {ev['id']}")
                continue
            seen.append(event.id)
            if event.internal and not sees_internal:
                self.fail(here, f"internal event {event.id} shown ({ev['summary']!r})")
            self._leaks(ev, EVENT_FIELDS, lvl, here)
            self.eq(f"{here}.kind", ev["kind"], event.kind)
            self.eq(f"{here}.occurredAt", _time(ev["occurredAt"]), event.at)
            if lvl >= S:
                self.eq(f"{here}.summary", ev["summary"], event.summary)
                self.eq(
                    f"{here}.description",
                    ev["description"],
                    event.description if lvl is F else None,
                )
                concerned = event.concerns if event.concerns != self.caller.pnr else None
                self.person(ev["concerns"], concerned, case, f"{here}.concerns")
            elif ev["summary"] == event.summary:
                self.fail(here, f"real summary shown at {lvl.name}: {ev['summary']!r}")
            elif self.generic.setdefault(event.kind, ev["summary"]) != ev["summary"]:
                self.fail(here, f"summary {ev['summary']!r} is not generic for {event.kind}")
            if "case" in ev:
                self.eq(f"{here}.case.id", ev["case"]["id"], node["id"])
                self.case(ev["case"], f"{here}.case", depth + 1)
        self.eq(f"{where}.events (ids)", sorted(seen), sorted(e.id for e in want))

    def collaborations(self, node: dict[str, Any], case: WorldCase, where: str, depth: int) -> None:
        got = node["collaborations"]
        self.eq(f"{where}.collaborations", len(got), len(case.collaborations))
        for i, (collab, truth) in enumerate(zip(got, case.collaborations, strict=False)):
            here = f"{where}.collaborations[{i}]"
            self.eq(
                f"{here}.kind",
                (collab["kind"], collab["fromUnit"]["code"], collab["toUnit"]["code"]),
                (truth.kind, truth.from_unit, truth.to_unit),
            )
            if "counterpartCase" not in collab:
                continue
            counterpart = self.world.case(
                truth.counterpart_system or "", truth.counterpart_id or ""
            )
            if counterpart is None or self.level(counterpart) is N:
                self.eq(f"{here}.counterpartCase", collab["counterpartCase"], None)
            elif collab["counterpartCase"] is None:
                self.fail(f"{here}.counterpartCase", "missing though the caller may see it")
            else:
                self.eq(
                    f"{here}.counterpartCase.id",
                    collab["counterpartCase"]["id"],
                    gid("Case", counterpart.system, counterpart.id),
                )
                self.case(collab["counterpartCase"], f"{here}.counterpartCase", depth + 1)

    def person(
        self, got: dict[str, Any] | None, pnr: str | None, case: WorldCase, where: str
    ) -> None:
        if pnr is None:
            self.eq(where, got, None)
            return
        person = self.world.persons[pnr]
        caller = self.caller
        may = caller.pnr == pnr or (
            caller.role in ("citizen", "contact_centre", "case_officer")
            and (
                not person.protected
                or (caller.role == "citizen" and pnr in represented(self.world, caller, self.today))
                or (caller.role == "case_officer" and case.unit in caller.units)
            )
        )
        name = f"{person.given_name} {person.family_name}"
        want = {
            "personalNumber": pnr if may else None,
            "name": name if may else None,
            "protectedIdentity": person.protected,
        }
        if got is None and not may and where.endswith(".concerns"):
            return  # a hidden person may also be left out altogether ("if the caller may see it")
        if got is None or set(got) != CITIZEN_FIELDS:
            self.fail(where, f"got {got!r}; unclassified or missing Citizen fields")
            return
        self.eq(where, got, want)

    def _leaks(
        self, node: dict[str, Any], table: Mapping[str, Level], lvl: Level, where: str
    ) -> None:
        for name, value in node.items():
            if name not in table:
                self.fail(where, f"field {name!r} is not in the matrix's field table: classify it")
            elif value is not None and value != [] and table[name] > lvl:
                self.fail(
                    f"{where}.{name}", f"shown at {lvl.name} (needs {table[name].name}): {value!r}"
                )

    def protected_identities(self, text: str) -> None:
        """No protected person's name or number anywhere, unless the caller may see them."""
        for pnr, person in self.world.persons.items():
            if not person.protected or self._may_see_protected(pnr):
                continue
            name = f"{person.given_name} {person.family_name}"
            for needle in (pnr, pnr[2:], f"{pnr[2:8]}-{pnr[8:]}", f"{pnr[:8]}-{pnr[8:]}", name):
                if needle in text:
                    self.fail("response", f"protected identity {needle!r} appears")

    def _may_see_protected(self, pnr: str) -> bool:
        caller = self.caller
        if caller.pnr == pnr or pnr in represented(self.world, caller, self.today):
            return True
        if caller.role != "case_officer":
            return False
        owning = {c.unit for s in CASE_SYSTEMS for c in self.world.cases_of(s, [pnr])}
        return bool(owning & caller.units)


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def absent_id(world: World, case: WorldCase) -> str:
    """A well-formed id of the same system that names no case (one character changed)."""
    for pos in reversed(range(len(case.id))):
        here = case.id[pos]
        for ch in "0123456789" if here.isdigit() else "abcdef" if here in "abcdef" else "":
            candidate = case.id[:pos] + ch + case.id[pos + 1 :]
            if ch != here and world.case(case.system, candidate) is None:
                return gid("Case", case.system, candidate)
    raise AssertionError(case.id)


@pytest.mark.parametrize(("policy", "caller_key", "kind", "path"), list(rows()))
async def test_disclosure(
    matrix: Matrix, policy: str, caller_key: str, kind: CaseKind, path: str
) -> None:
    world, today = matrix.world, matrix.today
    case = matrix.pick(kind)
    caller = resolve_caller(world, today, caller_key, case)
    check = Check(world, today, caller, policy)
    if caller_key in kind.intended and policy == "default":
        assert caller.pnr and relation(world, caller.pnr, case, today) == kind.intended[caller_key]
    lvl = check.level(case)
    token = matrix.token(caller)
    variables = (
        {"number": case.number, "purpose": PURPOSE}
        if path == "by_number"
        else {"id": gid("Case", case.system, case.id), "purpose": PURPOSE}
    )
    body = await matrix.query(policy, QUERIES[path], variables, token)
    assert "errors" not in body, body["errors"]
    data = body["data"]
    if path == "by_number":
        same_number = [c for s in CASE_SYSTEMS for c in world.cases_by_number(s, [case.number])]
        check.eq(
            "casesByNumber", [c["id"] for c in data["casesByNumber"]], check.visible(same_number)
        )
        for i, node in enumerate(data["casesByNumber"]):
            check.case(node, f"casesByNumber[{i}]")
        if lvl is N:
            assert gid("Case", case.system, case.id) not in json.dumps(body)
    if lvl is N and path != "by_number":
        key = (policy, caller_key, path, case.system)
        if key not in matrix.absent:
            absent = {"id": absent_id(world, case), "purpose": PURPOSE}
            matrix.absent[key] = await matrix.query(policy, QUERIES[path], absent, token)
        assert body == matrix.absent[key] == {"data": {"case": None}}
    elif path == "case":
        check.case(data["case"], "case")
    elif path == "chain":
        chain = data["case"]["chain"]
        check.eq("chain", [c["id"] for c in chain], check.visible(check.chain_of(case)))
        for i, node in enumerate(chain):
            check.case(node, f"case.chain[{i}]", 0)
        assert gid("Case", case.system, case.id) in [c["id"] for c in chain]
    check.protected_identities(json.dumps(body, ensure_ascii=False))
    assert not check.problems, f"{caller} level {lvl.name}:\n" + "\n".join(check.problems[:40])


async def test_every_case_field_is_selected_and_classified() -> None:
    """The generated selection reaches every Case field and every field is classified."""
    assert set(CASE_TYPE.fields) == set(CASE_FIELDS)
    assert set(object_type("CaseEvent").fields) == set(EVENT_FIELDS)
    selected = set(re.findall(r"\w+", SELECTION))
    assert set(CASE_FIELDS) | set(EVENT_FIELDS) | CITIZEN_FIELDS <= selected
    for query in QUERIES.values():
        assert not graphql.validate(SCHEMA, graphql.parse(query))


async def test_the_matrix_reaches_every_level(matrix: Matrix) -> None:
    """Guard against a matrix that only ever checks NONE (or only FULL)."""
    reached: dict[str, set[Level]] = {}
    for param in rows():
        policy, caller_key, kind, _path = param.values
        case = matrix.pick(kind)
        check = Check(
            matrix.world,
            matrix.today,
            resolve_caller(matrix.world, matrix.today, caller_key, case),
            policy,
        )
        reached.setdefault(policy, set()).add(check.level(case))
    assert reached == {"default": {N, S, F}, VARIANT: {N, E, S}}


async def test_the_oracle_transcribes_the_shipped_policy() -> None:
    """A change to default_policy.toml must be mirrored in the oracle above (on purpose)."""
    text = (Path(policies.__file__).parent / "default_policy.toml").read_text("utf-8")
    shipped = tomllib.loads(text)
    rows = {(role, key): Level[v] for role, t in shipped["levels"].items() for key, v in t.items()}
    assert rows == DEFAULT_ROWS
    overrides = {
        pattern: {(role, key): Level[v] for role, t in roles.items() for key, v in t.items()}
        for pattern, roles in shipped["overrides"].items()
    }
    assert overrides == dict(OVERRIDES)
    assert frozenset(shipped["contact_centre"]["delegated_units"]) == DELEGATED
