"""What two backtests stored, read back to compare them: every event, and any table's rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bigalpha.config import Settings
from bigalpha.store import Store


def stored_events(settings: Settings, path: Path) -> list[tuple[object, ...]]:
    """Every event of the store at `path` as (time, type, message, data), sorted."""
    store = Store.open(settings, url=f"sqlite:///{path}")
    try:
        return sorted((e.ts, str(e.type), e.message, repr(e.data)) for _seq, e in store.last_events(10**9))
    finally:
        store.close()


def table_rows(path: Path, query: str) -> list[tuple[object, ...]]:
    """The rows `query` selects from the SQLite store at `path`."""
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()
