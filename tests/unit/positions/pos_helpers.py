"""Builders for the position tests: contexts, signals, bars and opened positions with readable numbers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bigalpha.config.positions import PositionsConfig
from bigalpha.domain import AccountName, Bar, Position, PositionId, Regime, Side, Signal, SignalId, StrategyName, Symbol
from bigalpha.indicators.context import MarketContext
from bigalpha.indicators.liquidity import Cluster, ClusterSide, Wall, distance_pct
from bigalpha.positions import EntryPlan, HoldState, plan_entry

T0 = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
SYMBOL = Symbol("BTCUSDT")
CONFIG = PositionsConfig()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def cluster(price: float, reference: float = 100.0, usd: float = 50e6) -> Cluster:
    side = ClusterSide.SHORT_LIQ if price >= reference else ClusterSide.LONG_LIQ
    return Cluster(price, usd, 5.0, distance_pct(price, reference), side)


def wall(price: float, usd: float, reference: float = 100.0) -> Wall:
    return Wall(price, usd, distance_pct(price, reference), usd > 25e6)


def context(
    price: float = 100.0,
    *,
    hurst: float | None = 0.62,
    oi_delta: float | None = 2e6,
    max_pain: float | None = None,
    short_clusters: Sequence[Cluster] | None = (),
    long_clusters: Sequence[Cluster] | None = (),
    ask_walls: Sequence[Wall] | None = None,
    bid_walls: Sequence[Wall] | None = None,
    ts: datetime = T0,
) -> MarketContext:
    regime = Regime.UNKNOWN
    if hurst is not None:
        regime = Regime.TRENDING if hurst > 0.55 else Regime.NOISE if hurst < 0.45 else Regime.RANDOM_WALK
    both = [*(short_clusters or ()), *(long_clusters or ())]
    nearest = min(both, key=lambda c: abs(c.price - price), default=None)
    return MarketContext(
        symbol=SYMBOL,
        ts=ts,
        price=price,
        hurst=hurst,
        regime=regime,
        oi_delta_5m_usd=oi_delta,
        max_pain=max_pain,
        short_clusters=None if short_clusters is None else tuple(short_clusters),
        long_clusters=None if long_clusters is None else tuple(long_clusters),
        nearest_cluster=nearest,
        ask_walls=None if ask_walls is None else tuple(ask_walls),
        bid_walls=None if bid_walls is None else tuple(bid_walls),
    )


def signal(
    side: Side = Side.LONG,
    *,
    stop_pct: float | None = None,
    targets_pct: tuple[float, ...] | None = None,
    price: float = 100.0,
) -> Signal:
    return Signal(
        id=SignalId("sig-test-1"),
        ts=T0,
        symbol=SYMBOL,
        side=side,
        strategy=StrategyName("test"),
        price=price,
        stop_pct=stop_pct,
        targets_pct=targets_pct,
    )


def bar(minute: float, o: float, h: float, low: float, c: float) -> Bar:
    return Bar(ts=at(minute), open=o, high=h, low=low, close=c, volume=10.0, taker_buy_volume=5.0)


def flat_bar(minute: float, price: float) -> Bar:
    return bar(minute, price, price, price, price)


def plan(
    side: Side = Side.LONG,
    ctx: MarketContext | None = None,
    *,
    entry: str = "100",
    quantity: str = "4",
    config: PositionsConfig = CONFIG,
    **signal_kwargs: object,
) -> EntryPlan:
    sig = signal(side, **signal_kwargs)  # type: ignore[arg-type]
    return plan_entry(sig, ctx or context(), Decimal(entry), Decimal(quantity), config, T0)


def open_position(plan_: EntryPlan) -> tuple[Position, HoldState]:
    position = plan_.open_position(PositionId("pos-1"), AccountName("hot"), T0, 3, Decimal("133.33"))
    return position, plan_.hold_state
