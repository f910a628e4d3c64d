"""Build `MarketSnapshot`s lazily from a dataset's columnar frames, one tick at a time.

A tick describes the instant a 1-minute bar closes: `snapshot.ts` is the bar's open time plus one
minute, and every `Observed` value carries the `as_of` of its last refresh at or before that instant
(minute data: the tick itself; heatmap, max pain, long/short: the last 5-minute refresh; fear &
greed: 00:00 UTC of the day, from the first tick after midnight; funding: the tick, or older during a simulated feed outage).
The book ladder is priced around the bar's close with the notional of the last refresh; walls
that are live at the tick (start < ts ≤ end) and on their side of the price are inserted at their
fixed prices.

Every lookup that does not depend on the tick's own values (which refresh is current, which trades fall in
the bar, whether a wall is live) is resolved for all ticks at construction, and a refreshed value is built
once and shared by the ticks that show it (snapshots are immutable).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from bigalpha.config.data import DataKind
from bigalpha.data.ports import Tick
from bigalpha.data.sim.book import BOOK_OFFSETS_BPS
from bigalpha.data.sim.positioning import VENUES
from bigalpha.data.sim.schema import Frame
from bigalpha.domain import (
    Bar,
    LiquidationLevel,
    LongShort,
    MarketSnapshot,
    Observed,
    OrderBook,
    OrderSide,
    PairedHeatmap,
    PairedOrderBook,
    PriorityFees,
    Symbol,
    Trade,
)

SOURCE = "sim"
_MINUTE_MS = 60_000
_NO_DATA = "simulator: no value generated at or before this tick"
_IntArray = npt.NDArray[np.int64]
_LEVELS = len(BOOK_OFFSETS_BPS)
_BID_FACTORS = tuple(1.0 - bps / 1e4 for bps in BOOK_OFFSETS_BPS)
_ASK_FACTORS = tuple(1.0 + bps / 1e4 for bps in BOOK_OFFSETS_BPS)
_FACTORS = np.array(_BID_FACTORS + _ASK_FACTORS, dtype=np.float64)  # a book row's order: bids then asks
_BLOCK = 4096  # ticks whose lookups are resolved together (see `SnapshotBuilder`)
# Columns of a symbol's per-tick matrices (`_SymbolData.values` and `.rows`).
_VALUE_COLUMNS = (
    ("bars", "open"),
    ("bars", "high"),
    ("bars", "low"),
    ("bars", "close"),
    ("bars", "volume"),
    ("bars", "taker_buy_volume"),
    ("funding", "binanceusdm"),
    ("funding", "okx"),
    ("open_interest", "open_interest_usd"),
)
# The columns snapshots are built from, by table (a table not named is read whole): a dataset generated with
# only these (`generate(..., columns=SNAPSHOT_COLUMNS)`) gives the same snapshots without the ground-truth columns.
SNAPSHOT_COLUMNS: dict[str, tuple[str, ...]] = {
    "bars": ("ts", *(column for table, column in _VALUE_COLUMNS if table == "bars"))
}
V = TypeVar("V")


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, UTC)


def symbol_rows(frame: Frame, code: int) -> Frame:
    """The rows of one symbol (by code) of a frame sorted by symbol code."""
    codes = frame["symbol"]
    lo, hi = np.searchsorted(codes, code, "left"), np.searchsorted(codes, code, "right")
    return {name: col[lo:hi] for name, col in frame.items()}


def _latest(ts: _IntArray, at: _IntArray) -> _IntArray:
    """Index of the last row with ts ≤ each `at` (−1 where none)."""
    found: _IntArray = np.searchsorted(ts, at, "right").astype(np.int64) - 1
    return found


def _walls_live(walls: Frame, tick_ts: _IntArray) -> npt.NDArray[np.bool_]:
    """Whether any wall is live (start < ts ≤ end) at each tick (`tick_ts` ascending)."""
    live = np.zeros(tick_ts.size, dtype=np.bool_)
    for start, end in zip(walls["start"].tolist(), walls["end"].tolist(), strict=True):
        live[np.searchsorted(tick_ts, start, "right") : np.searchsorted(tick_ts, end, "right")] = True
    return live


class _Memo(Generic[V]):
    """The value last built, with its key: consecutive ticks mostly show the same refresh."""

    __slots__ = ("key", "value")

    def __init__(self) -> None:
        self.key = -1
        self.value: V | None = None

    def get(self, key: int, build: Callable[[int], V]) -> V:
        value = self.value
        if key != self.key or value is None:
            value = self.value = build(key)
            self.key = key
        return value


@dataclass(slots=True)
class _SymbolData:
    symbol: Symbol
    columns: tuple[npt.NDArray[np.float64], ...]  # the _VALUE_COLUMNS, one value per tick
    bar_ts: _IntArray
    funding_as_of: _IntArray
    trades: Frame
    long_short: Frame
    max_pain: Frame
    heat: Frame
    book_ts: _IntArray
    book: tuple[npt.NDArray[np.float32], ...]  # the ladder's notional columns: bids then asks
    walls: Frame
    walls_live: npt.NDArray[np.bool_]  # per tick: whether any wall is live
    fees: bool
    # The current block's per-tick lookups (see `_BLOCK`): values (ticks, _VALUE_COLUMNS); rows (ticks, 10): bar
    # ts, funding as_of, trades [lo, hi), long/short row, max-pain row, heatmap rows [lo, hi), book refresh, 1 when
    # a wall is live
    values: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty((0, len(_VALUE_COLUMNS))))
    rows: _IntArray = field(default_factory=lambda: np.empty((0, 10), dtype=np.int64))
    long_short_memo: _Memo[Observed[LongShort]] = field(default_factory=_Memo)
    max_pain_memo: _Memo[Observed[float]] = field(default_factory=_Memo)
    heatmap_memo: _Memo[Observed[tuple[LiquidationLevel, ...]]] = field(default_factory=_Memo)
    # The current block's book notionals per tick (ticks, bids then asks), gathered with the block's lookups: one
    # row read per tick instead of a scalar read per level (float32, as stored; NaN rows where no book is known yet)
    book_rows: npt.NDArray[np.float32] = field(default_factory=lambda: np.empty((0, 0), dtype=np.float32))
    # The same ladder priced around each tick's close (close × factor) and each level's quantity (notional / price),
    # computed for the block at once: the very float operations `SnapshotBuilder._book` makes per level.
    book_prices: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty((0, 0)))
    book_quantities: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty((0, 0)))

    def load(self, lo: int, hi: int, tick_ts: _IntArray) -> None:
        """The lookups of ticks [lo, hi) (`tick_ts` are theirs)."""
        bar_ts = self.bar_ts[lo:hi]
        trades_ts, heat_ts, mp_ts = self.trades["ts"], self.heat["ts"], self.max_pain["ts"]
        mp_idx = _latest(mp_ts, tick_ts)
        refresh_ts = np.where(mp_idx >= 0, mp_ts[np.maximum(mp_idx, 0)], -1)
        self.rows = np.column_stack(
            [
                bar_ts,
                self.funding_as_of[lo:hi],
                np.searchsorted(trades_ts, bar_ts, "left"),
                np.searchsorted(trades_ts, tick_ts, "left"),
                _latest(self.long_short["ts"], tick_ts),
                mp_idx,
                np.searchsorted(heat_ts, refresh_ts, "left"),
                np.searchsorted(heat_ts, refresh_ts, "right"),
                _latest(self.book_ts, tick_ts),
                self.walls_live[lo:hi],
            ]
        ).astype(np.int64)
        self.values = np.column_stack([column[lo:hi] for column in self.columns]).astype(np.float64)
        refresh = np.maximum(self.rows[:, 8], 0)  # a tick before the first book reads row 0 and never uses it
        self.book_rows = (
            np.column_stack([column[refresh] for column in self.book])
            if self.book_ts.size
            else np.empty((hi - lo, len(self.book)), dtype=np.float32)
        )
        with np.errstate(all="ignore"):  # rows of ticks before the first book, or with no positive close, go unread
            self.book_prices = self.values[:, 3:4] * _FACTORS
            self.book_quantities = self.book_rows.astype(np.float64) / self.book_prices


_NO_TRADES: Frame = {
    "ts": np.empty(0, dtype=np.int64),
    "price": np.empty(0),
    "quantity": np.empty(0),
    "side": np.empty(0, dtype=np.int8),
}


class SnapshotBuilder:
    """Snapshots of every symbol for each minute of a set of frames (one day, or a whole dataset).

    With `trades=False` the snapshots carry no trade prints and `frames` need no "trades" table: a backtest's
    engine reads the trade flow from indicator columns (`bigalpha.backtest.contexts`), and the prints are the
    largest table of a dataset.

    Every lookup of a tick (which rows of each table it shows) is resolved with arrays, a block of `_BLOCK` ticks at
    a time when a tick of the block is first asked for: a backtest walks the ticks forward, so the tables cost a
    block's memory, not the run's (about 250 MB for 1,000,000 ticks), and each block is built once."""

    def __init__(
        self, frames: dict[str, Frame], symbols: tuple[str, ...], fee_symbols: frozenset[str], *, trades: bool = True
    ) -> None:
        self._symbols = tuple(Symbol(s) for s in symbols)
        self._with_trades = trades
        first = symbol_rows(frames["bars"], 0)
        self._bar_ts: _IntArray = np.asarray(first["ts"], dtype=np.int64)
        self._tick_ts = self._bar_ts + _MINUTE_MS
        self._data = [self._symbol_data(frames, i, s, s in fee_symbols) for i, s in enumerate(self._symbols)]
        fg = frames["fear_greed"]
        self._fg_ts, self._fg_value = fg["ts"], fg["value"]
        fees, hf = frames["priority_fees"], frames["health_factor"]
        self._fees, self._hf = fees, hf
        self._block = -1
        self._rows: _IntArray = np.empty((0, 4), dtype=np.int64)
        self._fear_greed_memo: _Memo[Observed[float]] = _Memo()
        self._fees_memo: _Memo[Observed[PriorityFees]] = _Memo()
        self._health_memo: _Memo[Observed[float]] = _Memo()

    def _load(self, block: int) -> None:
        lo = block * _BLOCK
        hi = min(lo + _BLOCK, self._tick_ts.size)
        tick_ts = self._tick_ts[lo:hi]
        # Each day's index is published at 00:00 and seen from the first tick after it, so the tick at
        # midnight itself still shows the day before, whether the data came in one piece or day by day.
        self._rows = np.column_stack(
            [
                tick_ts,
                _latest(self._fg_ts, tick_ts - 1),
                _latest(self._fees["ts"], tick_ts),
                _latest(self._hf["ts"], tick_ts),
            ]
        ).astype(np.int64)
        for d in self._data:
            d.load(lo, hi, tick_ts)
        self._block = block

    def _symbol_data(self, frames: dict[str, Frame], code: int, symbol: Symbol, fees: bool) -> _SymbolData:
        bars = symbol_rows(frames["bars"], code)
        if bars["ts"].size != self._bar_ts.size or not np.array_equal(bars["ts"], self._bar_ts):
            raise ValueError(f"bars of {symbol} do not cover the same minutes as {self._symbols[0]}")
        parts = {name: symbol_rows(frames[name], code) for name in ("funding", "open_interest")}
        for name, part in parts.items():
            if part["ts"].size != self._bar_ts.size:
                raise ValueError(f"{name} of {symbol} has {part['ts'].size} rows for {self._bar_ts.size} bars")
        parts["bars"] = bars
        ls, mp, heat, book = (
            symbol_rows(frames[n], code) for n in ("long_short", "max_pain", "liquidation_heatmap", "book_depth")
        )
        walls = symbol_rows(frames["book_walls"], code)
        return _SymbolData(
            symbol=symbol,
            columns=tuple(parts[name][column] for name, column in _VALUE_COLUMNS),
            bar_ts=self._bar_ts,
            funding_as_of=parts["funding"]["as_of"],
            trades=symbol_rows(frames["trades"], code) if self._with_trades else _NO_TRADES,
            long_short=ls,
            max_pain=mp,
            heat=heat,
            book_ts=book["ts"],
            book=tuple(book[f"{side}_usd_{i}"] for side in ("bid", "ask") for i in range(_LEVELS)),
            walls=walls,
            walls_live=_walls_live(walls, self._tick_ts),
            fees=fees,
        )

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        return self._symbols

    def __len__(self) -> int:
        return int(self._bar_ts.size)

    def tick_time(self, i: int) -> datetime:
        return _dt(int(self._tick_ts[i]))

    def tick(self, i: int, symbols: Collection[Symbol] | None = None) -> Tick:
        """Tick i's snapshots, of every symbol or, given `symbols`, of those only (in the dataset's order)."""
        if not 0 <= i < self._tick_ts.size:
            raise IndexError(f"tick {i} of {self._tick_ts.size}")
        block, j = divmod(i, _BLOCK)
        if block != self._block:
            self._load(block)
        tick_ms, fg_k, fee_k, hf_k = self._rows[j].tolist()
        now = _dt(tick_ms)
        data = self._data if symbols is None else [d for d in self._data if d.symbol in symbols]
        shared = (
            self._fear_greed(fg_k),
            # Read by the symbols with fees only: none among those asked for, none built (fees refresh every minute).
            self._priority_fees(fee_k) if any(d.fees for d in data) else None,
            self._health_factor(hf_k),
        )
        return tuple([self._snapshot(d, j, now, tick_ms, shared) for d in data])

    def _snapshot(
        self,
        d: _SymbolData,
        i: int,
        now: datetime,
        tick_ms: int,
        shared: tuple[Observed[float] | None, Observed[PriorityFees] | None, Observed[float] | None],
    ) -> MarketSnapshot:
        open_, high, low, close, volume, taker, binance, okx, oi = d.values[i].tolist()
        bar_ms, funding_ms, trade_lo, trade_hi, ls_k, mp_k, heat_lo, heat_hi, book_k, walls = d.rows[i].tolist()
        bar = Bar(
            ts=_dt(bar_ms),
            open=open_,
            high=high,
            low=low,
            close=close,
            volume=volume,
            taker_buy_volume=taker,
        )
        missing: list[tuple[DataKind, str]] = []
        book = self._book(d, i, book_k, close, now, tick_ms, walls, missing)
        long_short = self._long_short(d, ls_k, missing)
        heatmap = self._heatmap(d, mp_k, heat_lo, heat_hi, missing)
        max_pain = self._max_pain(d, mp_k, missing)
        fear_greed, fees, health = shared
        if fear_greed is None:
            missing.append((DataKind.FEAR_GREED, _NO_DATA))
        if d.fees and fees is None:
            missing.append((DataKind.PRIORITY_FEES, _NO_DATA))
        if health is None:
            missing.append((DataKind.HEALTH_FACTOR, _NO_DATA))
        return MarketSnapshot(
            symbol=d.symbol,
            ts=now,
            bar=bar,
            trades=self._trades(d, trade_lo, trade_hi),
            book=book,
            open_interest_usd=Observed(oi, now, SOURCE),
            long_short=long_short,
            liquidation_heatmap=heatmap,
            max_pain=max_pain,
            fear_greed=fear_greed,
            funding=Observed(((VENUES[0], binance), (VENUES[1], okx)), _dt(funding_ms), SOURCE),
            priority_fees=fees if d.fees else None,
            health_factor=health,
            unavailable=tuple(missing),
        )

    @staticmethod
    def _trades(d: _SymbolData, lo: int, hi: int) -> tuple[Trade, ...]:
        if lo >= hi:
            return ()
        t = d.trades
        buy, sell = OrderSide.BUY, OrderSide.SELL
        return tuple(
            [
                Trade(_dt(ms), price, quantity, buy if side else sell)
                for ms, price, quantity, side in zip(
                    t["ts"][lo:hi].tolist(),
                    t["price"][lo:hi].tolist(),
                    t["quantity"][lo:hi].tolist(),
                    t["side"][lo:hi].tolist(),
                    strict=True,
                )
            ]
        )

    @staticmethod
    def _long_short(d: _SymbolData, k: int, missing: list[tuple[DataKind, str]]) -> Observed[LongShort] | None:
        if k < 0:
            missing.append((DataKind.LONG_SHORT_RATIO, _NO_DATA))
            return None

        def build(k: int) -> Observed[LongShort]:
            ls = d.long_short
            value = LongShort(ls["long_short_ratio"].item(k), ls["short_share"].item(k))
            return Observed(value, _dt(ls["ts"].item(k)), SOURCE)

        return d.long_short_memo.get(k, build)

    @staticmethod
    def _max_pain(d: _SymbolData, k: int, missing: list[tuple[DataKind, str]]) -> Observed[float] | None:
        if k < 0:
            missing.append((DataKind.MAX_PAIN, _NO_DATA))
            return None

        def build(k: int) -> Observed[float]:
            return Observed(d.max_pain["max_pain"].item(k), _dt(d.max_pain["ts"].item(k)), SOURCE)

        return d.max_pain_memo.get(k, build)

    @staticmethod
    def _heatmap(
        d: _SymbolData, k: int, lo: int, hi: int, missing: list[tuple[DataKind, str]]
    ) -> Observed[tuple[LiquidationLevel, ...]] | None:
        if k < 0:
            missing.append((DataKind.LIQUIDATION_HEATMAP, _NO_DATA))
            return None

        def build(k: int) -> Observed[tuple[LiquidationLevel, ...]]:
            h = d.heat
            # (price, USD) pairs: the heatmap's `LiquidationLevel`s are made only if a reader asks for them.
            pairs = tuple(zip(h["price"][lo:hi].tolist(), h["liquidation_usd"][lo:hi].tolist(), strict=True))
            return PairedHeatmap(pairs, _dt(d.max_pain["ts"].item(k)), SOURCE)

        # The heatmap rows are those of the max-pain refresh k, so k alone names them.
        return d.heatmap_memo.get(k, build)

    @staticmethod
    def _book(
        d: _SymbolData,
        i: int,
        k: int,
        mid: float,
        now: datetime,
        tick_ms: int,
        walls: int,
        missing: list[tuple[DataKind, str]],
    ) -> Observed[OrderBook] | None:
        if k < 0:
            missing.append((DataKind.ORDER_BOOK, _NO_DATA))
            return None
        # (price, quantity) pairs, the quantity of a level's notional at its price: the book's `BookLevel`s are
        # made only if a reader asks for them (`PairedOrderBook`).
        if mid > 0.0:  # priced for the whole block at load (`_SymbolData.book_prices`)
            prices, quantities = d.book_prices[i].tolist(), d.book_quantities[i].tolist()
            if not walls:  # the ladder alone, already in order (the offsets are increasing)
                book = PairedOrderBook(
                    tuple(zip(prices[:_LEVELS], quantities[:_LEVELS], strict=True)),
                    tuple(zip(prices[_LEVELS:], quantities[_LEVELS:], strict=True)),
                )
                return Observed(book, now, SOURCE)
            bids = list(zip(prices[:_LEVELS], quantities[:_LEVELS], strict=True))
            asks = list(zip(prices[_LEVELS:], quantities[_LEVELS:], strict=True))
        else:  # level by level, so that a zero close fails as it always did (dividing by a zero price)
            row = d.book_rows[i].tolist()
            bids = [(p := mid * factor, usd / p) for factor, usd in zip(_BID_FACTORS, row[:_LEVELS], strict=True)]
            asks = [(p := mid * factor, usd / p) for factor, usd in zip(_ASK_FACTORS, row[_LEVELS:], strict=True)]
        if walls:
            w = d.walls
            live = np.flatnonzero((w["start"] < tick_ms) & (w["end"] >= tick_ms))
            for j in live.tolist():
                price, usd = w["price"].item(j), w["notional_usd"].item(j)
                if w["side"][j] and price > mid:
                    asks.append((price, usd / price))
                elif not w["side"][j] and price < mid:
                    bids.append((price, usd / price))
        if walls or not mid > 0.0:
            # Without walls and with a positive mid the ladder is already in order (the offsets are increasing).
            bids.sort(key=lambda level: -level[0])
            asks.sort(key=lambda level: level[0])
        book = PairedOrderBook(tuple(bids), tuple(asks))
        return Observed(book, now, SOURCE)

    def _fear_greed(self, k: int) -> Observed[float] | None:
        if k < 0:
            return None

        def build(k: int) -> Observed[float]:
            return Observed(self._fg_value.item(k), _dt(self._fg_ts.item(k)), SOURCE)

        return self._fear_greed_memo.get(k, build)

    def _priority_fees(self, k: int) -> Observed[PriorityFees] | None:
        if k < 0:
            return None

        def build(k: int) -> Observed[PriorityFees]:
            f = self._fees
            value = PriorityFees(f["p50_micro_lamports"].item(k), f["jito_tip_lamports"].item(k))
            return Observed(value, _dt(f["ts"].item(k)), SOURCE)

        return self._fees_memo.get(k, build)

    def _health_factor(self, k: int) -> Observed[float] | None:
        if k < 0:
            return None

        def build(k: int) -> Observed[float]:
            return Observed(self._hf["health_factor"].item(k), _dt(self._hf["ts"].item(k)), SOURCE)

        return self._health_memo.get(k, build)
