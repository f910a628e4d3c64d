"""OI velocity (A-OI-1), funding divergence (R-T-2's input) and the TRUE TREND predicate (P-TREND-1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bigalpha.indicators.positioning import (
    OiVelocity,
    funding_divergence_bps,
    new_observations,
    oi_velocity,
    true_trend,
)

T0 = 1_766_000_000.0


def test_oi_velocity_is_now_minus_five_minutes_ago_in_usd():
    """A-OI-1: the 5-minute OI delta = OI now − OI 5 minutes ago (USD); unknown before 5 minutes of history."""
    t = T0 + 60.0 * np.arange(8)
    oi = 1e9 + 1e6 * np.arange(8) ** 2
    velocity = oi_velocity(t, oi, minutes=5, tolerance_s=90.0)
    assert np.isnan(velocity.delta_usd[:5]).all()
    np.testing.assert_allclose(velocity.delta_usd[5:], oi[5:] - oi[:3])
    np.testing.assert_allclose(velocity.change_pct[5:], (oi[5:] - oi[:3]) / oi[:3])
    np.testing.assert_allclose(velocity.open_interest_usd, oi)


def test_oi_velocity_takes_an_older_observation_only_within_tolerance():
    """A-OI-1 (decided): the '5 minutes ago' observation may be at most the tolerance older, never a guess."""
    t = T0 + 60.0 * np.array([0.0, 1.0, 2.0, 6.5, 7.0, 8.5])
    oi = np.array([10.0, 11.0, 12.0, 13.0, 14.0, 15.0]) * 1e6
    velocity = oi_velocity(t, oi, minutes=5, tolerance_s=90.0)
    # at 6.5 min: 1.5 min back → observation at 1.0 is 30 s older than 5 min → ok
    assert velocity.delta_usd[3] == pytest.approx(13e6 - 11e6)
    # at 8.5 min: target 3.5 min; latest observation at or before is at 2.0 (90 s older) → still ok
    assert velocity.delta_usd[5] == pytest.approx(15e6 - 12e6)
    strict = oi_velocity(t, oi, minutes=5, tolerance_s=60.0)
    assert math.isnan(strict.delta_usd[5])


def test_repeated_or_missing_observations_add_nothing():
    """A-OI-1: a cached (repeated) observation is not a new one, and a missing one is unknown."""
    t = T0 + 60.0 * np.array([0, 1, 1, 2, 3, 4, 5, 5, np.nan])
    oi = np.array([1, 2, 2, 3, 4, 5, 6, 6, np.nan], dtype=np.float64)
    velocity = oi_velocity(t, oi, minutes=5, tolerance_s=0.0)
    assert velocity.delta_usd[6] == pytest.approx(5.0)
    assert velocity.delta_usd[7] == pytest.approx(5.0)
    assert math.isnan(velocity.delta_usd[8])
    assert math.isnan(velocity.open_interest_usd[8])


def test_oi_velocity_without_observations_is_unknown():
    velocity = oi_velocity(np.full(3, np.nan), np.full(3, np.nan), minutes=5, tolerance_s=90.0)
    assert np.isnan(velocity.delta_usd).all()


def _former_oi_velocity(t: np.ndarray, v: np.ndarray, minutes: int, tolerance_s: float) -> OiVelocity:
    """The former `oi_velocity`, every intermediate kept to the end (a dozen history-long arrays at once)."""
    n = t.shape[0]
    fresh = new_observations(t, v)
    obs_t = t[fresh]
    obs_v = v[fresh]
    latest = np.cumsum(fresh) - 1
    valid = np.isfinite(t) & np.isfinite(v) & (latest >= 0)
    current, delta, change = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    if obs_t.shape[0] == 0:
        return OiVelocity(current, delta, change)
    k = np.clip(latest, 0, None)
    now_t = obs_t[k]
    now_v = obs_v[k]
    target = now_t - 60.0 * minutes
    past = np.searchsorted(obs_t, target, side="right") - 1
    past_c = np.clip(past, 0, None)
    known = valid & (past >= 0) & (obs_t[past_c] >= target - tolerance_s)
    current[valid] = now_v[valid]
    delta[known] = now_v[known] - obs_v[past_c][known]
    old = obs_v[past_c]
    with_base = known & (old != 0)
    with np.errstate(over="ignore"):
        change[with_base] = delta[with_base] / old[with_base]
    return OiVelocity(current, delta, change)


_gap_s = st.sampled_from([0.0, 30.0, 60.0, 60.0, 60.0, 90.0, 300.0, math.nan])
_oi = st.sampled_from([0.0, 1e6]) | st.floats(-1e12, 1e12) | st.just(math.nan) | st.just(math.inf)


@settings(max_examples=150, deadline=None)
@example(steps=[(0.0, 2.2250738585072014e-308), (300.0, 1e6)], every_bar=False, minutes=4, tolerance_s=60.0)
@given(
    steps=st.lists(st.tuples(_gap_s, _oi), min_size=0, max_size=60),
    every_bar=st.booleans(),
    minutes=st.integers(1, 6),
    tolerance_s=st.sampled_from([0.0, 60.0, 90.0]),
)
def test_oi_velocity_releasing_its_intermediates_gives_the_same_floats(steps, every_bar, minutes, tolerance_s):
    """A-OI-1: each intermediate released after its last use (and the inputs read as the observations when every
    bar is one) leaves every value as it was: repeated, missing, stale and zero observations included."""
    if every_bar:  # a fresh, finite observation at each bar: the simulator's open interest
        steps = [(60.0, 1e9 + 1e6 * (i % 7)) for i in range(len(steps))]
    t = T0 + np.cumsum([gap for gap, _ in steps]) if steps else np.empty(0)
    v = np.array([value for _, value in steps], dtype=np.float64)
    got = oi_velocity(t, v, minutes=minutes, tolerance_s=tolerance_s)
    expected = _former_oi_velocity(t, v, minutes, tolerance_s)
    for name in OiVelocity.__slots__:
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)


def test_funding_divergence_is_the_spread_between_exchanges_in_bps():
    """R-T-2 input: Binance +2.9 bps vs OKX −0.7 bps → 3.6 bps; unknown with one exchange."""
    assert funding_divergence_bps({"binanceusdm": 0.00029, "okx": -0.00007}) == pytest.approx(3.6)
    assert funding_divergence_bps({"binanceusdm": 0.00029}) is None
    assert funding_divergence_bps(None) is None


@pytest.mark.parametrize(
    ("h", "oi_delta", "expected"),
    [
        (0.56, 1.0, True),
        (0.55, 1.0, False),  # H must be above 0.55
        (0.56, 0.0, False),  # the OI delta must be positive
        (0.56, -5e6, False),
        (0.40, None, False),  # ruled out by H alone
        (None, -1.0, False),  # ruled out by OI alone
        (0.60, None, None),  # hinges on the unknown OI delta
        (None, 1.0, None),
        (math.nan, 1.0, None),
    ],
)
def test_true_trend_needs_hurst_trending_and_positive_oi_delta(h, oi_delta, expected):
    """P-TREND-1: TRUE TREND = H > 0.55 AND a positive 5-minute OI delta (H = 0.55 and ΔOI = 0 are not)."""
    assert true_trend(h, oi_delta, trending_above=0.55) is expected
