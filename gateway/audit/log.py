"""The access log: who read whose data, when, why and with what outcome.

Append-only and hash-chained (see `gateway.audit.chain`), stored in SQLite by default or in
PostgreSQL for production, chosen by URL:

    sqlite:///var/audit.db          relative to the working directory
    sqlite:////srv/knutpunkt/a.db   absolute path
    sqlite:///:memory:              for tests
    postgresql://user@host/db?table=audit.access_log   (`table` defaults per backend)

`audit_verify_main` is `knutpunkt audit verify`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Protocol, TextIO
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from connectors.errors import AuditUnavailable, SettingsError

from ..settings import AuditSettings
from .checkpoints import Checkpointer, CheckpointFile, load_key
from .records import AuditRecord, NewAuditRecord, VerifyResult
from .store import SqlAuditLog

_NAME = r"[A-Za-z_][A-Za-z0-9_]{0,39}"
_TABLE = re.compile(rf"(?:{_NAME}\.)?{_NAME}")


class AuditLog(Protocol):
    """What the gateway needs of the access log, whatever stores it.

    Every method raises `AuditUnavailable` when the store cannot be reached; the
    connection is (re)opened on demand, so `open` only makes failures show early.
    """

    async def open(self) -> None: ...

    async def append(self, records: Sequence[NewAuditRecord]) -> list[AuditRecord]:
        """Atomically seal and append one request's records (one per data subject)."""
        ...

    async def for_subject(
        self, subject: str, first: int = 50, after: str | None = None
    ) -> tuple[list[AuditRecord], bool, int]:
        """The subject's records newest first: (page, has_next, total); `after` is a
        record's `cursor`. Bad `first`/`after` raise a coded ValidationError."""
        ...

    async def verify(self) -> VerifyResult:
        """Check the whole chain and name the first broken record."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class AuditUrl:
    kind: Literal["sqlite", "postgresql"]
    target: str  # file path, ":memory:", or the libpq URL without our own query keys
    table: str | None


def parse_audit_url(url: str) -> AuditUrl:
    """Split an audit URL; raises SettingsError (BAD_CONFIGURATION) for anything else."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    table = next((value for key, value in query if key == "table"), None)
    if table is not None and not _TABLE.fullmatch(table):
        raise SettingsError("Tabellnamnet i audit-URL:en är ogiltigt (tillåtet: [schema.]namn).")
    rest = [(key, value) for key, value in query if key != "table"]
    if parts.scheme == "sqlite" and not parts.netloc and parts.path.startswith("/"):
        path = unquote(parts.path[1:])
        if path and not rest and not parts.fragment:
            return AuditUrl("sqlite", path, table)
    elif parts.scheme in ("postgresql", "postgres") and not parts.fragment:
        target = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), ""))
        return AuditUrl("postgresql", target, table)
    raise SettingsError("Audit-URL:en ska vara sqlite:///sökväg eller postgresql://...")


@dataclass(frozen=True, slots=True)
class Keying:
    """The chain's key and where its checkpoints go (see `gateway.audit.checkpoints`)."""

    key: bytes | None = None
    checkpoint_file: str = ""
    checkpoint_every: int = 100
    checkpoint_seconds: float = 60.0


def keying_from(audit: AuditSettings, *, generate: bool = False) -> Keying:
    """The `[audit]` settings' key (read, or generated when `generate`) and checkpoints."""
    return Keying(
        key=load_key(audit.key, audit.key_file, generate=generate),
        checkpoint_file=audit.checkpoint_file,
        checkpoint_every=audit.checkpoint_every,
        checkpoint_seconds=audit.checkpoint_seconds,
    )


def open_audit_log(url: str, *, create: bool = True, keying: Keying | None = None) -> AuditLog:
    """The access log the URL names (not yet connected; call `open`).

    `create=False` opens an existing log only (as `audit verify` does): a mistyped
    location then gives `AuditUnavailable` instead of a new, empty log.
    """
    parsed = parse_audit_url(url)
    default_table = "audit_log" if parsed.kind == "sqlite" else "knutpunkt_audit_log"
    keying = keying or Keying()
    checkpoints = None
    if keying.key is not None and keying.checkpoint_file:
        checkpoints = Checkpointer(
            CheckpointFile(keying.checkpoint_file, keying.key),
            every=keying.checkpoint_every,
            seconds=keying.checkpoint_seconds,
        )
    return SqlAuditLog(
        parsed.kind,
        parsed.target,
        table=parsed.table or default_table,
        create=create,
        key=keying.key,
        checkpoints=checkpoints,
    )


#: the demo's access-log key and checkpoints (the key generated on first start)
DEMO_KEY = "var/audit.key"
DEMO_CHECKPOINTS = "var/audit.checkpoints"


def demo_audit(audit: AuditSettings) -> AuditSettings:
    """The demo keys its access log with a key it generates under var/, beside the log."""
    if audit.key or audit.key_file:
        return audit
    return replace(
        audit, key_file=DEMO_KEY, checkpoint_file=audit.checkpoint_file or DEMO_CHECKPOINTS
    )


def audit_verify_settings(audit: AuditSettings, out: TextIO, *, demo: bool) -> int:
    """`knutpunkt audit verify` with the `[audit]` settings' key and checkpoints (without
    a config: the demo's, once it generated its key)."""
    if demo and not (audit.key or audit.key_file) and Path(DEMO_KEY).exists():
        audit = demo_audit(audit)
    try:
        keying = keying_from(audit)
    except SettingsError as exc:
        print(f"audit key not usable: {exc.message}", file=out)
        return 1
    return audit_verify_main(audit.url, out, keying=keying)


def audit_verify_main(url: str, out: TextIO, *, keying: Keying | None = None) -> int:
    """`knutpunkt audit verify`: 0 when the chain is intact, else 1 and the first break."""
    try:
        log = open_audit_log(url, create=False, keying=keying)
    except SettingsError as exc:
        print(f"audit log URL not usable: {exc.message}", file=out)
        return 1

    async def run() -> VerifyResult:
        try:
            return await log.verify()
        finally:
            await log.close()

    try:
        result = asyncio.run(run())
    except AuditUnavailable as exc:
        print(f"audit log UNAVAILABLE: {exc.detail}", file=out)
        return 1
    if result.ok:
        print(f"audit log intact: {result.checked} records", file=out)
        if result.head is not None:
            print(f"head {result.head}", file=out)
        return 0
    where = f" at record {result.first_broken}" if result.first_broken is not None else ""
    print(f"audit log BROKEN{where}: {result.reason}", file=out)
    return 1
