"""The per-context shortcuts of the indicators equal the plain computations they replace, to the bit."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.domain import Bar, BookLevel, MarketSnapshot, Symbol
from bigalpha.indicators.builder import _check_snapshot
from bigalpha.indicators.hurst import (
    HurstEstimate,
    hurst_exponent,
    hurst_stderr,
    hurst_with_error,
)
from bigalpha.indicators.liquidity import Wall, _walls, within

T0 = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)


def _plain_with_error(prices: np.ndarray, window: int) -> HurstEstimate:
    """`hurst_with_error` as composed before: `hurst_exponent`, then `hurst_stderr` (np.interp)."""
    h = hurst_exponent(prices, window=window)
    stderr = hurst_stderr(h, window=window)
    if math.isnan(h):
        return HurstEstimate(math.nan, math.nan, math.nan, math.nan)
    return HurstEstimate(
        h, stderr, max(0.0, h - 1.6448536269514722 * stderr), min(1.0, h + 1.6448536269514722 * stderr)
    )


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    n=st.integers(min_value=0, max_value=160),
    window=st.sampled_from([8, 50, 100]),
    drift=st.floats(min_value=-0.01, max_value=0.01),
    flat=st.booleans(),
)
def test_hurst_with_error_is_exponent_then_stderr(seed: int, n: int, window: int, drift: float, flat: bool) -> None:
    rng = np.random.default_rng(seed)
    steps = np.zeros(n) if flat else rng.normal(drift, 1e-3, n)
    prices = 3000.0 * np.exp(np.cumsum(steps))
    fast, plain = hurst_with_error(prices, window=window), _plain_with_error(prices, window)
    for a, b in zip(
        (fast.h, fast.stderr, fast.low, fast.high), (plain.h, plain.stderr, plain.low, plain.high), strict=True
    ):
        assert (math.isnan(a) and math.isnan(b)) or a == b


def test_hurst_with_error_still_refuses_a_short_window() -> None:
    with pytest.raises(ValueError, match="window"):
        hurst_with_error(np.ones(10), window=4)


def _plain_walls(levels: list[BookLevel], price: float, range_pct: float, top_n: int, inst: float) -> tuple[Wall, ...]:
    ranked = []
    for lv in levels:
        if lv.price > 0 and lv.quantity > 0:
            distance = abs(lv.price - price) / price
            if within(distance, range_pct):
                ranked.append((-lv.price * lv.quantity, distance, lv.price))
    ranked.sort()
    return tuple(Wall(p, -neg, d, -neg > inst) for neg, d, p in ranked[:top_n])


level_prices = st.floats(min_value=-10.0, max_value=300.0) | st.sampled_from([math.nan, math.inf, -math.inf])


@settings(max_examples=300, deadline=None)
@given(
    price=st.floats(min_value=1.0, max_value=200.0),
    range_pct=st.floats(min_value=1e-6, max_value=0.99) | st.sampled_from([0.0, -0.1, math.inf, math.nan]),
    offsets=st.lists(st.floats(min_value=-1.0, max_value=1.0), max_size=30),
    extra=st.lists(st.tuples(level_prices, st.floats(min_value=-1.0, max_value=1e6) | st.just(math.nan)), max_size=10),
    top_n=st.integers(min_value=1, max_value=5),
    data=st.data(),
)
def test_walls_equal_the_plain_ranking(
    price: float,
    range_pct: float,
    offsets: list[float],
    extra: list[tuple[float, float]],
    top_n: int,
    data: st.DataObject,
) -> None:
    levels = [BookLevel(price * (1.0 + o), 10.0 + abs(o)) for o in offsets]
    if math.isfinite(range_pct):
        # levels exactly at, and one rounding step either side of, the range's edge
        for edge in (price * (1.0 + range_pct), price * (1.0 - range_pct)):
            levels += [BookLevel(edge, 5.0), BookLevel(math.nextafter(edge, math.inf), 5.0)]
            levels.append(BookLevel(math.nextafter(edge, 0.0), 5.0))
    levels += [BookLevel(p, q) for p, q in extra]
    order = data.draw(st.permutations(levels))
    pairs = [(lv.price, lv.quantity) for lv in order]
    assert _walls(pairs, price, range_pct, top_n, 25e6) == _plain_walls(order, price, range_pct, top_n, 25e6)


def _plain_check(snapshot: MarketSnapshot, last_ts: datetime | None) -> str | None:
    if snapshot.ts.tzinfo is None:
        return "timezone"
    if last_ts is not None and snapshot.ts <= last_ts:
        return "not after"
    b = snapshot.bar
    for name in ("open", "high", "low", "close", "volume", "taker_buy_volume"):
        value = getattr(b, name)
        if not math.isfinite(value) or value < 0:
            return f"bar.{name}"
    if b.close <= 0:
        return "bar.close"
    if b.taker_buy_volume > b.volume * (1 + 1e-9):
        return "exceeds"
    return None


values = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 1.0, 1.7976931348623157e308])


@settings(max_examples=500, deadline=None)
@given(
    o=values, h=values, low=values, c=values, v=values, tb=values,
    naive=st.booleans(), previous=st.sampled_from([None, -1, 0, 1]),
)  # fmt: skip
def test_snapshot_check_refuses_exactly_what_the_plain_check_refuses(
    o: float, h: float, low: float, c: float, v: float, tb: float, naive: bool, previous: int | None
) -> None:
    ts = T0.replace(tzinfo=None) if naive else T0
    b = Bar(ts=T0, open=o, high=h, low=low, close=c, volume=v, taker_buy_volume=tb)
    snapshot = MarketSnapshot(symbol=Symbol("ETH"), ts=ts, bar=b)
    last = None if previous is None or naive else T0 + timedelta(seconds=previous)
    expected = _plain_check(snapshot, last)
    if expected is None:
        _check_snapshot(snapshot, last)
    else:
        with pytest.raises(ValueError, match=expected):
            _check_snapshot(snapshot, last)
