"""The simulator market's arrays, made with less memory, are the very floats of the plain whole-history formulas:
the whale flow summed a block of bars at a time (`_whale_flow`), the top of book written into buffers, and a dataset
generated with the trades' notionals only (`SIM_MARKET_DERIVE`). A history's trades are each given to the bar whose
time holds them, as the feed gives a bar its prints (`bar_trades`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bigalpha.backtest import market as market_module
from bigalpha.backtest.market import (
    SIM_MARKET_DERIVE,
    BookTop,
    Market,
    MarketError,
    bar_trades,
    load_market,
    sim_market,
)
from bigalpha.data.history import AggTrades, QualityReport, SourceFormat
from bigalpha.data.sim import SimDataset, SimParams, generate
from bigalpha.data.sim.book import BOOK_OFFSETS_BPS
from bigalpha.data.sim.params import default_symbols
from bigalpha.data.sim.snapshots import SNAPSHOT_COLUMNS, symbol_rows
from bigalpha.domain import Symbol
from bigalpha.indicators.flow import aggregate_whale_trades

THRESHOLDS = (0.0, 20_000.0, 100_000.0, 1e6, 1e12)


@pytest.fixture(scope="module")
def params() -> SimParams:
    symbols = tuple(s for s in default_symbols() if s.symbol in ("ETH", "SOL"))
    return SimParams(seed=11, start=datetime(2025, 3, 1, tzinfo=UTC), symbols=symbols)


@pytest.fixture(scope="module")
def full(params: SimParams) -> SimDataset:
    return generate(params, 2)


def _former_whale_flow(dataset: SimDataset, code: int, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The former lane: a bar index per trade and one aggregation over the whole history."""
    bars = symbol_rows(dataset.frames["bars"], code)
    trades = symbol_rows(dataset.frames["trades"], code)
    bar_ms = bars["ts"]
    counts = np.searchsorted(trades["ts"], bar_ms + 60_000, "left") - np.searchsorted(trades["ts"], bar_ms, "left")
    sizes = (counts > 0) | (bars["volume"] == 0)
    bar_of_trade = (np.searchsorted(bar_ms, trades["ts"], "right") - 1).astype(np.int32)
    notional = trades["price"] * trades["quantity"]
    buy, sell = aggregate_whale_trades(notional, trades["side"].astype(np.bool_), bar_of_trade, bar_ms.size, threshold)
    buy[~sizes] = 0.0
    sell[~sizes] = 0.0
    return buy, sell


def _former_book(dataset: SimDataset, code: int, levels: int) -> BookTop:
    """The former top of book: every operation on whole columns, the innermost prices made for every bar."""
    close = symbol_rows(dataset.frames["bars"], code)["close"]
    tick_ms = symbol_rows(dataset.frames["bars"], code)["ts"] + 60_000
    book = symbol_rows(dataset.frames["book_depth"], code)
    idx = np.searchsorted(book["ts"], tick_ms, "right") - 1
    k = np.maximum(idx, 0)
    depth = min(levels, len(BOOK_OFFSETS_BPS))
    bid, ask = np.zeros(close.shape[0]), np.zeros(close.shape[0])
    for j in range(depth):
        bps = BOOK_OFFSETS_BPS[j]
        bid += book[f"bid_usd_{j}"][k].astype(np.float64) / (close * (1.0 - bps / 1e4))
        ask += book[f"ask_usd_{j}"][k].astype(np.float64) / (close * (1.0 + bps / 1e4))
    inner_bid = close * (1.0 - BOOK_OFFSETS_BPS[depth - 1] / 1e4)
    inner_ask = close * (1.0 + BOOK_OFFSETS_BPS[depth - 1] / 1e4)
    uncertain = np.zeros(close.shape[0], dtype=np.bool_)
    walls = symbol_rows(dataset.frames["book_walls"], code)
    for side, price, start, end in zip(walls["side"], walls["price"], walls["start"], walls["end"], strict=True):
        lo, hi = np.searchsorted(tick_ms, start, "right"), np.searchsorted(tick_ms, end, "right")
        if hi <= lo:
            continue
        if side:
            uncertain[lo:hi] |= (price > close[lo:hi]) & (price <= inner_ask[lo:hi])
        else:
            uncertain[lo:hi] |= (price < close[lo:hi]) & (price >= inner_bid[lo:hi])
    bid[idx < 0] = np.nan
    ask[idx < 0] = np.nan
    return BookTop(bid, ask, uncertain)


@pytest.mark.parametrize("block", [1, 7, 1440, 1 << 16])
def test_whale_flow_a_block_of_bars_at_a_time_is_the_whole_history_aggregate(
    full: SimDataset, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A-WHALE-1: each bar's whale trades summed within its block (any block length, a bar never split) are the
    floats of one aggregation over every trade, at any threshold (none, some or all trades whales)."""
    monkeypatch.setattr(market_module, "_BAR_BLOCK", block)
    market = sim_market(full, "sim", 1)
    for code, lane in enumerate(market.lanes.values()):
        for threshold in THRESHOLDS:
            flow = lane.arrays(threshold).flow
            buy, sell = _former_whale_flow(full, code, threshold)
            np.testing.assert_array_equal(flow.trade_whale_buy_usd, buy)
            np.testing.assert_array_equal(flow.trade_whale_sell_usd, sell)


@pytest.mark.parametrize("levels", [1, 3, len(BOOK_OFFSETS_BPS)])
def test_top_of_book_in_buffers_is_the_former_whole_column_formula(full: SimDataset, levels: int) -> None:
    market = sim_market(full, "sim", levels)
    for code, lane in enumerate(market.lanes.values()):
        assert lane.book is not None
        expected = _former_book(full, code, levels)
        np.testing.assert_array_equal(lane.book.bid, expected.bid)
        np.testing.assert_array_equal(lane.book.ask, expected.ask)
        np.testing.assert_array_equal(lane.book.uncertain, expected.uncertain)


def _lane_arrays(market: Market, threshold: float) -> list[np.ndarray]:
    out: list[np.ndarray] = [market.tick_ns]
    for lane in market.lanes.values():
        arrays = lane.arrays(threshold)
        flow = arrays.flow
        out += [lane.tick, lane.open, lane.high, lane.low, lane.close, arrays.oi_as_of_s, arrays.oi_usd]
        out += [flow.volume, flow.taker_buy, flow.has_trade_sizes, flow.trade_whale_buy_usd, flow.trade_whale_sell_usd]
    return out


def test_a_dataset_with_the_trades_notionals_only_makes_the_same_market(full: SimDataset, params: SimParams) -> None:
    """`generate(..., derive=SIM_MARKET_DERIVE)`: a trade's notional made day by day is the product the market made
    of the whole table, and the dataset keeps no price or quantity (nor can it be written)."""
    derived = generate(params, 2, columns=SNAPSHOT_COLUMNS, derive=SIM_MARKET_DERIVE)
    assert list(derived.frames["trades"]) == ["symbol", "ts", "notional", "side"]
    np.testing.assert_array_equal(
        derived.frames["trades"]["notional"], full.frames["trades"]["price"] * full.frames["trades"]["quantity"]
    )
    plain, lean = sim_market(full, "sim", 1), sim_market(derived, "sim", 1)
    for threshold in THRESHOLDS:
        for got, expected in zip(_lane_arrays(lean, threshold), _lane_arrays(plain, threshold), strict=True):
            np.testing.assert_array_equal(got, expected)


def test_derive_names_only_known_tables(params: SimParams) -> None:
    with pytest.raises(ValueError, match="prints"):
        generate(params, 1, derive={"prints": SIM_MARKET_DERIVE["trades"]})


def test_a_folder_with_one_symbols_candles_from_two_exchanges_is_refused_naming_both(tmp_path: Path) -> None:
    """A market holds one candle series per symbol: two exchanges' ETH bars would be a choice made silently."""
    rows = "".join(f"2025-01-01T00:{m:02d}:00Z,ETHUSDT,100,101,99,100.5,3\n" for m in range(30))
    for exchange in ("binance", "okx"):
        (tmp_path / f"ETH-1m-{exchange}.csv").write_text("timestamp,symbol,open,high,low,close,volume\n" + rows)
    with pytest.raises(MarketError, match=r"1m candles of ETH from two exchanges \(binance: ETH-1m-binance.csv; okx"):
        load_market(tmp_path, 5)


_MINUTE_NS = 60_000_000_000


def _trades(ts_ns: list[int], source: str = "ETHUSDT-aggTrades.csv") -> AggTrades:
    n = len(ts_ns)
    return AggTrades(
        symbol=Symbol("ETH"),
        exchange="binance",
        source=source,
        format=SourceFormat.BINANCE_AGGTRADES_CSV,
        quality=QualityReport(rows_read=n, rows=n, time_encoding="epoch_ms"),
        ts=np.array(ts_ns, dtype=np.int64),
        price=np.linspace(100.0, 101.0, n),
        quantity=np.linspace(0.5, 900.0, n),
        is_buyer_maker=np.arange(n) % 3 == 0,
        trade_id=np.arange(1, n + 1, dtype=np.int64),
    )


@given(
    bars=st.lists(st.booleans(), min_size=1, max_size=40),
    offsets=st.lists(st.integers(-3 * _MINUTE_NS, 45 * _MINUTE_NS), max_size=200),
)
def test_each_trade_goes_to_the_bar_whose_time_holds_it(bars: list[bool], offsets: list[int]) -> None:
    """A bar opening at t holds the trades stamped in [t, t + 1 minute); trades before the first bar, after the last
    or in a bar the candles miss belong to no bar. Checked against one plain loop over the trades."""
    open_ns = np.array([k * _MINUTE_NS for k, present in enumerate(bars) if present], dtype=np.int64)
    trades = _trades(sorted(offsets))
    got = bar_trades(trades, open_ns, _MINUTE_NS)
    notional: list[list[float]] = [[] for _ in open_ns]
    buys: list[list[bool]] = [[] for _ in open_ns]
    taker_buy = [0.0 for _ in open_ns]
    for k, t in enumerate(trades.ts.tolist()):
        for b, start in enumerate(open_ns.tolist()):
            if start <= t < start + _MINUTE_NS:
                notional[b].append(float(trades.price[k]) * float(trades.quantity[k]))
                buys[b].append(not bool(trades.is_buyer_maker[k]))
                if buys[b][-1]:
                    taker_buy[b] += float(trades.quantity[k])
    assert got.first[0] == 0
    assert got.first.shape[0] == open_ns.shape[0] + 1
    for b in range(open_ns.shape[0]):
        lo, hi = int(got.first[b]), int(got.first[b + 1])
        assert got.notional[lo:hi].tolist() == notional[b]
        assert got.is_buy[lo:hi].tolist() == buys[b]
    assert got.notional.shape[0] == sum(len(row) for row in notional)
    assert got.sized.tolist() == [bool(row) for row in notional]
    assert got.taker_buy.tolist() == taker_buy  # each bar's taker buys, added one after the other
