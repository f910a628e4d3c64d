"""The whole bot on history files with Binance's aggTrades archives beside the klines: whale flow is read from the
trades' sizes (A-WHALE-1), so the whale-intent guard (G-WHALE-3), which never reads the volume-spike proxy, judges
the signals; and a run shown only the bars that can change something equals the run shown every bar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bigalpha.backtest.market import Market, load_market, sim_market
from bigalpha.backtest.runner import run_whole_bot
from bigalpha.backtest.supervision import Supervision
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from sim_klines import write_sim_agg_trades, write_sim_klines, write_sim_metrics
from stored_runs import assert_same_run, table_rows

# What lets the bot enter on history files (docs/backtesting.md, "The bot on history files").
SETTINGS = {
    "indicators": {"ofi_taker_weight": 1.0},
    "risk": {"health_factor_required": False, "stale_checked_feeds": ["open_interest", "long_short_ratio"]},
}
SUPERVISION = Supervision(resume_after=timedelta(hours=1), reset_after=timedelta(hours=2))


def _folder(root: Path, *, trades: bool) -> Path:
    """Two simulated days of ETH and XRP as kline and metrics files, ETH's every fifth bar missing; with `trades`,
    ETH's aggTrades too, a file a day (joined by trade id)."""
    symbols = tuple(s for s in default_symbols() if s.symbol in ("ETH", "XRP"))
    dataset = generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 2)
    write_sim_klines(sim_market(dataset, "sim", 5), root, {"ETH": 2880, "XRP": 2880})
    write_sim_metrics(dataset, root, ("ETH", "XRP"))
    if trades:
        write_sim_agg_trades(dataset, root, ("ETH",))
    path = root / "ETHUSDT-1m-2025-01-01.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for k, line in enumerate(lines) if k % 5 != 2))
    return root


@pytest.fixture(scope="module")
def with_trades(tmp_path_factory: pytest.TempPathFactory) -> Market:
    return load_market(_folder(tmp_path_factory.mktemp("trades"), trades=True), 5)


def test_the_bot_on_history_with_trades_equals_the_run_shown_every_bar(with_trades: Market, tmp_path: Path) -> None:
    settings = Settings.model_validate(SETTINGS)
    dense = run_whole_bot(settings, with_trades, tmp_path / "dense.db", supervision=SUPERVISION, dense=True)
    sparse = run_whole_bot(settings, with_trades, tmp_path / "sparse.db", supervision=SUPERVISION)
    assert dense.metrics.trades > 0
    assert_same_run(settings, sparse, dense, tmp_path)
    assert sparse.extra["ticks_processed"] < dense.extra["ticks_processed"] * 0.7


def test_whale_intent_judges_the_symbol_with_trades_and_only_it(with_trades: Market, tmp_path: Path) -> None:
    """G-WHALE-3 blocks ETH's signals from the trades' whale flow; on XRP (no trades) its data is unavailable, as
    it is on ETH too without the aggTrades files. (A signal an earlier guard blocks never reaches it.)"""
    settings = Settings.model_validate(SETTINGS)
    run_whole_bot(settings, with_trades, tmp_path / "trades.db", supervision=SUPERVISION)
    without = load_market(_folder(tmp_path / "klines", trades=False), 5)
    run_whole_bot(settings, without, tmp_path / "klines.db", supervision=SUPERVISION)
    unavailable = (
        "SELECT symbol, count(*) FROM events WHERE type = 'GUARD_DATA_UNAVAILABLE' AND guard = 'WHALE_INTENT' "
        "GROUP BY symbol ORDER BY symbol"
    )
    signals = "SELECT symbol, count(*) FROM signals GROUP BY symbol ORDER BY symbol"
    blocked = "SELECT count(*) FROM shadow_trades WHERE blocked_by = 'WHALE_INTENT'"
    with_counts = _counts(tmp_path / "trades.db", unavailable)
    without_counts = _counts(tmp_path / "klines.db", unavailable)
    assert with_counts.get("ETH", 0) < _counts(tmp_path / "trades.db", signals)["ETH"] * 0.1  # while the window fills
    assert without_counts["ETH"] > _counts(tmp_path / "klines.db", signals)["ETH"] * 0.5
    assert with_counts["XRP"] > 0
    assert without_counts["XRP"] > 0
    assert _counts(tmp_path / "trades.db", blocked)["all"] > 0
    assert _counts(tmp_path / "klines.db", blocked)["all"] == 0


def _counts(store: Path, query: str) -> dict[str, int]:
    """(key, count) rows as a table; a bare count under "all"."""
    rows = table_rows(store, query)
    return {str(row[0]) if len(row) == 2 else "all": int(str(row[-1])) for row in rows}
