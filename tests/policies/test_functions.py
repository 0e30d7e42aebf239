"""Function-level rules: roles per operation, and the purpose of a staff lookup."""

from __future__ import annotations

import pytest

from connectors.errors import Forbidden, GatewayError, Unauthenticated, ValidationError
from policies.caller import Caller, Role
from policies.functions import MAX_PURPOSE, Operation, require_role, validate_purpose

CALLERS = {
    Role.CITIZEN: Caller(Role.CITIZEN, subject="k", personal_number="195606055555"),
    Role.CONTACT_CENTRE: Caller(Role.CONTACT_CENTRE, subject="c", units=frozenset({"KC"})),
    Role.CASE_OFFICER: Caller(Role.CASE_OFFICER, subject="o", units=frozenset({"BN"})),
    Role.ANALYST: Caller(Role.ANALYST, subject="a"),
    Role.PUBLIC: Caller.anonymous(),
}
ALLOWED = {
    Operation.MY_PAGES: {Role.CITIZEN},
    Operation.MY_ACCESS_LOG: {Role.CITIZEN},
    Operation.CITIZEN_LOOKUP: {Role.CONTACT_CENTRE, Role.CASE_OFFICER},
    Operation.OVERDUE: {Role.CASE_OFFICER, Role.ANALYST},
    Operation.STATISTICS: set(Role),
    Operation.PUBLIC_DIARY: set(Role),
    Operation.MY_CASE_EVENTS: {Role.CITIZEN},
    Operation.CASE_EVENTS: {Role.CONTACT_CENTRE, Role.CASE_OFFICER},
    Operation.NOTIFICATION_SETTINGS: {Role.CITIZEN},
}


@pytest.mark.parametrize("operation", list(Operation), ids=lambda o: o.value)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_require_role(role: Role, operation: Operation) -> None:
    caller = CALLERS[role]
    if role in ALLOWED[operation]:
        require_role(caller, operation)
        return
    expected = Unauthenticated if role is Role.PUBLIC else Forbidden
    with pytest.raises(expected) as info:
        require_role(caller, operation)
    assert isinstance(info.value, GatewayError)
    assert info.value.extensions() == {
        "code": "UNAUTHENTICATED" if role is Role.PUBLIC else "FORBIDDEN"
    }


def test_messages_are_swedish_and_safe() -> None:
    with pytest.raises(Forbidden) as forbidden:
        require_role(CALLERS[Role.ANALYST], Operation.MY_PAGES)
    assert forbidden.value.message == "Du har inte behörighet att använda den här funktionen."
    with pytest.raises(Unauthenticated) as anonymous:
        require_role(CALLERS[Role.PUBLIC], Operation.CITIZEN_LOOKUP)
    assert anonymous.value.message == "Du behöver logga in för att använda den här funktionen."


def test_a_citizen_without_a_personal_number_is_not_signed_in() -> None:
    with pytest.raises(Unauthenticated):
        require_role(Caller(Role.CITIZEN, subject="x"), Operation.MY_PAGES)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Medborgaren ringde om bygglov", "Medborgaren ringde om bygglov"),
        ("  Fråga om förskoleplats \n", "Fråga om förskoleplats"),
        ("Samtal\x07 med larm", "Samtal\\x07 med larm"),
        ("rad ett\nrad två\r\nrad tre", "rad ett\\x0arad två\\x0d\\x0arad tre"),
        ("flik\there", "flik\\x09here"),
        ("falsk logg\x1b[2J", "falsk logg\\x1b[2J"),
        ("del\x7f och c1\x85mitt", "del\\x7f och c1\\x85mitt"),
        ("vänd\u202eriktning", "vänd\\u202eriktning"),
        ("rad\u2028avskiljare", "rad\\u2028avskiljare"),
        ("redan \\x07 skrivet", "redan \\\\x07 skrivet"),  # a typed backslash stays distinguishable
        ("x" * MAX_PURPOSE, "x" * MAX_PURPOSE),
    ],
)
def test_purpose_is_stored_as_one_safe_line(raw: str, stored: str) -> None:
    result = validate_purpose(raw)
    assert result == stored
    assert result.isprintable()


@pytest.mark.parametrize("raw", ["", "   ", "\n\t ", "\x07\x00", "\u200b\u200e "])
def test_purpose_is_required(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_purpose(raw)
    assert info.value.extensions() == {"code": "PURPOSE_REQUIRED", "field": "purpose"}
    assert info.value.message == "Ange syftet med uppslaget."


@pytest.mark.parametrize("raw", ["x" * (MAX_PURPOSE + 1), " " + "å" * 501 + " ", "y" * 100_000])
def test_purpose_has_a_maximum_length(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_purpose(raw)
    assert info.value.extensions() == {"code": "PURPOSE_TOO_LONG", "field": "purpose"}
    assert info.value.message == "Syftet får vara högst 500 tecken."
