"""Typed, columnar, validated history: `Candles`, `FundingRates`, `MarkPrices`, `AggTrades`, `Positioning`.

Each wraps read-only NumPy arrays (time as int64 ns since the epoch, UTC; values as float64), the
symbol, where it came from and the file's `QualityReport`. Arrays are frozen so a replay can never
alter the history it replays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from bigalpha.data.history.report import QualityReport, ns_to_datetime
from bigalpha.data.history.timeframe import parse_timeframe
from bigalpha.domain import Bar, OrderSide, Symbol, Trade

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class SourceFormat(StrEnum):
    """Every file layout `load` understands."""

    FREQTRADE_FEATHER = "freqtrade-feather"
    FREQTRADE_PARQUET = "freqtrade-parquet"
    FREQTRADE_JSON = "freqtrade-json"
    BINANCE_KLINES_CSV = "binance-klines-csv"
    BINANCE_AGGTRADES_CSV = "binance-aggtrades-csv"
    BINANCE_METRICS_CSV = "binance-metrics-csv"
    PLAIN_CSV = "plain-csv"
    PLAIN_PARQUET = "plain-parquet"
    PLAIN_FEATHER = "plain-feather"


class HistoryKind(StrEnum):
    """What a file holds; freqtrade spells the first three in its file names."""

    CANDLES = "candles"
    FUNDING_RATE = "funding_rate"
    MARK = "mark"
    TRADES = "trades"
    POSITIONING = "positioning"


def _freeze(*arrays: npt.NDArray[Any] | None) -> int:
    """Make every array read-only and return their common length."""
    lengths = {a.shape[0] for a in arrays if a is not None}
    if len(lengths) > 1:
        raise ValueError(f"history arrays differ in length: {sorted(lengths)}")
    for array in arrays:
        if array is not None:
            array.setflags(write=False)
    return lengths.pop() if lengths else 0


@dataclass(frozen=True, slots=True, eq=False)
class _Series:
    symbol: Symbol
    ts: IntArray
    source: str
    format: SourceFormat
    quality: QualityReport
    exchange: str

    kind: ClassVar[HistoryKind]

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @property
    def start(self) -> datetime | None:
        return ns_to_datetime(int(self.ts[0])) if len(self) else None

    @property
    def end(self) -> datetime | None:
        return ns_to_datetime(int(self.ts[-1])) if len(self) else None

    @property
    def timeframe_label(self) -> str | None:
        return None

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary: what `bigalpha data inspect` prints."""
        return {
            "kind": self.kind.value,
            "format": self.format.value,
            "source": self.source,
            "symbol": self.symbol,
            "exchange": self.exchange,
            "timeframe": self.timeframe_label,
            "first": self.start.isoformat() if self.start else None,
            "last": self.end.isoformat() if self.end else None,
            "rows": len(self),
            "quality": self.quality.to_dict(),
        }


@dataclass(frozen=True, slots=True, eq=False)
class Candles(_Series):
    """OHLCV bars; `ts` is each bar's open time. `taker_buy_volume` is None when the file lacks it."""

    timeframe: str
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    taker_buy_volume: FloatArray | None = None

    kind: ClassVar[HistoryKind] = HistoryKind.CANDLES

    def __post_init__(self) -> None:
        parse_timeframe(self.timeframe)
        _freeze(self.ts, self.open, self.high, self.low, self.close, self.volume, self.taker_buy_volume)

    @property
    def timeframe_ns(self) -> int:
        return parse_timeframe(self.timeframe)

    @property
    def timeframe_label(self) -> str | None:
        return self.timeframe

    def bar(self, i: int) -> Bar:
        """Bar `i`; without taker flow in the file its taker buy volume is NaN, never a guess."""
        taker = float(self.taker_buy_volume[i]) if self.taker_buy_volume is not None else float("nan")
        return Bar(
            ts=ns_to_datetime(int(self.ts[i])),
            open=float(self.open[i]),
            high=float(self.high[i]),
            low=float(self.low[i]),
            close=float(self.close[i]),
            volume=float(self.volume[i]),
            taker_buy_volume=taker,
        )


@dataclass(frozen=True, slots=True, eq=False)
class MarkPrices(_Series):
    """Mark-price OHLC bars (freqtrade `-mark` files); `ts` is each bar's open time."""

    timeframe: str
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray

    kind: ClassVar[HistoryKind] = HistoryKind.MARK

    def __post_init__(self) -> None:
        parse_timeframe(self.timeframe)
        _freeze(self.ts, self.open, self.high, self.low, self.close)

    @property
    def timeframe_label(self) -> str | None:
        return self.timeframe


@dataclass(frozen=True, slots=True, eq=False)
class FundingRates(_Series):
    """Funding rate per interval (a fraction: 0.0001 = 1 bp) at each funding time `ts`."""

    interval: str | None
    rate: FloatArray

    kind: ClassVar[HistoryKind] = HistoryKind.FUNDING_RATE

    def __post_init__(self) -> None:
        _freeze(self.ts, self.rate)

    @property
    def timeframe_label(self) -> str | None:
        return self.interval


@dataclass(frozen=True, slots=True, eq=False)
class AggTrades(_Series):
    """Public (aggregate) trades. `is_buyer_maker` true means the taker sold."""

    price: FloatArray
    quantity: FloatArray
    is_buyer_maker: BoolArray
    trade_id: IntArray | None = None

    kind: ClassVar[HistoryKind] = HistoryKind.TRADES

    def __post_init__(self) -> None:
        _freeze(self.ts, self.price, self.quantity, self.is_buyer_maker, self.trade_id)

    @property
    def taker_buy(self) -> BoolArray:
        taker_buy: BoolArray = ~self.is_buyer_maker
        return taker_buy

    def trade(self, i: int) -> Trade:
        side = OrderSide.SELL if bool(self.is_buyer_maker[i]) else OrderSide.BUY
        return Trade(
            ts=ns_to_datetime(int(self.ts[i])),
            price=float(self.price[i]),
            quantity=float(self.quantity[i]),
            side=side,
        )


@dataclass(frozen=True, slots=True, eq=False)
class Positioning(_Series):
    """Open interest in USD and the global long/short account ratio (NaN where the file has none) at each
    observation time `ts`: Binance's 5-minute `metrics` archives (A-OI-1, A-LSR-1)."""

    interval: str | None
    open_interest_usd: FloatArray
    long_short_ratio: FloatArray

    kind: ClassVar[HistoryKind] = HistoryKind.POSITIONING

    def __post_init__(self) -> None:
        _freeze(self.ts, self.open_interest_usd, self.long_short_ratio)

    @property
    def timeframe_label(self) -> str | None:
        return self.interval


HistoryData = Candles | FundingRates | MarkPrices | AggTrades | Positioning
