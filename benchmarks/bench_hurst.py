"""Measure Hurst estimators on exact fGn of known H, and the speed of ``rolling_hurst`` (A-HURST-1).

Run alone: ``.venv/bin/python benchmarks/bench_hurst.py [--quick]``. Prints one JSON document:

- ``accuracy``: bias, RMSE and SD at N = 100 prices (99 log-returns) for R/S, R/S with the
  Anis-Lloyd/Peters correction, DFA-1, local Whittle and the production fGn Whittle estimator;
- ``uncertainty``: the production estimator's RMSE against its asymptotic standard error, and the
  coverage of its ~90% interval, for H = 0.1 ... 0.9;
- ``regime_at_n100``: how often a window of true H = 0.4 / 0.5 / 0.6 gets each A-HURST-2 label;
- ``grid_refinement``: distance between the grid-plus-parabola estimate and the exact optimum;
- ``speed``: ``rolling_hurst`` over 1,000,000 prices on one core, a reference timing and peak RSS.

Every estimator sees the same price paths: the paths for one H come from a generator seeded with
``(seed, round(1000 * H))``.
"""

from __future__ import annotations

import os

# Single-threaded measurement: the thread pools read these once, at import.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
from scipy.optimize import minimize_scalar  # noqa: E402
from scipy.special import gammaln  # noqa: E402

from bigalpha.indicators.fgn import fgn_spectral_density, fractional_gaussian_noise  # noqa: E402
from bigalpha.indicators.hurst import (  # noqa: E402
    Regime,
    classify_regime,
    hurst_exponent,
    hurst_stderr,
    hurst_with_error,
    rolling_hurst,
)

FloatArray = npt.NDArray[np.float64]
Estimator = Callable[[FloatArray], FloatArray]

N_PRICES = 100
H_VALUES = (0.3, 0.5, 0.7)
TARGET = {"mean_rmse_max": 0.10, "single_rmse_max": 0.115, "rolling_1m_seconds_max": 1.5}


def price_paths(hurst: float, reps: int, seed: int) -> FloatArray:
    """(reps, N_PRICES) prices whose log-returns are exact unit-variance fGn scaled to 1%."""
    rng = np.random.default_rng([seed, round(1000 * hurst)])
    noise = np.array([fractional_gaussian_noise(N_PRICES - 1, hurst, rng) for _ in range(reps)])
    log_prices = np.concatenate([np.zeros((reps, 1)), np.cumsum(0.01 * noise, axis=1)], axis=1)
    prices: FloatArray = 100.0 * np.exp(log_prices)
    return prices


def log_returns(prices: FloatArray) -> FloatArray:
    return np.diff(np.log(prices), axis=1)


def _slopes(log_x: FloatArray, log_y: FloatArray) -> FloatArray:
    """Least-squares slope of each row of log_y against log_x."""
    xc = log_x - log_x.mean()
    yc = log_y - log_y.mean(axis=1, keepdims=True)
    slope: FloatArray = (yc @ xc) / (xc @ xc)
    return slope


def _rs_sizes(n: int) -> npt.NDArray[np.int64]:
    return np.unique(np.round(np.geomspace(8, n, 8)).astype(np.int64))


def _rescaled_range(x: FloatArray, sizes: npt.NDArray[np.int64]) -> FloatArray:
    """(reps, len(sizes)) mean R/S over non-overlapping blocks of each size."""
    reps, n = x.shape
    out = np.empty((reps, sizes.size))
    for i, s in enumerate(sizes):
        blocks = x[:, : (n // s) * s].reshape(reps, n // s, s)
        dev = blocks - blocks.mean(axis=2, keepdims=True)
        walk = np.cumsum(dev, axis=2)
        out[:, i] = ((walk.max(axis=2) - walk.min(axis=2)) / blocks.std(axis=2)).mean(axis=1)
    return out


def rs_classic(x: FloatArray) -> FloatArray:
    sizes = _rs_sizes(x.shape[1])
    return _slopes(np.log(sizes), np.log(_rescaled_range(x, sizes)))


def rs_anis_lloyd(x: FloatArray) -> FloatArray:
    """R/S against the Anis-Lloyd expectation with Peters' small-sample factor: H = 0.5 + slope."""
    sizes = _rs_sizes(x.shape[1])
    expected = np.empty(sizes.size)
    for i, s in enumerate(sizes):
        terms = np.sqrt((s - np.arange(1, s)) / np.arange(1, s)).sum()
        log_ratio = gammaln((s - 1) / 2) - gammaln(s / 2) - 0.5 * math.log(math.pi)
        expected[i] = (s - 0.5) / s * math.exp(log_ratio) * terms
    excess = np.log(_rescaled_range(x, sizes)) - np.log(expected)
    return 0.5 + _slopes(np.log(sizes), excess)


def dfa1(x: FloatArray) -> FloatArray:
    """DFA with linear detrending in boxes taken from both ends of the profile."""
    reps, n = x.shape
    profile = np.cumsum(x - x.mean(axis=1, keepdims=True), axis=1)
    scales = np.unique(np.round(np.geomspace(4, n // 4, 9)).astype(np.int64))
    fluct = np.empty((reps, scales.size))
    for i, s in enumerate(scales):
        k = n // s
        boxes = np.concatenate(
            [profile[:, : k * s].reshape(reps, k, s), profile[:, n - k * s :].reshape(reps, k, s)], axis=1
        )
        design = np.vstack([np.ones(s), np.arange(s, dtype=np.float64)]).T
        hat = design @ np.linalg.pinv(design)
        resid = boxes - boxes @ hat.T
        fluct[:, i] = np.sqrt((resid**2).mean(axis=(1, 2)))
    return _slopes(np.log(scales), np.log(fluct))


def _periodogram(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    n = x.shape[1]
    j = np.arange(1, (n - 1) // 2 + 1)
    spec = np.fft.rfft(x, axis=1)[:, j]
    return 2.0 * math.pi * j / n, (spec.real**2 + spec.imag**2) / (2.0 * math.pi * n)


def local_whittle(x: FloatArray) -> FloatArray:
    """Robinson's local Whittle on the lowest m = n^0.65 frequencies; H = d + 1/2."""
    freqs, pgram = _periodogram(x)
    m = int(x.shape[1] ** 0.65)
    log_l = np.log(freqs[:m])
    d_grid = np.linspace(-0.499, 0.499, 999)
    objective = np.log(pgram[:, :m] @ np.exp(np.outer(2.0 * log_l, d_grid)) / m) - 2.0 * d_grid * log_l.mean()
    estimate: FloatArray = 0.5 + d_grid[np.argmin(objective, axis=1)]
    return estimate


def whittle_fgn(prices: FloatArray) -> FloatArray:
    """The production estimator, through the public API the bot calls."""
    return np.array([hurst_exponent(row) for row in prices])


def summarise(estimates: FloatArray, hurst: float) -> dict[str, float | int]:
    ok = estimates[np.isfinite(estimates)]
    err = ok - hurst
    return {
        "bias": round(float(err.mean()), 4),
        "rmse": round(float(np.sqrt((err**2).mean())), 4),
        "sd": round(float(ok.std()), 4),
        "nan": int(estimates.size - ok.size),
    }


def accuracy(reps: int, seed: int) -> dict[str, dict[str, object]]:
    on_returns: dict[str, Estimator] = {
        "rs_classic": rs_classic,
        "rs_anis_lloyd_peters": rs_anis_lloyd,
        "dfa1": dfa1,
        "local_whittle_m_n065": local_whittle,
    }
    names = [*on_returns, "whittle_fgn"]
    per_h: dict[str, dict[str, dict[str, float | int]]] = {name: {} for name in names}
    for hurst in H_VALUES:
        prices = price_paths(hurst, reps, seed)
        returns = log_returns(prices)
        for name, estimator in on_returns.items():
            per_h[name][str(hurst)] = summarise(estimator(returns), hurst)
        per_h["whittle_fgn"][str(hurst)] = summarise(whittle_fgn(prices), hurst)
    table: dict[str, dict[str, object]] = {}
    for name, rows in per_h.items():
        rmses = [float(row["rmse"]) for row in rows.values()]
        mean_rmse = round(statistics.fmean(rmses), 4)
        table[name] = {
            **rows,
            "mean_rmse": mean_rmse,
            "max_rmse": max(rmses),
            "meets_target": mean_rmse <= TARGET["mean_rmse_max"] and max(rmses) <= TARGET["single_rmse_max"],
        }
    return table


def uncertainty(reps: int, seed: int) -> dict[str, dict[str, float]]:
    out = {}
    for hurst in np.round(np.arange(0.1, 0.91, 0.1), 1):
        estimates = [hurst_with_error(row) for row in price_paths(float(hurst), reps, seed)]
        hs = np.array([e.h for e in estimates])
        covered = np.mean([e.low <= hurst <= e.high for e in estimates])
        out[str(hurst)] = {
            "bias": round(float(hs.mean() - hurst), 4),
            "rmse": round(float(np.sqrt(((hs - hurst) ** 2).mean())), 4),
            "asymptotic_stderr": round(hurst_stderr(float(hurst)), 4),
            "coverage_90": round(float(covered), 3),
        }
    return out


def regime_rates(reps: int, seed: int) -> dict[str, dict[str, float]]:
    out = {}
    for hurst in (0.4, 0.5, 0.6):
        labels = [classify_regime(hurst_exponent(row)) for row in price_paths(hurst, reps, seed)]
        out[str(hurst)] = {r.value: round(labels.count(r) / reps, 3) for r in Regime if r != Regime.UNKNOWN}
    return out


def grid_refinement(reps: int, seed: int) -> dict[str, float | int]:
    """Compare the grid-plus-parabola estimate with a bounded scalar optimiser on the same objective."""
    diffs = []
    for hurst in H_VALUES:
        prices = price_paths(hurst, reps, seed)
        freqs, pgram = _periodogram(log_returns(prices))
        for row, price_row in zip(pgram, prices, strict=True):

            def objective(h: float, row: FloatArray = row, freqs: FloatArray = freqs) -> float:
                f = fgn_spectral_density(freqs, h)
                return float(np.log(np.mean(row / f)) + np.mean(np.log(f)))

            exact = minimize_scalar(objective, bounds=(0.01, 0.99), method="bounded", options={"xatol": 1e-8})
            diffs.append(abs(float(exact.x) - hurst_exponent(price_row)))
    return {
        "series": len(diffs),
        "median_abs_diff": float(f"{statistics.median(diffs):.1e}"),
        "max_abs_diff": float(f"{max(diffs):.1e}"),
    }


def _best_and_median(func: Callable[[], object], runs: int) -> dict[str, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return {"best": round(min(times), 4), "median": round(statistics.median(times), 4)}


def speed(points: int, seed: int, runs: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    prices = 100.0 * np.exp(np.cumsum(0.001 * fractional_gaussian_noise(points, 0.55, rng)))
    rolling_hurst(prices[:1000])  # builds the cached Whittle table, as the first live tick would

    def reference() -> None:
        walk = np.cumsum(prices)
        np.lib.stride_tricks.sliding_window_view(walk, N_PRICES).std(axis=1)

    rolling = _best_and_median(lambda: rolling_hurst(prices), runs)
    # numpy reports its buffers to tracemalloc, so this is rolling_hurst's own working memory,
    # apart from the input and the interpreter.
    tracemalloc.start()
    rolling_hurst(prices)
    alloc_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    # Read before the reference runs: its .std() over the window view allocates points x window floats.
    rss_rolling = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ref = _best_and_median(reference, runs)
    return {
        "points": points,
        "window": N_PRICES,
        "runs": runs,
        "rolling_hurst_s": rolling,
        "reference": "np.cumsum + sliding_window_view(..., 100).std(axis=1)",
        "reference_s": ref,
        "ratio_best": round(rolling["best"] / ref["best"], 3),
        "meets_target": rolling["best"] <= TARGET["rolling_1m_seconds_max"],
        "threads": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
        "rolling_hurst_alloc_peak_mb": round(alloc_peak, 1),
        "peak_rss_mb_through_rolling_hurst": round(rss_rolling, 1),
        "peak_rss_mb_through_reference": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="300 replications and 3 timing runs")
    parser.add_argument("--reps", type=int, default=None, help="replications per H (default 2000)")
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    reps = args.reps or (300 if args.quick else 2000)
    started = time.perf_counter()
    report: dict[str, object] = {
        "config": {
            "n_prices": N_PRICES,
            "n_returns": N_PRICES - 1,
            "replications_per_h": reps,
            "seed": args.seed,
            "generator": "Davies-Harte exact fGn, log-returns = 0.01 * fGn, prices = 100 * exp(cumsum)",
            "python": sys.version.split()[0],
            "numpy": np.__version__,
        },
        "target": TARGET,
        "accuracy": accuracy(reps, args.seed),
        "chosen": "whittle_fgn",
        "uncertainty": uncertainty(reps, args.seed),
        "regime_at_n100": regime_rates(reps, args.seed),
        "grid_refinement": grid_refinement(min(reps, 100), args.seed),
        "speed": speed(args.points, args.seed, 3 if args.quick else 7),
    }
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
