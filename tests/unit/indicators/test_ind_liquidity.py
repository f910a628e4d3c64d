"""Liquidation clusters (A-LIQ-1), order-book walls (A-OB-1) and max-pain distance (A-MP-1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.domain import BookLevel, LiquidationLevel, OrderBook, PairedOrderBook
from bigalpha.indicators.liquidity import (
    Cluster,
    ClusterSide,
    Wall,
    book_walls,
    clusters_around,
    concentrated_levels,
    distance_pct,
    liquidation_clusters,
    major_clusters,
    max_pain_distance,
    nearest_cluster,
    order_book_walls,
    paired_book_walls,
    top_clusters,
    within,
)

PRICE = 100_000.0


def heatmap(*hot: tuple[float, float], base: float = 1e6) -> list[LiquidationLevel]:
    """A background of levels every 0.5% at `base` USD, plus hot (price, usd) levels."""
    levels = [LiquidationLevel(PRICE * (1 + 0.005 * k), base) for k in range(-10, 11) if k]
    return levels + [LiquidationLevel(p, usd) for p, usd in hot]


def clusters(levels, **kw):
    options = {"concentration_multiple": 2.0, "merge_pct": 0.001, "max_per_side": 20} | kw
    return liquidation_clusters(levels, PRICE, **options)


def test_concentrated_levels_split_into_short_clusters_above_and_long_clusters_below():
    """A-LIQ-1: concentrated levels (≥ 2× median) above price are short liquidations, below are long ones."""
    shorts, longs = clusters(heatmap((100_700.0, 9e6), (98_800.0, 5e6), (101_900.0, 1.5e6)))
    assert [c.price for c in shorts] == [100_700.0]  # 1.5e6 is below 2× the 1e6 median
    assert [c.price for c in longs] == [98_800.0]
    assert shorts[0].side is ClusterSide.SHORT_LIQ
    assert longs[0].side is ClusterSide.LONG_LIQ
    assert shorts[0].distance_pct == pytest.approx(0.007)
    assert shorts[0].concentration == pytest.approx(9.0)


def test_neighbouring_concentrated_levels_merge_into_one_weighted_cluster():
    """A-LIQ-1 (decided): levels closer than 0.1% of price merge; the cluster price is volume-weighted."""
    shorts, _ = clusters(heatmap((100_600.0, 6e6), (100_650.0, 2e6), (101_600.0, 4e6)))
    assert len(shorts) == 2
    assert shorts[0].price == pytest.approx((100_600.0 * 6 + 100_650.0 * 2) / 8)
    assert shorts[0].liquidation_usd == pytest.approx(8e6)


def test_a_cluster_exactly_at_price_counts_as_short_liquidations():
    """A-LIQ-1 (decided): at-price is 'above' (the conservative side for G-LIQ-1)."""
    shorts, longs = clusters(heatmap((PRICE, 9e6)))
    assert [c.price for c in shorts] == [PRICE]
    assert longs == ()


def test_major_clusters_are_within_one_percent_inclusive():
    """A-LIQ-1: 'major' = within 1% of price, exactly 1% included."""
    found = [
        Cluster(PRICE * 1.01, 5e6, 5.0, 0.01, ClusterSide.SHORT_LIQ),
        Cluster(PRICE * 0.9899, 5e6, 5.0, 0.0101, ClusterSide.LONG_LIQ),
        Cluster(PRICE * 1.002, 5e6, 5.0, 0.002, ClusterSide.SHORT_LIQ),
    ]
    assert [c.distance_pct for c in major_clusters(found, 0.01)] == [0.002, 0.01]


def test_top_two_high_concentration_clusters_within_three_percent():
    """A-LIQ-1: the top 2 by concentration among clusters within 3% of price."""
    found = [
        Cluster(0, 0, 3.0, 0.005, ClusterSide.SHORT_LIQ),
        Cluster(0, 0, 9.0, 0.031, ClusterSide.SHORT_LIQ),  # too far
        Cluster(0, 0, 7.0, 0.03, ClusterSide.LONG_LIQ),  # exactly 3%: in
        Cluster(0, 0, 5.0, 0.02, ClusterSide.LONG_LIQ),
    ]
    assert [c.concentration for c in top_clusters(found, 0.03, 2)] == [7.0, 5.0]


def test_nearest_cluster_either_side():
    shorts, longs = clusters(heatmap((100_900.0, 9e6), (99_400.0, 5e6)))
    nearest = nearest_cluster(shorts + longs)
    assert nearest is not None
    assert nearest.price == 99_400.0
    assert nearest_cluster(()) is None


def test_empty_or_bad_heatmap_levels_give_no_clusters():
    assert clusters([]) == ((), ())
    assert clusters([LiquidationLevel(-1.0, 5e6), LiquidationLevel(PRICE, 0.0)]) == ((), ())
    with pytest.raises(ValueError, match="price must be a positive number"):
        liquidation_clusters([], 0.0, concentration_multiple=2.0, merge_pct=0.001, max_per_side=5)


@given(offsets=st.lists(st.floats(-0.2, 0.2), min_size=1, max_size=30), usd=st.floats(1.0, 1e9))
def test_every_cluster_is_on_its_side_of_price(offsets, usd):
    """A-LIQ-1 (property): short clusters never below price, long clusters never at or above it."""
    levels = [LiquidationLevel(PRICE * (1 + o), usd * (1 + abs(o) * 50)) for o in offsets]
    shorts, longs = clusters(levels)
    assert all(c.price >= PRICE for c in shorts)
    assert all(c.price < PRICE for c in longs)


# --- A-OB-1 ------------------------------------------------------------------------------------------


def test_top_three_walls_per_side_within_five_percent():
    """A-OB-1: the 3 largest ask walls and bid walls within 5% of price (5% included)."""
    asks = [
        BookLevel(PRICE * (1 + d), q)
        for d, q in [(0.001, 10), (0.01, 300), (0.03, 100), (0.05, 200), (0.051, 900), (0.02, 50)]
    ]
    bids = [BookLevel(PRICE * (1 - d), q) for d, q in [(0.001, 5), (0.04, 20)]]
    ask_walls, bid_walls = order_book_walls(bids, asks, PRICE, range_pct=0.05, top_n=3, institutional_usd=25e6)
    assert [w.price for w in ask_walls] == pytest.approx([PRICE * 1.01, PRICE * 1.05, PRICE * 1.03])
    assert [w.notional_usd for w in ask_walls] == pytest.approx([30.3e6, 21e6, 10.3e6])
    assert [w.institutional for w in ask_walls] == [True, False, False]
    assert [w.notional_usd for w in bid_walls] == pytest.approx([PRICE * 0.96 * 20, PRICE * 0.999 * 5])


def test_an_institutional_wall_is_strictly_larger_than_25m():
    """A-OB-1: larger than $25M; exactly $25M is not institutional."""
    asks = [BookLevel(PRICE * 1.01, 25e6 / (PRICE * 1.01)), BookLevel(PRICE * 1.02, 25.1e6 / (PRICE * 1.02))]
    walls, _ = order_book_walls([], asks, PRICE, range_pct=0.05, top_n=3, institutional_usd=25e6)
    assert [w.institutional for w in sorted(walls, key=lambda w: w.price)] == [False, True]


# --- A-MP-1 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_pain", "distance", "far"),
    [(98_000.0, 0.02, False), (102_000.0, 0.02, False), (97_900.0, 0.021, True), (100_000.0, 0.0, False)],
)
def test_max_pain_distance_and_far_above_two_percent(max_pain, distance, far):
    """A-MP-1: distance = abs(price − max pain) / price; 'far' when > 2% (exactly 2% is not far)."""
    d, is_far = max_pain_distance(PRICE, max_pain, 0.02)
    assert d == pytest.approx(distance)
    assert is_far is far


def test_distance_is_relative_to_price():
    assert distance_pct(101.0, 100.0) == pytest.approx(0.01)


# --- The same floats as the NumPy formulation (the per-level loops were rewritten for speed) --------


def _numpy_side_clusters(prices, usd, median, price, merge_pct, side):
    order = np.argsort(prices)
    prices, usd = prices[order], usd[order]
    out, start = [], 0
    for i in range(1, prices.shape[0] + 1):
        if i == prices.shape[0] or prices[i] - prices[i - 1] >= merge_pct * price:
            total = float(usd[start:i].sum())
            centre = float((prices[start:i] * usd[start:i]).sum() / total)
            out.append(Cluster(centre, total, total / median, abs(centre - price) / price, side))
            start = i
    return out


def numpy_liquidation_clusters(levels, price, *, concentration_multiple, merge_pct, max_per_side):
    """A-LIQ-1 as first written, array by array: the reference the faster code must match to the bit."""
    raw = np.array([(lv.price, lv.liquidation_usd) for lv in levels], dtype=np.float64).reshape(-1, 2)
    raw = raw[np.isfinite(raw).all(axis=1) & (raw[:, 0] > 0) & (raw[:, 1] > 0)]
    if raw.shape[0] == 0:
        return (), ()
    median = float(np.median(raw[:, 1]))
    hot = raw[raw[:, 1] >= concentration_multiple * median]
    above, below = hot[hot[:, 0] >= price], hot[hot[:, 0] < price]
    sides = (
        _numpy_side_clusters(above[:, 0], above[:, 1], median, price, merge_pct, ClusterSide.SHORT_LIQ),
        _numpy_side_clusters(below[:, 0], below[:, 1], median, price, merge_pct, ClusterSide.LONG_LIQ),
    )
    return tuple(tuple(sorted(s, key=lambda c: c.distance_pct)[:max_per_side]) for s in sides)


def numpy_walls(levels, price, range_pct, top_n, inst_usd):
    """A-OB-1 as first written (distance computed twice per level): the reference for the single pass."""
    ranked = sorted(
        (-lv.price * lv.quantity, distance_pct(lv.price, price), lv.price)
        for lv in levels
        if lv.price > 0 and lv.quantity > 0 and within(distance_pct(lv.price, price), range_pct)
    )
    return tuple(Wall(p, -neg, d, -neg > inst_usd) for neg, d, p in ranked[:top_n])


_odd = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0])
# Offsets on a coarse grid make equal prices and exact merge gaps likely; a few USD values make ties at
# the median and at exactly the concentration floor likely.
_offsets = st.one_of(st.integers(-40, 40).map(lambda k: k * 0.0005), st.floats(-0.3, 0.3))
_usd = st.one_of(st.sampled_from([1e6, 2e6, 3e6, 5e6]), st.floats(1e-3, 1e15))
_levels = st.lists(
    st.tuples(st.one_of(_offsets.map(lambda o: PRICE * (1 + o)), _odd), st.one_of(_usd, _odd)),
    max_size=60,
).map(lambda rows: [LiquidationLevel(p, u) for p, u in rows])
# A dense band: long runs of concentrated levels, so cluster sums cover NumPy's pairwise summation (8+),
# and many levels at one price, whose order in the sums (NumPy's unstable argsort) changes the last bit.
_dense = st.lists(st.one_of(st.sampled_from([0.0, 0.001]), st.floats(0.0, 0.004)), min_size=8, max_size=200).flatmap(
    lambda offsets: st.lists(st.floats(1.0, 1e9), min_size=len(offsets), max_size=len(offsets)).map(
        lambda usd: [LiquidationLevel(PRICE * (1 + o), u) for o, u in zip(offsets, usd, strict=True)]
    )
)


@settings(max_examples=300)
@given(
    levels=st.one_of(_levels, _dense),
    multiple=st.sampled_from([0.5, 1.0, 2.0, 3.0]),
    merge_pct=st.sampled_from([1e-9, 0.0005, 0.001, 0.01]),
    max_per_side=st.integers(1, 25),
)
def test_clusters_are_the_numpy_formulation_to_the_bit(levels, multiple, merge_pct, max_per_side):
    options = {"concentration_multiple": multiple, "merge_pct": merge_pct, "max_per_side": max_per_side}
    got = liquidation_clusters(levels, PRICE, **options)
    assert repr(got) == repr(numpy_liquidation_clusters(levels, PRICE, **options))  # repr: NaN equals NaN


_book = st.lists(
    st.tuples(st.one_of(_offsets.map(lambda o: PRICE * (1 + o)), _odd), st.one_of(st.floats(0.0, 1e4), _odd)),
    max_size=40,
).map(lambda rows: [BookLevel(p, q) for p, q in rows])


@settings(max_examples=200)
@given(bids=_book, asks=_book, range_pct=st.sampled_from([0.005, 0.05, 0.1]), top_n=st.integers(1, 5))
def test_walls_are_the_two_pass_formulation_to_the_bit(bids, asks, range_pct, top_n):
    got = order_book_walls(bids, asks, PRICE, range_pct=range_pct, top_n=top_n, institutional_usd=25e6)
    expected = (numpy_walls(asks, PRICE, range_pct, top_n, 25e6), numpy_walls(bids, PRICE, range_pct, top_n, 25e6))
    assert repr(got) == repr(expected)


@settings(max_examples=200)
@given(bids=_book, asks=_book, range_pct=st.sampled_from([0.005, 0.05, 0.1]), top_n=st.integers(1, 5))
def test_walls_of_a_paired_book_are_the_walls_of_its_levels(bids, asks, range_pct, top_n):
    """A book held as (price, quantity) pairs is ranked from its pairs, with the walls of its `BookLevel`s."""
    options = {"range_pct": range_pct, "top_n": top_n, "institutional_usd": 25e6}
    paired = PairedOrderBook(
        tuple((lv.price, lv.quantity) for lv in bids), tuple((lv.price, lv.quantity) for lv in asks)
    )
    expected = repr(order_book_walls(bids, asks, PRICE, **options))
    assert repr(paired_book_walls(paired.bid_pairs, paired.ask_pairs, PRICE, **options)) == expected
    assert repr(book_walls(paired, PRICE, **options)) == expected
    assert paired._bid_levels is None  # ranked without making a level
    assert paired._ask_levels is None
    assert repr(book_walls(OrderBook(tuple(bids), tuple(asks)), PRICE, **options)) == expected


@settings(max_examples=300)
@given(
    levels=st.one_of(_levels, _dense),
    prices=st.lists(st.one_of(_offsets.map(lambda o: PRICE * (1 + o)), st.just(PRICE)), min_size=1, max_size=6),
    multiple=st.sampled_from([0.5, 1.0, 2.0, 3.0]),
    merge_pct=st.sampled_from([1e-9, 0.0005, 0.001, 0.01]),
    max_per_side=st.integers(1, 25),
)
def test_clusters_of_one_heatmap_at_many_prices_are_computed_from_its_concentrated_levels(
    levels, prices, multiple, merge_pct, max_per_side
):
    """The price-independent part, computed once per heatmap, gives each price the clusters computed afresh."""
    concentrated = concentrated_levels(
        [(lv.price, lv.liquidation_usd) for lv in levels], concentration_multiple=multiple
    )
    for price in prices:
        got = clusters_around(concentrated, price, merge_pct=merge_pct, max_per_side=max_per_side)
        expected = liquidation_clusters(
            levels, price, concentration_multiple=multiple, merge_pct=merge_pct, max_per_side=max_per_side
        )
        assert repr(got) == repr(expected)


def test_clusters_around_refuses_a_bad_price_even_without_levels():
    for price in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="price must be a positive number"):
            clusters_around(None, price, merge_pct=0.001, max_per_side=5)
