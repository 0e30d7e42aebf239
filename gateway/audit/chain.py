"""The access log's hash chain: how records are sealed and how the chain is checked.

Every record is sealed with `hash = sha256(prev_hash + canonical JSON of its fields)`;
the first record's `prev_hash` is 64 zeros. Sequence numbers are contiguous from 1, so a
missing, reordered, changed or forged record breaks the chain at a nameable place.
The storage backends (`sqlite`, `postgres`) seal with `seal_all` and check with
`verify_chain`; nothing else here knows about storage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .records import (
    GENESIS_HASH,
    REASON_CHAIN,
    REASON_CHANGED,
    AuditRecord,
    NewAuditRecord,
    Outcome,
    VerifyResult,
    escape_text,
    from_row,
    iso,
)


def canonical_json(record: AuditRecord) -> str:
    """The record's fields (all but `prev_hash` and `hash`) as sorted, compact JSON."""
    payload = {
        "seq": record.seq,
        "at": iso(record.at),
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
