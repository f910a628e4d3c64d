"""Performance figures of a backtest, from its trades and its per-bar equity curve.

Annualisation: crypto perpetuals trade around the clock, so a year is 365.25 days of bars:
periods per year = 365.25 × 86 400 s / bar interval (525 960 for 1-minute bars, 35 064 for 15-minute bars).
Sharpe = mean(r) / std(r) × √periods, with r the bar-to-bar simple returns of equity and std the sample
standard deviation (ddof 1); Sortino = mean(r) / downside deviation × √periods, with the downside deviation
√(mean(min(r, 0)²)) over all bars. No risk-free rate (a perpetual's cash earns none in the backtest).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bigalpha.learning.review import profit_factor

FloatArray = npt.NDArray[np.float64]
SECONDS_PER_YEAR = 365.25 * 86_400.0


@dataclass(frozen=True, slots=True)
class Metrics:
    trades: int
    final_equity: float
    net_pnl: float
    profit_factor: float | None  # None without any closed trade that won or lost
    win_rate: float | None
    max_drawdown_pct: float
    sharpe: float | None
    sortino: float | None
    exposure_pct: float

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "trades": self.trades,
            "final_equity": self.final_equity,
            "net_pnl": self.net_pnl,
            "profit_factor": _json_number(self.profit_factor),
            "win_rate": self.win_rate,
            "max_drawdown_pct": self.max_drawdown_pct,
            "sharpe": self.sharpe,
            "sortino": self.sortino,
            "exposure_pct": self.exposure_pct,
        }


def _json_number(value: float | None) -> float | None:
    # JSON has no infinity: a profit factor with gains and no loss is reported as null with win_rate 1.
    return None if value is None or math.isinf(value) else value


def periods_per_year(bar_seconds: float) -> float:
    if not bar_seconds > 0:
        raise ValueError(f"the bar interval must be positive, got {bar_seconds} s")
    return SECONDS_PER_YEAR / bar_seconds


def max_drawdown_pct(equity: FloatArray) -> float:
    """Largest peak-to-trough fall of equity, in percent of the peak (0 for a curve that never falls)."""
    if equity.size == 0:
        return 0.0
    peaks = np.maximum.accumulate(equity)
    with np.errstate(invalid="ignore", divide="ignore"):
        falls = np.where(peaks > 0, (peaks - equity) / peaks, 0.0)
    return float(falls.max() * 100.0)


def drawdown_curve_pct(equity: FloatArray) -> FloatArray:
    peaks = np.maximum.accumulate(equity)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(peaks > 0, (equity - peaks) / peaks * 100.0, 0.0)
    return out


def bar_returns(equity: FloatArray) -> FloatArray:
    if equity.size < 2:
        return np.zeros(0)
    previous = equity[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(previous > 0, equity[1:] / previous - 1.0, 0.0)
    return out


def sharpe_sortino(equity: FloatArray, bar_seconds: float) -> tuple[float | None, float | None]:
    """Annualised Sharpe and Sortino ratios of the per-bar equity returns (see the module docstring)."""
    r = bar_returns(equity)
    if r.size < 2:
        return None, None
    scale = math.sqrt(periods_per_year(bar_seconds))
    mean = float(r.mean())
    std = float(r.std(ddof=1))
    downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    sharpe = mean / std * scale if std > 0 else None
    sortino = mean / downside * scale if downside > 0 else None
    return sharpe, sortino


def compute_metrics(
    pnls: FloatArray, equity: FloatArray, starting_equity: float, in_market: float, bar_seconds: float
) -> Metrics:
    """`in_market` is the fraction of bars with a position open (0–1)."""
    final = float(equity[-1]) if equity.size else starting_equity
    wins = int((pnls > 0).sum())
    sharpe, sortino = sharpe_sortino(equity, bar_seconds)
    return Metrics(
        trades=int(pnls.size),
        final_equity=final,
        net_pnl=final - starting_equity,
        profit_factor=profit_factor(pnls),
        win_rate=wins / pnls.size if pnls.size else None,
        max_drawdown_pct=max_drawdown_pct(equity),
        sharpe=sharpe,
        sortino=sortino,
        exposure_pct=in_market * 100.0,
    )
