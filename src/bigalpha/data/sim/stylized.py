"""Stylized facts of financial series, as pure functions of arrays (used by `calibration`).

Each function ignores non-finite inputs and returns NaN when there is too little data.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import stats

from bigalpha.indicators.hurst import rolling_hurst

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


def _finite(x: ArrayLike) -> FloatArray:
    a = np.asarray(x, dtype=np.float64).ravel()
    out: FloatArray = a[np.isfinite(a)]
    return out


def log_returns(prices: ArrayLike, step: int = 1) -> FloatArray:
    """Log-returns over `step` observations (non-overlapping), skipping non-positive prices."""
    p = np.asarray(prices, dtype=np.float64)[::step]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.diff(np.log(np.where(p > 0, p, np.nan)))
    return _finite(r)


def excess_kurtosis(x: ArrayLike) -> float:
    """Fisher kurtosis (0 for a Gaussian)."""
    a = _finite(x)
    if a.size < 8 or np.std(a) == 0:
        return math.nan
    return float(stats.kurtosis(a, fisher=True, bias=False))


def hill_tail_index(x: ArrayLike, tail_fraction: float = 0.01) -> float:
    """Hill estimator of the tail index of |x| from its largest `tail_fraction` (α ≈ 3 for returns)."""
    a = np.sort(np.abs(_finite(x)))[::-1]
    a = a[a > 0]
    k = max(10, int(tail_fraction * a.size))
    if a.size <= k + 1:
        return math.nan
    logs = np.log(a[:k]) - math.log(a[k])
    mean = float(logs.mean())
    return 1.0 / mean if mean > 0 else math.nan


def autocorrelation(x: ArrayLike, lag: int) -> float:
    a = _finite(x)
    if a.size <= lag + 2:
        return math.nan
    a = a - a.mean()
    denominator = float((a * a).mean())
    if denominator == 0:
        return math.nan
    return float((a[:-lag] * a[lag:]).mean() / denominator)


def abs_return_acf(returns: ArrayLike, lags: tuple[int, ...] = (1, 10, 60)) -> dict[int, float]:
    """Autocorrelation of |r| at each lag: volatility clustering when clearly positive."""
    a = np.abs(_finite(returns))
    return {lag: autocorrelation(a, lag) for lag in lags}


def rank_correlation(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman correlation over the pairs where both are finite."""
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 8:
        return math.nan
    return float(stats.spearmanr(a[ok], b[ok]).statistic)


def volume_volatility_correlation(volume: ArrayLike, prices: ArrayLike) -> float:
    """Rank correlation of each bar's volume with its |log-return| (bar i's return is p[i]/p[i-1])."""
    v = np.asarray(volume, dtype=np.float64)[1:]
    p = np.asarray(prices, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.abs(np.diff(np.log(p)))
    return rank_correlation(v, r)


def funding_stats(rates: ArrayLike) -> dict[str, float]:
    """Funding per interval (fraction): mean, std, share positive, 99th percentile of |rate|."""
    a = _finite(rates)
    if a.size < 8:
        return {"mean": math.nan, "std": math.nan, "share_positive": math.nan, "p99_abs": math.nan}
    return {
        "mean": float(a.mean()),
        "std": float(a.std()),
        "share_positive": float((a > 0).mean()),
        "p99_abs": float(np.quantile(np.abs(a), 0.99)),
    }


def log_change_std(levels: ArrayLike) -> float:
    """Std of log changes between consecutive observations (e.g. OI 4h change)."""
    r = log_returns(levels)
    return float(r.std()) if r.size >= 8 else math.nan


def spike_share(values: ArrayLike, multiple: float = 3.0) -> float:
    """Share of observations above `multiple` × the median (e.g. liquidation spikes per 4 h)."""
    a = _finite(values)
    if a.size < 8:
        return math.nan
    median = float(np.median(a))
    return float((a > multiple * median).mean()) if median > 0 else math.nan


def hurst_window_stats(prices: ArrayLike, window: int = 100) -> dict[str, float]:
    """Hurst exponent over non-overlapping windows of `window` prices: median, p10, p90, and the share
    classified trending (H > 0.55) and noise (H < 0.45) as A-HURST-2 does."""
    p = np.asarray(prices, dtype=np.float64)
    # Every window-th value of the rolling estimate is the estimate of one non-overlapping window.
    h = _finite(rolling_hurst(p, window)[window - 1 :: window]) if p.size >= window else np.zeros(0)
    if h.size < 5:
        return {"median": math.nan, "p10": math.nan, "p90": math.nan, "trending": math.nan, "noise": math.nan}
    return {
        "median": float(np.median(h)),
        "p10": float(np.quantile(h, 0.1)),
        "p90": float(np.quantile(h, 0.9)),
        "trending": float((h > 0.55).mean()),
        "noise": float((h < 0.45).mean()),
    }
