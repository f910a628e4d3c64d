"""D-SIM-1: the regime is controllable through the Hurst exponent (trend / random walk / noise)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bigalpha.data.sim import RegimeSegment, SimParams, generate
from bigalpha.data.sim.params import MINUTES_PER_DAY
from bigalpha.data.sim.price import regime_noise
from bigalpha.indicators.hurst import rolling_hurst

# The estimator's bias and RMSE at N = 100 on exact fGn, from benchmarks/bench_hurst.py (see
# tests/unit/indicators/test_hurst.py). The simulator adds what fGn lacks (volatility clustering,
# jumps, whale impulses, liquidation pushes); MODEL_ALLOWANCE bounds what those may move the mean.
ESTIMATOR = {0.3: (-0.0019, 0.0644), 0.5: (-0.0058, 0.0719), 0.7: (-0.0050, 0.0774)}
MODEL_ALLOWANCE = 0.02


def _window_estimates(closes: np.ndarray) -> np.ndarray:
    """Hurst of each non-overlapping 100-price window."""
    estimates = rolling_hurst(closes)[99::100]
    return estimates[np.isfinite(estimates)]


@pytest.mark.parametrize("hurst", sorted(ESTIMATOR))
def test_generated_prices_have_the_chosen_hurst_exponent(hurst: float) -> None:
    """D-SIM-1, A-HURST-1: over 100-bar windows of every symbol, the mean estimate is within the estimator's
    bias + 4 RMSE/√n (+ the model allowance) of the H the market was generated with."""
    dataset = generate(SimParams(seed=3).with_hurst(hurst), 3)
    bars = dataset.frames["bars"]
    estimates = np.concatenate([_window_estimates(bars["close"][bars["symbol"] == s]) for s in range(4)])
    bias, rmse = ESTIMATOR[hurst]
    tolerance = abs(bias) + 4.0 * rmse / math.sqrt(estimates.size) + MODEL_ALLOWANCE
    assert estimates.size >= 150
    assert abs(estimates.mean() - hurst) <= tolerance
    assert np.all(bars["regime_hurst"] == hurst)


def test_regime_noise_alone_is_exact_fgn_of_each_segment() -> None:
    """D-SIM-1: the innovations switch H at the schedule's boundary and keep unit variance."""
    rng = np.random.default_rng(5)
    hurst = np.repeat([0.3, 0.7], 20_000)
    noise = regime_noise(rng, hurst)
    low, high = noise[:20_000], noise[20_000:]
    assert abs(low.std() - 1.0) < 0.05
    assert abs(high.std() - 1.0) < 0.05
    # Lag-1 autocorrelation of fGn is 2^(2H-1) - 1: negative for H < 0.5, positive above.
    for part, h in ((low, 0.3), (high, 0.7)):
        lag1 = float(np.corrcoef(part[:-1], part[1:])[0, 1])
        assert abs(lag1 - (2 ** (2 * h - 1) - 1)) < 0.03


def test_regime_schedule_switches_over_time() -> None:
    """D-SIM-1: a schedule moves the market from noise to trend; the trend segment carries its drift."""
    params = SimParams(
        seed=4,
        regimes=(RegimeSegment(hurst=0.3), RegimeSegment(start_day=1.0, hurst=0.75, drift_per_day=0.03)),
    )
    dataset = generate(params, 2)
    bars = dataset.frames["bars"]
    btc = bars["symbol"] == 0
    regime = bars["regime_hurst"][btc]
    assert np.all(regime[:MINUTES_PER_DAY] == 0.3)
    assert np.all(regime[MINUTES_PER_DAY:] == 0.75)
    closes = bars["close"][btc]
    first, second = _window_estimates(closes[:MINUTES_PER_DAY]), _window_estimates(closes[MINUTES_PER_DAY:])
    assert first.mean() < 0.45  # A-HURST-2 noise
    assert second.mean() > 0.55  # A-HURST-2 trending


def test_volatility_clusters() -> None:
    """D-SIM-1: |returns| are autocorrelated (GARCH-like clustering), raw returns are not."""
    dataset = generate(SimParams(seed=8), 4)
    bars = dataset.frames["bars"]
    close = bars["close"][bars["symbol"] == 0]
    r = np.diff(np.log(close))
    a = np.abs(r) - np.abs(r).mean()
    acf_abs = float((a[:-10] * a[10:]).mean() / a.var())
    acf_raw = float(np.corrcoef(r[:-10], r[10:])[0, 1])
    assert acf_abs > 0.1
    assert abs(acf_raw) < 0.05
