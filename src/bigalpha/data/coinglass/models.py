"""Typed CoinGlass V4 results (D-CG-1). Times are UTC datetimes; numbers are floats whatever JSON type
they arrived as; percent fields stay in percent, as CoinGlass sends them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from bigalpha.config.data import CoinGlassPlan
from bigalpha.domain import LiquidationLevel

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Received(Generic[T]):
    """A payload that carries no time of its own (snapshots over a trailing window, current funding,
    max pain per expiry): `at` is when CoinGlass answered, kept with the cached value, so a value served
    from cache still shows its true age."""

    value: T
    at: datetime


@dataclass(frozen=True, slots=True)
class Subscription:
    """`/api/user/account/subscription`: the key's plan (D-CG-5). `plan` is None for a level we do not know."""

    level: str
    plan: CoinGlassPlan | None
    expires_at: datetime | None
    expired: bool


@dataclass(frozen=True, slots=True)
class HeatmapCandle:
    ts: datetime
    open: float
    high: float
    low: float
    close: float
    volume_usd: float


@dataclass(frozen=True, slots=True)
class Heatmap:
    """Liquidation heatmap model1: price rows, sparse (x = candle index, y = row, value) cells, candles."""

    y_axis: tuple[float, ...]
    cells: tuple[tuple[int, int, float], ...]
    candles: tuple[HeatmapCandle, ...]

    @property
    def as_of(self) -> datetime:
        return self.candles[-1].ts

    def levels(self, recent_columns: int) -> tuple[LiquidationLevel, ...]:
        """The current liquidation landscape: each price row's largest value over the newest
        `recent_columns` columns. Summing over all columns would count a long-lived band once per
        column, so only the newest columns count (API_NOTES §1.1). Out-of-range indices are dropped."""
        last = len(self.candles) - 1
        first = last - recent_columns + 1
        profile: dict[int, float] = {}
        for x, y, value in self.cells:
            if first <= x <= last and 0 <= y < len(self.y_axis) and value > 0:
                profile[y] = max(profile.get(y, 0.0), value)
        return tuple(LiquidationLevel(self.y_axis[y], profile[y]) for y in sorted(profile))


@dataclass(frozen=True, slots=True)
class OhlcPoint:
    """One OHLC row: open interest (USD) or funding rate (percent per interval)."""

    ts: datetime
    open: float
    high: float
    low: float
    close: float


@dataclass(frozen=True, slots=True)
class LongShortPoint:
    ts: datetime
    long_percent: float
    short_percent: float
    long_short_ratio: float


@dataclass(frozen=True, slots=True)
class TakerExchange:
    exchange: str
    buy_ratio: float
    sell_ratio: float
    buy_vol_usd: float
    sell_vol_usd: float


@dataclass(frozen=True, slots=True)
class TakerExchangeList:
    """Taker buy/sell over a trailing range, all exchanges and each one."""

    symbol: str
    buy_ratio: float
    sell_ratio: float
    buy_vol_usd: float
    sell_vol_usd: float
    exchanges: tuple[TakerExchange, ...]


@dataclass(frozen=True, slots=True)
class TakerPoint:
    """One bucket of taker volume (USD): pair v2 history or the aggregated history."""

    ts: datetime
    buy_usd: float
    sell_usd: float


@dataclass(frozen=True, slots=True)
class MaxPainExpiry:
    expiry: date
    max_pain_price: float
    call_open_interest: float
    put_open_interest: float
    call_open_interest_notional: float
    put_open_interest_notional: float


@dataclass(frozen=True, slots=True)
class DepthPoint:
    """Resting bids and asks (USD and coin) within the requested ±range, one time bucket."""

    ts: datetime
    bids_usd: float
    asks_usd: float
    bids_quantity: float
    asks_quantity: float


@dataclass(frozen=True, slots=True)
class CvdRow:
    ts: datetime
    taker_buy: float
    taker_sell: float
    cum_vol_delta: float


@dataclass(frozen=True, slots=True)
class FearGreedPoint:
    ts: datetime
    value: float
    price: float | None


@dataclass(frozen=True, slots=True)
class FundingEntry:
    """One exchange's current funding for a coin; any field may be missing (thin coins)."""

    exchange: str
    rate_percent: float | None
    interval_hours: float | None
    next_funding: datetime | None


@dataclass(frozen=True, slots=True)
class FundingCoin:
    symbol: str
    stablecoin_margin: tuple[FundingEntry, ...]
    token_margin: tuple[FundingEntry, ...]
