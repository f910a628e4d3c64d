"""Guard ablation (`--ablate`): the bot once per guard with that guard switched off (`settings.gate.guards`),
compared with the baseline run that has every configured guard on.

Confidence intervals come from a seeded bootstrap over trades: B resamples draw, with replacement, as many
trades as each run made (baseline and ablated independently, in drawn order); each resample gives a profit
factor and a drawdown (of the starting equity plus the resampled P&L, cumulated); the interval is the 2.5th to
97.5th percentile of (ablated − baseline) over the resamples. Trade counts are exact and have no interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bigalpha.backtest.parallel import map_forked
from bigalpha.backtest.results import BacktestResult
from bigalpha.config import Settings
from bigalpha.config.gate import GuardSwitches

FloatArray = npt.NDArray[np.float64]
RunFn = Callable[[Settings, str], BacktestResult]
RESAMPLES = 1000
BASELINE = "baseline"  # the label of the run with every configured guard on


@dataclass(frozen=True, slots=True)
class AblationRow:
    guard: str
    trades: int
    trades_delta: int
    profit_factor: float | None
    profit_factor_delta: float | None
    profit_factor_delta_ci: tuple[float | None, float | None]
    max_drawdown_pct: float
    max_drawdown_delta: float
    max_drawdown_delta_ci: tuple[float | None, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "guard": self.guard,
            "trades": self.trades,
            "trades_delta": self.trades_delta,
            "profit_factor": self.profit_factor,
            "profit_factor_delta": self.profit_factor_delta,
            "profit_factor_delta_ci95": list(self.profit_factor_delta_ci),
            "max_drawdown_pct": self.max_drawdown_pct,
            "max_drawdown_delta": self.max_drawdown_delta,
            "max_drawdown_delta_ci95": list(self.max_drawdown_delta_ci),
        }


def switchable_guards(settings: Settings) -> list[str]:
    """The guard switches that are on in `settings` (switching off one that is already off changes nothing)."""
    switches = settings.gate.guards
    return [name for name in GuardSwitches.model_fields if getattr(switches, name)]


def without_guard(settings: Settings, guard: str) -> Settings:
    guards = settings.gate.guards.model_copy(update={guard: False})
    return settings.model_copy(update={"gate": settings.gate.model_copy(update={"guards": guards})})


def _closed_pnls(result: BacktestResult) -> FloatArray:
    return np.array([t.pnl for t in result.trades if t.exit_reason != "open"], dtype=np.float64)


def _bootstrap(pnls: FloatArray, start: float, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """(profit factors, max drawdowns in %) of RESAMPLES resamples; NaN where a resample has no loss or no trade."""
    if pnls.size == 0:
        return np.full(RESAMPLES, np.nan), np.zeros(RESAMPLES)
    sample = pnls[rng.integers(0, pnls.size, size=(RESAMPLES, pnls.size))]
    gains = np.where(sample > 0, sample, 0.0).sum(axis=1)
    losses = -np.where(sample < 0, sample, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pf = np.where(losses > 0, gains / losses, np.nan)
    equity = start + np.cumsum(sample, axis=1)
    equity = np.concatenate([np.full((RESAMPLES, 1), start), equity], axis=1)
    peaks = np.maximum.accumulate(equity, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdown = np.nanmax(np.where(peaks > 0, (peaks - equity) / peaks, 0.0), axis=1) * 100.0
    return pf, drawdown


def _interval(values: FloatArray) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low), float(high)


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def compare(baseline: BacktestResult, ablated: BacktestResult, guard: str, seed: int) -> AblationRow:
    rng = np.random.default_rng(seed)
    base_pf, base_dd = _bootstrap(_closed_pnls(baseline), baseline.starting_equity, rng)
    abl_pf, abl_dd = _bootstrap(_closed_pnls(ablated), ablated.starting_equity, rng)
    b, a = baseline.metrics, ablated.metrics
    pf_b, pf_a = _finite(b.profit_factor), _finite(a.profit_factor)
    return AblationRow(
        guard=guard,
        trades=a.trades,
        trades_delta=a.trades - b.trades,
        profit_factor=pf_a,
        profit_factor_delta=None if pf_a is None or pf_b is None else pf_a - pf_b,
        profit_factor_delta_ci=_interval(abl_pf - base_pf),
        max_drawdown_pct=a.max_drawdown_pct,
        max_drawdown_delta=a.max_drawdown_pct - b.max_drawdown_pct,
        max_drawdown_delta_ci=_interval(abl_dd - base_dd),
    )


def ablate(
    settings: Settings,
    run: RunFn,
    *,
    seed: int = 0,
    jobs: int = 1,
    done: Callable[[int, int], None] | None = None,
) -> tuple[BacktestResult, list[AblationRow]]:
    """The baseline run (`run(settings, BASELINE)`, every configured guard on) and one row per guard that is on:
    the bot re-run with that guard off (`run(settings without it, guard)`), against the baseline.

    The baseline and the ablated runs are made up to `jobs` at once, each in a worker forked from this process
    (`parallel.map_forked`); the results are the same whatever `jobs` is. `done(finished, total)` follows the runs
    as they finish."""
    guards = switchable_guards(settings)

    def one(guard: str | None) -> BacktestResult:
        return run(settings, BASELINE) if guard is None else run(without_guard(settings, guard), guard)

    baseline, *ablated = map_forked(one, [None, *guards], jobs=jobs, done=done)
    return baseline, [compare(baseline, result, guard, seed) for guard, result in zip(guards, ablated, strict=True)]
