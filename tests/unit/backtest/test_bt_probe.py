"""L-OPT-1's whale probe read from columns gives the live probe's candidates, shown only some bars, across a
change of the whale threshold."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bigalpha.backtest.market import load_market, sim_market
from bigalpha.backtest.probe import ColumnWhaleProbe
from bigalpha.config import Settings
from bigalpha.data.history import HistoryFeed, load_dir
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.data.sim.snapshots import SnapshotBuilder
from bigalpha.domain import Symbol
from bigalpha.gate.learned import GateLearnedState
from bigalpha.learning.whale_tuning import WhaleProbe
from sim_klines import write_sim_agg_trades, write_sim_klines


def test_column_probe_equals_the_live_probe_on_the_bars_it_is_shown() -> None:
    settings = Settings()
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=5, start=datetime(2024, 3, 1, tzinfo=UTC), symbols=symbols), 1)
    market = sim_market(dataset, "sim", settings.indicators.ofi_book_levels)
    reader = market.reader()  # the backtest's snapshots, without trade prints
    full = SnapshotBuilder(dataset.frames, dataset.symbols, frozenset(s.symbol for s in symbols if s.fees))
    live = WhaleProbe(settings)
    columns = ColumnWhaleProbe(settings, market.lanes, market.tick_ns)
    threshold = GateLearnedState.initial(settings).whale_threshold_usd
    change_after = 700  # the tuning job adopts a new threshold at the end of this (shown) tick
    compared = known = 0
    for i in range(market.tick_ns.shape[0]):
        (snapshot,) = full.tick(i)
        live.observe(snapshot, threshold)
        shown = i % 7 == 0 or i == change_after
        if shown:
            columns.observe(reader.tick(i)[0], threshold)
            expected = live.candidates(Symbol("ETH"))
            assert columns.candidates(Symbol("ETH")) == expected, f"bar {i}"
            compared += 1
            known += expected is not None
        if i == change_after:
            threshold *= 1.1
    assert compared > 200
    assert known > 100


def test_column_probe_on_history_with_trades_equals_the_live_probe(tmp_path: Path) -> None:
    """Binance aggTrades beside the klines (a bar missing every 11): the probe's whale deltas come from the trades'
    sizes, as the live probe reads them from the feed's prints; a window over a missing bar is unknown in both."""
    settings = Settings()
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=5, start=datetime(2024, 3, 1, tzinfo=UTC), symbols=symbols), 1)
    write_sim_klines(sim_market(dataset, "sim", 5), tmp_path, {"ETH": 1440})
    write_sim_agg_trades(dataset, tmp_path, ("ETH",))
    path = tmp_path / "ETHUSDT-1m-2025-01-01.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for k, line in enumerate(lines) if k % 11 != 5 or k > 700))
    market = load_market(tmp_path, settings.indicators.ofi_book_levels)
    folder = load_dir(tmp_path).joined()
    full = HistoryFeed(folder.candles(), trades=folder.trades()).ticks()
    reader = market.reader()
    live = WhaleProbe(settings)
    columns = ColumnWhaleProbe(settings, market.lanes, market.tick_ns)
    threshold = 50_000.0
    compared = known = 0
    for i in range(market.tick_ns.shape[0]):
        (snapshot,) = next(full)
        live.observe(snapshot, threshold)
        if i % 5 == 0 or i == 900:
            columns.observe(reader.tick(i)[0], threshold)
            expected = live.candidates(Symbol("ETH"))
            assert columns.candidates(Symbol("ETH")) == expected, f"bar {i}"
            compared += 1
            known += expected is not None and any(expected.values())
        if i == 900:
            threshold *= 0.5
    assert compared > 250
    assert known > 100
