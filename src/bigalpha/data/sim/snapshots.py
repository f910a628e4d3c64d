"""Build `MarketSnapshot`s lazily from a dataset's columnar frames, one tick at a time.

A tick describes the instant a 1-minute bar closes: `snapshot.ts` is the bar's open time plus one
minute, and every `Observed` value carries the `as_of` of its last refresh at or before that instant
(minute data: the tick itself; heatmap, max pain, long/short: the last 5-minute refresh; fear &
greed: 00:00 UTC of the day, from the first tick after midnight; funding: the tick, or older during a simulated feed outage).
The book ladder is priced around the bar's close with the notional of the last refresh; walls
that are live at the tick (start < ts ≤ end) and on their side of the price are inserted at their
fixed prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from bigalpha.config.data import DataKind
from bigalpha.data.ports import Tick
from bigalpha.data.sim.book import BOOK_OFFSETS_BPS
from bigalpha.data.sim.positioning import VENUES
from bigalpha.data.sim.schema import Frame
from bigalpha.domain import (
    Bar,
    BookLevel,
    LiquidationLevel,
    LongShort,
    MarketSnapshot,
    Observed,
    OrderBook,
    OrderSide,
    PriorityFees,
    Symbol,
    Trade,
)

SOURCE = "sim"
_MINUTE_MS = 60_000
_NO_DATA = "simulator: no value generated at or before this tick"
_IntArray = npt.NDArray[np.int64]


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, UTC)


def _slice(frame: Frame, code: int) -> Frame:
    codes = frame["symbol"]
    lo, hi = np.searchsorted(codes, code, "left"), np.searchsorted(codes, code, "right")
    return {name: col[lo:hi] for name, col in frame.items()}


def _latest(ts: _IntArray, at: _IntArray) -> _IntArray:
    """Index of the last row with ts ≤ each `at` (−1 where none)."""
    found: _IntArray = np.searchsorted(ts, at, "right").astype(np.int64) - 1
    return found


@dataclass(frozen=True, slots=True)
class _SymbolData:
    symbol: Symbol
    bars: Frame
    trades: Frame
    trade_lo: _IntArray
    trade_hi: _IntArray
    oi: Frame
    funding: Frame
    long_short: Frame
    ls_idx: _IntArray
    max_pain: Frame
    mp_idx: _IntArray
    heat: Frame
    heat_lo: _IntArray
    heat_hi: _IntArray
    book: npt.NDArray[np.float32]  # (refreshes, 2 × levels): bids then asks
    book_ts: _IntArray
    book_idx: _IntArray
    walls: Frame
    fees: bool


class SnapshotBuilder:
    """Snapshots of every symbol for each minute of a set of frames (one day, or a whole dataset)."""

    def __init__(self, frames: dict[str, Frame], symbols: tuple[str, ...], fee_symbols: frozenset[str]) -> None:
        self._symbols = tuple(Symbol(s) for s in symbols)
        first = _slice(frames["bars"], 0)
        self._bar_ts: _IntArray = np.asarray(first["ts"], dtype=np.int64)
        self._tick_ts = self._bar_ts + _MINUTE_MS
        self._data = [self._symbol_data(frames, i, s, s in fee_symbols) for i, s in enumerate(self._symbols)]
        for data in self._data:
            if data.bars["ts"].size != self._bar_ts.size or not np.array_equal(data.bars["ts"], self._bar_ts):
                raise ValueError(f"bars of {data.symbol} do not cover the same minutes as {self._symbols[0]}")
        fg = frames["fear_greed"]
        self._fg_ts, self._fg_value = fg["ts"], fg["value"]
        # Each day's index is published at 00:00 and seen from the first tick after it, so the tick at
        # midnight itself still shows the day before, whether the data came in one piece or day by day.
        self._fg_idx = _latest(self._fg_ts, self._tick_ts - 1)
        fees, hf = frames["priority_fees"], frames["health_factor"]
        self._fees, self._fee_idx = fees, _latest(fees["ts"], self._tick_ts)
        self._hf, self._hf_idx = hf, _latest(hf["ts"], self._tick_ts)

    def _symbol_data(self, frames: dict[str, Frame], code: int, symbol: Symbol, fees: bool) -> _SymbolData:
        bars = _slice(frames["bars"], code)
        tick_ts = bars["ts"] + _MINUTE_MS
        trades = _slice(frames["trades"], code)
        ls, mp, heat, book = (
            _slice(frames[n], code) for n in ("long_short", "max_pain", "liquidation_heatmap", "book_depth")
        )
        mp_idx = _latest(mp["ts"], tick_ts)
        refresh_ts = np.where(mp_idx >= 0, mp["ts"][np.maximum(mp_idx, 0)], -1)
        levels = len(BOOK_OFFSETS_BPS)
        ladder = np.column_stack(
            [book[f"bid_usd_{i}"] for i in range(levels)] + [book[f"ask_usd_{i}"] for i in range(levels)]
        ) if book["ts"].size else np.zeros((0, 2 * levels), dtype=np.float32)  # fmt: skip
        return _SymbolData(
            symbol=symbol,
            bars=bars,
            trades=trades,
            trade_lo=np.searchsorted(trades["ts"], bars["ts"], "left").astype(np.int64),
            trade_hi=np.searchsorted(trades["ts"], bars["ts"] + _MINUTE_MS, "left").astype(np.int64),
            oi=_slice(frames["open_interest"], code),
            funding=_slice(frames["funding"], code),
            long_short=ls,
            ls_idx=_latest(ls["ts"], tick_ts),
            max_pain=mp,
            mp_idx=mp_idx,
            heat=heat,
            heat_lo=np.searchsorted(heat["ts"], refresh_ts, "left").astype(np.int64),
            heat_hi=np.searchsorted(heat["ts"], refresh_ts, "right").astype(np.int64),
            book=ladder,
            book_ts=book["ts"],
            book_idx=_latest(book["ts"], tick_ts),
            walls=_slice(frames["book_walls"], code),
            fees=fees,
        )

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        return self._symbols

    def __len__(self) -> int:
        return int(self._bar_ts.size)

    def tick_time(self, i: int) -> datetime:
        return _dt(int(self._tick_ts[i]))

    def tick(self, i: int) -> Tick:
        now = self.tick_time(i)
        return tuple(self._snapshot(d, i, now) for d in self._data)

    def _snapshot(self, d: _SymbolData, i: int, now: datetime) -> MarketSnapshot:
        b = d.bars
        close = float(b["close"][i])
        bar = Bar(
            ts=_dt(int(b["ts"][i])),
            open=float(b["open"][i]),
            high=float(b["high"][i]),
            low=float(b["low"][i]),
            close=close,
            volume=float(b["volume"][i]),
            taker_buy_volume=float(b["taker_buy_volume"][i]),
        )
        t = d.trades
        trades = tuple(
            Trade(
                ts=_dt(int(t["ts"][j])),
                price=float(t["price"][j]),
                quantity=float(t["quantity"][j]),
                side=OrderSide.BUY if t["side"][j] else OrderSide.SELL,
            )
            for j in range(int(d.trade_lo[i]), int(d.trade_hi[i]))
        )
        missing: list[tuple[DataKind, str]] = []
        f = d.funding
        rates: tuple[tuple[str, float], ...] = (
            (VENUES[0], float(f["binanceusdm"][i])),
            (VENUES[1], float(f["okx"][i])),
        )
        funding = Observed(
            value=rates,
            as_of=_dt(int(f["as_of"][i])),
            source=SOURCE,
        )
        return MarketSnapshot(
            symbol=d.symbol,
            ts=now,
            bar=bar,
            trades=trades,
            book=self._book(d, i, close, now, missing),
            open_interest_usd=Observed(float(d.oi["open_interest_usd"][i]), now, SOURCE),
            long_short=self._long_short(d, i, missing),
            liquidation_heatmap=self._heatmap(d, i, missing),
            max_pain=self._max_pain(d, i, missing),
            fear_greed=self._fear_greed(i, missing),
            funding=funding,
            priority_fees=self._priority_fees(i, missing) if d.fees else None,
            health_factor=self._health_factor(i, missing),
            unavailable=tuple(missing),
        )

    def _long_short(self, d: _SymbolData, i: int, missing: list[tuple[DataKind, str]]) -> Observed[LongShort] | None:
        k = int(d.ls_idx[i])
        if k < 0:
            missing.append((DataKind.LONG_SHORT_RATIO, _NO_DATA))
            return None
        ls = d.long_short
        value = LongShort(float(ls["long_short_ratio"][k]), float(ls["short_share"][k]))
        return Observed(value, _dt(int(ls["ts"][k])), SOURCE)

    def _max_pain(self, d: _SymbolData, i: int, missing: list[tuple[DataKind, str]]) -> Observed[float] | None:
        k = int(d.mp_idx[i])
        if k < 0:
            missing.append((DataKind.MAX_PAIN, _NO_DATA))
            return None
        return Observed(float(d.max_pain["max_pain"][k]), _dt(int(d.max_pain["ts"][k])), SOURCE)

    def _heatmap(
        self, d: _SymbolData, i: int, missing: list[tuple[DataKind, str]]
    ) -> Observed[tuple[LiquidationLevel, ...]] | None:
        k = int(d.mp_idx[i])
        if k < 0:
            missing.append((DataKind.LIQUIDATION_HEATMAP, _NO_DATA))
            return None
        h = d.heat
        levels = tuple(
            LiquidationLevel(float(h["price"][j]), float(h["liquidation_usd"][j]))
            for j in range(int(d.heat_lo[i]), int(d.heat_hi[i]))
        )
        return Observed(levels, _dt(int(d.max_pain["ts"][k])), SOURCE)

    def _book(
        self, d: _SymbolData, i: int, mid: float, now: datetime, missing: list[tuple[DataKind, str]]
    ) -> Observed[OrderBook] | None:
        k = int(d.book_idx[i])
        if k < 0:
            missing.append((DataKind.ORDER_BOOK, _NO_DATA))
            return None
        row = d.book[k]
        n = len(BOOK_OFFSETS_BPS)
        bids = [(mid * (1.0 - bps / 1e4), float(row[j])) for j, bps in enumerate(BOOK_OFFSETS_BPS)]
        asks = [(mid * (1.0 + bps / 1e4), float(row[n + j])) for j, bps in enumerate(BOOK_OFFSETS_BPS)]
        w = d.walls
        tick_ms = int(self._tick_ts[i])
        live = np.flatnonzero((w["start"] < tick_ms) & (w["end"] >= tick_ms))
        for j in live.tolist():
            price, usd = float(w["price"][j]), float(w["notional_usd"][j])
            if w["side"][j] and price > mid:
                asks.append((price, usd))
            elif not w["side"][j] and price < mid:
                bids.append((price, usd))
        bids.sort(key=lambda level: -level[0])
        asks.sort(key=lambda level: level[0])
        book = OrderBook(
            bids=tuple(BookLevel(p, usd / p) for p, usd in bids),
            asks=tuple(BookLevel(p, usd / p) for p, usd in asks),
        )
        return Observed(book, now, SOURCE)

    def _fear_greed(self, i: int, missing: list[tuple[DataKind, str]]) -> Observed[float] | None:
        k = int(self._fg_idx[i])
        if k < 0:
            missing.append((DataKind.FEAR_GREED, _NO_DATA))
            return None
        return Observed(float(self._fg_value[k]), _dt(int(self._fg_ts[k])), SOURCE)

    def _priority_fees(self, i: int, missing: list[tuple[DataKind, str]]) -> Observed[PriorityFees] | None:
        k = int(self._fee_idx[i])
        if k < 0:
            missing.append((DataKind.PRIORITY_FEES, _NO_DATA))
            return None
        f = self._fees
        value = PriorityFees(float(f["p50_micro_lamports"][k]), float(f["jito_tip_lamports"][k]))
        return Observed(value, _dt(int(f["ts"][k])), SOURCE)

    def _health_factor(self, i: int, missing: list[tuple[DataKind, str]]) -> Observed[float] | None:
        k = int(self._hf_idx[i])
        if k < 0:
            missing.append((DataKind.HEALTH_FACTOR, _NO_DATA))
            return None
        return Observed(float(self._hf["health_factor"][k]), _dt(int(self._hf["ts"][k])), SOURCE)
