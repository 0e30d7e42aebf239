"""The case store: the hub's own store of case metadata, for statistics, overdue
lists and the public diary, kept in sync with every case system (SQLite or PostgreSQL).

`CaseStore` syncs and answers queries; `open_case_store` runs one inside the gateway
with its background refresher; `backend_for` opens the SQL backend (also used by the
access log). The per-case records and cells are plain data in
`policies.statistics_records`; `Dimension` is re-exported here for the resolvers.
"""

from policies.statistics_records import Dimension

from .lifecycle import LiveCaseStore, open_case_store, stop_tasks
from .model import (
    CaseStorePolicy,
    DiaryFilter,
    OverdueFilter,
    OverdueItem,
    Page,
    StatisticsFilter,
    SyncStatus,
    parse_dimensions,
)
from .sql import DatabaseUnavailable, SqlBackend, Tx, quote_ident
from .sql_open import backend_for
from .sql_postgres import PostgresBackend
from .sql_sqlite import SqliteBackend
from .store import CaseStore, utcnow

__all__ = [
    "CaseStore",
    "CaseStorePolicy",
    "DatabaseUnavailable",
    "DiaryFilter",
    "Dimension",
    "LiveCaseStore",
    "OverdueFilter",
    "OverdueItem",
    "Page",
    "PostgresBackend",
    "SqlBackend",
    "SqliteBackend",
    "StatisticsFilter",
    "SyncStatus",
    "Tx",
    "backend_for",
    "open_case_store",
    "parse_dimensions",
    "quote_ident",
    "stop_tasks",
    "utcnow",
]
