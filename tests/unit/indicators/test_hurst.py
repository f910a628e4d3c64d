"""Hurst exponent (A-HURST-1), its regime (A-HURST-2) and the fGn model it is measured against."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from bigalpha.indicators.fgn import fgn_autocovariance, fgn_spectral_density, fractional_gaussian_noise
from bigalpha.indicators.hurst import (
    HurstEstimate,
    Regime,
    WindowEstimates,
    classify_regime,
    hurst_exponent,
    hurst_stderr,
    hurst_with_error,
    rolling_hurst,
)

FloatArray = npt.NDArray[np.float64]


def fgn_prices(n_prices: int, hurst: float, rng: np.random.Generator, vol: float = 0.01) -> FloatArray:
    returns = vol * fractional_gaussian_noise(n_prices - 1, hurst, rng)
    prices: FloatArray = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
    return prices


@pytest.fixture
def prices_1000() -> FloatArray:
    return fgn_prices(1000, 0.6, np.random.default_rng(7))


# --- A-HURST-1: strict 100-price window ------------------------------------------------------


def test_99_prices_give_nan_never_a_shorter_window_estimate(prices_1000: FloatArray) -> None:
    """A-HURST-1: fewer than 100 points is "unknown" (NaN)."""
    assert math.isnan(hurst_exponent(prices_1000[:99]))
    assert math.isnan(hurst_exponent(prices_1000[:10]))
    assert math.isnan(hurst_exponent(np.array([])))


def test_100_prices_give_a_finite_estimate(prices_1000: FloatArray) -> None:
    """A-HURST-1: exactly 100 points is enough."""
    assert math.isfinite(hurst_exponent(prices_1000[:100]))


def test_only_the_last_window_counts(prices_1000: FloatArray) -> None:
    """A-HURST-1: a longer series is estimated over its last 100 prices only."""
    assert hurst_exponent(prices_1000) == hurst_exponent(prices_1000[-100:])


def test_rolling_is_nan_for_exactly_the_first_99_values(prices_1000: FloatArray) -> None:
    """A-HURST-1: the rolling series starts at the 100th price."""
    rolled = rolling_hurst(prices_1000)
    assert rolled.shape == prices_1000.shape
    assert np.isnan(rolled[:99]).all()
    assert np.isfinite(rolled[99:]).all()
    assert np.isnan(rolling_hurst(prices_1000[:99])).all()


@pytest.mark.parametrize("window", [100, 50])
def test_rolling_equals_pointwise_estimate_on_random_slices(prices_1000: FloatArray, window: int) -> None:
    """A-HURST-1: rolling_hurst[i] is hurst_exponent over x[i - window + 1 : i + 1]."""
    rolled = rolling_hurst(prices_1000, window)
    ends = np.random.default_rng(3).integers(window - 1, prices_1000.size, size=40)
    for i in [window - 1, prices_1000.size - 1, *ends]:
        pointwise = hurst_exponent(prices_1000[i - window + 1 : i + 1], window=window)
        assert rolled[i] == pytest.approx(pointwise, abs=1e-12)


@pytest.mark.parametrize("bad", [math.nan, 0.0, -5.0, math.inf])
def test_bad_price_gives_nan_for_the_windows_that_hold_it(prices_1000: FloatArray, bad: float) -> None:
    """A-HURST-1: a non-finite or non-positive price makes its windows unknown, without raising."""
    prices = prices_1000.copy()
    prices[500] = bad
    assert math.isnan(hurst_exponent(prices[:501]))
    rolled = rolling_hurst(prices)
    assert np.isnan(rolled[500:600]).all()
    assert np.isfinite(rolled[600:]).all()
    assert np.isfinite(rolled[99:500]).all()
    assert rolled[700] == rolling_hurst(prices_1000)[700]


def test_flat_prices_give_nan() -> None:
    """A-HURST-1 (decided): prices that never move have no Hurst exponent; the answer is unknown."""
    assert math.isnan(hurst_exponent(np.full(100, 42.0)))


def test_constant_drift_does_not_change_the_estimate(prices_1000: FloatArray) -> None:
    """A-HURST-1 (decided): H measures persistence of returns, so a steady drift is not a trend by itself."""
    drifted = prices_1000 * np.exp(0.002 * np.arange(prices_1000.size))
    assert hurst_exponent(drifted) == pytest.approx(hurst_exponent(prices_1000), abs=1e-9)


def test_invalid_arguments_are_rejected(prices_1000: FloatArray) -> None:
    with pytest.raises(ValueError, match="window"):
        rolling_hurst(prices_1000, window=7)
    with pytest.raises(ValueError, match="1-D"):
        hurst_exponent(prices_1000.reshape(10, 100))


# --- Estimator accuracy on exact fGn (A-HURST-1: bias measured and documented) ----------------

# From `.venv/bin/python benchmarks/bench_hurst.py` (2000 replications, N = 100): bias and RMSE.
MEASURED = {0.3: (-0.0019, 0.0644), 0.5: (-0.0058, 0.0719), 0.7: (-0.0050, 0.0774)}
REPS = 300


@pytest.mark.parametrize("hurst", sorted(MEASURED))
def test_mean_estimate_on_known_fgn_matches_measured_bias(hurst: float) -> None:
    """A-HURST-1: on seeded fGn the mean estimate is within |bias| + 4 RMSE / sqrt(reps) of H."""
    bias, rmse = MEASURED[hurst]
    rng = np.random.default_rng([11, round(1000 * hurst)])
    estimates = np.array([hurst_exponent(fgn_prices(100, hurst, rng)) for _ in range(REPS)])
    assert np.isfinite(estimates).all()
    assert abs(estimates.mean() - hurst) <= abs(bias) + 4.0 * rmse / math.sqrt(REPS)
    assert math.sqrt(((estimates - hurst) ** 2).mean()) <= 0.115


# --- fGn model --------------------------------------------------------------------------------


@pytest.mark.parametrize("hurst", [0.3, 0.5, 0.7])
def test_fgn_lag1_autocovariance_matches_theory(hurst: float) -> None:
    """The generator's lag-1 autocovariance is 0.5 (2^2H - 2) and its variance is 1."""
    rng = np.random.default_rng([5, round(1000 * hurst)])
    samples = np.array([fractional_gaussian_noise(64, hurst, rng) for _ in range(3000)])
    lag1 = (samples[:, 1:] * samples[:, :-1]).mean(axis=1)
    variance = (samples**2).mean(axis=1)
    expected = 0.5 * (2.0 ** (2.0 * hurst) - 2.0)
    assert fgn_autocovariance([1], hurst)[0] == pytest.approx(expected)
    assert abs(lag1.mean() - expected) <= 4.0 * lag1.std() / math.sqrt(lag1.size)
    assert abs(variance.mean() - 1.0) <= 4.0 * variance.std() / math.sqrt(variance.size)


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_fgn_spectral_density_integrates_to_the_autocovariance(lag: int) -> None:
    """The Whittle estimator's spectral density and the generator describe the same process."""

    def integrand(lam: float) -> float:
        return float(fgn_spectral_density([lam], 0.3)[0]) * math.cos(lag * lam)

    integral = 2.0 * quad(integrand, 0.0, math.pi, limit=200)[0]
    assert integral == pytest.approx(fgn_autocovariance([lag], 0.3)[0], abs=1e-8)


# --- Uncertainty --------------------------------------------------------------------------------


def test_estimate_with_error_brackets_the_estimate(prices_1000: FloatArray) -> None:
    estimate = hurst_with_error(prices_1000)
    assert estimate.h == hurst_exponent(prices_1000)
    assert estimate.stderr == hurst_stderr(estimate.h)
    assert 0.04 < estimate.stderr < 0.09
    assert 0.0 <= estimate.low < estimate.h < estimate.high <= 1.0
    assert estimate.high - estimate.low == pytest.approx(2 * 1.6449 * estimate.stderr, rel=1e-3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        estimate.h = 0.5  # type: ignore[misc]


def test_unknown_estimate_has_unknown_error() -> None:
    """A-HURST-1: under 100 prices, the value and its interval are all unknown."""
    estimate = hurst_with_error(np.linspace(1.0, 2.0, 99))
    assert not estimate.known
    assert all(math.isnan(v) for v in (estimate.h, estimate.stderr, estimate.low, estimate.high))
    assert isinstance(estimate, HurstEstimate)


# --- A-HURST-2: regime --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("h", "regime"),
    [
        (0.55, Regime.RANDOM_WALK),  # "H > 0.55 trending": 0.55 itself stays random walk
        (0.5500001, Regime.TRENDING),  # just above the upper boundary
        (0.45, Regime.RANDOM_WALK),  # "H < 0.45 noise": 0.45 itself stays random walk
        (0.4499999, Regime.NOISE),  # just below the lower boundary
        (0.5, Regime.RANDOM_WALK),
        (0.9, Regime.TRENDING),
        (0.1, Regime.NOISE),
        (math.nan, Regime.UNKNOWN),  # no estimate (A-HURST-1) is no regime
    ],
)
def test_regime_boundaries(h: float, regime: Regime) -> None:
    """A-HURST-2: both boundaries, 0.45 and 0.55, belong to the random walk (strict inequalities)."""
    assert classify_regime(h) is regime


def test_regime_thresholds_come_from_the_caller() -> None:
    """A-HURST-2: thresholds are configurable; the defaults are the SPEC numbers."""
    assert classify_regime(0.58, trending_above=0.6, noise_below=0.4) is Regime.RANDOM_WALK
    assert classify_regime(0.6, trending_above=0.6, noise_below=0.4) is Regime.RANDOM_WALK
    assert classify_regime(0.61, trending_above=0.6, noise_below=0.4) is Regime.TRENDING
    assert classify_regime(0.39, trending_above=0.6, noise_below=0.4) is Regime.NOISE
    assert str(Regime.RANDOM_WALK) == "random_walk"


# --- Properties -------------------------------------------------------------------------------

_direct_prices = st.lists(
    st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False), min_size=100, max_size=250
)
_walk_prices = st.lists(st.floats(min_value=-0.2, max_value=0.2), min_size=99, max_size=249).map(
    lambda r: list(100.0 * np.exp(np.concatenate([[0.0], np.cumsum(r)])))
)


@settings(max_examples=100, deadline=None)
@given(prices=st.one_of(_direct_prices, _walk_prices), scale=st.floats(min_value=1e-3, max_value=1e3))
def test_estimate_is_bounded_and_scale_free(prices: list[float], scale: float) -> None:
    """A-HURST-1: any positive finite series gives H in [0, 1] or NaN, unchanged by the price unit."""
    x = np.array(prices)
    h = hurst_exponent(x)
    rolled = rolling_hurst(x)
    finite = rolled[np.isfinite(rolled)]
    assert math.isnan(h) or 0.0 <= h <= 1.0
    assert ((finite >= 0.0) & (finite <= 1.0)).all()
    scaled = hurst_exponent(x * scale)
    assert (math.isnan(h) and math.isnan(scaled)) or scaled == pytest.approx(h, abs=1e-6)


# --- One window, one arithmetic (the fast single-window path equals the batched path) -----------


def _same(a: float, b: float) -> bool:
    """The same float to the bit (NaN counts as the same unknown)."""
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))


@st.composite
def _windows(draw: st.DrawFn) -> tuple[FloatArray, int]:
    """Windows of every shape the estimator must agree on: random walks, trends, alternations, near-flat and
    flat prices, prices whose ratios overflow, and bad prices (NaN, inf, zero, negative) anywhere."""
    window = draw(st.integers(min_value=8, max_value=130))
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**32 - 1)))
    kind = draw(st.sampled_from(["walk", "drawn", "trend", "alternating", "near_flat", "flat", "extreme"]))
    n = window - 1
    if kind == "walk":
        returns = 10.0 ** draw(st.floats(min_value=-6, max_value=0)) * rng.standard_normal(n)
    elif kind == "drawn":
        returns = np.array(draw(st.lists(st.floats(min_value=-1, max_value=1), min_size=n, max_size=n)))
    elif kind == "trend":
        returns = draw(st.floats(min_value=-0.05, max_value=0.05)) + 1e-4 * rng.standard_normal(n)
    elif kind == "alternating":
        returns = 0.01 * np.tile([1.0, -1.0], window)[:n] + 1e-5 * rng.standard_normal(n)
    elif kind == "near_flat":  # RMS around the 1e-9 flatness floor
        returns = 10.0 ** draw(st.floats(min_value=-10, max_value=-8)) * rng.standard_normal(n)
    elif kind == "flat":
        returns = np.zeros(n)
    else:  # hundreds of orders of magnitude: the extremes' ratio overflows, and with jumps consecutive ones too
        half = draw(st.floats(min_value=100, max_value=300))
        jumps = draw(st.booleans())
        steady = np.linspace(-half, half, window) + rng.uniform(0.0, 0.1, window)
        exponents = rng.uniform(-half, half, window) if jumps else steady
        return 10.0**exponents, window
    start = 10.0 ** draw(st.floats(min_value=-6, max_value=6))
    prices = start * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        bad = draw(st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0]))
        prices[draw(st.integers(min_value=0, max_value=window - 1))] = bad
    return prices, window


@settings(max_examples=400, deadline=None)
@given(case=_windows())
# Only the extremes' ratio overflows (the fast path hands over); every consecutive ratio overflows or vanishes.
@example(case=(10.0 ** (np.linspace(-300.0, 300.0, 100) + 0.1 * np.sin(np.arange(100))), 100))
@example(case=(10.0 ** np.tile([-300.0, 300.0], 50), 100))
def test_one_window_estimate_is_the_rolling_estimate_to_the_bit(case: tuple[FloatArray, int]) -> None:
    """hurst_exponent's single-window path gives rolling_hurst's float over that window, exactly."""
    prices, window = case
    fast = hurst_exponent(prices, window=window)
    assert _same(fast, float(rolling_hurst(prices, window)[-1]))
    assert _same(hurst_with_error(prices, window=window).h, fast)


@pytest.mark.parametrize("hurst", [0.1, 0.5, 0.9])
def test_every_window_of_a_series_matches_the_one_row_batch(hurst: float) -> None:
    """Over a long fGn path, each window's fast estimate is the batched estimate of that window alone."""
    prices = fgn_prices(1500, hurst, np.random.default_rng([9, round(100 * hurst)]))
    for end in range(100, prices.size + 1, 3):
        window = prices[end - 100 : end]
        assert _same(hurst_exponent(window), float(rolling_hurst(window)[-1])), end


@st.composite
def _series(draw: st.DrawFn) -> tuple[FloatArray, int, int, list[int]]:
    """A price series (windows of every shape, joined), a window, a block size and the bars asked for, mostly in
    increasing order as a backtest asks, sometimes back again."""
    window = draw(st.integers(min_value=8, max_value=130))
    pieces = [draw(_windows())[0] for _ in range(draw(st.integers(min_value=1, max_value=4)))]
    prices = np.concatenate([np.resize(piece, window) for piece in pieces])
    if draw(st.booleans()):  # one bad price somewhere: the blocks holding it go window by window
        prices[draw(st.integers(min_value=0, max_value=prices.size - 1))] = draw(
            st.sampled_from([math.nan, math.inf, 0.0, -1.0])
        )
    block = draw(st.integers(min_value=1, max_value=3 * window))
    ends = draw(st.lists(st.integers(min_value=-1, max_value=prices.size), min_size=1, max_size=40))
    if draw(st.booleans()):
        ends.sort()
    return prices, window, block, ends


@settings(max_examples=300, deadline=None)
@given(case=_series())
def test_window_estimates_are_hurst_with_error_to_the_bit(case: tuple[FloatArray, int, int, list[int]]) -> None:
    """`WindowEstimates` (a backtest's deferred estimates, their FFTs batched by blocks) gives, at every bar,
    `hurst_with_error` of the prices up to that bar, field for field and to the bit."""
    prices, window, block, ends = case
    estimates = WindowEstimates(prices, window, block)
    for end in ends:
        got = estimates.at(end)
        expected = hurst_with_error(prices[: max(end + 1, 0)], window=window) if end < prices.size else None
        if expected is None or end < window - 1:
            assert not got.known
            continue
        for a, b in zip(dataclasses.astuple(got), dataclasses.astuple(expected), strict=True):
            assert _same(a, b), (end, got, expected)


@pytest.mark.parametrize("hurst", [0.1, 0.5, 0.9])
def test_window_estimates_over_a_long_path_are_the_plain_estimates(hurst: float) -> None:
    """Over a long fGn path, asked at every bar, every estimate is the one-window estimate, whatever the block."""
    prices = fgn_prices(2500, hurst, np.random.default_rng([11, round(100 * hurst)]))
    for block in (1, 97, 1024):
        estimates = WindowEstimates(prices, 100, block)
        for end in range(0, prices.size):
            assert estimates.at(end) == hurst_with_error(prices[: end + 1]) or end < 99, (block, end)
