"""On-chain data: Solana priority fees and Jito tips (D-SOL-1), the Aave health factor (D-AAVE-1).

- Priority fee p50 (micro-lamports per CU): a baseline that drifts slowly and follows the intraday
  cycle, with congestion spikes (multiple ≥ 3.5× the baseline) that decay fast, half-life
  `fee_spike_half_life_minutes`, so most spikes lose ≥ 40% within 2 minutes (S-SOL-FADE's shape).
- Jito tip (lamports): its own baseline; spikes come with the fee spikes but decay slower, so tips
  can "stay elevated" after the fee has faded.
- Health factor: collateral priced in ETH against stablecoin debt, so HF ∝ (ETH / its 3-day mean)
  ^ leverage around a slowly drifting level: ETH sell-offs pull it toward 2.0 (R-M-1, R-K-3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bigalpha.data.sim.params import MINUTES_PER_DAY, SimParams
from bigalpha.data.sim.price import ar1, ar1_draw, ar1_phi

FloatArray = npt.NDArray[np.float64]

_HF_EMA_MINUTES = 3 * MINUTES_PER_DAY
_HF_FLOOR = 1.02


@dataclass(frozen=True, slots=True)
class FeeSpike:
    minute: int  # within the chunk
    multiple: float  # peak p50 / baseline
    half_life_minutes: float
    jito_multiple: float


@dataclass(slots=True)
class ChainState:
    fee_level: float = 0.0
    fee_excess: float = 0.0
    jito_level: float = 0.0
    jito_excess: float = 0.0
    eth_log_ema: float | None = None
    hf_level: float = 0.0


def random_spikes(rng: np.random.Generator, params: SimParams, n: int) -> list[FeeSpike]:
    count = rng.poisson(params.fee_spikes_per_day * n / MINUTES_PER_DAY)
    minutes = np.sort(rng.integers(0, n, count))
    multiples = 3.5 + rng.exponential(2.5, count)
    jito = 1.5 + rng.exponential(1.5, count)
    return [
        FeeSpike(int(m), float(x), params.fee_spike_half_life_minutes, float(j))
        for m, x, j in zip(minutes.tolist(), multiples.tolist(), jito.tolist(), strict=True)
    ]


def _decaying(
    n: int, impulses: list[tuple[int, float, float]], previous: float, default_half_life: float
) -> FloatArray:
    """Sum of exponentially decaying impulses (minute, size, half-life), continuing `previous`."""
    out = ar1(np.zeros(n), ar1_phi(default_half_life / math.log(2.0)), previous)
    for minute, size, half_life in impulses:
        decay = math.log(2.0) / half_life
        out[minute:] += size * np.exp(-decay * np.arange(n - minute))
    return out


def priority_fees(
    rng: np.random.Generator, params: SimParams, season: FloatArray, spikes: list[FeeSpike], state: ChainState
) -> tuple[FloatArray, FloatArray]:
    """p50 priority fee and Jito tip per minute of one chunk."""
    n = season.size
    fee_level = ar1_draw(rng, n, MINUTES_PER_DAY, 0.3, state.fee_level)
    jito_level = ar1_draw(rng, n, MINUTES_PER_DAY, 0.3, state.jito_level)
    state.fee_level, state.jito_level = float(fee_level[-1]), float(jito_level[-1])
    fee_excess = _decaying(
        n,
        [(s.minute, s.multiple - 1.0, s.half_life_minutes) for s in spikes],
        state.fee_excess,
        params.fee_spike_half_life_minutes,
    )
    jito_excess = _decaying(
        n,
        [(s.minute, s.jito_multiple - 1.0, params.jito_half_life_minutes) for s in spikes],
        state.jito_excess,
        params.jito_half_life_minutes,
    )
    state.fee_excess, state.jito_excess = float(fee_excess[-1]), float(jito_excess[-1])
    fee_season = 1.0 + 0.4 * (season - 1.0)
    p50 = params.fee_baseline * np.exp(fee_level) * fee_season * (1.0 + fee_excess) * np.exp(rng.normal(0.0, 0.04, n))
    jito = params.jito_baseline * np.exp(jito_level) * (1.0 + jito_excess) * np.exp(rng.normal(0.0, 0.05, n))
    return p50, jito


def health_factor(rng: np.random.Generator, params: SimParams, eth_close: FloatArray, state: ChainState) -> FloatArray:
    """The wallet's Aave health factor per minute of one chunk."""
    n = eth_close.size
    log_eth = np.log(eth_close)
    previous = float(log_eth[0]) if state.eth_log_ema is None else state.eth_log_ema
    phi = ar1_phi(_HF_EMA_MINUTES)
    ema = ar1(log_eth * (1.0 - phi), phi, previous)
    state.eth_log_ema = float(ema[-1])
    level = ar1_draw(rng, n, 5 * MINUTES_PER_DAY, 0.06, state.hf_level)
    state.hf_level = float(level[-1])
    hf: FloatArray = np.maximum(
        params.health_factor_mean * np.exp(level + params.health_factor_leverage * (log_eth - ema)), _HF_FLOOR
    )
    return hf
