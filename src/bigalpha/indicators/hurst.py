"""Hurst exponent over a strict rolling window (A-HURST-1) and the regime it implies (A-HURST-2).

Estimator: the profile Whittle likelihood for fractional Gaussian noise, applied to the log-returns
of each window. It was chosen by measurement against R/S, DFA-1 and local Whittle on exact fGn of
known H; the figures and the command that regenerates them are in ``docs/indicators.md``.

One arithmetic serves every caller: ``hurst_exponent`` and ``hurst_with_error`` evaluate the last
window with ``rolling_hurst``'s operations on a batch of one row (the same FFT, the same BLAS
product, the same logarithms), written for one window so the batching around them costs nothing.
The result is the same float, to the bit, as ``rolling_hurst`` over that window (a property test),
so a backtest and the live bot see the same number for the same prices.

How it is fast: every window's periodogram comes from one batched real FFT, and the Whittle
objective for a whole grid of H values is a single matrix product with a precomputed table of
normalised inverse fGn spectral densities. The grid minimum is refined by a parabola through its
neighbours on the log scale, where the objective is smooth.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bigalpha.domain.enums import Regime  # re-exported: the regime type is the domain's
from bigalpha.indicators.fgn import fgn_spectral_density

FloatArray = npt.NDArray[np.float64]

DEFAULT_WINDOW = 100
"""A-HURST-1: the estimate uses exactly this many prices, hence window - 1 log-returns."""

MIN_WINDOW = 8
"""The smallest window whose returns still have three Fourier frequencies (scale, slope, curvature)."""

_GRID_STEP = 0.01
_H_GRID: FloatArray = np.round(np.arange(0.01, 0.99 + _GRID_STEP / 2, _GRID_STEP), 10)

# Windows per FFT batch: large enough to amortise the Python loop, small enough that the working
# set (periodogram and objective matrices) stays in cache. Measured over 1M points on one core:
# 1k-4k windows 0.52-0.55 s, 8k 0.65 s, 32k 0.92 s. It also bounds memory for any input length.
_CHUNK = 2048

# A window whose log-returns have an RMS below 1e-9 is flat for every traded instrument (a 1e-4
# tick on a $1 coin moves the log-price by 1e-4); its "spectrum" would be floating-point rounding,
# and H is undefined there.
_MIN_RETURN_POWER = 1e-18

_Z_90 = 1.6448536269514722
"""Two-sided 90% normal quantile, for the interval shown on the dashboard."""


@dataclass(frozen=True, slots=True)
class HurstEstimate:
    """A Hurst estimate with its uncertainty; every field is NaN when the estimate is unknown.

    ``stderr`` is the asymptotic standard error of the Whittle estimator at ``h`` for this window
    length (inverse Fisher information); ``low``/``high`` bound a ~90% interval, clipped to [0, 1].
    """

    h: float
    stderr: float
    low: float
    high: float

    @property
    def known(self) -> bool:
        return not math.isnan(self.h)


@dataclass(frozen=True, slots=True)
class _WhittleTable:
    """Everything about the Whittle objective that depends only on the number of returns."""

    n_returns: int
    n_freqs: int
    weights: FloatArray
    """(n_freqs, grid) matrix: periodogram @ weights is exp(Q(H)) for every H on the grid."""
    stderr: FloatArray
    """Asymptotic standard error of the estimate at each grid H."""


@functools.lru_cache(maxsize=8)
def _whittle_table(n_returns: int) -> _WhittleTable:
    # Fourier frequencies 2 pi j / n for 0 < j < n/2: the zero frequency carries only the mean
    # (a nuisance, and the reason the estimate ignores drift), and Nyquist is excluded because
    # its periodogram ordinate has a different distribution.
    n_freqs = (n_returns - 1) // 2
    freqs = 2.0 * math.pi * np.arange(1, n_freqs + 1) / n_returns
    log_f = np.log(np.array([fgn_spectral_density(freqs, float(h)) for h in _H_GRID]))
    # Profile Whittle: Q(H) = log(mean_j I_j / f_j) + mean_j log f_j = log(sum_j I_j * w_j(H)),
    # with w_j = exp(mean log f - log f_j) / J; the overall scale of f drops out exactly.
    centred = log_f - log_f.mean(axis=1, keepdims=True)
    weights = np.ascontiguousarray((np.exp(-centred) / n_freqs).T)
    # Each ordinate I_j / f_j is asymptotically Exp(1), so the Fisher information for H, with the
    # scale profiled out, is sum_j (d log f_j / dH - mean)^2.
    slope = np.gradient(centred, _H_GRID, axis=0)
    information = (slope**2).sum(axis=1)
    stderr = 1.0 / np.sqrt(information)
    for array in (weights, stderr):
        array.setflags(write=False)
    return _WhittleTable(n_returns=n_returns, n_freqs=n_freqs, weights=weights, stderr=stderr)


def _rfft(values: FloatArray, axis: int = -1) -> npt.NDArray[np.complex128]:
    """SciPy's real FFT along `axis`. SciPy is imported at the first estimate, not with this module: the whole
    command-line program imports the indicators (the risk gate reads their context), and SciPy's import took a
    quarter of the start of commands that never estimate anything (`bigalpha kill-switch trip`)."""
    from scipy import fft

    result: npt.NDArray[np.complex128] = fft.rfft(values, axis=axis)
    return result


def _whittle_estimates(returns: FloatArray, table: _WhittleTable) -> FloatArray:
    """H for each row of a (windows, n_returns) matrix of log-returns; NaN for flat rows."""
    spectrum = _rfft(returns, axis=1)[:, 1 : table.n_freqs + 1]
    periodogram = spectrum.real**2 + spectrum.imag**2
    flat = periodogram.mean(axis=1) <= _MIN_RETURN_POWER * table.n_returns
    objective = periodogram @ table.weights
    best = np.argmin(objective, axis=1)
    centre = np.clip(best, 1, _H_GRID.size - 2)
    rows = np.arange(objective.shape[0])
    # Flat rows have an all-zero objective; give them a harmless value so log() stays silent.
    objective[flat] = 1.0
    left = np.log(objective[rows, centre - 1])
    middle = np.log(objective[rows, centre])
    right = np.log(objective[rows, centre + 1])
    curvature = left - 2.0 * middle + right
    offset = np.divide(0.5 * (left - right), curvature, out=np.zeros_like(curvature), where=curvature > 0)
    # At the grid's ends the minimum is on the boundary: no interior vertex to refine towards.
    interior = best == centre
    estimate: FloatArray = np.where(interior, _H_GRID[centre] + offset * _GRID_STEP, _H_GRID[best])
    estimate[flat] = np.nan
    return estimate


def _window_estimate(prices: FloatArray, table: _WhittleTable) -> float:
    """H of exactly one window of ``table.n_returns + 1`` prices: ``rolling_hurst`` of that window, bit for bit.

    Each step is the batched path's operation on its one row, so the floats are the same: one-row FFT,
    the (1, n_freqs) @ (n_freqs, grid) product (the BLAS call a batch of one makes), NumPy's log of the
    three objective values around the minimum, and the refinement in float64 scalars.
    """
    lowest, highest = float(np.minimum.reduce(prices)), float(np.maximum.reduce(prices))
    if not (lowest > 0.0 and highest < math.inf):  # also False for a NaN price
        return math.nan
    # The extremes bound every ratio of consecutive prices (rounding is monotone), so when their ratio
    # neither overflows nor vanishes no return can; otherwise the general path voids the bad returns.
    if not (highest / lowest < math.inf and lowest / highest > 0.0):
        return float(rolling_hurst(prices, table.n_returns + 1)[-1])
    returns = np.log(prices[1:] / prices[:-1])
    spectrum = _rfft(returns)[1 : table.n_freqs + 1]
    return _periodogram_estimate(spectrum.real**2 + spectrum.imag**2, table)


def _periodogram_estimate(periodogram: FloatArray, table: _WhittleTable) -> float:
    """`_window_estimate`'s steps after the periodogram (a contiguous row of ``table.n_freqs`` ordinates)."""
    # mean() is the sum over the count, as NumPy computes it for the batch's row.
    if float(np.add.reduce(periodogram)) / table.n_freqs <= _MIN_RETURN_POWER * table.n_returns:
        return math.nan
    objective = (periodogram[np.newaxis] @ table.weights)[0]
    best = int(objective.argmin())
    if best == 0 or best == _H_GRID.size - 1:  # the minimum is on the grid's boundary: nothing to refine
        return float(_H_GRID[best])
    left, middle, right = np.log(objective[best - 1 : best + 2]).tolist()
    curvature = left - 2.0 * middle + right
    offset = 0.5 * (left - right) / curvature if curvature > 0 else 0.0
    return float(_H_GRID[best]) + offset * _GRID_STEP


def _prices_1d(x: npt.ArrayLike) -> FloatArray:
    prices = np.asarray(x, dtype=np.float64)
    if prices.ndim != 1:
        raise ValueError(f"prices must be a 1-D array, got shape {prices.shape}")
    return prices


def _check_window(window: int) -> None:
    if window < MIN_WINDOW:
        raise ValueError(f"window must be >= {MIN_WINDOW}, got {window}")


def _window_counts(flags: npt.NDArray[np.bool_], length: int) -> npt.NDArray[np.int64]:
    """How many flags are set in each run of ``length`` consecutive elements."""
    seen = np.concatenate([[0], np.cumsum(flags, dtype=np.int64)])
    counts: npt.NDArray[np.int64] = seen[length:] - seen[:-length]
    return counts


def rolling_hurst(x: npt.ArrayLike, window: int = DEFAULT_WINDOW) -> FloatArray:
    """Hurst exponent of each trailing window of prices (A-HURST-1).

    Element i is the estimate over ``x[i - window + 1 : i + 1]``; the first ``window - 1``
    elements are NaN, as is any window holding a non-finite or non-positive price, or whose
    prices do not move.
    """
    _check_window(window)
    prices = _prices_1d(x)
    out = np.full(prices.size, np.nan)
    if prices.size < window:
        return out
    valid = np.isfinite(prices) & (prices > 0.0)
    safe = np.where(valid, prices, 1.0)
    # log of the ratio, not a difference of logs: equal prices give exactly 0 and scaling all
    # prices by a constant changes each return by at most one rounding error. A ratio can
    # still overflow (prices 300 orders of magnitude apart); that return then voids its windows.
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        returns = np.log(safe[1:] / safe[:-1])
    finite = np.isfinite(returns)
    returns[~finite] = 0.0
    n_returns = window - 1
    bad_prices = _window_counts(~valid, window)
    bad_returns = _window_counts(~finite, n_returns)

    table = _whittle_table(n_returns)
    windows = np.lib.stride_tricks.sliding_window_view(returns, n_returns)
    estimates = np.empty(windows.shape[0])
    for start in range(0, windows.shape[0], _CHUNK):
        stop = start + _CHUNK
        estimates[start:stop] = _whittle_estimates(windows[start:stop], table)
    estimates[(bad_prices > 0) | (bad_returns > 0)] = np.nan
    out[window - 1 :] = estimates
    return out


def hurst_exponent(x: npt.ArrayLike, *, window: int = DEFAULT_WINDOW) -> float:
    """Hurst exponent of the last ``window`` prices; NaN when there are fewer (A-HURST-1)."""
    _check_window(window)
    prices = _prices_1d(x)
    if prices.size < window:
        return math.nan
    return _window_estimate(prices[-window:], _whittle_table(window - 1))


def hurst_stderr(h: float, *, window: int = DEFAULT_WINDOW) -> float:
    """Asymptotic standard error of a Whittle estimate ``h`` over ``window`` prices; NaN if h is."""
    _check_window(window)
    if math.isnan(h):
        return math.nan
    table = _whittle_table(window - 1)
    return float(np.interp(h, _H_GRID, table.stderr))


def hurst_with_error(x: npt.ArrayLike, *, window: int = DEFAULT_WINDOW) -> HurstEstimate:
    """The Hurst exponent of the last ``window`` prices with its standard error and ~90% interval.

    ``hurst_exponent`` then ``hurst_stderr``, with the window checked and its table looked up once (the
    builder calls this on every context)."""
    _check_window(window)
    prices = _prices_1d(x)
    if prices.size < window:
        return _UNKNOWN
    table = _whittle_table(window - 1)
    return _with_error(_window_estimate(prices[-window:], table), table)


def _with_error(h: float, table: _WhittleTable) -> HurstEstimate:
    if math.isnan(h):
        return _UNKNOWN
    stderr = float(np.interp(h, _H_GRID, table.stderr))
    return HurstEstimate(
        h=h,
        stderr=stderr,
        low=max(0.0, h - _Z_90 * stderr),
        high=min(1.0, h + _Z_90 * stderr),
    )


class WindowEstimates:
    """`hurst_with_error` of the trailing windows of one price series, asked for bar by bar (a backtest asks at the
    bars its decisions read an estimate from, in increasing order).

    Each estimate is the float `hurst_with_error` gives for its window. What does not depend on the window's own
    arithmetic is made for `block` consecutive windows at once, when one of them is first asked for: the
    log-returns (element by element, the same floats), their FFT (a batch's row is that row's one-window FFT, the
    equality `rolling_hurst` rests on) and the periodograms; the steps after, down to the one-row BLAS product, are
    the one-window ones on each row. A block whose prices could void a return (not all positive and finite, or a
    ratio out of range) is estimated window by window."""

    def __init__(self, prices: FloatArray, window: int, block: int) -> None:
        _check_window(window)
        if block < 1:
            raise ValueError(f"block must be >= 1, got {block}")
        self.prices = _prices_1d(prices)
        self._window = window
        self._block = block
        self._table = _whittle_table(window - 1)
        self._first = -1  # the first window end of the block held; -1: none
        self._periodograms: FloatArray | None = None  # None with a block held: window by window

    def at(self, end: int) -> HurstEstimate:
        """The estimate over ``prices[end - window + 1 : end + 1]``; unknown when that window is not full."""
        window = self._window
        if not window - 1 <= end < self.prices.shape[0]:
            return _UNKNOWN
        row = end - self._first
        if self._first < 0 or not 0 <= row < self._block:
            self._load(end)
            row = 0
        table = self._table
        if self._periodograms is None:
            return _with_error(_window_estimate(self.prices[end - window + 1 : end + 1], table), table)
        return _with_error(_periodogram_estimate(self._periodograms[row], table), table)

    def _load(self, first: int) -> None:
        stop = min(first + self._block, self.prices.shape[0])  # window ends [first, stop)
        prices = self.prices[first - self._window + 1 : stop]
        self._first = first
        self._periodograms = None
        lowest, highest = float(np.minimum.reduce(prices)), float(np.maximum.reduce(prices))
        # Every window's extremes lie within the block's, so these bounds hold for each window (`_window_estimate`).
        if not (lowest > 0.0 and highest < math.inf and highest / lowest < math.inf and lowest / highest > 0.0):
            return
        returns = np.log(prices[1:] / prices[:-1])
        windows = np.lib.stride_tricks.sliding_window_view(returns, self._table.n_returns)
        spectrum = _rfft(windows, axis=1)[:, 1 : self._table.n_freqs + 1]
        self._periodograms = spectrum.real**2 + spectrum.imag**2


_UNKNOWN = HurstEstimate(h=math.nan, stderr=math.nan, low=math.nan, high=math.nan)


def classify_regime(h: float, *, trending_above: float = 0.55, noise_below: float = 0.45) -> Regime:
    """A-HURST-2: H > trending_above is trending, H < noise_below is noise, otherwise random walk.

    Both boundaries belong to the random walk; NaN (no estimate) is UNKNOWN.
    """
    if math.isnan(h):
        return Regime.UNKNOWN
    if h > trending_above:
        return Regime.TRENDING
    if h < noise_below:
        return Regime.NOISE
    return Regime.RANDOM_WALK
