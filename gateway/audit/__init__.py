"""The access log: who read whose data, when, why and with what outcome.

Append-only and hash-chained (`chain`), stored in SQLite or PostgreSQL through the
case store's SQL layer (`store`, `schema`), opened by URL (`log`), written per request
by the `AuditSink` (`sink`).
"""

from .chain import Anchors, chain_hash, seal, seal_all, verify_chain
from .checkpoints import Checkpoint, CheckpointFile, load_key
from .log import (
    AuditLog,
    AuditUrl,
    Keying,
    audit_verify_main,
    audit_verify_settings,
    demo_audit,
    keying_from,
    open_audit_log,
    parse_audit_url,
)
from .records import (
    COLUMNS,
    GENESIS_HASH,
    MAX_PAGE,
    REASON_CHAIN,
    REASON_CHANGED,
    REASON_CHECKPOINT,
    REASON_CHECKPOINTS,
    REASON_TRUNCATED,
    AuditRecord,
    NewAuditRecord,
    Outcome,
    VerifyResult,
    decode_cursor,
    encode_cursor,
    escape_text,
    from_row,
    to_row,
)
from .sink import AuditSink
from .store import SqlAuditLog

__all__ = [
    "COLUMNS",
    "GENESIS_HASH",
    "MAX_PAGE",
    "REASON_CHAIN",
    "REASON_CHANGED",
    "REASON_CHECKPOINT",
    "REASON_CHECKPOINTS",
    "REASON_TRUNCATED",
    "Anchors",
    "AuditLog",
    "AuditRecord",
    "AuditSink",
    "AuditUrl",
    "Checkpoint",
    "CheckpointFile",
    "Keying",
    "NewAuditRecord",
    "Outcome",
    "SqlAuditLog",
    "VerifyResult",
    "audit_verify_main",
    "audit_verify_settings",
    "chain_hash",
    "decode_cursor",
    "demo_audit",
    "encode_cursor",
    "escape_text",
    "from_row",
    "keying_from",
    "load_key",
    "open_audit_log",
    "parse_audit_url",
    "seal",
    "seal_all",
    "to_row",
    "verify_chain",
]
