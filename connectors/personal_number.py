"""Swedish personal and coordination numbers (personnummer, samordningsnummer).

The canonical form in Knutpunkt is 12 digits, YYYYMMDDNNNN. Input may carry a
hyphen or plus sign (``19560605-5555``); the 10-digit form is refused because its
century is ambiguous for the people a municipality serves (the very old and the
very young).
"""

from __future__ import annotations

import re
from datetime import date

from .errors import ValidationError

#: ASCII digits only: `\d` would also take full-width and other Unicode digits, which
#: `int()` reads but the source systems never store (issue 9, item 10)
_SHAPE = re.compile(r"^([0-9]{8})[-+]?([0-9]{4})$")
MAX_INPUT = 20


def luhn_digit(nine: str) -> int:
    """The check digit over the nine digits YYMMDDNNN."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def birth_date(pnr: str) -> date:
    """Birth date of a canonical number (day - 60 for coordination numbers)."""
    day = int(pnr[6:8])
    if day > 60:
        day -= 60
    return date(int(pnr[0:4]), int(pnr[4:6]), day)


def is_coordination_number(pnr: str) -> bool:
    return int(pnr[6:8]) > 60


def parse_personal_number(raw: str, *, field: str = "personalNumber") -> str:
    """Validate and canonicalise; raises a coded `ValidationError` when invalid."""
    text = raw.strip()
    if len(text) > MAX_INPUT:
        raise ValidationError(
            "Personnumret har fel längd.", code="INVALID_PERSONAL_NUMBER", field=field
        )
    match = _SHAPE.match(text)
    if not match:
        raise ValidationError(
            "Personnumret ska ha tolv siffror, ÅÅÅÅMMDDNNNN.",
            code="INVALID_PERSONAL_NUMBER",
            field=field,
        )
    pnr = match.group(1) + match.group(2)
    try:
        born = birth_date(pnr)
    except ValueError:
        raise ValidationError(
            "Personnumret innehåller ett datum som inte finns.",
            code="INVALID_PERSONAL_NUMBER",
            field=field,
        ) from None
    if born.year < 1870 or born > date.today():
        raise ValidationError(
            "Personnumret innehåller ett orimligt födelsedatum.",
            code="INVALID_PERSONAL_NUMBER",
            field=field,
        )
    if luhn_digit(pnr[2:11]) != int(pnr[11]):
        raise ValidationError(
            "Personnumrets kontrollsiffra stämmer inte.",
            code="INVALID_PERSONAL_NUMBER",
            field=field,
        )
    return pnr


def is_valid(raw: str) -> bool:
    try:
        parse_personal_number(raw)
    except ValidationError:
        return False
    return True
