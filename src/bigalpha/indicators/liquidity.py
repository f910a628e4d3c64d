"""Liquidity indicators: liquidation clusters (A-LIQ-1), order-book walls (A-OB-1), max-pain distance (A-MP-1).

Distances are fractions of the reference price: abs(level − price) / price. "Within x" includes x itself and
"more than x" excludes it; both compare to a relative tolerance of 1e-9 so that a level placed at exactly
0.5% (e.g. 100.5 against 100) is judged at 0.5% despite binary rounding.

A liquidation cluster (decided reading of A-LIQ-1): heatmap levels are "concentrated" when their volume is at
least `liq_concentration_multiple` × the median level volume; neighbouring concentrated levels on the same
side of price, less than `liq_merge_pct` of price apart, form one cluster whose price is their
volume-weighted mean. Its concentration is its volume over the median level volume. Clusters at or above
price hold short liquidations (shorts are squeezed there), clusters below hold long liquidations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

import numpy as np
from pydantic import ConfigDict

from bigalpha.domain import BookLevel, LiquidationLevel, OrderBook, PairedOrderBook

_REL_TOL = 1e-9


class ClusterSide(StrEnum):
    """Whose liquidations rest at a cluster."""

    SHORT_LIQ = "short_liquidations"  # above price
    LONG_LIQ = "long_liquidations"  # below price


@dataclass(frozen=True, slots=True)
class Cluster:
    """A liquidation cluster: price, liquidation volume (USD), concentration (× median level), distance from price."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    price: float
    liquidation_usd: float
    concentration: float
    distance_pct: float
    side: ClusterSide


@dataclass(frozen=True, slots=True)
class Wall:
    """An order-book wall (A-OB-1): one level's price and notional, its distance from price, institutional or not."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    price: float
    notional_usd: float
    distance_pct: float
    institutional: bool


def distance_pct(level: float, price: float) -> float:
    """abs(level − price) / price."""
    return abs(level - price) / price


def within(distance: float, limit: float) -> bool:
    """distance ≤ limit, with exactly-at-the-limit (to 1e-9 relative) counted as within."""
    return distance <= limit or math.isclose(distance, limit, rel_tol=_REL_TOL)


def beyond(distance: float, limit: float) -> bool:
    """distance > limit, with exactly-at-the-limit (to 1e-9 relative) counted as not beyond."""
    return not within(distance, limit)


def _side_clusters(
    levels: list[tuple[float, float]], *, median: float, price: float, merge_pct: float, side: ClusterSide
) -> list[Cluster]:
    if not levels:
        return []
    prices, usd = np.array(levels, dtype=np.float64).T
    # np.argsort, not a stable sort: equal prices keep NumPy's order, and with it the order of their sums.
    order = np.argsort(prices)
    prices, usd = prices[order], usd[order]
    weighted = prices * usd
    ends = [*(np.flatnonzero(np.diff(prices) >= merge_pct * price) + 1).tolist(), prices.shape[0]]
    clusters: list[Cluster] = []
    start = 0
    for end in ends:
        # NumPy's sums, not Python's: past 8 values NumPy adds pairwise, which rounds differently.
        total = float(np.add.reduce(usd[start:end]))
        centre = float(np.add.reduce(weighted[start:end])) / total
        clusters.append(
            Cluster(
                price=centre,
                liquidation_usd=total,
                concentration=total / median,
                distance_pct=distance_pct(centre, price),
                side=side,
            )
        )
        start = end
    return clusters


def _median(values: list[float]) -> float:
    """np.median's value: the middle one, or the two middle ones added and halved."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(frozen=True, slots=True)
class ConcentratedLevels:
    """The part of A-LIQ-1 that does not depend on price, for one heatmap: the median volume of its valid levels
    and its concentrated levels as (price, liquidation USD), in heatmap order. A feed that shows one heatmap for
    several ticks (it refreshes every few minutes) lets a reader compute it once per heatmap."""

    median: float
    levels: tuple[tuple[float, float], ...]


def concentrated_levels(
    levels: Iterable[tuple[float, float]], *, concentration_multiple: float
) -> ConcentratedLevels | None:
    """A-LIQ-1's median and concentrated levels of a heatmap given as (price, liquidation USD) pairs; None when no
    level is valid (positive and finite)."""
    # Plain floats, not arrays: a heatmap has tens of levels and usually no concentrated one, so NumPy's
    # per-call cost would dominate; arrays are built only for the levels that form clusters.
    kept = [
        (price, usd)
        for price, usd in levels
        if 0.0 < price < math.inf and 0.0 < usd < math.inf  # NaN fails both
    ]
    if not kept:
        return None
    median = _median([usd for _, usd in kept])
    floor = concentration_multiple * median
    return ConcentratedLevels(median, tuple([level for level in kept if level[1] >= floor]))


def clusters_around(
    concentrated: ConcentratedLevels | None, price: float, *, merge_pct: float, max_per_side: int
) -> tuple[tuple[Cluster, ...], tuple[Cluster, ...]]:
    """`liquidation_clusters` of the heatmap whose `concentrated_levels` are given."""
    if price <= 0 or not math.isfinite(price):
        raise ValueError(f"price must be a positive number, got {price}")
    if concentrated is None or not concentrated.levels:  # most heatmaps: no cluster, wherever the price is
        return (), ()
    median, levels = concentrated.median, concentrated.levels
    shorts = _side_clusters(
        [lv for lv in levels if lv[0] >= price],
        median=median,
        price=price,
        merge_pct=merge_pct,
        side=ClusterSide.SHORT_LIQ,
    )
    longs = _side_clusters(
        [lv for lv in levels if lv[0] < price],
        median=median,
        price=price,
        merge_pct=merge_pct,
        side=ClusterSide.LONG_LIQ,
    )
    shorts.sort(key=lambda c: c.distance_pct)
    longs.sort(key=lambda c: c.distance_pct)
    return tuple(shorts[:max_per_side]), tuple(longs[:max_per_side])


def liquidation_clusters(
    levels: Sequence[LiquidationLevel],
    price: float,
    *,
    concentration_multiple: float,
    merge_pct: float,
    max_per_side: int,
) -> tuple[tuple[Cluster, ...], tuple[Cluster, ...]]:
    """A-LIQ-1: (short-liquidation clusters above price, long-liquidation clusters below), each nearest first."""
    pairs = [(lv.price, lv.liquidation_usd) for lv in levels]
    concentrated = concentrated_levels(pairs, concentration_multiple=concentration_multiple)
    return clusters_around(concentrated, price, merge_pct=merge_pct, max_per_side=max_per_side)


def major_clusters(clusters: Sequence[Cluster], major_pct: float) -> tuple[Cluster, ...]:
    """A-LIQ-1: clusters within `major_pct` of price (1% by default), nearest first."""
    return tuple(sorted((c for c in clusters if within(c.distance_pct, major_pct)), key=lambda c: c.distance_pct))


def top_clusters(clusters: Sequence[Cluster], near_pct: float, top_n: int) -> tuple[Cluster, ...]:
    """A-LIQ-1: the `top_n` most concentrated clusters within `near_pct` of price (top 2 within 3%)."""
    near = [c for c in clusters if within(c.distance_pct, near_pct)]
    near.sort(key=lambda c: (-c.concentration, c.distance_pct))
    return tuple(near[:top_n])


def nearest_cluster(clusters: Sequence[Cluster]) -> Cluster | None:
    """The cluster closest to price, either side; None without clusters."""
    return min(clusters, key=lambda c: c.distance_pct, default=None)


def _walls(
    levels: Iterable[tuple[float, float]], price: float, range_pct: float, top_n: int, inst_usd: float
) -> tuple[Wall, ...]:
    # Rank plain tuples and build `Wall`s for the winners only: books can hold hundreds of levels.
    ranked = []
    # A distance above this is beyond `range_pct` even with `within`'s 1e-9 relative tolerance (a millionth is far
    # wider than that tolerance plus rounding), so most levels out of range are refused without calling `within`.
    clearly_beyond = range_pct * 1.000001
    for level_price, quantity in levels:
        if level_price > 0 and quantity > 0:
            distance = abs(level_price - price) / price  # distance_pct, inlined: this runs for every level
            if distance <= range_pct or (not distance > clearly_beyond and within(distance, range_pct)):
                ranked.append((-level_price * quantity, distance, level_price))
    ranked.sort()
    # Positional arguments (price, notional_usd, distance_pct, institutional): a third cheaper than keywords.
    return tuple([Wall(level_price, -neg, d, -neg > inst_usd) for neg, d, level_price in ranked[:top_n]])


def order_book_walls(
    bids: Sequence[BookLevel],
    asks: Sequence[BookLevel],
    price: float,
    *,
    range_pct: float,
    top_n: int,
    institutional_usd: float,
) -> tuple[tuple[Wall, ...], tuple[Wall, ...]]:
    """A-OB-1: (top ask walls, top bid walls) by notional within `range_pct` of price; institutional > $25M."""
    return paired_book_walls(
        [(lv.price, lv.quantity) for lv in bids],
        [(lv.price, lv.quantity) for lv in asks],
        price,
        range_pct=range_pct,
        top_n=top_n,
        institutional_usd=institutional_usd,
    )


def book_walls(
    book: OrderBook, price: float, *, range_pct: float, top_n: int, institutional_usd: float
) -> tuple[tuple[Wall, ...], tuple[Wall, ...]]:
    """`order_book_walls` of a book, from its (price, quantity) pairs when it holds its levels as pairs."""
    if isinstance(book, PairedOrderBook):
        return paired_book_walls(
            book.bid_pairs, book.ask_pairs, price, range_pct=range_pct, top_n=top_n, institutional_usd=institutional_usd
        )
    return order_book_walls(
        book.bids, book.asks, price, range_pct=range_pct, top_n=top_n, institutional_usd=institutional_usd
    )


def paired_book_walls(
    bids: Iterable[tuple[float, float]],
    asks: Iterable[tuple[float, float]],
    price: float,
    *,
    range_pct: float,
    top_n: int,
    institutional_usd: float,
) -> tuple[tuple[Wall, ...], tuple[Wall, ...]]:
    """`order_book_walls` of a book given as (price, quantity) pairs (`PairedOrderBook`), without its levels."""
    if price <= 0 or not math.isfinite(price):
        raise ValueError(f"price must be a positive number, got {price}")
    return (
        _walls(asks, price, range_pct, top_n, institutional_usd),
        _walls(bids, price, range_pct, top_n, institutional_usd),
    )


def max_pain_distance(price: float, max_pain: float, far_pct: float) -> tuple[float, bool]:
    """A-MP-1: (abs(price − max pain) / price, far) where far means more than `far_pct` (2%)."""
    if price <= 0 or not math.isfinite(price):
        raise ValueError(f"price must be a positive number, got {price}")
    d = distance_pct(max_pain, price)
    return d, beyond(d, far_pct)
