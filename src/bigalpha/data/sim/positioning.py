"""Retail positioning (long/short accounts), funding on two venues, and the fear & greed index.

- Short share: retail fades moves, so the share of short accounts rises after a rally and falls after
  a drop (a tanh of the 4-hour return in units of its σ), plus slow noise. The long/short account ratio
  is (1 − short share) / short share, exactly.
- Funding (fraction per 8 h): a shared premium made of the interest component, momentum (24-hour
  return) and crowding (long share above its mean), each venue adding its own slow noise, so the
  Binance−OKX spread wanders and now and then exceeds R-T-2's 0.25 bps. The feed sometimes stalls
  (`funding_outage_per_day`): value and `as_of` freeze, so R-STALE-1 has something to see.
- Fear & greed (daily at 00:00 UTC): 50 + 45·tanh of the market factor's 2-week momentum, smoothed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bigalpha.data.sim.params import MINUTES_PER_DAY, SimParams, SymbolParams
from bigalpha.data.sim.price import ar1, ar1_draw, ar1_phi

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

VENUES = ("binanceusdm", "okx")
_SHORT_NOISE_MINUTES = 2880.0
_PREMIUM_NOISE_MINUTES = 480.0
_VENUE_NOISE_MINUTES = 240.0
_OKX_OFFSET = 0.000008


@dataclass(slots=True)
class PositioningState:
    ret_4h: float = 0.0  # EMA of 1-minute log-returns, span 4 h (× 240 ≈ 4-hour return)
    ret_24h: float = 0.0
    short_noise: float = 0.0
    premium_noise: float = 0.0
    venue_noise: tuple[float, float] = (0.0, 0.0)
    funding_last: tuple[float, float] = (0.0001, 0.0001)
    funding_last_minute: int = 0


def _ema(returns: FloatArray, span: float, previous: float) -> FloatArray:
    phi = ar1_phi(span)
    return ar1(returns * (1.0 - phi), phi, previous)


def _euphoria(momentum: FloatArray) -> FloatArray:
    # Crowds pay up convexly to be long a rally, while a sell-off depresses the premium less.
    clipped = np.clip(momentum, -6.0, 6.0)
    out: FloatArray = np.where(clipped > 0, np.sinh(clipped), np.tanh(clipped))
    return out


@dataclass(frozen=True, slots=True)
class Positioning:
    short_share: FloatArray  # per minute
    funding: tuple[FloatArray, FloatArray]  # per minute, binanceusdm and okx
    funding_as_of: IntArray  # absolute minute whose close the funding value describes


def positioning(
    rng: np.random.Generator,
    params: SimParams,
    sym: SymbolParams,
    log_returns: FloatArray,
    first_minute: int,
    state: PositioningState,
    short_level: FloatArray,
    short_weight: FloatArray,
    spread_override: FloatArray,
) -> Positioning:
    """Short share and funding of one symbol over one chunk. A scripted short share blends in with
    `short_weight` (0 free, 1 scripted); NaN in `spread_override` means a free spread."""
    n = log_returns.size
    ema4 = _ema(log_returns, 240.0, state.ret_4h)
    ema24 = _ema(log_returns, 1440.0, state.ret_24h)
    state.ret_4h, state.ret_24h = float(ema4[-1]), float(ema24[-1])
    sigma_4h = sym.vol_1m * math.sqrt(240.0)
    sigma_24h = sym.vol_1m * math.sqrt(1440.0)

    noise = ar1_draw(rng, n, _SHORT_NOISE_MINUTES, params.short_share_noise, state.short_noise)
    state.short_noise = float(noise[-1])
    fade = 0.1 * params.short_share_fade * np.tanh(240.0 * ema4 / sigma_4h)
    short = np.clip(sym.short_share_mean + fade + noise, 0.25, 0.75)
    short = (1.0 - short_weight) * short + short_weight * np.nan_to_num(short_level)

    common = ar1_draw(rng, n, _PREMIUM_NOISE_MINUTES, params.funding_common_noise, state.premium_noise)
    state.premium_noise = float(common[-1])
    premium = (
        params.funding_base
        + sym.funding_bias
        + sym.funding_scale
        * (
            params.funding_momentum * _euphoria(1440.0 * ema24 / sigma_24h)
            + params.funding_positioning * (sym.short_share_mean - short)
            + common
        )
    )
    venue_b = ar1_draw(rng, n, _VENUE_NOISE_MINUTES, sym.funding_noise, state.venue_noise[0])
    venue_o = ar1_draw(rng, n, _VENUE_NOISE_MINUTES, sym.funding_noise, state.venue_noise[1])
    state.venue_noise = (float(venue_b[-1]), float(venue_o[-1]))
    binance = premium + venue_b
    okx = premium + venue_o + _OKX_OFFSET
    # A scripted spread keeps the two venues' mean and sets their difference.
    forced = ~np.isnan(spread_override)
    mid = 0.5 * (binance + okx)
    binance = np.where(forced, mid + 0.5 * spread_override, binance)
    okx = np.where(forced, mid - 0.5 * spread_override, okx)
    binance = np.clip(binance, -params.funding_clamp, params.funding_clamp)
    okx = np.clip(okx, -params.funding_clamp, params.funding_clamp)

    as_of = np.arange(first_minute, first_minute + n, dtype=np.int64)
    frozen = _outages(rng, params, n)
    # Forward-fill the last good minute through each outage, from the previous chunk if needed.
    good = np.where(frozen, -1, np.arange(n))
    last_good = np.maximum.accumulate(good)
    carried = last_good < 0
    idx = np.maximum(last_good, 0)
    binance = np.where(carried, state.funding_last[0], binance[idx])
    okx = np.where(carried, state.funding_last[1], okx[idx])
    as_of = np.where(carried, state.funding_last_minute, as_of[idx])
    state.funding_last = (float(binance[-1]), float(okx[-1]))
    state.funding_last_minute = int(as_of[-1])
    return Positioning(short_share=short, funding=(binance, okx), funding_as_of=as_of)


def _outages(rng: np.random.Generator, params: SimParams, n: int) -> npt.NDArray[np.bool_]:
    frozen = np.zeros(n, dtype=bool)
    count = rng.poisson(params.funding_outage_per_day * n / MINUTES_PER_DAY)
    lo, hi = params.funding_outage_minutes
    starts = rng.integers(0, n, count)
    lengths = rng.integers(lo, hi + 1, count)
    for start, length in zip(starts.tolist(), lengths.tolist(), strict=True):
        frozen[start : start + length] = True
    return frozen


@dataclass(slots=True)
class FearGreedState:
    value: float = 50.0
    momentum: float = 0.0  # EMA of daily market-factor log-returns, span 14 days


def fear_greed(
    rng: np.random.Generator, state: FearGreedState, last_day_return: float | None, daily_vol: float
) -> float:
    """Today's index from yesterday's market return; integer 0-100 like the published index."""
    if last_day_return is not None:
        state.momentum += (last_day_return - state.momentum) / 14.0
    z = state.momentum * 14.0 / (daily_vol * math.sqrt(14.0))
    raw = 50.0 + 45.0 * math.tanh(1.2 * z) + rng.normal(0.0, 8.0)
    state.value = float(np.clip(0.55 * state.value + 0.45 * raw, 0.0, 100.0))
    return float(round(state.value))
