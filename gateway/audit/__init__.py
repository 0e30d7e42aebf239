"""The access log: who read whose data, when, why and with what outcome.

Append-only and hash-chained (`chain`), stored in SQLite or PostgreSQL through the
case store's SQL layer (`store`, `schema`), opened by URL (`log`), written per request
by the `AuditSink` (`sink`).
"""

from .chain import chain_hash, seal, seal_all, verify_chain
from .log import (
    AuditLog,
    AuditUrl,
    audit_verify_main,
    open_audit_log,
    parse_audit_url,
)
from .records import (
    COLUMNS,
    GENESIS_HASH,
    MAX_PAGE,
    REASON_CHAIN,
    REASON_CHANGED,
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
    "AuditLog",
    "AuditRecord",
    "AuditSink",
    "AuditUrl",
    "NewAuditRecord",
    "Outcome",
    "SqlAuditLog",
    "VerifyResult",
    "audit_verify_main",
    "chain_hash",
    "decode_cursor",
    "encode_cursor",
    "escape_text",
    "from_row",
    "open_audit_log",
    "parse_audit_url",
    "seal",
    "seal_all",
    "to_row",
    "verify_chain",
]
