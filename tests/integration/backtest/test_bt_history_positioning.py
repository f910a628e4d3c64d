"""The whole bot on history files with Binance's `metrics` archives (open interest, long/short ratio): it enters
trades, and a run shown only the bars that can change something equals the run shown every bar, with a symbol's
bars missing on ticks where its positions are open (each is then judged from its last bar, as live during a feed
gap)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bigalpha.backtest.market import Market, load_market, sim_market
from bigalpha.backtest.runner import run_whole_bot
from bigalpha.backtest.supervision import Supervision
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.domain import Symbol
from sim_klines import write_sim_funding, write_sim_klines, write_sim_metrics
from stored_runs import assert_same_run

# What lets the bot enter on history files: Alpha-OFI on taker flow alone (no book), no Aave loan to watch, and the
# freshness rule on the feeds history does carry. Eager XRP dip scalps, which run out their 60-second max hold.
SETTINGS = {
    "indicators": {"ofi_taker_weight": 1.0},
    "risk": {"health_factor_required": False, "stale_checked_feeds": ["open_interest", "long_short_ratio"]},
    "setups": {"xrp_squeeze": {"dip_bps": 8.0, "short_share_at_or_above": 0.4}},
}
SUPERVISION = Supervision(resume_after=timedelta(hours=1), reset_after=timedelta(hours=2))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Market:
    """Three simulated days of ETH and XRP as Binance kline and metrics files, XRP's every third bar missing."""
    symbols = tuple(s for s in default_symbols() if s.symbol in ("ETH", "XRP"))
    dataset = generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 3)
    folder = tmp_path_factory.mktemp("history")
    write_sim_klines(sim_market(dataset, "sim", 5), folder, {"ETH": 4320, "XRP": 4320})
    write_sim_metrics(dataset, folder, ("ETH", "XRP"))
    path = folder / "XRPUSDT-1m-2025-01-01.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for k, line in enumerate(lines) if k % 3 != 1))
    return load_market(folder, 5)


@pytest.mark.no_cover  # a run-equality test at scale: see tests/conftest.py
def test_the_bot_on_history_with_positioning_and_gaps_equals_the_run_shown_every_bar(
    history: Market, tmp_path: Path
) -> None:
    """R-T-3 and R-T-1 read the files' open interest and long/short ratio, so the bot enters; S-XRP-SQ's max hold
    runs out on ticks without an XRP bar, and the positions open there are marked at XRP's last close."""
    settings = Settings.model_validate(SETTINGS)
    xrp = history.lanes[Symbol("XRP")]
    assert xrp.tick.shape[0] < history.tick_ns.shape[0]  # XRP is missing from a third of the ticks
    dense = run_whole_bot(settings, history, tmp_path / "dense.db", supervision=SUPERVISION, dense=True)
    sparse = run_whole_bot(settings, history, tmp_path / "sparse.db", supervision=SUPERVISION)
    reasons = {(t.symbol, t.exit_reason) for t in dense.trades}
    assert ("XRP", "max-hold") in reasons, reasons
    assert_same_run(settings, sparse, dense, tmp_path)
    assert sparse.extra["ticks_processed"] < dense.extra["ticks_processed"] * 0.7
    # Positions open across ticks without an XRP bar: what the rule for absent ticks is about.
    absent = np.setdiff1d(np.arange(history.tick_ns.shape[0]), xrp.tick)
    absent_ns = history.tick_ns[absent]
    spans = [
        (int(t.entry_time.timestamp() * 1e9), int(t.exit_time.timestamp() * 1e9))
        for t in dense.trades
        if t.symbol == "XRP"
    ]
    assert any(np.any((absent_ns > a) & (absent_ns < b)) for a, b in spans)
    assert dense.extra["missing_inputs"] == sparse.extra["missing_inputs"]
    assert set(dense.extra["missing_inputs"]) <= {"R-T-2 funding_divergence_bps: no funding history loaded"}


def test_with_two_exchanges_funding_files_the_bot_enters_shorts_too(tmp_path: Path) -> None:
    """R-T-2 reads the divergence of the last settled rates of two exchanges (files named by the exchange, in the
    multi-venue funding layout): with one exchange a short is refused for the missing input, with two it enters."""
    settings = Settings.model_validate(SETTINGS)
    symbols = tuple(s for s in default_symbols() if s.symbol in ("ETH", "BTC"))
    dataset = generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 3)
    runs = {}
    for venues in ({"binance": 0.0}, {"binance": 0.0, "okx": 1e-6}):  # 0.01 bps apart: within R-T-2's 0.25
        folder = tmp_path / "-".join(venues)
        write_sim_klines(sim_market(dataset, "sim", 5), folder, {"ETH": 4320, "BTC": 4320})
        write_sim_metrics(dataset, folder, ("ETH", "BTC"))
        write_sim_funding(dataset, folder, ("ETH", "BTC"), venues)
        market = load_market(folder, 5)
        runs[len(venues)] = run_whole_bot(settings, market, folder / "run.db", supervision=SUPERVISION)
    one, two = runs[1], runs[2]
    assert not any(t.side == "SHORT" for t in one.trades)
    assert set(one.extra["missing_inputs"]) == {
        "R-T-2 funding_divergence_bps: funding from fewer than two exchanges (binance)"
    }
    assert any(t.side == "SHORT" for t in two.trades)
    assert two.extra["missing_inputs"] == {}
