"""What the feed observes: one `MarketSnapshot` per symbol and tick, raw and timestamped.

Every optional part is `None` when its data was unavailable (with the reason in `unavailable`), so a
guard can fail open (D-FAILOPEN) and the risk gate can refuse stale data (R-STALE-1) from the `as_of`
of each `Observed` value. Prices and sizes here are floats: they feed indicators, not money paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from bigalpha.config.data import DataKind
from bigalpha.domain.enums import OrderSide
from bigalpha.domain.ids import Symbol

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Observed(Generic[T]):
    """A value with the time it describes and where it came from."""

    value: T
    as_of: datetime
    source: str

    def age_s(self, now: datetime) -> float:
        return (now - self.as_of).total_seconds()


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV candle with taker flow; volumes in base units."""

    ts: datetime  # the bar's open time, UTC
    open: float
    high: float
    low: float
    close: float
    volume: float
    taker_buy_volume: float

    @property
    def taker_sell_volume(self) -> float:
        return self.volume - self.taker_buy_volume


@dataclass(frozen=True, slots=True)
class Trade:
    """One public trade; `side` is the taker's side."""

    ts: datetime
    price: float
    quantity: float
    side: OrderSide

    @property
    def notional(self) -> float:
        return self.price * self.quantity


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: float
    quantity: float

    @property
    def notional(self) -> float:
        return self.price * self.quantity


@dataclass(frozen=True, slots=True)
class OrderBook:
    """Bids best-first (descending price), asks best-first (ascending price)."""

    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]

    @property
    def mid(self) -> float | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0].price + self.asks[0].price) / 2.0


@dataclass(frozen=True, slots=True)
class LiquidationLevel:
    """One price level of the liquidation heatmap, with the liquidation volume (USD) resting there."""

    price: float
    liquidation_usd: float


@dataclass(frozen=True, slots=True)
class LongShort:
    """Retail positioning (A-LSR-1): global long/short account ratio and the short share of accounts."""

    long_short_ratio: float
    short_share: float


@dataclass(frozen=True, slots=True)
class PriorityFees:
    """Solana fee levels (D-SOL-1): p50 prioritization fee (micro-lamports/CU) and Jito tip (lamports)."""

    p50_micro_lamports: float
    jito_tip_lamports: float


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """Everything observed about one symbol at one instant."""

    symbol: Symbol
    ts: datetime
    bar: Bar
    trades: tuple[Trade, ...] = ()
    book: Observed[OrderBook] | None = None
    open_interest_usd: Observed[float] | None = None
    long_short: Observed[LongShort] | None = None
    liquidation_heatmap: Observed[tuple[LiquidationLevel, ...]] | None = None
    max_pain: Observed[float] | None = None
    fear_greed: Observed[float] | None = None
    funding: Observed[tuple[tuple[str, float], ...]] | None = None  # (exchange, rate per interval)
    priority_fees: Observed[PriorityFees] | None = None
    health_factor: Observed[float] | None = None
    unavailable: tuple[tuple[DataKind, str], ...] = field(default=())

    @property
    def price(self) -> float:
        return self.bar.close
