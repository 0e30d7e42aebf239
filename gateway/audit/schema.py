"""The access log's table, index and append-only triggers, per SQL dialect."""

from __future__ import annotations

from casestore import quote_ident


def q(name: str) -> str:
    """PostgreSQL: `name` or `schema.name`, quoted."""
    return quote_ident(name)


def table_ident(dialect: str, table: str) -> str:
    """The quoted table: on SQLite a dotted name is one name (it has no schemas)."""
    return q(table) if dialect == "postgres" else f'"{table}"'


#: the columns in `records.COLUMNS` order: (name, SQLite type, PostgreSQL type)
_COLUMNS = (
    ("seq", "INTEGER PRIMARY KEY", "bigint PRIMARY KEY"),
    ("at", "TEXT NOT NULL", "timestamptz NOT NULL"),
    ("request_id", "TEXT NOT NULL", "text NOT NULL"),
    ("actor", "TEXT NOT NULL", "text NOT NULL"),
    ("actor_role", "TEXT NOT NULL", "text NOT NULL"),
    ("actor_units", "TEXT NOT NULL", "text NOT NULL"),
    ("subject", "TEXT NOT NULL", "text NOT NULL"),
    ("purpose", "TEXT NOT NULL", "text NOT NULL"),
    ("operation", "TEXT NOT NULL", "text NOT NULL"),
    ("disclosed", "TEXT NOT NULL", "text NOT NULL"),
    ("outcome", "TEXT NOT NULL", "text NOT NULL"),
    ("prev_hash", "TEXT NOT NULL", "text NOT NULL"),
    ("hash", "TEXT NOT NULL", "text NOT NULL"),
)


def create_statements(dialect: str, table: str) -> list[str]:
    """One transaction creating what is missing. On PostgreSQL the one `?` is the
    advisory lock key, so that replicas starting together do not race on the catalog."""
    pg = dialect == "postgres"
    schema, _, name = table.rpartition(".") if pg else ("", "", table)
    t = table_ident(dialect, table)
    columns = ",\n    ".join(f"{c} {pg_type if pg else lite}" for c, lite, pg_type in _COLUMNS)
    create = [
        f"CREATE TABLE IF NOT EXISTS {t} (\n    {columns})",
        f'CREATE INDEX IF NOT EXISTS "{name}_subject" ON {t} (subject, seq)',
    ]
    if not pg:
        return [
            "BEGIN IMMEDIATE",
            *create,
            *(
                f'CREATE TRIGGER IF NOT EXISTS "{name}_no_{what}" BEFORE {what.upper()} '
                f"ON {t} BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
                for what in ("update", "delete")
            ),
            "COMMIT",
        ]
    fn = q(f"{schema}.{name}_append_only" if schema else f"{name}_append_only")
    return [
        "BEGIN",
        "SELECT pg_advisory_xact_lock(?)",
        *([f"CREATE SCHEMA IF NOT EXISTS {q(schema)}"] if schema else []),
        *create,
        f"""CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$""",
        f"""CREATE OR REPLACE TRIGGER {q(name + "_no_change")} BEFORE UPDATE OR DELETE ON {t}
           FOR EACH ROW EXECUTE FUNCTION {fn}()""",
        f"""CREATE OR REPLACE TRIGGER {q(name + "_no_truncate")} BEFORE TRUNCATE ON {t}
           FOR EACH STATEMENT EXECUTE FUNCTION {fn}()""",
        "COMMIT",
    ]


def exists_query(dialect: str, table: str) -> tuple[str, str]:
    """A query with one parameter whose first row's first value is not NULL when the
    table exists."""
    if dialect == "postgres":
        return "SELECT to_regclass(?)", q(table)
    return "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", table
