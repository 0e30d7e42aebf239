"""The access log against real storage: SQLite files and the PostgreSQL on localhost.

Every test runs on both backends. Tampering is done with plain SQL on a separate
connection, after dropping the append-only triggers, as an intruder would.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest

from connectors.errors import AuditUnavailable, ValidationError
from gateway.audit import (
    COLUMNS,
    GENESIS_HASH,
    REASON_CHAIN,
    REASON_CHANGED,
    AuditLog,
    AuditRecord,
    NewAuditRecord,
    Outcome,
    VerifyResult,
    open_audit_log,
)
from policies.caller import Role

KALLE, GRETA, NILS = "195606055555", "193404124129", "201903142386"
PG_USERS = ("postgres", "root")


def pg_dsn() -> str:
    for user in PG_USERS:
        dsn = f"postgresql://{user}@127.0.0.1:5432/test"
        try:
            psycopg.connect(dsn, connect_timeout=3).close()
        except psycopg.OperationalError:
            continue
        return dsn
    pytest.fail("PostgreSQL on 127.0.0.1:5432 (database test) is not reachable")


@dataclass
class Db:
    """Raw access to the storage behind one log, bypassing the gateway's code."""

    kind: str
    url: str
    table: str  # quoted, qualified
    trigger_drops: list[str]
    app_name: str = ""
    _sqlite: sqlite3.Connection | None = None
    _pg: psycopg.Connection[Any] | None = field(default=None, repr=False)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        statement = statement.replace("{t}", self.table)
        if self._sqlite is not None:
            return self._sqlite.execute(statement, params).fetchall()
        assert self._pg is not None
        cur = self._pg.execute(statement.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []

    def drop_triggers(self) -> None:
        for statement in self.trigger_drops:
            self.execute(statement)

    def row(self, seq: int) -> tuple[Any, ...]:
        (row,) = self.execute(f"SELECT {', '.join(COLUMNS)} FROM {{t}} WHERE seq = ?", (seq,))
        return row

    def set_columns(self, seq: int, columns: Sequence[str], values: Sequence[Any]) -> None:
        assignments = ", ".join(f"{c} = ?" for c in columns)
        self.execute(f"UPDATE {{t}} SET {assignments} WHERE seq = ?", (*values, seq))

    def insert(self, values: Sequence[Any]) -> None:
        marks = ", ".join("?" * len(COLUMNS))
        self.execute(f"INSERT INTO {{t}} ({', '.join(COLUMNS)}) VALUES ({marks})", values)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        path = tmp_path / "logs" / "audit.db"
        raw = Db(
            "sqlite",
            f"sqlite:///{path}",
            '"audit_log"',
            ['DROP TRIGGER "audit_log_no_update"', 'DROP TRIGGER "audit_log_no_delete"'],
        )
        yield raw
        if raw._sqlite is not None:
            raw._sqlite.close()
        return
    dsn = pg_dsn()
    schema = f"kp_audit_test_{uuid.uuid4().hex[:12]}"
    app_name = f"kp_{schema}"
    raw = Db(
        "postgres",
        f"{dsn}?table={schema}.audit_log&application_name={app_name}",
        f'"{schema}"."audit_log"',
        [
            f'DROP TRIGGER "audit_log_no_change" ON "{schema}"."audit_log"',
            f'DROP TRIGGER "audit_log_no_truncate" ON "{schema}"."audit_log"',
        ],
        app_name=app_name,
    )
    admin = psycopg.connect(dsn, autocommit=True)
    try:
        yield raw
    finally:
        if raw._pg is not None:
            raw._pg.close()
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


@pytest.fixture
async def log(db: Db) -> AsyncIterator[AuditLog]:
    audit = open_audit_log(db.url)
    await audit.open()
    # the raw connection is opened only once the log has created its table
    if db.kind == "sqlite":
        db._sqlite = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None)
    else:
        db._pg = psycopg.connect(db.url.split("?")[0], autocommit=True)
    try:
        yield audit
    finally:
        await audit.close()


def entry(i: int, subject: str = KALLE, **overrides: Any) -> NewAuditRecord:
    fields: dict[str, Any] = {
        "request_id": f"req-{i}",
        "actor": f"officer-{i % 3}",
        "actor_role": Role.CASE_OFFICER if i % 2 else Role.CONTACT_CENTRE,
        "actor_units": ("BN",) if i % 2 else ("KC", "KS"),
        "subject": subject,
        "purpose": f"Ärende {i}: fråga från medborgaren",
        "operation": "citizen",
        "outcome": Outcome.ALLOWED,
        "disclosed": ((f"byggr:{i}", "SUMMARY"), (f"diarium:KS 2025/{i:04d}", "EXISTENCE")),
    }
    fields.update(overrides)
    return NewAuditRecord(**fields)


async def fill(log: AuditLog, n: int) -> list[AuditRecord]:
    written: list[AuditRecord] = []
    for i in range(1, n + 1):
        written += await log.append([entry(i)])
    return written


def broken(at: int, reason: str) -> tuple[bool, int | None, str | None]:
    return (False, at, reason)


def summary(result: VerifyResult) -> tuple[bool, int | None, str | None]:
    return (result.ok, result.first_broken, result.reason)


# -- append, read, verify ---------------------------------------------------------


async def test_append_read_and_verify(log: AuditLog) -> None:
    assert await log.verify() == VerifyResult(True, 0)
    assert await log.append([]) == []

    stamp = datetime(2025, 4, 1, 10, 0, 0, 250000, tzinfo=timezone(timedelta(hours=2)))
    first = await log.append([entry(1, at=stamp), entry(1, subject=NILS, outcome=Outcome.DENIED)])
    second = await log.append([entry(2, operation="casesByNumber", disclosed=())])

    assert [(r.seq, r.subject, r.outcome) for r in first + second] == [
        (1, KALLE, Outcome.ALLOWED),
        (2, NILS, Outcome.DENIED),
        (3, KALLE, Outcome.ALLOWED),
    ]
    assert first[0].at == datetime(2025, 4, 1, 8, 0, 0, 250000, tzinfo=UTC)
    assert first[0].prev_hash == GENESIS_HASH
    assert first[1].prev_hash == first[0].hash
    assert second[0].prev_hash == first[1].hash
    assert abs(second[0].at - datetime.now(UTC)) < timedelta(seconds=30)

    page, has_next, total = await log.for_subject(KALLE)
    assert (page, has_next, total) == ([second[0], first[0]], False, 2)
    assert await log.for_subject(GRETA) == ([], False, 0)
    assert await log.verify() == VerifyResult(True, 3, head=second[0].hash)


async def test_reopened_log_continues_the_chain(db: Db, log: AuditLog) -> None:
    before = await fill(log, 2)
    await log.close()
    again = open_audit_log(db.url)
    try:
        after = await again.append([entry(3)])
        assert (after[0].seq, after[0].prev_hash) == (3, before[-1].hash)
        assert await again.verify() == VerifyResult(True, 3, head=after[0].hash)
    finally:
        await again.close()


async def test_concurrent_appends_form_one_chain(log: AuditLog) -> None:
    batches = await asyncio.gather(
        *(log.append([entry(i), entry(i, subject=NILS)]) for i in range(50))
    )

    seqs = sorted(r.seq for batch in batches for r in batch)
    assert seqs == list(range(1, 101))
    for batch in batches:  # one request's records are adjacent in the chain
        assert batch[1].seq == batch[0].seq + 1
        assert batch[1].prev_hash == batch[0].hash
    assert summary(await log.verify()) == (True, None, None)
    assert (await log.verify()).checked == 100


async def test_concurrent_replicas_share_one_chain(db: Db, log: AuditLog) -> None:
    other = open_audit_log(db.url)  # a second gateway process on the same storage
    try:
        await asyncio.gather(
            *(target.append([entry(i)]) for i in range(40) for target in (log, other))
        )
        result = await other.verify()
    finally:
        await other.close()
    assert (result.ok, result.checked) == (True, 80)


async def test_cancelled_appends_leave_a_usable_chain(log: AuditLog) -> None:
    tasks = [asyncio.ensure_future(log.append([entry(i)])) for i in range(20)]
    await asyncio.sleep(0)
    for task in tasks[::2]:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    (record,) = await log.append([entry(99)])
    result = await log.verify()
    assert (result.ok, result.checked, result.head) == (True, record.seq, record.hash)
    assert record.seq >= 11  # at least every append that was not cancelled


async def test_for_subject_pages_newest_first(log: AuditLog) -> None:
    mine: list[AuditRecord] = []
    for i in range(1, 8):
        mine += await log.append([entry(i)])
        await log.append([entry(i, subject=GRETA)])
    newest_first = mine[::-1]

    page1, next1, total1 = await log.for_subject(KALLE, first=3)
    page2, next2, total2 = await log.for_subject(KALLE, first=3, after=page1[-1].cursor)
    page3, next3, total3 = await log.for_subject(KALLE, first=3, after=page2[-1].cursor)

    assert (page1, next1, total1) == (newest_first[0:3], True, 7)
    assert (page2, next2, total2) == (newest_first[3:6], True, 7)
    assert (page3, next3, total3) == (newest_first[6:7], False, 7)
    assert await log.for_subject(KALLE, first=0) == ([], True, 7)
    assert await log.for_subject(KALLE, first=7) == (newest_first, False, 7)


@pytest.mark.parametrize(
    ("first", "after", "field"), [(-1, None, "first"), (501, None, "first"), (5, "nope", "after")]
)
async def test_for_subject_rejects_bad_paging(
    log: AuditLog, first: int, after: str | None, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        await log.for_subject(KALLE, first=first, after=after)
    assert info.value.extensions() == {"code": "BAD_USER_INPUT", "field": field}


async def test_control_characters_and_sql_round_trip_escaped(db: Db, log: AuditLog) -> None:
    purpose = "Samtal\nrad två\x00\x1b[31m röd \u202eomvänd\u2028'); DROP TABLE audit_log; --"
    (written,) = await log.append([entry(1, purpose=purpose, request_id="r\r\n1")])

    escaped = "Samtal\\nrad två\\x00\\x1b[31m röd \\u202eomvänd\\u2028'); DROP TABLE audit_log; --"
    (stored,), _, _ = await log.for_subject(KALLE)
    assert (written.purpose, written.request_id) == (escaped, "r\\r\\n1")
    assert stored == written
    assert db.row(1)[7] == escaped
    assert summary(await log.verify()) == (True, None, None)


# -- append-only at the database level ----------------------------------------------


async def test_triggers_block_update_and_delete(db: Db, log: AuditLog) -> None:
    await fill(log, 2)
    errors = (sqlite3.DatabaseError, psycopg.Error)
    statements = ["UPDATE {t} SET purpose = 'x' WHERE seq = 1", "DELETE FROM {t} WHERE seq = 2"]
    if db.kind == "postgres":
        statements.append("TRUNCATE {t}")
    for statement in statements:
        with pytest.raises(errors, match="append-only"):
            db.execute(statement)
    assert [row[0] for row in db.execute("SELECT seq FROM {t} ORDER BY seq")] == [1, 2]
    assert summary(await log.verify()) == (True, None, None)


# -- tampering after the triggers are dropped ---------------------------------------


async def test_changed_field_is_detected(db: Db, log: AuditLog) -> None:
    await fill(log, 12)
    db.drop_triggers()
    db.set_columns(7, ["purpose"], ["Ingen läste något"])
    result = await log.verify()
    assert summary(result) == broken(7, REASON_CHANGED)
    assert result.checked == 6


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("outcome", "DENIED"),
        ("actor_units", '["KS"]'),
        ("actor_role", "HACKER"),
        ("disclosed", "{"),
    ],
)
async def test_any_changed_column_is_detected(
    db: Db, log: AuditLog, column: str, value: str
) -> None:
    await fill(log, 5)
    db.drop_triggers()
    db.set_columns(3, [column], [value])
    assert summary(await log.verify()) == broken(3, REASON_CHANGED)


async def test_deleted_row_is_detected(db: Db, log: AuditLog) -> None:
    await fill(log, 10)
    db.drop_triggers()
    db.execute("DELETE FROM {t} WHERE seq = 5")
    assert summary(await log.verify()) == broken(6, REASON_CHAIN)


async def test_deleted_and_renumbered_rows_are_detected(db: Db, log: AuditLog) -> None:
    await fill(log, 10)
    db.drop_triggers()
    db.execute("DELETE FROM {t} WHERE seq = 5")
    db.execute("UPDATE {t} SET seq = seq + 1000 WHERE seq > 5")  # two steps: keys stay unique
    db.execute("UPDATE {t} SET seq = seq - 1001 WHERE seq > 1000")
    assert summary(await log.verify()) == broken(5, REASON_CHAIN)


@pytest.mark.parametrize(
    ("columns", "reason"),
    [(COLUMNS[1:], REASON_CHAIN), (COLUMNS[1:-2], REASON_CHANGED)],
    ids=["with-hashes", "content-only"],
)
async def test_swapped_rows_are_detected(
    db: Db, log: AuditLog, columns: Sequence[str], reason: str
) -> None:
    await fill(log, 10)
    db.drop_triggers()
    row3, row8 = db.row(3), db.row(8)
    picked = [COLUMNS.index(c) for c in columns]
    db.set_columns(3, columns, [row8[i] for i in picked])
    db.set_columns(8, columns, [row3[i] for i in picked])
    assert summary(await log.verify()) == broken(3, reason)


async def test_forged_row_at_the_end_is_detected(db: Db, log: AuditLog) -> None:
    written = await fill(log, 6)
    db.drop_triggers()
    forged = list(db.row(6))
    forged[0], forged[7] = 7, "Rutinkontroll"
    forged[11], forged[12] = written[-1].hash, hashlib.sha256(b"forged").hexdigest()
    db.insert(forged)
    assert summary(await log.verify()) == broken(7, REASON_CHANGED)


async def test_forged_row_in_the_middle_is_detected(db: Db, log: AuditLog) -> None:
    written = await fill(log, 8)
    db.drop_triggers()
    # make room at seq 4 without tripping the primary key, then slip a record in
    db.execute("UPDATE {t} SET seq = seq + 1000 WHERE seq >= 4")
    db.execute("UPDATE {t} SET seq = seq - 999 WHERE seq >= 1000")
    forged = list(db.row(5))
    forged[0], forged[6] = 4, GRETA
    forged[11], forged[12] = written[2].hash, hashlib.sha256(b"forged").hexdigest()
    db.insert(forged)
    assert summary(await log.verify()) == broken(4, REASON_CHANGED)


# -- failing closed -------------------------------------------------------------------


async def test_unwritable_sqlite_location_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    audit = open_audit_log(f"sqlite:///{blocker}/audit.db")
    with pytest.raises(AuditUnavailable) as info:
        await audit.open()
    with pytest.raises(AuditUnavailable):
        await audit.append([entry(1)])
    await audit.close()
    assert info.value.extensions() == {"code": "AUDIT_UNAVAILABLE"}
    assert str(tmp_path) not in info.value.message


@pytest.mark.postgres
async def test_unreachable_postgres_is_unavailable() -> None:
    audit = open_audit_log("postgresql://postgres:s3cret@127.0.0.1:1/test?table=audit_log")
    for attempt in (audit.open(), audit.append([entry(1)]), audit.verify()):
        with pytest.raises(AuditUnavailable) as info:
            await attempt
        assert info.value.code == "AUDIT_UNAVAILABLE"
        assert not any(s in info.value.message for s in ("127.0.0.1", "s3cret", "postgres"))
    await audit.close()


@pytest.mark.postgres
@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_postgres_connection_lost_while_idle_is_replaced(db: Db, log: AuditLog) -> None:
    await fill(log, 2)
    killed = db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?",
        (db.app_name,),
    )
    assert killed == [(True,)]
    (record,) = await log.append([entry(3)])
    assert record.seq == 3
    assert summary(await log.verify()) == (True, None, None)
