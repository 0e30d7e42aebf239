"""`knutpunkt audit verify` as the operator sees it: output lines and exit codes."""

from __future__ import annotations

import asyncio
import io
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gateway.audit import AuditRecord, NewAuditRecord, Outcome, audit_verify_main, open_audit_log
from policies.caller import Role


def write_log(url: str, n: int) -> list[AuditRecord]:
    async def run() -> list[AuditRecord]:
        log = open_audit_log(url)
        try:
            await log.open()
            written: list[AuditRecord] = []
            for i in range(n):
                written += await log.append(
                    [
                        NewAuditRecord(
                            request_id=f"req-{i}",
                            actor="kc-agent-1",
                            actor_role=Role.CONTACT_CENTRE,
                            actor_units=("KC",),
                            subject="191212121212",
                            purpose="Medborgaren ringde om felanmälan",
                            operation="citizen",
                            outcome=Outcome.ALLOWED,
                            disclosed=((f"teknik:{i}", "SUMMARY"),),
                        )
                    ]
                )
            return written
        finally:
            await log.close()

    return asyncio.run(run())


def verify(url: str) -> tuple[int, str]:
    out = io.StringIO()
    code = audit_verify_main(url, out)
    return code, out.getvalue()


def test_intact_sqlite_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/audit.db"
    written = write_log(url, 4)
    assert verify(url) == (0, f"audit log intact: 4 records\nhead {written[-1].hash}\n")


def test_empty_sqlite_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/audit.db"
    write_log(url, 0)
    assert verify(url) == (0, "audit log intact: 0 records\n")


def test_broken_sqlite_log_names_the_first_broken_record(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/audit.db"
    write_log(url, 5)
    raw = sqlite3.connect(tmp_path / "audit.db", isolation_level=None)
    try:
        raw.execute('DROP TRIGGER "audit_log_no_update"')
        raw.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq IN (2, 4)")
    finally:
        raw.close()
    assert verify(url) == (1, "audit log BROKEN at record 2: hash mismatch (record changed)\n")


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "audit.db"
    assert verify(f"sqlite:///{path}") == (
        1,
        "audit log UNAVAILABLE: the audit log database cannot be opened\n",
    )
    assert not path.parent.exists()


def test_sqlite_file_without_a_log(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "other.db").close()
    assert verify(f"sqlite:///{tmp_path}/other.db") == (
        1,
        "audit log UNAVAILABLE: no audit log at this location\n",
    )


def test_unusable_url() -> None:
    code, output = verify("mysql://db/audit")
    assert code == 1
    assert output.startswith("audit log URL not usable: ")


@pytest.fixture
def pg_url() -> Iterator[str]:
    dsn = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        admin = psycopg.connect(dsn, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        dsn = "postgresql://root@127.0.0.1:5432/test"
        admin = psycopg.connect(dsn, autocommit=True, connect_timeout=3)
    schema = f"kp_audit_cli_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{dsn}?table={schema}.audit_log"
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


@pytest.mark.postgres
def test_postgres_log_intact_then_broken(pg_url: str) -> None:
    written = write_log(pg_url, 3)
    assert verify(pg_url) == (0, f"audit log intact: 3 records\nhead {written[-1].hash}\n")

    schema = pg_url.split("table=")[1].split(".")[0]
    with psycopg.connect(pg_url.split("?")[0], autocommit=True) as raw:
        raw.execute(f'DROP TRIGGER "audit_log_no_change" ON "{schema}"."audit_log"')
        raw.execute(f'DELETE FROM "{schema}"."audit_log" WHERE seq = 2')
    assert verify(pg_url) == (
        1,
        "audit log BROKEN at record 3: chain broken (record missing or reordered)\n",
    )


@pytest.mark.postgres
def test_postgres_without_a_log_is_not_created(pg_url: str) -> None:
    assert verify(pg_url) == (1, "audit log UNAVAILABLE: no audit log at this location\n")
    schema = pg_url.split("table=")[1].split(".")[0]
    with psycopg.connect(pg_url.split("?")[0]) as raw:
        found = raw.execute("SELECT to_regnamespace(%s)", (schema,)).fetchone()
    assert found == (None,)


@pytest.mark.postgres
def test_unreachable_postgres() -> None:
    assert verify("postgresql://postgres@127.0.0.1:1/test") == (
        1,
        "audit log UNAVAILABLE: cannot connect to the audit log database\n",
    )
