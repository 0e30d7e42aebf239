"""The keyed access log with checkpoints, through the whole app and `audit verify`.

The gateway writes staff reads to the log (SQLite or PostgreSQL, a schema of its own
per test); then an intruder with the database but not the key deletes the last rows,
deletes all rows, or rewrites a row and re-hashes the chain; `knutpunkt audit verify`
(with the key and the checkpoint file, which live outside the database) catches each.
"""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from kp_worlds import wait_until

from gateway.audit import (
    COLUMNS,
    REASON_CHANGED,
    REASON_CHECKPOINTS,
    REASON_TRUNCATED,
    audit_verify_main,
    chain_hash,
    from_row,
    keying_from,
)
from gateway.settings import AuditSettings
from simulators import personas

LOOKUP = """query ($pnr: String!) {
  citizen(personalNumber: $pnr, purpose: "Medborgaren ringde") { citizen { name } } }"""
#: looked up again and again: one access-log record per lookup
SUBJECT = personas.TOLVAN
PG = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Log:
    """An access log's URL and raw access to its table, bypassing the gateway."""

    url: str
    table: str
    trigger_drops: list[str]
    connect: Any

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.connect() as conn:
            if isinstance(conn, sqlite3.Connection):
                rows = conn.execute(statement.replace("{t}", self.table), params).fetchall()
                conn.commit()
                return rows
            cur = conn.execute(statement.replace("{t}", self.table).replace("?", "%s"), params)
            return cur.fetchall() if cur.description else []

    def intrude(self) -> None:
        for statement in self.trigger_drops:
            self.execute(statement)

    def rows(self) -> list[tuple[Any, ...]]:
        return self.execute(f"SELECT {', '.join(COLUMNS)} FROM {{t}} ORDER BY seq")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Log]:
    if request.param == "sqlite":
        path = tmp_path / "audit.db"
        yield Log(
            f"sqlite:///{path}",
            '"audit_log"',
            ['DROP TRIGGER "audit_log_no_update"', 'DROP TRIGGER "audit_log_no_delete"'],
            lambda: _closing_sqlite(path),
        )
        return
    schema = f"kp_keyed_audit_{uuid.uuid4().hex[:12]}"
    yield Log(
        f"{PG}?table={schema}.audit_log",
        f'"{schema}"."audit_log"',
        [
            f'DROP TRIGGER "audit_log_no_change" ON "{schema}"."audit_log"',
            f'DROP TRIGGER "audit_log_no_truncate" ON "{schema}"."audit_log"',
        ],
        lambda: psycopg.connect(PG, autocommit=True),
    )
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class _closing_sqlite:
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


@pytest.fixture
def audit(tmp_path: Path) -> AuditSettings:
    key_file = tmp_path / "secrets" / "audit.key"
    key_file.parent.mkdir()
    key_file.write_text("k" * 16 + uuid.uuid4().hex + "\n")
    return AuditSettings(
        key_file=str(key_file),
        checkpoint_file=str(tmp_path / "shipped" / "audit.checkpoints"),
        checkpoint_every=2,
    )


async def _staff_reads(
    start_gateway: Any, make_settings: Any, log: Log, audit: AuditSettings | None, n: int
) -> None:
    env = {"KNUTPUNKT_AUDIT_URL": log.url}
    if audit is not None:
        env |= {
            "KNUTPUNKT_AUDIT_KEY_FILE": audit.key_file,
            "KNUTPUNKT_AUDIT_CHECKPOINT_FILE": audit.checkpoint_file,
            "KNUTPUNKT_AUDIT_CHECKPOINT_EVERY": str(audit.checkpoint_every),
        }
    async with start_gateway(make_settings(**env)) as gw:
        token = gw.token("contact_centre", name="Maja KC")
        for _ in range(n):
            body = await gw.query(LOOKUP, {"pnr": SUBJECT}, token=token)
            assert "errors" not in body, body


def _checkpoint_lines(audit: AuditSettings) -> list[str]:
    return Path(audit.checkpoint_file).read_text().splitlines()


def _write_checkpoints(audit: AuditSettings, lines: list[str]) -> None:
    Path(audit.checkpoint_file).write_text("\n".join(lines) + "\n")


async def verify(log: Log, audit: AuditSettings | None) -> tuple[int, str]:
    """`knutpunkt audit verify` (its own event loop, so in a thread): exit code, first line."""
    out = io.StringIO()
    keying = keying_from(audit) if audit is not None else None
    code = await asyncio.to_thread(audit_verify_main, log.url, out, keying=keying)
    return code, out.getvalue().splitlines()[0]


def _rehash_from(log: Log, seq: int, key: bytes | None = None) -> None:
    """Re-chain every record from `seq` on, as an intruder without our key would."""
    rows = [from_row(r) for r in log.rows()]
    prev = rows[seq - 2].hash if seq > 1 else "0" * 64
    for record in rows[seq - 1 :]:
        record = replace(record, prev_hash=prev)
        new_hash = chain_hash(record, key)
        log.execute(
            "UPDATE {t} SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, new_hash, record.seq)
        )
        prev = new_hash


async def test_an_intact_keyed_log_verifies(
    log: Log, audit: AuditSettings, start_gateway: Any, make_settings: Any
) -> None:
    await _staff_reads(start_gateway, make_settings, log, audit, 5)
    assert await verify(log, audit) == (0, "audit log intact: 5 records")
    lines = _checkpoint_lines(audit)
    # the first at start (head 0), every 2 records, and the head at shutdown
    assert [json.loads(line)["seq"] for line in lines] == [0, 2, 4, 5]
    assert {json.loads(line)["keyedFrom"] for line in lines} == {1}


async def test_deleting_the_last_rows_is_caught(
    log: Log, audit: AuditSettings, start_gateway: Any, make_settings: Any
) -> None:
    await _staff_reads(start_gateway, make_settings, log, audit, 5)
    log.intrude()
    log.execute("DELETE FROM {t} WHERE seq > 3")
    assert await verify(log, audit) == (1, f"audit log BROKEN at record 4: {REASON_TRUNCATED}")


async def test_deleting_all_rows_is_caught(
    log: Log, audit: AuditSettings, start_gateway: Any, make_settings: Any
) -> None:
    await _staff_reads(start_gateway, make_settings, log, audit, 5)
    log.intrude()
    log.execute("DELETE FROM {t}")
    assert await verify(log, audit) == (1, f"audit log BROKEN at record 1: {REASON_TRUNCATED}")


@pytest.mark.parametrize("intruder_key", [None, b"a guessed key of thirty-two bytes!"])
async def test_a_rewritten_and_rehashed_row_is_caught(
    log: Log,
    audit: AuditSettings,
    start_gateway: Any,
    make_settings: Any,
    intruder_key: bytes | None,
) -> None:
    await _staff_reads(start_gateway, make_settings, log, audit, 5)
    log.intrude()
    log.execute("UPDATE {t} SET purpose = ? WHERE seq = 2", ("Rutinkontroll",))
    _rehash_from(log, 2, intruder_key)
    assert await verify(log, audit) == (1, f"audit log BROKEN at record 2: {REASON_CHANGED}")


async def test_a_missing_or_forged_checkpoint_file_fails(
    log: Log, audit: AuditSettings, start_gateway: Any, make_settings: Any
) -> None:
    await _staff_reads(start_gateway, make_settings, log, audit, 3)
    lines = _checkpoint_lines(audit)
    forged = json.loads(lines[-1]) | {"seq": 1}  # an intruder moves the latest one back
    _write_checkpoints(audit, [*lines[:-1], json.dumps(forged)])
    assert await verify(log, audit) == (1, f"audit log BROKEN: {REASON_CHECKPOINTS}")
    Path(audit.checkpoint_file).unlink()  # noqa: ASYNC240 - a test's own small file
    assert await verify(log, audit) == (1, f"audit log BROKEN: {REASON_CHECKPOINTS}")


async def test_a_log_written_before_keying_stays_verifiable_and_anchored(
    log: Log, audit: AuditSettings, start_gateway: Any, make_settings: Any
) -> None:
    await _staff_reads(start_gateway, make_settings, log, None, 3)  # the legacy chain
    await _staff_reads(start_gateway, make_settings, log, audit, 3)  # keyed from record 4
    assert await verify(log, audit) == (0, "audit log intact: 6 records")
    lines = _checkpoint_lines(audit)
    assert json.loads(lines[0])["seq"] == 3  # the legacy head, anchored at the switch
    assert {json.loads(line)["keyedFrom"] for line in lines} == {4}

    log.intrude()  # rewrite a legacy record and re-hash the whole chain without the key
    log.execute("UPDATE {t} SET purpose = ? WHERE seq = 1", ("Rutinkontroll",))
    _rehash_from(log, 1)
    code, line = await verify(log, audit)
    assert code == 1
    assert line.startswith("audit log BROKEN at record 3: ")  # the anchored legacy head


async def test_a_quiet_log_is_checkpointed_after_checkpoint_seconds(
    log: Log, audit: AuditSettings, start_gateway: Any, make_settings: Any
) -> None:
    settings = make_settings(
        KNUTPUNKT_AUDIT_URL=log.url,
        KNUTPUNKT_AUDIT_KEY_FILE=audit.key_file,
        KNUTPUNKT_AUDIT_CHECKPOINT_FILE=audit.checkpoint_file,
        KNUTPUNKT_AUDIT_CHECKPOINT_EVERY="1000",
        KNUTPUNKT_AUDIT_CHECKPOINT_SECONDS="2",
    )
    async with start_gateway(settings) as gw:
        token = gw.token("contact_centre", name="Maja KC")
        assert "errors" not in await gw.query(LOOKUP, {"pnr": SUBJECT}, token=token)

        def head_checkpointed() -> bool:
            return json.loads(_checkpoint_lines(audit)[-1])["seq"] == 1

        assert not head_checkpointed()  # one record is fewer than checkpoint_every
        # no further record and no shutdown: the timer alone writes the head
        await wait_until(head_checkpointed, timeout=6.0)
        log.intrude()
        log.execute("DELETE FROM {t}")
        assert await verify(log, audit) == (1, f"audit log BROKEN at record 1: {REASON_TRUNCATED}")
