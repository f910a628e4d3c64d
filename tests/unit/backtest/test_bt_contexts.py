"""The backtest's column contexts equal the live ContextBuilder's, bar by bar (what is backtested is traded).

The live builder reads the simulator's full snapshots, trade prints included; the column builder reads the
backtest's snapshots, which leave the prints out (the columns carry the trade flow)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.backtest.contexts import (
    ColumnContextBuilder,
    ColumnsError,
    SymbolColumns,
    ThresholdEras,
    blended_ofi,
    blended_ofi_columns,
    era_arrays,
    symbol_columns,
)
from bigalpha.backtest.market import Market, load_market, sim_market
from bigalpha.config import Settings
from bigalpha.config.indicators import IndicatorsConfig
from bigalpha.data.history import HistoryFeed, load_dir
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.data.sim.snapshots import SnapshotBuilder
from bigalpha.domain import Regime, Symbol
from bigalpha.gate.learned import GateLearnedState
from bigalpha.indicators.builder import HURST_DEFERRED, WALLS_DEFERRED, WALLS_KEY, ContextBuilder
from sim_klines import write_sim_agg_trades, write_sim_klines, write_sim_metrics


def _columns(market: Market, cfg: IndicatorsConfig, threshold: float) -> dict[Symbol, SymbolColumns]:
    """Each lane's indicator columns at the whale threshold, as a backtest makes them."""
    return {
        s: symbol_columns(lane.arrays(threshold), market.tick_ns[lane.tick], cfg, threshold)
        for s, lane in market.lanes.items()
    }


def _era_columns(market: Market, cfg: IndicatorsConfig, eras: ThresholdEras) -> dict[Symbol, SymbolColumns]:
    """Each lane's columns again, each bar's whale flow at the threshold of its era (after L-OPT-1 moved it)."""
    return {
        s: symbol_columns(
            era_arrays(lane.arrays, market.tick_ns[lane.tick], eras), market.tick_ns[lane.tick], cfg, eras.eras[-1][1]
        )
        for s, lane in market.lanes.items()
    }


def test_column_contexts_equal_the_live_builder_bar_by_bar() -> None:
    settings = Settings()
    cfg = settings.indicators
    symbols = tuple(s for s in default_symbols() if s.symbol in ("ETH", "SOL"))
    dataset = generate(SimParams(seed=3, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 1)
    market = sim_market(dataset, "sim", cfg.ofi_book_levels)
    threshold = GateLearnedState.initial(settings).whale_threshold_usd
    columns = _columns(market, cfg, threshold)
    fast = ColumnContextBuilder(cfg, columns)
    live = ContextBuilder(cfg)
    reader = market.reader()
    full = SnapshotBuilder(dataset.frames, dataset.symbols, frozenset(s.symbol for s in symbols if s.fees))
    compared = with_prints = 0
    for i in range(400):  # past every window (Hurst needs 100 bars, the buffer ~ 160)
        for snapshot, shown in zip(full.tick(i), reader.tick(i), strict=True):
            assert shown == replace(snapshot, trades=())  # the prints are all the backtest leaves out
            with_prints += bool(snapshot.trades)
            expected = live.update(snapshot, whale_threshold_usd=threshold)
            got = fast.update(shown, whale_threshold_usd=threshold)
            assert got == expected, f"bar {i} {snapshot.symbol}"
            compared += 1
    assert compared == 800
    assert with_prints > 400


def test_a_deferred_hurst_estimate_and_walls_complete_to_the_live_context() -> None:
    """A backtest whose strategies read no Hurst estimate nor walls defers them to the contexts a decision reads
    (A-HURST-1, P-TREND-1, A-OB-1): deferred, the context says so; completed, it equals the live builder's, field
    for field and reason for reason in the same order (the order is kept in stored JSON)."""
    settings = Settings()
    cfg = settings.indicators
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=5, start=datetime(2025, 3, 1, tzinfo=UTC), symbols=symbols), 1)
    market = sim_market(dataset, "sim", cfg.ofi_book_levels)
    threshold = GateLearnedState.initial(settings).whale_threshold_usd
    columns = _columns(market, cfg, threshold)
    deferring = ColumnContextBuilder(cfg, columns)
    deferring.defer_hurst = deferring.defer_walls = True
    live = ContextBuilder(cfg)
    reader = market.reader()
    full = SnapshotBuilder(dataset.frames, dataset.symbols, frozenset())
    deferred = estimated = ranked = with_book = 0
    for i in range(300):
        for snapshot, shown in zip(full.tick(i), reader.tick(i), strict=True):
            expected = live.update(snapshot, whale_threshold_usd=threshold)
            got = deferring.update(shown, whale_threshold_usd=threshold)
            if got.unavailable.get("hurst") == HURST_DEFERRED:
                deferred += 1
                assert (got.hurst, got.regime, got.true_trend) == (None, Regime.UNKNOWN, None)
            with_book += shown.book is not None
            if got.unavailable.get(WALLS_KEY) == WALLS_DEFERRED:
                ranked += 1
                assert (got.ask_walls, got.bid_walls) == (None, None)
            completed = deferring.complete(got)
            assert completed == expected, f"bar {i}"
            assert list(completed.unavailable) == list(expected.unavailable)
            assert deferring.complete(completed) is completed  # nothing left to estimate
            estimated += expected.hurst is not None
    assert deferred == 300 - (cfg.hurst_window - 1)  # every bar with a full window, and only those
    assert estimated > 150
    assert ranked == with_book > 250  # every bar with a book, and only those


def test_column_contexts_follow_a_new_whale_threshold() -> None:
    """L-OPT-1 may adopt a new whale threshold mid-backtest: the columns are computed again with each bar's whale
    flow at the threshold in force when it was observed, and the contexts still equal the live builder's."""
    settings = Settings()
    cfg = settings.indicators
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=4, start=datetime(2025, 2, 1, tzinfo=UTC), symbols=symbols), 1)
    market = sim_market(dataset, "sim", cfg.ofi_book_levels)

    threshold = GateLearnedState.initial(settings).whale_threshold_usd
    first = {
        s: symbol_columns(lane.arrays(threshold), market.tick_ns[lane.tick], cfg, threshold)
        for s, lane in market.lanes.items()
    }
    fast = ColumnContextBuilder(cfg, first, partial(_era_columns, market, cfg))
    live = ContextBuilder(cfg)
    reader = market.reader()
    full = SnapshotBuilder(dataset.frames, dataset.symbols, frozenset(s.symbol for s in symbols if s.fees))
    whale_values = set()
    for i in range(300):
        if i == 200:
            threshold *= 0.8
        for snapshot, shown in zip(full.tick(i), reader.tick(i), strict=True):
            expected = live.update(snapshot, whale_threshold_usd=threshold)
            assert fast.update(shown, whale_threshold_usd=threshold) == expected, f"bar {i}"
            whale_values.add(expected.whale_threshold_usd)
    assert len(whale_values) == 2


def _searched(tick_ns: np.ndarray, ts_ns: int) -> int | None:
    """The bar at `ts_ns` found by a search (the index of an uneven history), None when there is none."""
    i = int(np.searchsorted(tick_ns, ts_ns))
    return i if i < tick_ns.shape[0] and int(tick_ns[i]) == ts_ns else None


@settings(max_examples=200, deadline=None)
@given(
    first=st.integers(-(10**12), 10**12),
    step=st.sampled_from([1, 7, 60_000_000_000]),
    n=st.integers(0, 30),
    gap=st.none() | st.integers(0, 29),
    asked=st.lists(st.integers(-5, 40), max_size=30),
    jitter=st.sampled_from([0, 1, -1]),
)
def test_a_bar_is_found_by_arithmetic_on_an_even_grid_as_by_a_search(
    first: int, step: int, n: int, gap: int | None, asked: list[int], jitter: int
) -> None:
    """Evenly spaced bars (the simulator's minutes) are indexed by arithmetic, uneven ones (a gap) by a search:
    the same bar, or the same refusal, for every instant on, between or outside the grid."""
    tick_ns = first + step * np.arange(n, dtype=np.int64)
    if gap is not None and gap < n:
        tick_ns[gap:] += step  # one missing bar: the grid is uneven from there
    columns = SymbolColumns(tick_ns, None, np.empty(n), None, 1.0)  # type: ignore[arg-type]  # index reads tick_ns
    for k in asked:
        ts_ns = first + k * step + jitter
        expected = _searched(tick_ns, ts_ns)
        if expected is None:
            with pytest.raises(ColumnsError, match=f"no precomputed bar at {ts_ns} ns"):
                columns.index(ts_ns)
        else:
            assert columns.index(ts_ns) == expected


_OFI_PARTS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e9, 1e9),
    st.sampled_from([0.0, -0.0, 1.0, -1.0]),
)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(st.floats(-1.0, 1.0) | st.just(math.nan), _OFI_PARTS, _OFI_PARTS), max_size=30),
    weight=st.floats(0.0, 1.5),
)
def test_blended_ofi_over_columns_is_the_scalar_blend_bar_by_bar(
    rows: list[tuple[float, float, float]], weight: float
) -> None:
    """A-OFI-1's blend, made over a whole history for Alpha-OFI's candidate bars, gives each bar's scalar blend bit
    for bit (NaN where unknown)."""
    taker, bid, ask = (np.array([row[k] for row in rows], dtype=np.float64) for k in range(3))
    columns = blended_ofi_columns(taker, bid, ask, weight)
    for k, (t, b, a) in enumerate(rows):
        scalar = blended_ofi(t, b, a, weight)
        assert (math.isnan(scalar) and math.isnan(columns[k])) or columns[k].tobytes() == np.float64(scalar).tobytes()


def test_column_contexts_on_history_with_positioning_equal_the_live_builder(tmp_path: Path) -> None:
    """History files with Binance's metrics: each bar's open interest is the last row at or before its close, in the
    columns (A-OI-1's 5-minute change) as in the snapshots the live builder reads, gaps in a symbol's bars included."""
    settings = Settings()
    cfg = settings.indicators
    symbols = tuple(s for s in default_symbols() if s.symbol in ("ETH", "XRP"))
    dataset = generate(SimParams(seed=9, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 1)
    write_sim_klines(sim_market(dataset, "sim", 5), tmp_path, {"ETH": 1440, "XRP": 1400})
    write_sim_metrics(dataset, tmp_path, ("ETH", "XRP"))
    path = tmp_path / "ETHUSDT-1m-2025-01-01.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for k, line in enumerate(lines) if k % 7 != 3))  # a gap every 7 bars
    market = load_market(tmp_path, cfg.ofi_book_levels)
    threshold = GateLearnedState.initial(settings).whale_threshold_usd
    columns = _columns(market, cfg, threshold)
    fast = ColumnContextBuilder(cfg, columns)
    live = ContextBuilder(cfg)
    reader = market.reader()
    with_change = 0
    for i in range(market.tick_ns.shape[0]):
        for snapshot in reader.tick(i):
            expected = live.update(snapshot, whale_threshold_usd=threshold)
            assert fast.update(snapshot, whale_threshold_usd=threshold) == expected, f"tick {i} {snapshot.symbol}"
            with_change += expected.oi_change_pct is not None
    assert with_change > 2000  # R-T-3's input, known on most bars once a row 5 minutes back exists


def test_column_contexts_on_history_with_trades_equal_the_live_builder(tmp_path: Path) -> None:
    """Binance aggTrades files beside the klines: each bar's whale flow is read from its trades' sizes (A-WHALE-1),
    at the threshold of its era, in the columns as in the live builder reading the feed's prints. The trades of
    bars missing from the klines are in no bar; a symbol without trades keeps the volume-spike proxy."""
    settings = Settings()
    cfg = settings.indicators
    symbols = tuple(s for s in default_symbols() if s.symbol in ("ETH", "XRP"))
    dataset = generate(SimParams(seed=9, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 1)
    write_sim_klines(sim_market(dataset, "sim", 5), tmp_path, {"ETH": 1440, "XRP": 1400})
    write_sim_agg_trades(dataset, tmp_path, ("ETH",))
    path = tmp_path / "ETHUSDT-1m-2025-01-01.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for k, line in enumerate(lines) if k % 7 != 3))  # a gap every 7 bars
    market = load_market(tmp_path, cfg.ofi_book_levels)
    folder = load_dir(tmp_path).joined()
    full = HistoryFeed(folder.candles(), trades=folder.trades()).ticks()

    threshold = 50_000.0  # the simulator's whale prints are a few per hour above it
    fast = ColumnContextBuilder(cfg, _columns(market, cfg, threshold), partial(_era_columns, market, cfg))
    live = ContextBuilder(cfg)
    reader = market.reader()
    intent = {Symbol("ETH"): 0, Symbol("XRP"): 0}
    with_prints = 0
    for i in range(market.tick_ns.shape[0]):
        if i == 900:
            threshold *= 0.5  # L-OPT-1 adopts a new threshold mid-run
        for snapshot, shown in zip(next(full), reader.tick(i), strict=True):
            assert shown == replace(snapshot, trades=())  # the prints are all the backtest leaves out
            with_prints += bool(snapshot.trades)
            expected = live.update(snapshot, whale_threshold_usd=threshold)
            assert fast.update(shown, whale_threshold_usd=threshold) == expected, f"tick {i} {snapshot.symbol}"
            assert "trades" not in expected.unavailable or snapshot.symbol == "XRP"
            intent[snapshot.symbol] += expected.whale_intent_cvd_usd not in (None, 0.0)
    assert with_prints > 1200  # ETH's bars, but for the gaps
    assert intent[Symbol("ETH")] > 1000  # G-WHALE-3's input, known from the trades' sizes
    assert intent[Symbol("XRP")] == 0  # never read from the volume-spike proxy
