"""What the feed observes: one `MarketSnapshot` per symbol and tick, raw and timestamped.

Every optional part is `None` when its data was unavailable (with the reason in `unavailable`), so a
guard can fail open (D-FAILOPEN) and the risk gate can refuse stale data (R-STALE-1) from the `as_of`
of each `Observed` value. Prices and sizes here are floats: they feed indicators, not money paths.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, field
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


LevelPairs = tuple[tuple[float, float], ...]  # (price, quantity) per level, best first


class _Frozen:
    """A frozen record's refusals, for the subclasses below that fill their slots themselves (with
    `object.__setattr__`, once in `__init__` and once for each lazily made value)."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


class PairedOrderBook(_Frozen, OrderBook):
    """An `OrderBook` held as (price, quantity) pairs, whose `BookLevel`s are made on first read of `bids` or
    `asks`: a feed that prices a whole ladder every tick hands it out at the cost of two tuples, and a reader that
    takes the pairs (`bid_pairs`, `ask_pairs`: the walls and the top of book) never makes a level object.

    It is the `OrderBook` of the same levels in all but its type: equal to it, hashed as it, and copied or
    pickled as it."""

    __slots__ = ("_ask_levels", "_bid_levels", "ask_pairs", "bid_pairs")
    bid_pairs: LevelPairs
    ask_pairs: LevelPairs
    _bid_levels: tuple[BookLevel, ...] | None
    _ask_levels: tuple[BookLevel, ...] | None

    def __init__(self, bid_pairs: LevelPairs, ask_pairs: LevelPairs) -> None:
        # The dataclass's frozen __setattr__ refuses every assignment; these are the only ones.
        object.__setattr__(self, "bid_pairs", bid_pairs)
        object.__setattr__(self, "ask_pairs", ask_pairs)
        object.__setattr__(self, "_bid_levels", None)
        object.__setattr__(self, "_ask_levels", None)

    @property
    def bids(self) -> tuple[BookLevel, ...]:
        levels = self._bid_levels
        if levels is None:
            levels = tuple([BookLevel(price, quantity) for price, quantity in self.bid_pairs])
            object.__setattr__(self, "_bid_levels", levels)
        return levels

    @property
    def asks(self) -> tuple[BookLevel, ...]:
        levels = self._ask_levels
        if levels is None:
            levels = tuple([BookLevel(price, quantity) for price, quantity in self.ask_pairs])
            object.__setattr__(self, "_ask_levels", levels)
        return levels

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OrderBook):
            return self.bids == other.bids and self.asks == other.asks
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.bids, self.asks))

    def __reduce__(self) -> tuple[type[OrderBook], tuple[tuple[BookLevel, ...], tuple[BookLevel, ...]]]:
        return OrderBook, (self.bids, self.asks)


@dataclass(frozen=True, slots=True)
class LiquidationLevel:
    """One price level of the liquidation heatmap, with the liquidation volume (USD) resting there."""

    price: float
    liquidation_usd: float


class PairedHeatmap(_Frozen, Observed[tuple[LiquidationLevel, ...]]):
    """An observed liquidation heatmap held as (price, liquidation USD) pairs, whose `LiquidationLevel`s are made on
    first read of `value`: a reader of the pairs (`pairs`: the liquidation clusters) never makes a level object.

    It is the `Observed` of the same levels in all but its type: equal to it, hashed as it, and copied or pickled
    as it."""

    __slots__ = ("_levels", "pairs")
    pairs: LevelPairs
    _levels: tuple[LiquidationLevel, ...] | None

    def __init__(self, pairs: LevelPairs, as_of: datetime, source: str) -> None:
        # The dataclass's frozen __setattr__ refuses every assignment; these are the only ones.
        object.__setattr__(self, "pairs", pairs)
        object.__setattr__(self, "_levels", None)
        object.__setattr__(self, "as_of", as_of)
        object.__setattr__(self, "source", source)

    @property
    def value(self) -> tuple[LiquidationLevel, ...]:
        levels = self._levels
        if levels is None:
            levels = tuple([LiquidationLevel(price, usd) for price, usd in self.pairs])
            object.__setattr__(self, "_levels", levels)
        return levels

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Observed):
            return self.value == other.value and self.as_of == other.as_of and self.source == other.source
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value, self.as_of, self.source))

    def __reduce__(self) -> tuple[type[Observed[tuple[LiquidationLevel, ...]]], tuple[object, ...]]:
        return Observed, (self.value, self.as_of, self.source)


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
