"""The reference strategy `sma_cross`: vectorized crossing detection and a Numba state machine for the position.

Rules (docs/backtesting.md states them with their backtesting.py counterpart):

- SMA(n) of closes, first value at index n − 1; each value is the window's left-to-right sum divided by n, so
  a plain-Python `sum(closes[t - n + 1 : t + 1]) / n` gives the very same float;
- up-cross at bar t: fast[t] > slow[t] and fast[t − 1] ≤ slow[t − 1]; down-cross the mirror;
- an up-cross while flat enters at open[t + 1], a down-cross while long exits at open[t + 1]; nothing is
  decided on the last bar;
- all-in: quantity = cash / (price × (1 + fee)), fractional, so cash after entry is zero; exit proceeds are
  quantity × price × (1 − fee);
- the stop sits at entry × (1 − stop%), active from the bar whose open filled the entry: it fills at the stop
  price, or at that bar's open when the open is already below it (P-STOP-1). A stop and a signal are
  independent: after a stop, the next up-cross enters again;
- final equity marks an open position at the last close, with no exit fee.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

EXIT_SIGNAL = 0
EXIT_STOP = 1
EXIT_OPEN = 2  # still open at the end of the data (marked at the last close)
EXIT_REASONS = ("signal", "stop", "open")


@dataclass(frozen=True, slots=True)
class SmaCrossParams:
    fast: int = 10
    slow: int = 30
    fee: float = 0.0  # a fraction of notional per side (bps / 10 000)
    stop_pct: float = 0.0  # a fraction; 0 = no stop
    cash: float = 10_000.0

    def __post_init__(self) -> None:
        problems = []
        if self.fast < 1 or self.slow < 1:
            problems.append(f"fast and slow must be at least 1, got fast={self.fast} slow={self.slow}")
        if self.fast >= self.slow:
            problems.append(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        if not 0.0 <= self.fee < 0.1:
            problems.append(f"fee must be a fraction in [0, 0.1), got {self.fee}")
        if not 0.0 <= self.stop_pct < 1.0:
            problems.append(f"stop_pct must be a fraction in [0, 1), got {self.stop_pct}")
        if not self.cash > 0:
            problems.append(f"cash must be positive, got {self.cash}")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True, slots=True)
class SmaCrossResult:
    """Trades as parallel arrays (one element per trade, in order) and the per-bar equity at each close."""

    entry_bar: IntArray
    exit_bar: IntArray  # the last bar's index for a trade still open
    entry_price: FloatArray
    exit_price: FloatArray  # the last close for a trade still open
    quantity: FloatArray
    fees: FloatArray
    pnl: FloatArray  # net of both fees (entry fee only for a trade still open)
    reason: IntArray  # EXIT_SIGNAL, EXIT_STOP, EXIT_OPEN
    equity: FloatArray
    final_equity: float

    @property
    def trades(self) -> int:
        return int(self.entry_bar.shape[0])


@numba.njit(cache=True)
def sma(values: FloatArray, n: int) -> FloatArray:  # pragma: no cover - compiled
    """Simple moving average; NaN before index n − 1. Each window is summed left to right (see module doc)."""
    out = np.full(values.shape[0], np.nan)
    for t in range(n - 1, values.shape[0]):
        total = 0.0
        for k in range(t - n + 1, t + 1):
            total += values[k]
        out[t] = total / n
    return out


def crossings(fast: FloatArray, slow: FloatArray) -> tuple[BoolArray, BoolArray]:
    """(up, down) cross masks; NaN comparisons are false, so no cross is seen before both averages exist."""
    up = np.zeros(fast.shape[0], dtype=np.bool_)
    down = np.zeros(fast.shape[0], dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        up[1:] = (fast[1:] > slow[1:]) & (fast[:-1] <= slow[:-1])
        down[1:] = (fast[1:] < slow[1:]) & (fast[:-1] >= slow[:-1])
    return up, down


@numba.njit(cache=True)
def _run(  # noqa: PLR0915 - one flat loop is what Numba compiles best  # pragma: no cover
    open_: FloatArray,
    low: FloatArray,
    close: FloatArray,
    up: BoolArray,
    down: BoolArray,
    fee: float,
    stop_pct: float,
    cash: float,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, IntArray, FloatArray, float]:
    n = open_.shape[0]
    cap = int(up.sum()) + 1
    e_bar = np.empty(cap, np.int64)
    x_bar = np.empty(cap, np.int64)
    e_px = np.empty(cap, np.float64)
    x_px = np.empty(cap, np.float64)
    qty_out = np.empty(cap, np.float64)
    fee_out = np.empty(cap, np.float64)
    pnl_out = np.empty(cap, np.float64)
    why = np.empty(cap, np.int64)
    equity = np.empty(n, np.float64)
    k = 0
    qty = 0.0
    entry = 0.0
    stop = 0.0
    cost = 0.0  # cash spent on the open trade, fee included
    pending = 0  # +1: enter at this bar's open, -1: exit at this bar's open
    for t in range(n):
        if pending == 1:
            entry = open_[t]
            cost = cash
            qty = cash / (entry * (1.0 + fee))
            cash = 0.0
            stop = entry * (1.0 - stop_pct)
            e_bar[k] = t
            e_px[k] = entry
            qty_out[k] = qty
        elif pending == -1 and qty > 0.0:
            price = open_[t]
            cash = qty * price * (1.0 - fee)
            x_bar[k], x_px[k], why[k] = t, price, 0
            fee_out[k] = qty * entry * fee + qty * price * fee
            pnl_out[k] = cash - cost
            qty = 0.0
            k += 1
        pending = 0
        if qty > 0.0 and stop_pct > 0.0 and low[t] <= stop:
            price = open_[t] if open_[t] < stop else stop
            cash = qty * price * (1.0 - fee)
            x_bar[k], x_px[k], why[k] = t, price, 1
            fee_out[k] = qty * entry * fee + qty * price * fee
            pnl_out[k] = cash - cost
            qty = 0.0
            k += 1
        if t < n - 1:
            if qty == 0.0 and up[t]:
                pending = 1
            elif qty > 0.0 and down[t]:
                pending = -1
        equity[t] = cash + qty * close[t]
    final = cash + qty * close[n - 1] if n > 0 else cash
    if qty > 0.0:
        x_bar[k], x_px[k], why[k] = n - 1, close[n - 1], 2
        fee_out[k] = qty * entry * fee
        pnl_out[k] = final - cost
        k += 1
    return e_bar[:k], x_bar[:k], e_px[:k], x_px[:k], qty_out[:k], fee_out[:k], pnl_out[:k], why[:k], equity, final


def run_sma_cross(
    open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray, params: SmaCrossParams
) -> SmaCrossResult:
    """The whole reference strategy over one symbol's bars (see the module docstring for the rules)."""
    del high  # a long-only stop reads only the low; kept in the signature so every caller passes full bars
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (open_, low, close)]
    if len({a.shape[0] for a in arrays}) != 1:
        raise ValueError("open, low and close must have the same length")
    fast = sma(arrays[2], params.fast)
    slow = sma(arrays[2], params.slow)
    up, down = crossings(fast, slow)
    out = _run(arrays[0], arrays[1], arrays[2], up, down, params.fee, params.stop_pct, params.cash)
    return SmaCrossResult(*out[:9], final_equity=float(out[9]))
