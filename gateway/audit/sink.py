"""Between a request and the access log: one record per data subject, written
before the response leaves (a failed write fails the request closed), and the
citizen's read side for `myAccessLog`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from connectors.errors import AuditUnavailable
from resolvers.context import AccessLogPage, AccessNote, Context

from .log import AuditLog, Keying, open_audit_log
from .records import NewAuditRecord, Outcome

log = logging.getLogger("knutpunkt.audit")

NO_PURPOSE = "(inget ändamål angivet)"
_RANK = {"ALLOWED": 2, "DENIED": 1, "NOT_FOUND": 0}


@dataclass
class AuditSink:
    audit_log: AuditLog

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, url: str, keying: Keying | None = None) -> AsyncIterator[AuditSink]:
        audit_log = open_audit_log(url, keying=keying)
        try:
            await audit_log.open()
        except AuditUnavailable as exc:
            # keep serving: citizens and the public need no log, staff reads fail closed
            log.error("the access log is not available at start-up: %s", exc.detail)
        try:
            yield cls(audit_log)
        finally:
            await audit_log.close()

    async def write(self, ctx: Context) -> None:
        records = records_for(ctx)
        if records:
            await self.audit_log.append(records)

    async def reader(self, subject: str, first: int, after: str | None) -> AccessLogPage:
        records, has_next, total = await self.audit_log.for_subject(subject, first, after)
        entries = [(r.cursor, r) for r in records]
        return AccessLogPage(
            entries=entries,
            has_next=has_next,
            total=total,
            end_cursor=entries[-1][0] if entries else None,
        )


def records_for(ctx: Context) -> list[NewAuditRecord]:
    """Fold the request's access notes into one record per data subject."""
    by_subject: dict[str, list[AccessNote]] = {}
    for note in ctx.access_notes:
        by_subject.setdefault(note.subject, []).append(note)
    caller = ctx.caller
    records = []
    for subject, notes in sorted(by_subject.items()):
        outcome = max((n.outcome for n in notes), key=_RANK.__getitem__)
        disclosed = tuple(sorted({d for n in notes for d in n.disclosed}))
        operations = ",".join(sorted({n.operation for n in notes}))
        purpose = next((n.purpose for n in notes if n.purpose), NO_PURPOSE)
        records.append(
            NewAuditRecord(
                request_id=ctx.request_id,
                actor=caller.subject or "anonymous",
                actor_role=caller.role,
                actor_units=tuple(sorted(caller.units)),
                subject=subject,
                purpose=purpose,
                operation=operations,
                outcome=Outcome(outcome),
                disclosed=disclosed,
            )
        )
    return records
