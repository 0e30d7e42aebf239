"""Opaque global ids and Relay cursors.

A global id is URL-safe base64 of ``<Type>:<system>:<local id>``; a cursor is
URL-safe base64 of ``<kind>:<offset>``. Both are opaque to clients, and every
decoder treats malformed input as "no such thing", never as an error with details.
"""

from __future__ import annotations

import base64
import binascii

from connectors.domain import CaseRef
from connectors.errors import ValidationError

MAX_ID_LENGTH = 512


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _decode(token: str) -> str | None:
    if not token or len(token) > MAX_ID_LENGTH:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None


def case_id(ref: CaseRef) -> str:
    return _encode(f"Case:{ref.system}:{ref.local_id}")


def event_id(system: str, local_id: str) -> str:
    return _encode(f"CaseEvent:{system}:{local_id}")


def document_id(system: str, local_id: str) -> str:
    return _encode(f"Document:{system}:{local_id}")


def parse_case_id(token: str) -> CaseRef | None:
    """The case a global id names, or None for anything that is not a case id."""
    text = _decode(token)
    if text is None:
        return None
    kind, _, rest = text.partition(":")
    system, _, local_id = rest.partition(":")
    if kind != "Case" or not system or not local_id:
        return None
    return CaseRef(system, local_id)


def cursor(kind: str, offset: int) -> str:
    return _encode(f"{kind}:{offset}")


def parse_cursor(kind: str, token: str | None) -> int:
    """Offset after which to continue; a malformed cursor is a coded input error."""
    if token is None:
        return 0
    text = _decode(token)
    if text is not None:
        found_kind, _, offset = text.partition(":")
        if found_kind == kind and offset.isdigit() and len(offset) < 10:
            return int(offset) + 1
    raise ValidationError("Ogiltig markör (after).", code="INVALID_CURSOR", field="after")
