"""What a backtest trades on: one symbol's bars as arrays (for the columns and the reference strategy), and
random or sequential access to the engine's `MarketSnapshot`s (for the bars where a decision is taken).

Two sources: a simulator dataset (`bigalpha sim --out DIR`, or generated in memory by `--sim`), whose
snapshots are built by the simulator's own `SnapshotBuilder`; and history files of any loader format, replayed
through `HistoryFeed`. Either way a snapshot at T carries the bar that closed at T (no look-ahead).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bigalpha.backtest.window import Window
from bigalpha.data.ports import Tick
from bigalpha.data.sim.book import BOOK_OFFSETS_BPS
from bigalpha.data.sim.dataset import MANIFEST, SimDataset, read_dataset
from bigalpha.data.sim.schema import Frame
from bigalpha.data.sim.snapshots import SnapshotBuilder, symbol_rows
from bigalpha.domain import Symbol
from bigalpha.indicators.columns import SnapshotArrays
from bigalpha.indicators.flow import FlowInputs, aggregate_whale_trades

if TYPE_CHECKING:
    # History files need pandas and pyarrow (~100 MB resident once imported): only loaded when history is read.
    from bigalpha.data.history import AggTrades, Candles, FundingRates, HistoryFeed, Positioning

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_MINUTE_MS = 60_000
_BAR_BLOCK = 1 << 16  # bars whose whale trades `_whale_flow` sums at once (~0.4 M simulated trades)


class MarketError(ValueError):
    """Market data a backtest cannot use; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class BookTop:
    """Top-of-book quantities of each bar, priced as the simulator prices its ladder; `uncertain` marks bars
    where a wall may sit among the top levels (the estimate then says nothing)."""

    bid: FloatArray
    ask: FloatArray
    uncertain: BoolArray


@dataclass(frozen=True, slots=True)
class BarFees:
    """Each bar's Solana priority fees as its snapshot carries them; `known` is false where it carries none."""

    known: BoolArray
    p50: FloatArray
    jito_tip: FloatArray


@dataclass(frozen=True, slots=True)
class HeatmapRows:
    """Which liquidation heatmap each bar's snapshot carries, as the simulator's `SnapshotBuilder` picks it: the
    max-pain refresh `refresh[bar]` (−1: none yet, no heatmap), whose rows of `price` / `liquidation_usd` are
    [lo[refresh], hi[refresh]). Per bar only the refresh is kept (4 bytes a bar: a million bars cost 4 MB)."""

    refresh: npt.NDArray[np.int32]
    lo: IntArray
    hi: IntArray
    price: npt.NDArray[np.generic]
    liquidation_usd: npt.NDArray[np.generic]

    def pairs(self, bar: int) -> tuple[tuple[float, float], ...] | None:
        """Bar `bar`'s heatmap as the (price, USD) pairs its snapshot carries; None when it carries none."""
        refresh = int(self.refresh[bar])
        if refresh < 0:
            return None
        lo, hi = int(self.lo[refresh]), int(self.hi[refresh])
        return tuple(zip(self.price[lo:hi].tolist(), self.liquidation_usd[lo:hi].tolist(), strict=True))


@dataclass(frozen=True, slots=True)
class Lane:
    """One symbol's bars, oldest first; `tick` is the index of each bar's tick in the market's tick list."""

    symbol: Symbol
    tick: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    arrays: Callable[[float], SnapshotArrays]  # whale threshold → indicator inputs
    book: BookTop | None = None
    has_taker_volume: bool = True
    taker_gap: str = ""  # without taker volume: why its trades could not give it (empty: it has none)
    volume: FloatArray | None = None
    fees: Callable[[], BarFees] | None = None  # made on demand (S-SOL-FADE's filter); None: not known
    heatmaps: Callable[[], HeatmapRows] | None = None  # made on demand (held shadows' wake-ups); None: not known


@dataclass(frozen=True, slots=True)
class Market:
    source: str
    tick_ns: IntArray  # every tick's instant, ns since the epoch
    bar_seconds: float
    lanes: dict[Symbol, Lane]
    reader: Callable[[], TickReader]
    # Per tick, the health factor its snapshots carry (NaN where none), made on demand; None: none ever.
    health_factor: Callable[[], FloatArray] | None = None
    # The first tick traded: those before it close warm-up bars (`Window`), which only the indicator columns read.
    first_tick: int = 0

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        return tuple(self.lanes)

    @property
    def bars(self) -> int:
        """The bars traded (warm-up bars left out)."""
        first = self.first_tick
        return sum(int(lane.tick.shape[0] - np.searchsorted(lane.tick, first)) for lane in self.lanes.values())

    @property
    def traded_ns(self) -> IntArray:
        """The instants of the ticks traded (from `first_tick` on)."""
        return self.tick_ns[self.first_tick :]


class TickReader:
    """Ticks by index, in increasing order. Random access for the simulator; a history feed is walked."""

    def __init__(self, builder: SnapshotBuilder | None = None, feed: HistoryFeed | None = None) -> None:
        self._builder = builder
        self._iter: Iterator[Tick] | None = feed.ticks() if feed is not None else None
        self._at = -1
        self._tick: Tick = ()

    def tick(self, i: int, symbols: Collection[Symbol] | None = None) -> Tick:
        """Tick i's snapshots, of every symbol or of `symbols` only (the simulator then builds no others)."""
        if self._builder is not None:
            return self._builder.tick(i, symbols)
        if self._iter is None or i < self._at:
            raise ValueError(f"tick {i} asked after tick {self._at}")
        while self._at < i:
            self._tick = next(self._iter)
            self._at += 1
        if symbols is None:
            return self._tick
        return tuple(snapshot for snapshot in self._tick if snapshot.symbol in symbols)

    def advance(self, i: int) -> None:
        """Walk a history feed up to tick i without using it (a no-op for random access)."""
        if self._builder is None and self._iter is not None and i > self._at:
            self.tick(i)


def _sim_book(frames: SimDataset, code: int, close: FloatArray, tick_ms: IntArray, levels: int) -> BookTop:
    # Each operation of `notional / (close × factor)` writes into a buffer of its own (`out=`), and the innermost
    # level's prices are made for each wall's bars only: the same floats, without a dozen history-long temporaries.
    book = symbol_rows(frames.frames["book_depth"], code)
    row = np.searchsorted(book["ts"], tick_ms, "right") - 1
    missing = row < 0
    np.maximum(row, 0, out=row)
    depth = min(levels, len(BOOK_OFFSETS_BPS))
    bid = np.zeros(close.shape[0])
    ask = np.zeros(close.shape[0])
    price = np.empty(close.shape[0])
    for j in range(depth):
        bps = BOOK_OFFSETS_BPS[j]
        for total, side, factor in ((bid, "bid", 1.0 - bps / 1e4), (ask, "ask", 1.0 + bps / 1e4)):
            np.multiply(close, factor, out=price)
            level = book[f"{side}_usd_{j}"][row].astype(np.float64)
            np.add(total, np.divide(level, price, out=level), out=total)
    del price, row
    inner_bid = 1.0 - BOOK_OFFSETS_BPS[depth - 1] / 1e4
    inner_ask = 1.0 + BOOK_OFFSETS_BPS[depth - 1] / 1e4
    uncertain = np.zeros(close.shape[0], dtype=np.bool_)
    walls = symbol_rows(frames.frames["book_walls"], code)
    for side, wall, start, end in zip(walls["side"], walls["price"], walls["start"], walls["end"], strict=True):
        lo, hi = np.searchsorted(tick_ms, start, "right"), np.searchsorted(tick_ms, end, "right")
        if hi <= lo:
            continue
        window = slice(lo, hi)
        near = close[window]
        if side:
            uncertain[window] |= (wall > near) & (wall <= near * inner_ask)
        else:
            uncertain[window] |= (wall < near) & (wall >= near * inner_bid)
    bid[missing] = np.nan
    ask[missing] = np.nan
    return BookTop(bid, ask, uncertain)


def _notional(trades: Frame) -> FloatArray:
    price = np.asarray(trades["price"], dtype=np.float64)
    product: FloatArray = price * np.asarray(trades["quantity"], dtype=np.float64)
    return product


def trade_notionals(trades: Frame) -> Frame:
    """Rows of the trades table as `sim_market` reads them: each trade's notional (the very product `sim_market`
    makes otherwise) in place of its price and quantity."""
    return {"symbol": trades["symbol"], "ts": trades["ts"], "notional": _notional(trades), "side": trades["side"]}


# `generate(..., derive=SIM_MARKET_DERIVE)`: a dataset made for `sim_market` keeps its largest table a column smaller,
# and `sim_market` makes no history-long product while holding it (at a million bars, ~100 MB off the peak).
SIM_MARKET_DERIVE: dict[str, Callable[[Frame], Frame]] = {"trades": trade_notionals}


def _whale_flow(
    notional: FloatArray, is_buy: BoolArray, first_trade: IntArray, threshold: float
) -> tuple[FloatArray, FloatArray]:
    """`aggregate_whale_trades` of a whole history, a block of bars at a time: bar b's trades are the rows
    [first_trade[b], first_trade[b + 1]) (trades in time order), each bar's are summed within its block in the same
    order as in one pass (the same floats), and no per-trade bar index is kept: one block's is made when needed."""
    n = first_trade.shape[0] - 1
    buy, sell = np.empty(n), np.empty(n)
    for lo in range(0, n, _BAR_BLOCK):
        hi = min(lo + _BAR_BLOCK, n)
        rows = slice(int(first_trade[lo]), int(first_trade[hi]))
        bar = np.repeat(np.arange(hi - lo, dtype=np.int32), np.diff(first_trade[lo : hi + 1]))
        buy[lo:hi], sell[lo:hi] = aggregate_whale_trades(notional[rows], is_buy[rows], bar, hi - lo, threshold)
    return buy, sell


def _sim_fees(fees: Frame, tick_ms: IntArray, carried: bool) -> BarFees:
    """The fee row each tick's snapshot shows (`SnapshotBuilder`: the last at or before the tick)."""
    p50 = np.asarray(fees["p50_micro_lamports"], dtype=np.float64)
    if not carried or not p50.size:
        return _no_fees(tick_ms.shape[0])
    row = np.searchsorted(fees["ts"], tick_ms, "right") - 1
    k = np.maximum(row, 0)
    return BarFees(row >= 0, p50[k], np.asarray(fees["jito_tip_lamports"], dtype=np.float64)[k])


def _sim_health_factor(frame: Frame, tick_ms: IntArray) -> FloatArray:
    """The health factor each tick's snapshots show (`SnapshotBuilder`: the last at or before the tick)."""
    values = np.asarray(frame["health_factor"], dtype=np.float64)
    row = np.searchsorted(frame["ts"], tick_ms, "right") - 1
    out: FloatArray = np.where(row >= 0, values[np.maximum(row, 0)] if values.size else np.nan, np.nan)
    return out


def _sim_heatmaps(max_pain: Frame, heat: Frame, tick_ms: IntArray) -> HeatmapRows:
    """The heatmap rows each tick's snapshot shows (`SnapshotBuilder`: those of the last max-pain refresh at or before
    the tick)."""
    mp_ts = np.asarray(max_pain["ts"], dtype=np.int64)
    heat_ts = heat["ts"]
    refresh = (np.searchsorted(mp_ts, tick_ms, "right") - 1).astype(np.int32)
    lo = np.searchsorted(heat_ts, mp_ts, "left").astype(np.int64)
    hi = np.searchsorted(heat_ts, mp_ts, "right").astype(np.int64)
    return HeatmapRows(refresh, lo, hi, heat["price"], heat["liquidation_usd"])


def _no_fees(n: int) -> BarFees:
    return BarFees(np.zeros(n, dtype=np.bool_), np.full(n, np.nan), np.full(n, np.nan))


def sim_market(dataset: SimDataset, source: str, book_levels: int) -> Market:
    """A market over a simulator dataset (every symbol has a bar at every minute). Its snapshots carry no trade
    prints: the whole-bot backtest takes trade flow from the indicator columns (`contexts`), whale trades included,
    which is all the engine reads of them (the live `ContextBuilder` computes the same values from the prints)."""
    names = dataset.symbols
    fee_symbols = frozenset(s.symbol for s in dataset.params.symbols if s.fees)
    lanes: dict[Symbol, Lane] = {}
    tick_ms: IntArray | None = None
    for code, name in enumerate(names):
        bars = symbol_rows(dataset.frames["bars"], code)
        trades = symbol_rows(dataset.frames["trades"], code)
        oi = symbol_rows(dataset.frames["open_interest"], code)
        bar_ms = np.asarray(bars["ts"], dtype=np.int64)
        ticks_ms = bar_ms + _MINUTE_MS
        tick_ms = ticks_ms if tick_ms is None else tick_ms
        close = np.asarray(bars["close"], dtype=np.float64)
        volume = np.asarray(bars["volume"], dtype=np.float64)
        taker = np.asarray(bars["taker_buy_volume"], dtype=np.float64)
        trade_ts = np.asarray(trades["ts"], dtype=np.int64)
        # Trades are in time order: bar b's are the rows [first_trade[b], first_trade[b + 1]) (the last bar's run to
        # the end), 8 bytes a bar where a bar index per trade cost 4 a trade (~6 trades a bar).
        first_trade = np.append(np.searchsorted(trade_ts, bar_ms, "left"), trade_ts.shape[0])
        sizes = (np.searchsorted(trade_ts, ticks_ms, "left") - first_trade[:-1] > 0) | (volume == 0)
        notional = np.asarray(trades["notional"], dtype=np.float64) if "notional" in trades else _notional(trades)
        is_buy = np.asarray(trades["side"]).astype(np.bool_)
        oi_usd = np.asarray(oi["open_interest_usd"], dtype=np.float64)

        def arrays(
            threshold: float,
            close: FloatArray = close,
            volume: FloatArray = volume,
            taker: FloatArray = taker,
            sizes: BoolArray = sizes,
            notional: FloatArray = notional,
            is_buy: BoolArray = is_buy,
            first_trade: IntArray = first_trade,
            ticks_ms: IntArray = ticks_ms,
            oi_usd: FloatArray = oi_usd,
        ) -> SnapshotArrays:
            buy, sell = _whale_flow(notional, is_buy, first_trade, threshold)
            # In place (fresh arrays): a bar without trade sizes has no trade whale flow. A history's columns are
            # the backtest's largest arrays, so no copies of them are made here.
            buy[~sizes] = 0.0
            sell[~sizes] = 0.0
            # The book half of OFI is taken from each snapshot (`contexts`): no book here, as a read-only view.
            no_book = np.broadcast_to(np.float64(np.nan), close.shape)
            flow = FlowInputs(close, volume, taker, sizes, buy, sell, no_book, no_book)
            return SnapshotArrays(flow=flow, oi_as_of_s=ticks_ms / 1000.0, oi_usd=oi_usd)

        lanes[Symbol(name)] = Lane(
            symbol=Symbol(name),
            tick=np.arange(close.shape[0], dtype=np.int64),
            open=np.asarray(bars["open"], dtype=np.float64),
            high=np.asarray(bars["high"], dtype=np.float64),
            low=np.asarray(bars["low"], dtype=np.float64),
            close=close,
            arrays=arrays,
            book=_sim_book(dataset, code, close, ticks_ms, book_levels),
            volume=volume,
            fees=partial(_sim_fees, dataset.frames["priority_fees"], ticks_ms, name in fee_symbols),
            heatmaps=partial(
                _sim_heatmaps,
                symbol_rows(dataset.frames["max_pain"], code),
                symbol_rows(dataset.frames["liquidation_heatmap"], code),
                ticks_ms,
            ),
        )
    if tick_ms is None:
        raise MarketError(f"{source}: the dataset has no symbol")

    # The engine reads trade flow from the lanes' columns, never from a snapshot's prints: leaving them out of the
    # snapshots frees the dataset's largest table once the lanes are built (~150 MB per million bars).
    frames = {name: frame for name, frame in dataset.frames.items() if name != "trades"}

    def reader() -> TickReader:
        return TickReader(builder=SnapshotBuilder(frames, names, fee_symbols, trades=False))

    health = partial(_sim_health_factor, dataset.frames["health_factor"], tick_ms)
    return Market(source, tick_ms * 1_000_000, 60.0, lanes, reader, health)


def _positioning_at(positioning: Positioning | None, close_ns: IntArray) -> tuple[FloatArray, FloatArray]:
    """Each bar's open-interest observation as its snapshot carries it (`HistoryFeed`): the last row at or before the
    bar's close, its time in epoch seconds (as `datetime.timestamp` gives it) and its USD value; NaN before the first
    row, or without positioning."""
    n = close_ns.shape[0]
    if positioning is None or len(positioning) == 0:
        return np.full(n, np.nan), np.full(n, np.nan)
    row = np.searchsorted(positioning.ts, close_ns, side="right") - 1
    seen = row >= 0
    row = np.maximum(row, 0)
    value = np.where(seen, positioning.open_interest_usd[row], np.nan)
    as_of_s = np.where(seen & np.isfinite(value), (positioning.ts[row] // 1000) / 1e6, np.nan)
    return as_of_s, value


@dataclass(frozen=True, slots=True)
class BarTrades:
    """A history's trades as a lane reads them: each trade's notional and taker side, in time order, bar b's being
    the rows [first[b], first[b + 1]) (trades in no bar, in a gap of the candles, left out); 9 bytes a trade where
    the loaded series holds 33. `taker_buy[b]`: the quantity bar b's taker buys traded (what a kline's taker buy
    volume counts), summed in time order."""

    notional: FloatArray
    is_buy: BoolArray
    first: IntArray
    taker_buy: FloatArray

    @property
    def sized(self) -> BoolArray:
        """The bars that traded: their trade sizes exist (A-WHALE-1), as in a snapshot that carries their prints."""
        sized: BoolArray = np.diff(self.first) > 0
        return sized


def bar_trades(trades: AggTrades, open_ns: IntArray, timeframe_ns: int) -> BarTrades:
    """The trades of each bar opening at `open_ns`: those stamped in [open, open + timeframe), as `HistoryFeed` gives
    a bar's prints."""
    lo = np.searchsorted(trades.ts, open_ns, "left")
    hi = np.searchsorted(trades.ts, open_ns + timeframe_ns, "left")
    # Bars never overlap, so each trade is inside at most one [lo, hi): +1 where a bar's trades begin, -1 where they
    # end, and the running sum is 1 on the trades some bar holds.
    edges = np.zeros(trades.ts.shape[0] + 1, dtype=np.int8)
    np.add.at(edges, lo, 1)
    np.add.at(edges, hi, -1)
    inside = np.cumsum(edges[:-1], dtype=np.int8).astype(np.bool_)
    del edges
    quantity = trades.quantity[inside]
    notional: FloatArray = trades.price[inside] * quantity
    is_buy: BoolArray = ~trades.is_buyer_maker[inside]
    first = np.zeros(open_ns.shape[0] + 1, dtype=np.int64)
    np.cumsum(hi - lo, out=first[1:])
    bars = open_ns.shape[0]
    # bincount adds each bar's weights one after the other, in the trades' order.
    bar = np.repeat(np.arange(bars, dtype=np.int64), hi - lo)
    taker_buy: FloatArray = np.bincount(bar[is_buy], weights=quantity[is_buy], minlength=bars).astype(np.float64)
    return BarTrades(notional, is_buy, first, taker_buy)


def _history_lane(
    candles: Candles,
    tick_ns: IntArray,
    positioning: Positioning | None = None,
    prints: BarTrades | None = None,
    taker_gap: str = "",
) -> Lane:
    close_ns = candles.ts + candles.timeframe_ns
    tick = np.searchsorted(tick_ns, close_ns).astype(np.int64)
    taker = candles.taker_buy_volume
    close = np.asarray(candles.close, dtype=np.float64)
    volume = np.asarray(candles.volume, dtype=np.float64)
    # Without trades a bar has sizes only when it did not trade: its whale flow comes from the volume-spike proxy.
    sizes = volume == 0 if prints is None else prints.sized | (volume == 0)

    def arrays(threshold: float) -> SnapshotArrays:
        n = close.shape[0]
        nan = np.full(n, np.nan)
        oi_as_of_s, oi_usd = _positioning_at(positioning, close_ns)
        if prints is None:
            buy, sell = np.zeros(n), np.zeros(n)
        else:
            buy, sell = _whale_flow(prints.notional, prints.is_buy, prints.first, threshold)
        flow = FlowInputs(
            close,
            volume,
            np.asarray(taker, dtype=np.float64) if taker is not None else nan,
            sizes,
            buy,
            sell,
            nan,
            nan,
        )
        return SnapshotArrays(flow=flow, oi_as_of_s=oi_as_of_s, oi_usd=oi_usd)

    return Lane(
        symbol=candles.symbol,
        tick=tick,
        open=np.asarray(candles.open, dtype=np.float64),
        high=np.asarray(candles.high, dtype=np.float64),
        low=np.asarray(candles.low, dtype=np.float64),
        close=close,
        arrays=arrays,
        has_taker_volume=taker is not None,
        taker_gap=taker_gap,
        volume=volume,
        fees=partial(_no_fees, close.shape[0]),  # a history feed's snapshots carry no priority fees
    )


def history_market(
    candles: list[Candles],
    funding: list[FundingRates],
    source: str,
    positioning: Sequence[Positioning] = (),
    trades: Mapping[Symbol, BarTrades] | None = None,
    taker_gaps: Mapping[Symbol, str] | None = None,
) -> Market:
    """A market from history: one candle series per symbol, with its funding rates, its positioning (open interest
    and long/short, one series per symbol) and its trades (reduced to its bars by `bar_trades`: whale flow from their
    sizes) where given; `taker_gaps`: why a symbol's candles without taker volume did not get it from its trades
    (`with_taker_volume`). The snapshots carry no trade prints (as a simulator backtest's): the lanes' columns do."""
    if not candles:
        raise MarketError(f"{source}: no candles found")
    frames = {c.timeframe_ns for c in candles}
    if len(frames) != 1:
        raise MarketError(f"{source}: symbols have different timeframes; backtest one timeframe at a time")
    symbols = {c.symbol for c in candles}
    funding = [f for f in funding if f.symbol in symbols]
    by_symbol: dict[Symbol, Positioning] = {}
    for rows in positioning:
        if rows.symbol in symbols and by_symbol.setdefault(rows.symbol, rows) is not rows:
            raise MarketError(
                f"{source}: two positioning series of {rows.symbol} ({by_symbol[rows.symbol].source}; {rows.source}): "
                "keep one exchange's metrics in the folder"
            )
    traded = {symbol: rows for symbol, rows in (trades or {}).items() if symbol in symbols}
    tick_ns = np.unique(np.concatenate([c.ts + c.timeframe_ns for c in candles])).astype(np.int64)
    gaps = taker_gaps or {}
    lanes = {
        c.symbol: _history_lane(c, tick_ns, by_symbol.get(c.symbol), traded.get(c.symbol), gaps.get(c.symbol, ""))
        for c in candles
    }
    in_columns = frozenset(traded)

    def reader() -> TickReader:
        from bigalpha.data.history import HistoryFeed

        feed = HistoryFeed(candles, funding=funding, positioning=list(by_symbol.values()), trades_in_columns=in_columns)
        return TickReader(feed=feed)

    return Market(source, tick_ns, frames.pop() / 1e9, lanes, reader)


def load_market(
    path: Path,
    book_levels: int,
    timeframe: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    window: Window | None = None,
    symbols: Sequence[str] = (),
    warmup_bars: int = 0,
    with_trades: bool = True,
) -> Market:
    """A market from a file or folder of any loader format, or from a simulator dataset folder; `timeframe`: which
    of a folder's candles (default: the finest); `window`: the bars a history backtest runs over (`Window`);
    `symbols`: which of a history's symbols (default: all; `ETH`, `ETHUSDT` and `ETH/USDT` name one); `warmup_bars`:
    up to that many bars before the window's start kept for the indicators only (`Market.first_tick`); without
    `with_trades`, a folder's aggTrades files are not read (a market for its bars' times only: a walk-forward's span);
    `progress(done, total)` is told of each trade file read (the longest part of loading a folder with Binance's
    aggTrades)."""
    from bigalpha.backtest.history_trades import agg_trades_files, read_bar_trades, with_taker_volume
    from bigalpha.data.history import Candles, DataFormatError, load, load_dir

    window = window or Window()
    if not path.exists():
        raise MarketError(f"--data: {path} does not exist")
    _check_timeframe(timeframe)
    wanted = _symbols(symbols)
    try:
        if path.is_dir() and (path / MANIFEST).is_file():
            if timeframe is not None or not window.whole or symbols:
                raise MarketError(
                    f"--data: {path} is a simulator dataset, backtested whole in its 1-minute bars: --symbols, "
                    "--timeframe, --start and --end choose among history files"
                )
            return sim_market(read_dataset(path), str(path), book_levels)
        if path.is_dir():
            others = _named_for_others(path, wanted)  # not read at all: a month of another symbol's trades, say
            # Read one at a time below: the largest files by far.
            trade_files = tuple(p for p in agg_trades_files(path) if p not in others)
            # A symbol's daily or monthly files (Binance's archives) as one series.
            folder = load_dir(path, skip=(*trade_files, *others)).joined()
            found = folder.candles()
            if not found and wanted:
                _chosen_symbols(path, {}, wanted, None, others)  # refuses, naming the symbols the folder holds
            if not found:
                raise MarketError(f"--data: {path} holds no candle file")
            chosen = _chosen_timeframe(path, folder.timeframes(), timeframe)
            per_symbol: dict[Symbol, Candles] = {}
            for series in folder.candles(chosen):
                other = per_symbol.setdefault(series.symbol, series)
                if other is not series:
                    raise MarketError(
                        f"--data: {path} holds {chosen} candles of {series.symbol} from two exchanges ({other.exchange}: "
                        f"{other.source}; {series.exchange}: {series.source}); keep one exchange's candles in the folder"
                    )
            chosen_series = _chosen_symbols(path, per_symbol, wanted, chosen, others)
            per_symbol = _in_window(path, chosen_series, window, warmup_bars)
            if not with_trades:
                return _from_window_start(history_market(list(per_symbol.values()), [], str(path)), window)
            trades = read_bar_trades(trade_files, per_symbol, f"--data: {path}", folder.trades(), progress)
            per_symbol, taker_gaps = with_taker_volume(per_symbol, trades)
            market = history_market(
                list(per_symbol.values()), list(folder.funding()), str(path), folder.positioning(), trades, taker_gaps
            )
            return _from_window_start(market, window)
        data = load(path)
    except DataFormatError as error:
        raise MarketError(f"--data: {error}") from None
    except OSError as error:
        raise MarketError(f"--data: cannot read {path}: {error}") from None
    if not isinstance(data, Candles):
        raise MarketError(f"--data: {path} holds {data.kind.value}, not candles")
    _chosen_timeframe(path, (data.timeframe,), timeframe)
    chosen_one = _chosen_symbols(path, {data.symbol: data}, wanted, data.timeframe, ())
    market = history_market(list(_in_window(path, chosen_one, window, warmup_bars).values()), [], str(path))
    return _from_window_start(market, window)


def _from_window_start(market: Market, window: Window) -> Market:
    """`market` traded from the window's first tick on (the ticks before it close warm-up bars)."""
    first = window.first_tick(market.tick_ns, market.bar_seconds)
    return market if first == 0 else replace(market, first_tick=first)


def _symbols(names: Sequence[str]) -> tuple[Symbol, ...]:
    """`--symbols` as the loaders name symbols (`ETHUSDT`, `ETH/USDT:USDT` and `eth` are `ETH`), each once."""
    from bigalpha.data.history.names import normalize_symbol

    return tuple(dict.fromkeys(normalize_symbol(name) for name in names if name.strip()))


def _named_symbol(file: Path) -> Symbol | None:
    from bigalpha.data.history.names import parse_name

    return parse_name(file).symbol


def _named_for_others(path: Path, wanted: Sequence[Symbol]) -> tuple[Path, ...]:
    """The folder's files whose names name a symbol not `wanted` (none when all are): they are not read."""
    if not wanted:
        return ()
    named = ((file, _named_symbol(file)) for file in sorted(path.iterdir()) if file.is_file())
    return tuple(file for file, symbol in named if symbol is not None and symbol not in wanted)


def _chosen_symbols(
    path: Path,
    candles: dict[Symbol, Candles],
    wanted: Sequence[Symbol],
    timeframe: str | None,
    unread: Sequence[Path],
) -> dict[Symbol, Candles]:
    """The candles (of `timeframe`) of the `wanted` symbols (all when none is), in the history's order; a wanted
    symbol without candles is refused, naming the symbols the history holds (read, or named by the `unread` files)."""
    if not wanted:
        return candles
    absent = [symbol for symbol in wanted if symbol not in candles]
    if absent:
        held = sorted({*candles, *(s for f in unread if (s := _named_symbol(f)) is not None)})
        kind = "candles" if timeframe is None else f"{timeframe} candles"
        raise MarketError(
            f"--symbols: {path} holds no {kind} of {', '.join(absent)} (its symbols: {', '.join(held) or 'none'})"
        )
    return {symbol: series for symbol, series in candles.items() if symbol in wanted}


def _check_timeframe(timeframe: str | None) -> None:
    from bigalpha.data.history.timeframe import parse_timeframe

    if timeframe is not None:
        try:
            parse_timeframe(timeframe)
        except ValueError as error:
            raise MarketError(f"--timeframe: {error}") from None


def _chosen_timeframe(path: Path, timeframes: Sequence[str], wanted: str | None) -> str:
    """The timeframe of `timeframes` (finest first) as long as `wanted` ('60m' is '1h'), or the finest when none is
    asked."""
    from bigalpha.data.history.timeframe import parse_timeframe

    if wanted is None:
        return timeframes[0]
    for timeframe in timeframes:
        if parse_timeframe(timeframe) == parse_timeframe(wanted):
            return timeframe
    raise MarketError(f"--timeframe {wanted}: {path} holds {', '.join(timeframes)} candles only")


def _in_window(
    path: Path, candles: Mapping[Symbol, Candles], window: Window, warmup_bars: int = 0
) -> dict[Symbol, Candles]:
    """Each series cut to `window` after up to `warmup_bars` bars before it; a symbol with no bar inside is left out,
    and a window with no bar of any symbol is refused with the span the files hold."""
    kept = {
        symbol: cut for symbol, series in candles.items() if (cut := window.candles(series, warmup_bars)) is not None
    }
    if not kept:
        spans = "; ".join(
            f"{symbol} {series.timeframe} {series.start.isoformat() if series.start else '?'} → "
            f"{series.end.isoformat() if series.end else '?'}"
            for symbol, series in candles.items()
        )
        raise MarketError(f"--start/--end: {path} has no bar opening in {window.describe()} ({spans})")
    return kept
