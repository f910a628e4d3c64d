"""What two backtests stored, read back to compare them: every event, and any table's rows; and the check that a
run shown only some bars equals the run shown every bar."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from bigalpha.backtest.results import BacktestResult
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


def assert_same_run(
    settings: Settings,
    sparse: BacktestResult,
    dense: BacktestResult,
    folder: Path,
    stores: tuple[str, str] = ("sparse.db", "dense.db"),
) -> None:
    """`sparse` (stored in `folder/sparse.db`, or the first of `stores`) equals `dense` (`folder/dense.db`, or the
    second): trades, the equity at every bar, the guard table, every event, every shadow trade and position."""
    first, second = folder / stores[0], folder / stores[1]
    assert sparse.trades == dense.trades
    assert np.array_equal(sparse.equity, dense.equity)
    assert sparse.guards == dense.guards
    assert stored_events(settings, first) == stored_events(settings, second)
    for query in ("SELECT * FROM shadow_trades ORDER BY id", "SELECT * FROM positions ORDER BY id"):
        assert table_rows(first, query) == table_rows(second, query)
