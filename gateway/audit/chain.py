"""The access log's hash chain: how records are sealed and how the chain is checked.

Every record is sealed with `hash = HMAC-SHA256(key, prev_hash + canonical JSON of its
fields)` when the log has a key (`[audit] key_file` / `KNUTPUNKT_AUDIT_KEY`, kept outside
the database), else with a plain `sha256(...)` (the legacy form: a log written before it
was keyed). The first record's `prev_hash` is 64 zeros. Sequence numbers are contiguous
from 1, so a missing, reordered, changed or forged record breaks the chain at a
nameable place; without the key nobody can re-hash a keyed record to match. The
checkpoints (`gateway.audit.checkpoints`, outside the database too) say from which
record on the chain is keyed and which head it had, so a truncated log or one
re-hashed in the legacy form is caught as well. The storage backends seal with
`seal_all` and check with `verify_chain`; nothing else here knows about storage.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from .records import (
    GENESIS_HASH,
    REASON_CHAIN,
    REASON_CHANGED,
    REASON_CHECKPOINT,
    REASON_TRUNCATED,
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


def chain_hash(record: AuditRecord, key: bytes | None = None) -> str:
    """HMAC-SHA256 under `key` (or, unkeyed, sha256) over `prev_hash` + the canonical
    JSON (the stored `hash` is ignored)."""
    data = (record.prev_hash + canonical_json(record)).encode("utf-8")
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def seal(
    new: NewAuditRecord, seq: int, prev_hash: str, now: datetime, key: bytes | None = None
) -> AuditRecord:
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
    return replace(unsealed, hash=chain_hash(unsealed, key))


def seal_all(
    new: Sequence[NewAuditRecord],
    last_seq: int,
    last_hash: str,
    now: datetime,
    key: bytes | None = None,
) -> list[AuditRecord]:
    """Seal one request's records after the chain's current head."""
    sealed: list[AuditRecord] = []
    for offset, item in enumerate(new, start=1):
        record = seal(item, last_seq + offset, last_hash, now, key)
        sealed.append(record)
        last_hash = record.hash
    return sealed


# -- verifying --------------------------------------------------------------------

Fetch = Callable[[int, int], Awaitable[Sequence[Sequence[Any]]]]


@dataclass(frozen=True, slots=True)
class Anchors:
    """What the checkpoints outside the database say about the chain."""

    #: records from this number on must be keyed; the ones before are legacy (sha256)
    keyed_from: int
    #: the head hash each checkpoint saw, by record number
    heads: Mapping[int, str] = field(default_factory=dict)

    @property
    def latest(self) -> int:
        """The highest record number a checkpoint saw: the log may not end before it."""
        return max(self.heads, default=0)


def _sealed_right(
    record: AuditRecord, key: bytes | None, anchors: Anchors | None, keyed_seen: bool
) -> bool:
    if key is None:
        return chain_hash(record) == record.hash
    keyed = hmac.compare_digest(chain_hash(record, key), record.hash)
    if anchors is not None:
        return keyed if record.seq >= anchors.keyed_from else chain_hash(record) == record.hash
    # no checkpoints: legacy records only before the first keyed one
    return keyed or (not keyed_seen and chain_hash(record) == record.hash)


async def verify_chain(
    fetch: Fetch,
    batch: int = 1000,
    *,
    key: bytes | None = None,
    anchors: Anchors | None = None,
) -> VerifyResult:
    """Walk the rows in `seq` order (`fetch(after_seq, limit)`) and stop at the first break.

    A record whose number or `prev_hash` does not follow its predecessor breaks the chain
    (missing or reordered); a record whose content does not give its hash (under `key`
    where the chain is keyed) was changed or re-hashed; a record whose hash is not what a
    checkpoint saw was replaced; a log that ends before the latest checkpoint was cut.
    """
    expected_seq, prev_hash, checked, keyed_seen = 1, GENESIS_HASH, 0, False
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
            if not _sealed_right(record, key, anchors, keyed_seen):
                return VerifyResult(False, checked, record.seq, REASON_CHANGED, prev_hash)
            keyed_seen = keyed_seen or (key is not None and chain_hash(record) != record.hash)
            seen = anchors.heads.get(record.seq) if anchors is not None else None
            if seen is not None and seen != record.hash:
                return VerifyResult(False, checked, record.seq, REASON_CHECKPOINT, prev_hash)
            expected_seq, prev_hash, checked = expected_seq + 1, record.hash, checked + 1
        if len(rows) < batch:
            head = None if checked == 0 else prev_hash
            if anchors is not None and checked < anchors.latest:
                return VerifyResult(False, checked, checked + 1, REASON_TRUNCATED, head)
            return VerifyResult(True, checked, None, None, head)


async def first_keyed(fetch: Fetch, key: bytes, batch: int = 1000) -> int | None:
    """The number of the first record sealed under `key` (None: none is)."""
    after = 0
    while True:
        rows = await fetch(after, batch)
        for row in rows:
            record = from_row(row)
            if hmac.compare_digest(chain_hash(record, key), record.hash):
                return record.seq
            after = record.seq
        if len(rows) < batch:
            return None
