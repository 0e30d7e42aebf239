"""Function-level rules: which roles may call which operation, and the purpose text.

Anonymous callers asking for a signed-in function get `Unauthenticated`; signed-in
callers whose role is not allowed get `Forbidden`. A staff lookup's purpose is
mandatory and is stored as one safe line.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

from connectors.errors import Forbidden, Unauthenticated, ValidationError

from .caller import Caller, Role

MAX_PURPOSE = 500
#: Unicode categories escaped in a purpose: controls, format characters (e.g.
#: right-to-left overrides), surrogates, line and paragraph separators
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


class Operation(enum.Enum):
    MY_PAGES = "MY_PAGES"
    MY_ACCESS_LOG = "MY_ACCESS_LOG"
    CITIZEN_LOOKUP = "CITIZEN_LOOKUP"
    OVERDUE = "OVERDUE"
    STATISTICS = "STATISTICS"
    PUBLIC_DIARY = "PUBLIC_DIARY"
    MY_CASE_EVENTS = "MY_CASE_EVENTS"
    CASE_EVENTS = "CASE_EVENTS"
    NOTIFICATION_SETTINGS = "NOTIFICATION_SETTINGS"


ALLOWED: Mapping[Operation, frozenset[Role]] = MappingProxyType(
    {
        Operation.MY_PAGES: frozenset({Role.CITIZEN}),
        Operation.MY_ACCESS_LOG: frozenset({Role.CITIZEN}),
        Operation.CITIZEN_LOOKUP: frozenset({Role.CONTACT_CENTRE, Role.CASE_OFFICER}),
        Operation.OVERDUE: frozenset({Role.CASE_OFFICER, Role.ANALYST}),
        Operation.STATISTICS: frozenset(Role),
        Operation.PUBLIC_DIARY: frozenset(Role),
        Operation.MY_CASE_EVENTS: frozenset({Role.CITIZEN}),
        Operation.CASE_EVENTS: frozenset({Role.CONTACT_CENTRE, Role.CASE_OFFICER}),
        Operation.NOTIFICATION_SETTINGS: frozenset({Role.CITIZEN}),
    }
)


def require_role(caller: Caller, operation: Operation) -> None:
    """Raise unless the caller's role may use `operation`."""
    if caller.role in ALLOWED[operation]:
        if caller.role is Role.CITIZEN and not caller.personal_number:
            raise Unauthenticated()  # a citizen token without a number is no citizen
        return
    if caller.role is Role.PUBLIC:
        raise Unauthenticated()
    raise Forbidden()


def validate_purpose(text: str) -> str:
    """The purpose of a staff lookup as one safe line for the access log.

    Surrounding whitespace is trimmed; at most 500 characters; control and
    format characters (newlines and tabs too) become `\\xNN`/`\\uNNNN` escapes and
    a backslash becomes `\\\\`, so the stored text is unambiguous.
    """
    trimmed = text.strip()
    if not any(unicodedata.category(ch) not in _UNSAFE and not ch.isspace() for ch in trimmed):
        raise ValidationError(
            "Ange syftet med uppslaget.", code="PURPOSE_REQUIRED", field="purpose"
        )
    if len(trimmed) > MAX_PURPOSE:
        raise ValidationError(
            f"Syftet får vara högst {MAX_PURPOSE} tecken.", code="PURPOSE_TOO_LONG", field="purpose"
        )
    return "".join(_escape(ch) for ch in trimmed)


def _escape(ch: str) -> str:
    if ch == "\\":
        return "\\\\"
    if unicodedata.category(ch) not in _UNSAFE:
        return ch
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
