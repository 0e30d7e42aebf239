"""The SQL layer the case store and the access log share."""

from __future__ import annotations

from pathlib import Path

import pytest

from casestore import DatabaseUnavailable, SqliteBackend, Tx, backend_for, quote_ident


def test_identifiers_are_quoted_or_refused() -> None:
    assert quote_ident("audit_log") == '"audit_log"'
    assert quote_ident("audit.access_log") == '"audit"."access_log"'
    for bad in ('a"b', "a.b.c", "1abc", "", "a b"):
        with pytest.raises(ValueError, match="not an identifier"):
            quote_ident(bad)


async def test_a_failed_transaction_leaves_nothing_and_the_connection_usable(
    tmp_path: Path,
) -> None:
    db = backend_for(f"sqlite:///{tmp_path}/nested/t.db")  # the directory is created
    await db.run([("CREATE TABLE t (x INTEGER)", ())])

    async def half(tx: Tx) -> None:
        await tx.execute("INSERT INTO t VALUES (?)", (1,))
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        await db.transaction(half, write=True)

    async def whole(tx: Tx) -> list[tuple[object, ...]]:
        await tx.executemany("INSERT INTO t VALUES (?)", [(2,), (3,)])
        return await tx.fetch("SELECT x FROM t ORDER BY x")

    assert await db.transaction(whole) == [(2,), (3,)]
    await db.close()
    await db.open()  # reopens after close
    assert await db.fetch("SELECT x FROM t ORDER BY x") == [(2,), (3,)]
    await db.close()


async def test_failures_name_their_stage(tmp_path: Path) -> None:
    missing = SqliteBackend(str(tmp_path / "absent.db"), create=False)
    with pytest.raises(DatabaseUnavailable) as opened:
        await missing.open()
    assert opened.value.stage == "connect"
    assert not (tmp_path / "absent.db").exists()

    db = SqliteBackend(":memory:")
    with pytest.raises(DatabaseUnavailable) as bad:
        await db.fetch("SELECT * FROM nowhere")
    assert bad.value.stage == "query"
    await db.close()


@pytest.mark.postgres
async def test_a_replanned_fetch_is_never_a_prepared_statement() -> None:
    """psycopg prepares a statement run five times, and PostgreSQL may then keep one generic
    plan for it; `replan` keeps each run planned for its own parameters."""
    db = backend_for("postgresql://postgres@127.0.0.1:5432/test")
    prepared = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%4711%'"
    try:
        for i in range(8):
            assert await db.fetch("SELECT 4711 + ?::int", [i], replan=True)
        assert await db.fetch(prepared) == [(0,)]
        for i in range(8):  # the default: prepared after five runs
            await db.fetch("SELECT 4711 + ?::int", [i])
        assert await db.fetch(prepared) == [(1,)]
    finally:
        await db.close()
