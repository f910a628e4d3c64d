"""The exogenous part of returns: regime noise (fGn of a chosen Hurst exponent), a common market
factor, volatility clustering and the intraday cycle. All vectorized; the feedback of positions on
price (liquidation cascades, cluster magnets, max pain) is added by `core`.

Volatility clustering is a two-factor log-stochastic-volatility model rather than a GARCH recursion:
log σ_t = log σ + fast_t + slow_t, each an AR(1). It reproduces the slowly decaying autocorrelation
of |r| that GARCH is used for, and it is a linear filter, so a year of it costs two passes of a compiled AR(1) loop.
Multiplying fGn by a slowly varying σ keeps the Hurst exponent of each 100-bar window close to the
regime's (see the H test in tests/unit/sim/).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

from bigalpha.indicators.fgn import fractional_gaussian_noise

FloatArray = npt.NDArray[np.float64]


@numba.njit(cache=True)
def _ar1_kernel(innovations: FloatArray, phi: float, previous: float) -> FloatArray:
    out = np.empty_like(innovations)
    x = previous
    for i in range(innovations.size):
        x = phi * x + innovations[i]
        out[i] = x
    return out


def ar1(innovations: FloatArray, phi: float, previous: float) -> FloatArray:
    """x_t = phi · x_{t-1} + innovation_t, starting from x_{-1} = previous.

    A Numba loop rather than scipy.signal.lfilter: same speed, and importing scipy.signal would add
    over a second to every CLI start."""
    result: FloatArray = _ar1_kernel(np.ascontiguousarray(innovations, dtype=np.float64), float(phi), float(previous))
    return result


def ar1_phi(time_constant: float) -> float:
    return math.exp(-1.0 / time_constant)


def ar1_draw(rng: np.random.Generator, n: int, time_constant: float, std: float, previous: float) -> FloatArray:
    """An AR(1) path with the given stationary std, continuing from `previous`."""
    phi = ar1_phi(time_constant)
    shocks = rng.standard_normal(n) * std * math.sqrt(1.0 - phi * phi)
    return ar1(shocks, phi, previous)


def intraday_profile(minute_of_day: npt.NDArray[np.int64], amplitude: float) -> FloatArray:
    """Activity multiplier by UTC time: busiest around 14:30 (US open), quietest around 02:30."""
    phase = 2.0 * math.pi * (minute_of_day / 60.0 - 14.5) / 24.0
    profile: FloatArray = 1.0 + amplitude * np.cos(phase)
    return profile


@dataclass(slots=True)
class VolState:
    fast: float = 0.0
    slow: float = 0.0
    burst: float = 0.0  # excess σ multiple of the bursts so far, decaying


@dataclass(frozen=True, slots=True)
class Bursts:
    """Volatility bursts (news, cascades): σ × (1 + excess), the excess decaying over `minutes`."""

    per_day: float
    mean_excess: float
    minutes: float


def volatility(
    rng: np.random.Generator,
    n: int,
    base: float,
    season: FloatArray,
    state: VolState,
    *,
    fast_minutes: float,
    fast_std: float,
    slow_minutes: float,
    slow_std: float,
    bursts: Bursts,
) -> FloatArray:
    """σ of each minute's log-return; updates `state` so the next chunk continues the path."""
    fast = ar1_draw(rng, n, fast_minutes, fast_std, state.fast)
    slow = ar1_draw(rng, n, slow_minutes, slow_std, state.slow)
    state.fast, state.slow = float(fast[-1]), float(slow[-1])
    impulses = np.zeros(n)
    count = rng.poisson(bursts.per_day * n / 1440.0)
    np.add.at(impulses, rng.integers(0, n, count), rng.exponential(bursts.mean_excess, count))
    excess = ar1(impulses, ar1_phi(bursts.minutes), state.burst)
    state.burst = float(excess[-1])
    # The lognormal's mean is exp(s²/2); dividing it out keeps `base` the typical σ.
    correction = 0.5 * (fast_std**2 + slow_std**2)
    sigma: FloatArray = base * season * np.exp(fast + slow - correction) * (1.0 + excess)
    return sigma


def hurst_runs(hurst: FloatArray) -> list[tuple[int, int, float]]:
    """(start, stop, H) of each run of equal Hurst exponents."""
    change = np.flatnonzero(np.diff(hurst)) + 1
    bounds = [0, *change.tolist(), hurst.size]
    return [(a, b, float(hurst[a])) for a, b in itertools.pairwise(bounds)]


def regime_noise(rng: np.random.Generator, hurst: FloatArray) -> FloatArray:
    """Unit-variance fGn whose Hurst exponent follows `hurst`, one exact draw per constant run."""
    out = np.empty(hurst.size)
    for start, stop, h in hurst_runs(hurst):
        out[start:stop] = fractional_gaussian_noise(stop - start, h, rng)
    return out


def mix_factor(common: FloatArray, own: FloatArray, correlation: float) -> FloatArray:
    """Unit-variance innovations sharing `correlation` of their variance with the market factor.
    A sum of independent fGn of one H is fGn of that H, so the mix keeps the regime."""
    mixed: FloatArray = math.sqrt(correlation) * common + math.sqrt(1.0 - correlation) * own
    return mixed


def jumps(rng: np.random.Generator, n: int, per_day: float, scale: float) -> FloatArray:
    """Rare jumps, in units of σ: Poisson arrivals, Student-t(3) sizes (fat tails beyond stochastic vol)."""
    out = np.zeros(n)
    count = rng.poisson(per_day * n / 1440.0)
    where = rng.integers(0, n, count)
    np.add.at(out, where, scale * rng.standard_t(3.0, count))
    return out
