"""Access-log records and their hash chain: what is stored, how it is sealed, how it is checked.

Every record is sealed with `hash = sha256(prev_hash + canonical JSON of its fields)`;
the first record's `prev_hash` is 64 zeros. Sequence numbers are contiguous from 1, so a
missing, reordered, changed or forged record breaks the chain at a nameable place.
The storage backends (`audit_sqlite`, `audit_postgres`) share everything here.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from connectors.errors import ValidationError
from policies.caller import Role

GENESIS_HASH = "0" * 64
REASON_CHANGED = "hash mismatch (record changed)"
REASON_CHAIN = "chain broken (record missing or reordered)"
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


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(record: AuditRecord) -> str:
    """The record's fields (all but `prev_hash` and `hash`) as sorted, compact JSON."""
    payload = {
        "seq": record.seq,
        "at": _iso(record.at),
        "request_id": record.request_id,
        "actor": record.actor,
        "actor_role": record.actor_role.value,
        "actor_units": list(record.actor_units),
        "subject": record.subject,
        "purpose": record.purpose,
        "operation": record.operation,
        "disclosed": [list(pair) for pair in record.disclosed],
        "outcome": str(record.outcome),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(record: AuditRecord) -> str:
    """sha256 over `prev_hash` + the canonical JSON (the stored `hash` is ignored)."""
    data = (record.prev_hash + canonical_json(record)).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def seal(new: NewAuditRecord, seq: int, prev_hash: str, now: datetime) -> AuditRecord:
    """Number, time-stamp, escape and chain one new record."""
    unsealed = AuditRecord(
        seq=seq,
        at=(new.at or now).astimezone(UTC),
        request_id=escape_text(new.request_id),
        actor=escape_text(new.actor),
        actor_role=new.actor_role,
        actor_units=tuple(escape_text(u) for u in new.actor_units),
        subject=escape_text(new.subject),
        purpose=escape_text(new.purpose),
        operation=escape_text(new.operation),
        disclosed=tuple((escape_text(a), escape_text(b)) for a, b in new.disclosed),
        outcome=Outcome(new.outcome),
        prev_hash=prev_hash,
        hash="",
    )
    return replace(unsealed, hash=chain_hash(unsealed))


def seal_all(
    new: Sequence[NewAuditRecord], last_seq: int, last_hash: str, now: datetime
) -> list[AuditRecord]:
    """Seal one request's records after the chain's current head."""
    sealed: list[AuditRecord] = []
    for offset, item in enumerate(new, start=1):
        record = seal(item, last_seq + offset, last_hash, now)
        sealed.append(record)
        last_hash = record.hash
    return sealed


# -- rows -------------------------------------------------------------------------


def to_row(record: AuditRecord, *, at_as_text: bool) -> tuple[object, ...]:
    """The record as column values in `COLUMNS` order (lists as JSON text)."""
    return (
        record.seq,
        _iso(record.at) if at_as_text else record.at,
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


# -- verifying --------------------------------------------------------------------

Fetch = Callable[[int, int], Awaitable[Sequence[Sequence[Any]]]]


async def verify_chain(fetch: Fetch, batch: int = 1000) -> VerifyResult:
    """Walk the rows in `seq` order (`fetch(after_seq, limit)`) and stop at the first break.

    A record whose number or `prev_hash` does not follow its predecessor breaks the chain
    (missing or reordered); a record whose content does not give its hash was changed.
    """
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    while True:
        rows = await fetch(expected_seq - 1, batch)
        for row in rows:
            try:
                record = from_row(row)
            except (ValueError, TypeError, KeyError):
                seq = row[0] if isinstance(row[0], int) else expected_seq
                return VerifyResult(False, checked, seq, REASON_CHANGED, prev_hash)
            if record.seq != expected_seq or record.prev_hash != prev_hash:
                return VerifyResult(False, checked, record.seq, REASON_CHAIN, prev_hash)
            if chain_hash(record) != record.hash:
                return VerifyResult(False, checked, record.seq, REASON_CHANGED, prev_hash)
            expected_seq, prev_hash, checked = expected_seq + 1, record.hash, checked + 1
        if len(rows) < batch:
            return VerifyResult(True, checked, None, None, None if checked == 0 else prev_hash)


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
