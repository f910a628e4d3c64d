"""Showing the engine only the bars where a decision is taken changes nothing: the sparse backtest's trades,
shadows (L-SHADOW-1) and equity equal those of a run that shows it every bar of every symbol."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bigalpha.backtest.market import sim_market
from bigalpha.backtest.runner import run_whole_bot
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols


def test_sparse_backtest_equals_every_bar_backtest(tmp_path: Path) -> None:
    # A long cool-down leaves bars with no signal and no shadow open, which the sparse run must skip.
    settings = Settings.model_validate({"setups": {"alpha_ofi": {"cooldown_minutes": 240}}})
    symbols = tuple(s for s in default_symbols() if s.symbol in ("BTC", "ETH"))
    dataset = generate(SimParams(seed=11, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 1)
    market = sim_market(dataset, "sim", settings.indicators.ofi_book_levels)
    dense = run_whole_bot(settings, market, tmp_path / "dense.db", dense=True)
    sparse = run_whole_bot(settings, market, tmp_path / "sparse.db")
    assert sparse.trades == dense.trades
    assert sparse.guards == dense.guards
    assert sparse.extra["shadows"] == dense.extra["shadows"] > 0
    assert sparse.extra["signals"] == dense.extra["signals"]
    assert np.array_equal(sparse.equity, dense.equity)
    assert sparse.extra["lanes_processed"] < dense.extra["lanes_processed"]
