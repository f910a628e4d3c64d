"""`HistoryFeed`: replays loaded history as the engine's `Feed` (D-REC-1: decisions replay on history).

Time: a snapshot at instant T carries the bar that *closed* at T (`Bar.ts` is its open time,
T − timeframe), so nothing observed after T is in it: no look-ahead by construction.

Several symbols: ticks run over the union of all bar close times; each tick holds a snapshot for every
symbol that has a bar closing at that instant and no other. A symbol with a gap, a later listing or a
coarser timeframe is simply absent from the ticks where it has no bar; nothing is forward-filled.

Funding: each snapshot carries, per exchange, the last rate whose funding time is at or before T, as
`Observed` with `as_of` = that funding time (the oldest one when exchanges differ) and the file names
as source. Trades, when given, are those with open ≤ time < close of the snapshot's bar.

Positioning (Binance's `metrics` archives), when given: each snapshot carries the open interest and the long/short
account ratio of the last row observed at or before T, as `Observed` with `as_of` = that row's time; the short share
of accounts is 1 / (1 + ratio), as the exchange provider derives it.

Everything history files do not hold stays `None`, named in `unavailable`, so the intelligence guards
fail open (D-FAILOPEN). Snapshots are built lazily, a chunk of ticks at a time, from the arrays.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from bigalpha.clock import require_utc
from bigalpha.config.data import DataKind
from bigalpha.data.history.model import AggTrades, Candles, FundingRates, Positioning
from bigalpha.data.history.report import ns_to_datetime, ns_to_datetimes
from bigalpha.data.ports import Tick
from bigalpha.domain import Bar, LongShort, MarketSnapshot, Observed, OrderSide, Symbol, Trade

IntArray = npt.NDArray[np.int64]
_PerSymbol = TypeVar("_PerSymbol", AggTrades, Positioning)
NOT_IN_HISTORY = "not in history file"
BEFORE_POSITIONING = "before the first open-interest row in the history file"
NO_RATIO = "no long/short ratio in the history file's row"
NO_OPEN_INTEREST = "no open interest in the history file's row"
_POSITIONING = (DataKind.OPEN_INTEREST, DataKind.LONG_SHORT_RATIO)
_ALWAYS_MISSING = (
    DataKind.ORDER_BOOK,
    DataKind.OPEN_INTEREST,
    DataKind.LIQUIDATION_HEATMAP,
    DataKind.LONG_SHORT_RATIO,
    DataKind.MAX_PAIN,
    DataKind.FEAR_GREED,
    DataKind.HEALTH_FACTOR,
    DataKind.PRIORITY_FEES,
)
_CHUNK = 4096


def _ns(moment: datetime) -> int:
    utc = require_utc(moment)
    delta = utc - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


@dataclass(frozen=True, slots=True)
class _Lane:
    """One symbol's arrays and, per tick of the feed, where its bar is (-1: no bar at that tick)."""

    candles: Candles
    bar_at: IntArray
    funding: tuple[tuple[FundingRates, IntArray], ...]
    trades: AggTrades | None
    positioning: Positioning | None
    positioning_at: IntArray  # per tick, its last positioning row at or before the tick (-1: none yet)
    unavailable: tuple[tuple[DataKind, str], ...]
    unavailable_before_funding: tuple[tuple[DataKind, str], ...]


class HistoryFeed:
    """A `Feed` over loaded candles, with optional funding rates, trades and positioning per symbol."""

    def __init__(
        self,
        candles: Iterable[Candles],
        *,
        funding: Iterable[FundingRates] = (),
        trades: Iterable[AggTrades] = (),
        positioning: Iterable[Positioning] = (),
        trades_in_columns: Collection[Symbol] = (),
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        """`trades_in_columns`: symbols whose trades the caller reads from columns of its own (a backtest's market):
        their snapshots carry no prints, yet their trades are not reported missing."""
        by_symbol: dict[Symbol, Candles] = {}
        for series in candles:
            if series.symbol in by_symbol:
                raise ValueError(
                    f"two candle series for {series.symbol}: {by_symbol[series.symbol].source} and {series.source}; "
                    "replay one timeframe per symbol"
                )
            by_symbol[series.symbol] = series
        if not by_symbol:
            raise ValueError("HistoryFeed needs candles for at least one symbol")
        funding_by = self._group(funding, by_symbol, "funding")
        trades_by = self._one_each(trades, by_symbol, "trade", "")
        positioning_by = self._one_each(
            positioning, by_symbol, "positioning", "; join a symbol's files first (HistoryDir.joined())"
        )
        closes = [c.ts + c.timeframe_ns for c in by_symbol.values()]
        times = np.unique(np.concatenate(closes))
        if start is not None:
            times = times[times >= _ns(start)]
        if end is not None:
            times = times[times <= _ns(end)]
        self._times: IntArray = times
        self._symbols = tuple(by_symbol)
        self._trades_in_columns = frozenset(trades_in_columns)
        unknown = sorted(self._trades_in_columns - set(by_symbol))
        if unknown:
            raise ValueError(f"trades_in_columns names {unknown}, which have no candles (symbols: {sorted(by_symbol)})")
        self._lanes = tuple(
            self._lane(series, close, funding_by.get(symbol, ()), trades_by.get(symbol), positioning_by.get(symbol))
            for (symbol, series), close in zip(by_symbol.items(), closes, strict=True)
        )
        self._closed = False

    @staticmethod
    def _known(symbol: Symbol, candles: dict[Symbol, Candles], what: str, source: str) -> None:
        if symbol not in candles:
            raise ValueError(f"{what} {source} is for {symbol}, which has no candles (symbols: {sorted(candles)})")

    def _one_each(
        self, items: Iterable[_PerSymbol], candles: dict[Symbol, Candles], what: str, hint: str
    ) -> dict[Symbol, _PerSymbol]:
        """At most one series of this kind per symbol, each for a symbol with candles."""
        out: dict[Symbol, _PerSymbol] = {}
        for item in items:
            self._known(item.symbol, candles, what, item.source)
            if item.symbol in out:
                raise ValueError(
                    f"two {what} series for {item.symbol}: {out[item.symbol].source} and {item.source}{hint}"
                )
            out[item.symbol] = item
        return out

    def _group(
        self, funding: Iterable[FundingRates], candles: dict[Symbol, Candles], what: str
    ) -> dict[Symbol, tuple[FundingRates, ...]]:
        grouped: dict[Symbol, list[FundingRates]] = {}
        for series in funding:
            self._known(series.symbol, candles, what, series.source)
            grouped.setdefault(series.symbol, []).append(series)
        return {symbol: tuple(series) for symbol, series in grouped.items()}

    def _lane(
        self,
        candles: Candles,
        close: IntArray,
        funding: tuple[FundingRates, ...],
        trades: AggTrades | None,
        positioning: Positioning | None,
    ) -> _Lane:
        position = np.searchsorted(close, self._times)
        if close.size:
            present = (position < close.size) & (close[np.minimum(position, close.size - 1)] == self._times)
        else:
            present = np.zeros(self._times.size, dtype=bool)
        bar_at = np.where(present, position, -1).astype(np.int64)
        funding_at = tuple(
            (series, (np.searchsorted(series.ts, self._times, side="right") - 1).astype(np.int64)) for series in funding
        )
        missing = [kind for kind in _ALWAYS_MISSING if positioning is None or kind not in _POSITIONING]
        positioning_at = (
            np.searchsorted(positioning.ts, self._times, side="right") - 1
            if positioning is not None
            else np.full(self._times.size, -1)
        ).astype(np.int64)
        if trades is None and candles.symbol not in self._trades_in_columns:
            missing.append(DataKind.TRADES)
        if candles.taker_buy_volume is None:
            missing += [DataKind.TAKER_VOLUME, DataKind.CVD]
        unavailable = tuple((kind, NOT_IN_HISTORY) for kind in missing)
        before: tuple[tuple[DataKind, str], ...] = ()
        if funding:
            before = ((DataKind.FUNDING, "before the first funding time in the history file"),)
        else:
            unavailable += ((DataKind.FUNDING, "no funding history loaded"),)
        return _Lane(
            candles, bar_at, funding_at, trades, positioning, positioning_at, unavailable, unavailable + before
        )

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        return self._symbols

    def __len__(self) -> int:
        """Number of ticks the feed will yield."""
        return int(self._times.size)

    def ticks(self) -> Iterator[Tick]:
        for low in range(0, self._times.size, _CHUNK):
            if self._closed:
                return
            yield from self._chunk(low, min(low + _CHUNK, self._times.size))

    def _chunk(self, low: int, high: int) -> Iterator[Tick]:
        times = ns_to_datetimes(self._times[low:high])
        lanes = [_LaneChunk.of(lane, low, high) for lane in self._lanes]
        for offset, moment in enumerate(times):
            if self._closed:
                return
            snapshots = tuple(snapshot for lane in lanes if (snapshot := lane.snapshot(offset, moment)) is not None)
            yield snapshots

    def close(self) -> None:
        self._closed = True


@dataclass(slots=True)
class _LaneChunk:
    """One symbol's values for a chunk of ticks as Python lists: building a snapshot is then list lookups."""

    lane: _Lane
    bar_at: list[int]
    dense: list[int]  # running count of this chunk's bars: tick offset → index in the dense lists
    opens: list[datetime]
    ohlcv: list[tuple[float, float, float, float, float]]
    taker: list[float] | None
    funding: list[tuple[FundingRates, list[int]]]
    trades_lo: list[int]
    trades_hi: list[int]
    positioning_at: list[int]

    @classmethod
    def of(cls, lane: _Lane, low: int, high: int) -> _LaneChunk:
        c = lane.candles
        at = lane.bar_at[low:high]
        rows = at[at >= 0]
        columns = (a[rows].tolist() for a in (c.open, c.high, c.low, c.close, c.volume))
        trades_lo: list[int] = []
        trades_hi: list[int] = []
        if lane.trades is not None:
            trades_lo = np.searchsorted(lane.trades.ts, c.ts[rows]).tolist()
            trades_hi = np.searchsorted(lane.trades.ts, c.ts[rows] + c.timeframe_ns).tolist()
        return cls(
            lane=lane,
            bar_at=at.tolist(),
            dense=(np.cumsum(at >= 0) - 1).tolist(),
            opens=ns_to_datetimes(c.ts[rows]),
            ohlcv=list(zip(*columns, strict=True)),
            taker=c.taker_buy_volume[rows].tolist() if c.taker_buy_volume is not None else None,
            funding=[(series, idx[low:high].tolist()) for series, idx in lane.funding],
            trades_lo=trades_lo,
            trades_hi=trades_hi,
            positioning_at=lane.positioning_at[low:high].tolist(),
        )

    def snapshot(self, offset: int, moment: datetime) -> MarketSnapshot | None:
        if self.bar_at[offset] < 0:
            return None
        dense = self.dense[offset]
        o, h, low, close, volume = self.ohlcv[dense]
        taker = self.taker[dense] if self.taker is not None else float("nan")
        bar = Bar(self.opens[dense], o, h, low, close, volume, taker)
        funding = self._funding(offset)
        lane = self.lane
        unavailable = lane.unavailable if funding is not None or not lane.funding else lane.unavailable_before_funding
        open_interest, long_short, missing = self._positioning(offset)
        return MarketSnapshot(
            symbol=lane.candles.symbol,
            ts=moment,
            bar=bar,
            trades=self._trades(dense),
            funding=funding,
            open_interest_usd=open_interest,
            long_short=long_short,
            unavailable=unavailable + missing if missing else unavailable,
        )

    def _positioning(
        self, offset: int
    ) -> tuple[Observed[float] | None, Observed[LongShort] | None, tuple[tuple[DataKind, str], ...]]:
        """The open interest and long/short of the last positioning row at or before the tick, and what is missing."""
        series = self.lane.positioning
        if series is None:
            return None, None, ()
        i = self.positioning_at[offset]
        if i < 0:
            return None, None, tuple((kind, BEFORE_POSITIONING) for kind in _POSITIONING)
        as_of = ns_to_datetime(int(series.ts[i]))
        value = float(series.open_interest_usd[i])
        open_interest = Observed(value, as_of, series.source) if math.isfinite(value) else None
        ratio = float(series.long_short_ratio[i])
        long_short = (
            Observed(LongShort(ratio, 1.0 / (1.0 + ratio)), as_of, series.source)
            if math.isfinite(ratio) and ratio >= 0
            else None
        )
        missing: tuple[tuple[DataKind, str], ...] = ()
        if open_interest is None:
            missing += ((DataKind.OPEN_INTEREST, NO_OPEN_INTEREST),)
        if long_short is None:
            missing += ((DataKind.LONG_SHORT_RATIO, NO_RATIO),)
        return open_interest, long_short, missing

    def _funding(self, offset: int) -> Observed[tuple[tuple[str, float], ...]] | None:
        if not self.funding:
            return None
        rates: list[tuple[str, float]] = []
        oldest: int | None = None
        sources: list[str] = []
        for series, idx in self.funding:
            i = idx[offset]
            if i < 0:
                continue
            ts = int(series.ts[i])
            rates.append((series.exchange, float(series.rate[i])))
            sources.append(series.source)
            oldest = ts if oldest is None else min(oldest, ts)
        if oldest is None:
            return None
        return Observed(tuple(rates), ns_to_datetime(oldest), "+".join(sources))

    def _trades(self, dense: int) -> tuple[Trade, ...]:
        trades = self.lane.trades
        if trades is None:
            return ()
        lo, hi = self.trades_lo[dense], self.trades_hi[dense]
        if lo == hi:
            return ()
        ts = trades.ts[lo:hi].tolist()
        price = trades.price[lo:hi].tolist()
        quantity = trades.quantity[lo:hi].tolist()
        maker = trades.is_buyer_maker[lo:hi].tolist()
        return tuple(
            Trade(ns_to_datetime(t), p, q, OrderSide.SELL if m else OrderSide.BUY)
            for t, p, q, m in zip(ts, price, quantity, maker, strict=True)
        )
