"""Redaction as whole payloads, and protected identity (person views, staff lookups)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.domain import (
    Case,
    CaseEventKind,
    CaseRef,
    CaseStatus,
    CaseType,
    Channel,
    CollaborationKind,
    DocumentDirection,
    Person,
    Unit,
)
from policies.caller import Caller, Role
from policies.disclosure import Disclosure
from policies.policy import Policy
from policies.redact import person_view, redact_case, staff_may_find_person
from policies.views import CaseView, CollaborationView, DocumentView, EventView, PersonView

KALLE, NILS, SARA = "195606055555", "201903142386", "198509231661"
SARA_CHILD = "202008152387"
PERSONS = {
    KALLE: Person(KALLE, "Kalle", "Testson"),
    NILS: Person(NILS, "Nils", "Testson"),
    SARA: Person(SARA, "Sara", "Skyddad", protected_identity=True),
    SARA_CHILD: Person(SARA_CHILD, "Saga", "Skyddad", protected_identity=True),
}
CONTACT_CENTRE = Caller(Role.CONTACT_CENTRE, subject="c", units=frozenset({"KC"}))
OFFICER_BN = Caller(Role.CASE_OFFICER, subject="o", units=frozenset({"BN"}))
OFFICER_SN = Caller(Role.CASE_OFFICER, subject="o", units=frozenset({"SN"}))
KALLE_CALLER = Caller(Role.CITIZEN, subject="k", personal_number=KALLE)
SARA_CALLER = Caller(Role.CITIZEN, subject="s", personal_number=SARA)
ANALYST = Caller(Role.ANALYST, subject="a")


def _expected_common(case: Case) -> dict[str, object]:
    return {
        "ref": CaseRef("byggr", "c1"),
        "case_number": "BN 2025/0193",
        "main_case_number": "MAIN BN 2025/0193",
        "type": CaseType("BYGG-LOV", "Bygglov", "Källsystemets område"),
        "status": CaseStatus.DECIDED,
        "unit": Unit("BN", "Namn BN"),
        "opened_at": case.opened_at,
        "closed_at": case.closed_at,
    }


def test_existence_payload(policy: Policy, case_factory: Callable[..., Case]) -> None:
    case = case_factory(confidential=True, secrecy_ground="OSL 18 kap. 8 §")
    e = case.events
    assert redact_case(case, Disclosure.EXISTENCE, CONTACT_CENTRE, PERSONS, policy) == CaseView(
        **_expected_common(case),  # type: ignore[arg-type]
        level=Disclosure.EXISTENCE,
        title="Bygglov",
        subject=None,
        channel=None,
        confidential=True,
        secrecy_ground=None,
        link=None,
        events=(
            EventView(
                "c1-e1",
                e[0].occurred_at,
                CaseEventKind.REGISTERED,
                "Ärendet har registrerats",
                None,
                True,
                None,
                None,
            ),
            EventView(
                "c1-e2",
                e[1].occurred_at,
                CaseEventKind.COMPLETION_REQUESTED,
                "Komplettering begärd",
                None,
                False,
                None,
                None,
            ),
            EventView(
                "c1-e4",
                e[3].occurred_at,
                CaseEventKind.DECIDED,
                "Beslut fattat",
                None,
                True,
                None,
                None,
            ),
        ),
        documents=None,
        collaborations=None,
    )


def _collaborations(case: Case) -> tuple[CollaborationView, ...]:
    c = case.collaborations[0]
    return (
        CollaborationView(
            kind=CollaborationKind.REFERRAL,
            from_unit=Unit("BN", "Namn BN"),
            to_unit=Unit("MBN", "Miljö- och hälsoskyddsnämnden"),
            started_at=c.started_at,
            completed_at=c.completed_at,
            responsibility_retained=True,
            follow_up_retained=False,
            counterpart=CaseRef("ecos", "837"),
        ),
    )


def test_summary_payload(policy: Policy, case_factory: Callable[..., Case]) -> None:
    case = case_factory()
    e, d = case.events, case.documents
    kalle = PersonView(KALLE, "Kalle Testson", False)
    assert redact_case(case, Disclosure.SUMMARY, CONTACT_CENTRE, PERSONS, policy) == CaseView(
        **_expected_common(case),  # type: ignore[arg-type]
        level=Disclosure.SUMMARY,
        title="Bygglov för garage, Lönnen 4",
        subject=kalle,
        channel=Channel.E_SERVICE,
        confidential=False,
        secrecy_ground=None,
        link="https://e.example/c1",
        events=(
            EventView(
                "c1-e1",
                e[0].occurred_at,
                CaseEventKind.REGISTERED,
                "Ansökan om bygglov registrerad",
                None,
                True,
                kalle,
                "https://e.example/c1/e1",
            ),
            EventView(
                "c1-e2",
                e[1].occurred_at,
                CaseEventKind.COMPLETION_REQUESTED,
                "Komplettering av situationsplan begärd",
                None,
                False,
                kalle,
                "https://e.example/c1/e2",
            ),
            EventView(
                "c1-e4",
                e[3].occurred_at,
                CaseEventKind.DECIDED,
                "Bygglov beviljat",
                None,
                True,
                kalle,
                "https://e.example/c1/e4",
            ),
        ),
        documents=(
            DocumentView("c1-d1", "Ansökan", DocumentDirection.INCOMING, d[0].registered_at, False),
        ),
        collaborations=_collaborations(case),
    )


def test_full_payload_for_the_owning_unit(
    policy: Policy, case_factory: Callable[..., Case]
) -> None:
    case = case_factory(confidential=True, secrecy_ground="OSL 18 kap. 8 §")
    e, d = case.events, case.documents
    kalle = PersonView(KALLE, "Kalle Testson", False)
    assert redact_case(case, Disclosure.FULL, OFFICER_BN, PERSONS, policy) == CaseView(
        **_expected_common(case),  # type: ignore[arg-type]
        level=Disclosure.FULL,
        title="Bygglov för garage, Lönnen 4",
        subject=kalle,
        channel=Channel.E_SERVICE,
        confidential=True,
        secrecy_ground="OSL 18 kap. 8 §",
        link="https://e.example/c1",
        events=(
            EventView(
                "c1-e1",
                e[0].occurred_at,
                CaseEventKind.REGISTERED,
                "Ansökan om bygglov registrerad",
                "Ansökan med ritningar registrerad i diariet",
                True,
                kalle,
                "https://e.example/c1/e1",
            ),
            EventView(
                "c1-e2",
                e[1].occurred_at,
                CaseEventKind.COMPLETION_REQUESTED,
                "Komplettering av situationsplan begärd",
                "Situationsplanen saknar måttsättning",
                False,
                kalle,
                "https://e.example/c1/e2",
            ),
            EventView(
                "c1-e3",
                e[2].occurred_at,
                CaseEventKind.NOTICE,
                "Intern bedömning",
                "Handläggarens interna anteckning",
                False,
                None,
                "https://e.example/c1/e3",
            ),
            EventView(
                "c1-e4",
                e[3].occurred_at,
                CaseEventKind.DECIDED,
                "Bygglov beviljat",
                "Beslut om bygglov enligt PBL 9 kap. 30 §",
                True,
                kalle,
                "https://e.example/c1/e4",
            ),
        ),
        documents=(
            DocumentView("c1-d1", "Ansökan", DocumentDirection.INCOMING, d[0].registered_at, False),
            DocumentView("c1-d2", "Utredning", DocumentDirection.DRAFTED, d[1].registered_at, True),
        ),
        collaborations=_collaborations(case),
    )


def test_full_for_a_citizen_hides_internal_events_and_the_secrecy_ground(
    policy: Policy, case_factory: Callable[..., Case]
) -> None:
    case = case_factory(confidential=True, secrecy_ground="OSL 18 kap. 8 §")
    view = redact_case(case, Disclosure.FULL, KALLE_CALLER, PERSONS, policy)
    assert view is not None
    assert view.secrecy_ground is None
    assert [ev.id for ev in view.events] == ["c1-e1", "c1-e2", "c1-e4"]
    assert [doc.id for doc in view.documents or ()] == ["c1-d1", "c1-d2"]
    assert [ev.description for ev in view.events] == [
        "Ansökan med ritningar registrerad i diariet",
        "Situationsplanen saknar måttsättning",
        "Beslut om bygglov enligt PBL 9 kap. 30 §",
    ]


@pytest.mark.parametrize("disclosure", [Disclosure.EXISTENCE, Disclosure.SUMMARY, Disclosure.FULL])
@pytest.mark.parametrize(
    "caller", [KALLE_CALLER, CONTACT_CENTRE, OFFICER_SN, OFFICER_BN, ANALYST], ids=str
)
def test_internal_events_only_for_the_owning_unit_with_full_access(
    policy: Policy, case_factory: Callable[..., Case], caller: Caller, disclosure: Disclosure
) -> None:
    view = redact_case(case_factory(), disclosure, caller, PERSONS, policy)
    assert view is not None
    shown = caller is OFFICER_BN and disclosure is Disclosure.FULL
    assert ("c1-e3" in [ev.id for ev in view.events]) is shown
    assert ("Intern bedömning" in [ev.summary for ev in view.events]) is shown


def test_none_gives_no_view(policy: Policy, case_factory: Callable[..., Case]) -> None:
    assert redact_case(case_factory(), Disclosure.NONE, OFFICER_BN, PERSONS, policy) is None


def test_every_event_kind_has_a_generic_swedish_summary(
    policy: Policy, case_factory: Callable[..., Case]
) -> None:
    base = case_factory()
    events = tuple(
        base.events[0].__class__(
            id=k.value, occurred_at=base.opened_at, kind=k, summary="Hemligt: " + k.value
        )
        for k in CaseEventKind
    )
    case = Case(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, "events": events})
    view = redact_case(case, Disclosure.EXISTENCE, CONTACT_CENTRE, PERSONS, policy)
    assert view is not None
    summaries = [ev.summary for ev in view.events]
    assert len(summaries) == len(CaseEventKind)
    assert all(s and "Hemligt" not in s for s in summaries)
    assert len(set(summaries)) == len(summaries)


def test_unknown_case_type_title_falls_back_to_the_systems_name(
    policy: Policy, case_factory: Callable[..., Case]
) -> None:
    case = case_factory(type_code="BYGG-STRANDSKYDD", type_name="Strandskyddsdispens")
    view = redact_case(case, Disclosure.EXISTENCE, CONTACT_CENTRE, PERSONS, policy)
    assert view is not None and view.title == "Strandskyddsdispens"


# --- protected identity --------------------------------------------------------

HIDDEN = PersonView(None, None, True)


@pytest.mark.parametrize(
    ("pnr", "caller", "owning", "represented", "expected"),
    [
        (KALLE, CONTACT_CENTRE, (), (), PersonView(KALLE, "Kalle Testson", False)),
        (KALLE, OFFICER_SN, (), (), PersonView(KALLE, "Kalle Testson", False)),
        (KALLE, ANALYST, ("BN",), (), PersonView(None, None, False)),
        (KALLE, Caller.anonymous(), (), (), PersonView(None, None, False)),
        (SARA, SARA_CALLER, (), (), PersonView(SARA, "Sara Skyddad", True)),
        (SARA, OFFICER_SN, ("SN",), (), PersonView(SARA, "Sara Skyddad", True)),
        (SARA, OFFICER_SN, ("TN", "BUN"), (), HIDDEN),
        (SARA, OFFICER_BN, ("SN",), (), HIDDEN),
        (SARA, CONTACT_CENTRE, ("SN", "KC"), (), HIDDEN),
        (SARA, KALLE_CALLER, ("SN",), (), HIDDEN),
        (SARA, ANALYST, ("SN",), (), HIDDEN),
        # the custodian sees the protected child; without the custody relation, nobody does
        (SARA_CHILD, SARA_CALLER, (), (SARA_CHILD,), PersonView(SARA_CHILD, "Saga Skyddad", True)),
        (SARA_CHILD, SARA_CALLER, (), (), HIDDEN),
        (SARA_CHILD, KALLE_CALLER, (), (NILS,), HIDDEN),
        (SARA_CHILD, CONTACT_CENTRE, ("BUN",), (SARA_CHILD,), HIDDEN),
        # a person the population register did not return is treated as protected
        ("194505173213", CONTACT_CENTRE, (), (), HIDDEN),
        ("194505173213", OFFICER_BN, ("BN",), (), PersonView("194505173213", None, True)),
        (KALLE, KALLE_CALLER, (), (), PersonView(KALLE, "Kalle Testson", False)),
    ],
)
def test_person_view(
    pnr: str,
    caller: Caller,
    owning: tuple[str, ...],
    represented: tuple[str, ...],
    expected: PersonView,
) -> None:
    assert person_view(pnr, caller, PERSONS, owning, represented=represented) == expected


def test_unknown_citizen_still_sees_their_own_number() -> None:
    assert person_view(KALLE, KALLE_CALLER, {}, ()) == PersonView(KALLE, None, True)


@pytest.mark.parametrize(
    ("caller", "person", "owning", "expected"),
    [
        (CONTACT_CENTRE, KALLE, (), True),
        (OFFICER_BN, KALLE, (), True),
        (KALLE_CALLER, KALLE, (), False),
        (ANALYST, KALLE, (), False),
        (Caller.anonymous(), KALLE, (), False),
        (CONTACT_CENTRE, SARA, ("SN",), False),
        (OFFICER_BN, SARA, ("SN", "TN"), False),
        (OFFICER_SN, SARA, ("SN",), True),
        (OFFICER_SN, SARA, (), False),
    ],
)
def test_staff_may_find_person(
    caller: Caller, person: str, owning: tuple[str, ...], expected: bool
) -> None:
    assert staff_may_find_person(caller, PERSONS[person], owning) is expected


def test_custodian_sees_protected_child_in_redacted_case(
    policy: Policy, case_factory: Callable[..., Case]
) -> None:
    case = case_factory(subject=SARA_CHILD, parties=(SARA,), unit="BUN", type_code="EDU-FORSKOLA")
    child = PersonView(SARA_CHILD, "Saga Skyddad", True)
    as_custodian = redact_case(
        case, Disclosure.FULL, SARA_CALLER, PERSONS, policy, represented={SARA_CHILD}
    )
    assert as_custodian is not None
    assert as_custodian.subject == child
    assert [ev.concerns for ev in as_custodian.events] == [child, child, child]
    # the resolver must pass `represented`; forgetting it fails closed
    forgot = redact_case(case, Disclosure.FULL, SARA_CALLER, PERSONS, policy)
    assert forgot is not None
    assert forgot.subject == HIDDEN
    assert [ev.concerns for ev in forgot.events] == [HIDDEN, HIDDEN, HIDDEN]
