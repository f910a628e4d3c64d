"""Positioning indicators: OI velocity (A-OI-1), retail long/short (A-LSR-1), fear & greed (A-FG-1),
funding divergence between exchanges (read by R-T-2), and the TRUE TREND predicate (P-TREND-1).

OI velocity works on timestamps, not on bar counts, because open interest is observed on its own clock
(a cache may serve the same observation for several snapshots): the 5-minute delta is the newest
observation minus the latest observation at or before `newest.as_of − 5 min`, which must not be older
than that by more than `oi_velocity_tolerance_s` (else the delta is unknown, never a guess from a longer
span). Only observations newer than every earlier one count: a repeated or out-of-order `as_of` adds nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

BPS_PER_UNIT = 10_000.0


@dataclass(frozen=True, slots=True)
class OiVelocity:
    """Per-bar OI columns: the OI in use, its 5-minute delta (USD) and that delta as a fraction of the old OI."""

    open_interest_usd: FloatArray
    delta_usd: FloatArray
    change_pct: FloatArray


def new_observations(as_of_s: npt.ArrayLike, values: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where a finite observation is strictly newer than every earlier finite one."""
    t = np.asarray(as_of_s, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    valid = np.isfinite(t) & np.isfinite(v)
    newest = np.maximum.accumulate(np.where(valid, t, -np.inf))
    before = np.concatenate([[-np.inf], newest[:-1]])
    fresh: npt.NDArray[np.bool_] = valid & (t > before)
    return fresh


def oi_velocity(as_of_s: npt.ArrayLike, oi_usd: npt.ArrayLike, *, minutes: int, tolerance_s: float) -> OiVelocity:
    """A-OI-1 at every bar: `as_of_s` is each bar's OI observation time (epoch seconds), NaN when unavailable."""
    t = np.asarray(as_of_s, dtype=np.float64)
    v = np.asarray(oi_usd, dtype=np.float64)
    n = t.shape[0]
    # Over a whole history each array here is as long as the run: each is released after its last use, and the
    # observations are the inputs themselves when every bar is one (a simulator's), so that a handful, not a dozen,
    # are alive at once.
    fresh = new_observations(t, v)
    obs_t, obs_v = (t, v) if fresh.all() else (t[fresh], v[fresh])
    latest = np.cumsum(fresh, dtype=np.int64)
    latest -= 1  # index of the newest observation seen up to each bar
    del fresh
    valid = np.isfinite(t) & np.isfinite(v) & (latest >= 0)
    current = np.full(n, np.nan)
    delta = np.full(n, np.nan)
    change = np.full(n, np.nan)
    if obs_t.shape[0] == 0:
        return OiVelocity(current, delta, change)
    k = np.clip(latest, 0, None, out=latest)
    now_v = obs_v[k]
    current[valid] = now_v[valid]
    target = obs_t[k] - 60.0 * minutes
    del k
    past = np.searchsorted(obs_t, target, side="right") - 1
    known = valid & (past >= 0)
    del valid
    np.clip(past, 0, None, out=past)
    known &= obs_t[past] >= target - tolerance_s
    del target
    old = obs_v[past]
    del past
    delta[known] = now_v[known] - old[known]
    del now_v
    with_base = known & (old != 0)
    # A base so small that the ratio overflows (a subnormal OI) gives inf, which every reader takes as unknown.
    with np.errstate(over="ignore"):
        change[with_base] = delta[with_base] / old[with_base]
    return OiVelocity(current, delta, change)


def funding_divergence_bps(rates: Mapping[str, float] | None) -> float | None:
    """Spread between the highest and lowest funding rate across exchanges, in basis points (≥ 0).

    Rates are fractions per funding interval (0.0001 = 1 bp). Unknown (None) with fewer than two exchanges.
    """
    if rates is None:
        return None
    finite = [r for r in rates.values() if math.isfinite(r)]
    if len(finite) < 2:
        return None
    return (max(finite) - min(finite)) * BPS_PER_UNIT


def true_trend(hurst: float | None, oi_delta_5m_usd: float | None, *, trending_above: float) -> bool | None:
    """P-TREND-1: TRUE TREND = H > trending_above AND a positive 5-minute OI delta.

    Three-valued: False as soon as one known input rules it out, None when it hinges on an unknown input.
    """
    hurst_says = None if hurst is None or math.isnan(hurst) else hurst > trending_above
    oi_says = None if oi_delta_5m_usd is None or math.isnan(oi_delta_5m_usd) else oi_delta_5m_usd > 0
    if hurst_says is False or oi_says is False:
        return False
    if hurst_says is None or oi_says is None:
        return None
    return True
