"""`bigalpha backtest --start/--end` on history files: a backtest of a window of the files is the backtest of files
that hold only the window's candles (the funding, metrics and trade files left whole), trade for trade, event for
event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from bigalpha.backtest.market import load_market, sim_market
from bigalpha.backtest.runner import run_whole_bot
from bigalpha.backtest.supervision import Supervision
from bigalpha.backtest.window import Window
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.domain import Symbol
from sim_klines import write_sim_agg_trades, write_sim_klines, write_sim_metrics
from stored_runs import assert_same_run

# What lets the bot enter on history files (docs/backtesting.md, "The bot on history files").
SETTINGS = {
    "indicators": {"ofi_taker_weight": 1.0},
    "risk": {"health_factor_required": False, "stale_checked_feeds": ["open_interest", "long_short_ratio"]},
}
SUPERVISION = Supervision(resume_after=timedelta(hours=1), reset_after=timedelta(hours=2))
START = datetime(2025, 1, 1, 18, tzinfo=UTC)
END = datetime(2025, 1, 3, 6, 30, tzinfo=UTC)


def _folders(root: Path) -> tuple[Path, Path]:
    """Three simulated days of ETH and XRP (klines, metrics, ETH's aggTrades a file a day) in `root/whole`, and the
    same files with the klines cut to [START, END) in `root/cut`."""
    symbols = tuple(s for s in default_symbols() if s.symbol in ("ETH", "XRP"))
    dataset = generate(SimParams(seed=11, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 3)
    whole, cut = root / "whole", root / "cut"
    for folder in (whole, cut):
        write_sim_klines(sim_market(dataset, "sim", 5), folder, {"ETH": 4320, "XRP": 4320})
        write_sim_metrics(dataset, folder, ("ETH", "XRP"))
        write_sim_agg_trades(dataset, folder, ("ETH",))
    lo, hi = START.timestamp() * 1000, END.timestamp() * 1000
    for path in cut.glob("*USDT-1m-*.csv"):
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(line for line in lines if lo <= int(line.split(",", 1)[0]) < hi))
    return whole, cut


def test_a_window_of_the_files_is_the_run_on_files_cut_to_it(tmp_path: Path) -> None:
    whole, cut = _folders(tmp_path / "data")
    windowed = load_market(whole, 5, window=Window(START, END))
    alone = load_market(cut, 5)
    assert windowed.symbols == alone.symbols
    assert np.array_equal(windowed.tick_ns, alone.tick_ns)
    assert windowed.bars == 2 * (6 + 24 + 6.5) * 60  # 18:00 on the first day to 06:30 on the third, both symbols
    eth = windowed.lanes[Symbol("ETH")].arrays(1e5).flow
    assert np.array_equal(eth.trade_whale_buy_usd, alone.lanes[Symbol("ETH")].arrays(1e5).flow.trade_whale_buy_usd)
    assert eth.has_trade_sizes.all()  # the window's bars hold their trades; those outside belong to no bar

    settings = Settings.model_validate(SETTINGS)
    run = run_whole_bot(settings, windowed, tmp_path / "window.db", supervision=SUPERVISION)
    same = run_whole_bot(settings, alone, tmp_path / "cut.db", supervision=SUPERVISION)
    assert run.metrics.trades > 0
    assert_same_run(settings, run, same, tmp_path, stores=("window.db", "cut.db"))
    assert int(run.equity_ns[0]) >= int(START.timestamp() * 1e9)
