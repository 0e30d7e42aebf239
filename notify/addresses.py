"""Checking and normalising the addresses a citizen gives: e-mail and mobile number.

Only plain addresses pass: an e-mail address is one dot-atom local part and one
domain of letters, digits and hyphens (no quoted strings, comments, display names,
lists or control characters, so nothing can smuggle a header or a second
recipient); a phone number becomes E.164 (`+46701234567`), a Swedish national
number (`070-123 45 67`) getting the country code.
"""

from __future__ import annotations

import re

from connectors.errors import ValidationError

MAX_EMAIL = 254
MAX_LOCAL = 64
MAX_PHONE_INPUT = 32

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_TLD = re.compile(r"^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_PHONE_SEPARATORS = re.compile(r"[ \-().]")


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029" for ch in text)


def normalise_email(text: str) -> str:
    """The address with a lower-case domain; `ValidationError` (`INVALID_EMAIL`) otherwise."""
    if _has_control(text):
        raise _email_error("E-postadressen får inte innehålla radbrytningar eller styrtecken.")
    address = text.strip()
    if len(address) > MAX_EMAIL:
        raise _email_error(f"E-postadressen får vara högst {MAX_EMAIL} tecken.")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise _email_error("Ange en e-postadress som namn@exempel.se.")
    if len(local) > MAX_LOCAL or not _LOCAL.match(local):
        raise _email_error("Ange en e-postadress som namn@exempel.se.")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise _email_error("Ange en e-postadress som namn@exempel.se.")
    if not _TLD.match(labels[-1]):
        raise _email_error("Ange en e-postadress som namn@exempel.se.")
    return f"{local}@{domain.lower()}"


def normalise_phone(text: str) -> str:
    """The number in E.164; a Swedish national number gets +46. `INVALID_PHONE` otherwise."""
    if _has_control(text) or len(text) > MAX_PHONE_INPUT:
        raise _phone_error()
    digits = _PHONE_SEPARATORS.sub("", text.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+46" + digits[1:]
    if digits.startswith("+460"):
        digits = "+46" + digits[4:]  # "+46 (0)70 ..." written with the trunk zero
    if not _E164.match(digits):
        raise _phone_error()
    if digits.startswith("+46") and not 7 <= len(digits) - 3 <= 9:
        raise _phone_error()
    return digits


def _email_error(message: str) -> ValidationError:
    return ValidationError(message, code="INVALID_EMAIL", field="email")


def _phone_error() -> ValidationError:
    return ValidationError(
        "Ange ett mobilnummer som 070-123 45 67 eller +46701234567.",
        code="INVALID_PHONE",
        field="phone",
    )
