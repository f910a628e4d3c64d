"""Calibration: stylized-fact functions on series of known properties, and against real data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bigalpha.data.sim import SimParams, generate, stylized
from bigalpha.data.sim.calibration import (
    MARKET,
    PER_SYMBOL,
    RealData,
    SimData,
    Tolerance,
    markdown_table,
    measure_facts,
)
from bigalpha.indicators.fgn import fractional_gaussian_noise

RNG = np.random.default_rng(2024)


def test_gaussian_returns_have_no_excess_kurtosis() -> None:
    x = RNG.standard_normal(200_000)
    assert abs(stylized.excess_kurtosis(x)) < 0.05


def test_student_t_has_fat_tails_and_a_hill_index_near_its_degrees_of_freedom() -> None:
    x = RNG.standard_t(3.0, 400_000)
    assert stylized.excess_kurtosis(x) > 5
    assert abs(stylized.hill_tail_index(x, tail_fraction=0.005) - 3.0) < 0.35


def test_iid_returns_have_no_volatility_clustering() -> None:
    acf = stylized.abs_return_acf(RNG.standard_normal(100_000))
    assert all(abs(v) < 0.02 for v in acf.values())


def test_garch_returns_cluster() -> None:
    n, omega, alpha, beta = 50_000, 0.05, 0.1, 0.85
    z, r, var = RNG.standard_normal(n), np.empty(n), 1.0
    for i in range(n):
        r[i] = math.sqrt(var) * z[i]
        var = omega + alpha * r[i] ** 2 + beta * var
    acf = stylized.abs_return_acf(r, (1, 10))
    assert acf[1] > 0.1
    assert acf[10] > 0.05


def test_volume_tracks_volatility_when_built_so() -> None:
    r = RNG.standard_normal(20_000) * 0.001
    prices = 100 * np.exp(np.concatenate([[0.0], np.cumsum(r)]))
    volume = np.concatenate([[1.0], 1 + 1000 * np.abs(r)])
    assert stylized.volume_volatility_correlation(volume, prices) > 0.95
    assert abs(stylized.volume_volatility_correlation(RNG.random(prices.size), prices)) < 0.05


def test_funding_stats() -> None:
    stats = stylized.funding_stats([0.0001, 0.0001, -0.0001, 0.0003] * 10)
    assert stats["mean"] == pytest.approx(0.0001)
    assert stats["share_positive"] == pytest.approx(0.75)
    assert stats["p99_abs"] == pytest.approx(0.0003)
    assert math.isnan(stylized.funding_stats([0.1])["mean"])


def test_spike_share_and_log_change_std() -> None:
    assert stylized.spike_share([1.0] * 90 + [10.0] * 10) == pytest.approx(0.1)
    levels = 100 * np.exp(np.cumsum(RNG.normal(0, 0.02, 5000)))
    assert stylized.log_change_std(levels) == pytest.approx(0.02, rel=0.05)


@pytest.mark.parametrize("hurst", [0.3, 0.7])
def test_hurst_window_stats_recover_fgn(hurst: float) -> None:
    prices = 100 * np.exp(np.cumsum(0.001 * fractional_gaussian_noise(30_000, hurst, RNG)))
    stats = stylized.hurst_window_stats(prices)
    assert abs(stats["median"] - hurst) < 0.04
    assert (stats["trending"] > 0.8) == (hurst == 0.7)
    assert (stats["noise"] > 0.8) == (hurst == 0.3)


def test_tolerances() -> None:
    assert Tolerance("ratio", 2.0).accepts(1.0, 1.9)
    assert not Tolerance("ratio", 2.0).accepts(1.0, 2.1)
    assert not Tolerance("ratio", 2.0).accepts(1.0, -1.0)
    assert Tolerance("abs", 0.1).accepts(0.5, 0.59)
    assert Tolerance("abs", 0.1).accepts(math.nan, 0.5) is None


def test_calibration_table_against_real_data(market_fixtures: Path) -> None:
    """D-SIM-1: the simulator's stylized facts next to real markets'; most land in range (docs/simulator.md)."""
    dataset = generate(SimParams(seed=7), 10)
    facts = measure_facts(RealData(market_fixtures), SimData(dataset))
    assert len(facts) == 4 * len(PER_SYMBOL) + len(MARKET)
    real_known = [f for f in facts if math.isfinite(f.real)]
    assert len(real_known) == len(facts)
    judged = [f for f in facts if f.in_range is not None]
    assert sum(bool(f.in_range) for f in judged) >= 0.7 * len(judged)
    table = markdown_table(facts, days=10, seed=7)
    assert "| 1m excess kurtosis | BTC |" in table
    assert r"| ACF of \|r 1m\|, lag 1 | BTC |" in table
    assert "facts in range." in table


def test_real_facts_match_known_figures(market_fixtures: Path) -> None:
    """Anchors from the fixtures' own data, so a loader change that misreads a file shows."""
    real = RealData(market_fixtures)
    close, _ = real.minute_bars("BTC")
    assert np.std(stylized.log_returns(close)) == pytest.approx(0.000489, rel=0.01)
    assert stylized.funding_stats(real.funding("BTC"))["share_positive"] == pytest.approx(0.895, abs=0.01)
    assert float(np.median(real.short_share())) == pytest.approx(0.472, abs=0.01)
