"""Open the SQL backend a URL names (the case store's and the access log's)."""

from __future__ import annotations

from .sql import SqlBackend
from .sql_postgres import PostgresBackend
from .sql_sqlite import SqliteBackend


def backend_for(url: str) -> SqlBackend:
    """`sqlite:///path`, `sqlite://:memory:`, ':memory:' or a `postgresql://` URL."""
    if url in (":memory:", "sqlite://:memory:", "sqlite:///:memory:"):
        return SqliteBackend(":memory:")
    if url.startswith("sqlite:///"):
        return SqliteBackend(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresBackend(url)
    raise ValueError("case store URL must be sqlite:///path, :memory: or postgresql://...")
