"""Access-log records: what is stored, how rows map to records, cursors and paging.

The hash chain over these records is in `gateway.audit.chain`; the storage backends
(`sqlite`, `postgres`) share everything here.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.errors import ValidationError
from policies.caller import Role

GENESIS_HASH = "0" * 64
REASON_CHANGED = "hash mismatch (record changed)"
REASON_CHAIN = "chain broken (record missing or reordered)"
REASON_CHECKPOINT = "record differs from a checkpoint (replaced)"
REASON_TRUNCATED = "log truncated (it ends before the latest checkpoint)"
REASON_CHECKPOINTS = "checkpoint file missing, changed or not signed with this key"
#: the stored columns, in the order `to_row` and `from_row` use
COLUMNS = (
    "seq",
    "at",
    "request_id",
    "actor",
    "actor_role",
    "actor_units",
    "subject",
    "purpose",
    "operation",
    "disclosed",
    "outcome",
    "prev_hash",
    "hash",
)
MAX_PAGE = 500
_CURSOR_PREFIX = "audit:"


class Outcome(enum.StrEnum):
    ALLOWED = "ALLOWED"
    DENIED = "DENIED"
    NOT_FOUND = "NOT_FOUND"


@dataclass(frozen=True, slots=True)
class NewAuditRecord:
    """One data subject's part of one request, before the log numbers and seals it."""

    request_id: str
    actor: str  # the token's `sub`
    actor_role: Role
    actor_units: tuple[str, ...]
    subject: str  # personal number of the data subject
    purpose: str
    operation: str  # e.g. "citizen", "case", "casesByNumber", "myPages"
    outcome: Outcome
    disclosed: tuple[tuple[str, str], ...] = ()  # (case id or ref, disclosure level name)
    at: datetime | None = None  # None: the log stamps the time of writing

    def __post_init__(self) -> None:
        if self.at is not None and self.at.utcoffset() is None:
            raise ValueError("NewAuditRecord.at must be timezone-aware")

    @property
    def actor_unit(self) -> str | None:
        return self.actor_units[0] if self.actor_units else None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A sealed access-log record as stored: numbered, time-stamped (UTC) and chained."""

    seq: int
    at: datetime
    request_id: str
    actor: str
    actor_role: Role
    actor_units: tuple[str, ...]
    subject: str
    purpose: str
    operation: str
    disclosed: tuple[tuple[str, str], ...]
    outcome: Outcome
    prev_hash: str
    hash: str

    @property
    def actor_unit(self) -> str | None:
        """The primary unit of the actor (the first of the token's units)."""
        return self.actor_units[0] if self.actor_units else None

    @property
    def cursor(self) -> str:
        """Opaque paging cursor of this record for `AuditLog.for_subject(after=...)`."""
        return encode_cursor(self.seq)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int  # records found intact (all of them when ok)
    first_broken: int | None = None  # seq of the first record that breaks the chain
    reason: str | None = None
    head: str | None = None  # hash of the last intact record, to anchor elsewhere


# -- escaping ---------------------------------------------------------------------

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_BIDI = frozenset(map(chr, (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))))


def _needs_escape(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI


def _escape_char(ch: str) -> str:
    code = ord(ch)
    return _NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_text(text: str) -> str:
    """Control, separator, bidi-override and lone-surrogate characters as visible escapes.

    Idempotent: text already escaped by the policy layer holds none of them.
    """
    if not any(_needs_escape(ch) for ch in text):
        return text
    return "".join(_escape_char(ch) if _needs_escape(ch) else ch for ch in text)


# -- sealing ----------------------------------------------------------------------


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


# -- rows -------------------------------------------------------------------------


def to_row(record: AuditRecord, *, at_as_text: bool) -> tuple[object, ...]:
    """The record as column values in `COLUMNS` order (lists as JSON text)."""
    return (
        record.seq,
        iso(record.at) if at_as_text else record.at,
        record.request_id,
        record.actor,
        record.actor_role.value,
        json.dumps(list(record.actor_units), ensure_ascii=False),
        record.subject,
        record.purpose,
        record.operation,
        json.dumps([list(pair) for pair in record.disclosed], ensure_ascii=False),
        str(record.outcome),
        record.prev_hash,
        record.hash,
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def from_row(row: Sequence[Any]) -> AuditRecord:
    """A stored row back into a record; raises ValueError/TypeError on malformed data."""
    seq, at, units, disclosed = row[0], row[1], json.loads(row[5]), json.loads(row[9])
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise TypeError("seq must be an integer")
    stamp = datetime.fromisoformat(_text(at)) if isinstance(at, str) else at
    if not isinstance(stamp, datetime) or stamp.utcoffset() is None:
        raise ValueError("at must be an aware timestamp")
    if not isinstance(units, list) or not isinstance(disclosed, list):
        raise TypeError("actor_units and disclosed must be lists")
    pairs = []
    for pair in disclosed:
        if not isinstance(pair, list) or len(pair) != 2:
            raise TypeError("disclosed entries must be pairs")
        pairs.append((_text(pair[0]), _text(pair[1])))
    return AuditRecord(
        seq=seq,
        at=stamp.astimezone(UTC),
        request_id=_text(row[2]),
        actor=_text(row[3]),
        actor_role=Role(row[4]),
        actor_units=tuple(_text(u) for u in units),
        subject=_text(row[6]),
        purpose=_text(row[7]),
        operation=_text(row[8]),
        disclosed=tuple(pairs),
        outcome=Outcome(row[10]),
        prev_hash=_text(row[11]),
        hash=_text(row[12]),
    )


# -- paging -----------------------------------------------------------------------


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> int:
    """The `seq` a cursor points at; a coded ValidationError for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(cursor)
        seq = int(text.removeprefix(_CURSOR_PREFIX))
    except (ValueError, UnicodeError, binascii.Error):
        raise ValidationError("Ogiltig markör för bläddring.", field="after") from None
    if seq < 1:
        raise ValidationError("Ogiltig markör för bläddring.", field="after")
    return seq


def check_first(first: int) -> int:
    if not 0 <= first <= MAX_PAGE:
        raise ValidationError(f"first ska vara mellan 0 och {MAX_PAGE}.", field="first")
    return first
