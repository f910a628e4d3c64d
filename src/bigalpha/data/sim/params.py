"""Simulator parameters (`SimParams`): how the synthetic market behaves.

These are not bot configuration: nothing the bot decides reads them. They describe the synthetic
world the bot is tested against, so they live here, frozen and validated, and every generated
dataset records them in its manifest. Units are given in each field's description; "per minute"
means per 1-minute bar.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveFloat = Annotated[float, Field(gt=0.0)]

MINUTES_PER_DAY = 1440
CHUNK_MINUTES = MINUTES_PER_DAY
"""The generator works one UTC day at a time; a dataset of N days is the first N chunks of the stream."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class SymbolParams(_Frozen):
    """One USDT-margined perpetual. Default levels are those of mid-2025 Binance perps."""

    symbol: str = Field(description="base asset, upper case (BTC)")
    start_price: PositiveFloat = Field(description="price at the start, USDT")
    vol_1m: PositiveFloat = Field(description="typical standard deviation of 1-minute log-returns")
    volume_usd_per_min: PositiveFloat = Field(description="median traded notional per minute, USD")
    open_interest_usd: PositiveFloat = Field(description="aggregated open interest around which OI moves, USD")
    large_trades_per_min: PositiveFloat = Field(
        description="mean number of trades per minute at or above `large_trade_usd` (all of them are stored)"
    )
    book_depth_usd: PositiveFloat = Field(
        description="scale of resting notional per side (the ladder holds about 0.6 × this within 1% of mid), USD"
    )
    wall_rate_per_day: float = Field(ge=0.0, description="institutional walls (> wall_min_usd) appearing per day")
    wall_min_usd: PositiveFloat = Field(description="smallest wall notional, USD")
    short_share_mean: Annotated[float, Field(gt=0.2, lt=0.8)] = Field(
        description="long-run mean of the short share of accounts"
    )
    strike_step: PositiveFloat = Field(description="option strike spacing; max pain is a multiple of it")
    funding_noise: float = Field(ge=0.0, description="std of each venue's own funding noise, fraction per 8h")
    funding_bias: float = Field(0.0, description="added to this symbol's premium, fraction per 8h")
    funding_scale: float = Field(1.0, gt=0.0, description="multiplies the momentum, crowding and noise terms")
    fees: bool = Field(False, description="this symbol's snapshots carry Solana priority fees (SOL)")


def default_symbols() -> tuple[SymbolParams, ...]:
    return (
        SymbolParams(
            symbol="BTC",
            start_price=100_000.0,
            vol_1m=0.00042,
            volume_usd_per_min=6_400_000.0,
            open_interest_usd=75e9,
            large_trades_per_min=6.0,
            book_depth_usd=45e6,
            wall_rate_per_day=3.0,
            wall_min_usd=25e6,
            short_share_mean=0.47,
            strike_step=1000.0,
            funding_noise=0.000025,
            funding_bias=-0.00002,
            funding_scale=1.0,
        ),
        SymbolParams(
            symbol="ETH",
            start_price=3_500.0,
            vol_1m=0.00080,
            volume_usd_per_min=5_800_000.0,
            open_interest_usd=45e9,
            large_trades_per_min=4.0,
            book_depth_usd=28e6,
            wall_rate_per_day=1.5,
            wall_min_usd=15e6,
            short_share_mean=0.45,
            strike_step=50.0,
            funding_noise=0.00003,
            funding_bias=-0.00002,
            funding_scale=1.0,
        ),
        SymbolParams(
            symbol="SOL",
            start_price=180.0,
            vol_1m=0.00088,
            volume_usd_per_min=1_400_000.0,
            open_interest_usd=9e9,
            large_trades_per_min=1.5,
            book_depth_usd=10e6,
            wall_rate_per_day=1.0,
            wall_min_usd=5e6,
            short_share_mean=0.44,
            strike_step=5.0,
            funding_noise=0.00002,
            funding_bias=-0.00006,
            funding_scale=0.45,
            fees=True,
        ),
        SymbolParams(
            symbol="XRP",
            start_price=2.5,
            vol_1m=0.00072,
            volume_usd_per_min=520_000.0,
            open_interest_usd=7e9,
            large_trades_per_min=0.8,
            book_depth_usd=6e6,
            wall_rate_per_day=1.0,
            wall_min_usd=4e6,
            short_share_mean=0.44,
            strike_step=0.05,
            funding_noise=0.00003,
            funding_bias=-0.00005,
            funding_scale=0.45,
        ),
    )


class RegimeSegment(_Frozen):
    """From `start_day` (days since the start, may be fractional) on, returns follow this regime."""

    start_day: float = Field(0.0, ge=0.0, description="when the segment begins, days after the start")
    hurst: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        0.48,
        description="Hurst exponent of the fGn driving log-returns (0.5 random walk, >0.5 trend, <0.5 noise); "
        "0.48 matches real 1-minute bars, whose bid-ask bounce makes them slightly mean-reverting",
    )
    drift_per_day: float = Field(
        0.0, ge=-0.5, le=0.5, description="deterministic log-return per day added to every symbol (trend)"
    )


class SimParams(_Frozen):
    """Everything that shapes a simulated market. The defaults are the calibrated ones (docs/simulator.md)."""

    seed: int = Field(7, ge=0, description="root of every random stream; same seed, same market")
    start: datetime = Field(
        datetime(2025, 1, 1, tzinfo=UTC), description="first bar's open time, UTC, midnight-aligned"
    )
    symbols: tuple[SymbolParams, ...] = Field(default_factory=default_symbols, min_length=1)
    regimes: tuple[RegimeSegment, ...] = Field(
        default_factory=lambda: (RegimeSegment(),), min_length=1, description="regime schedule, by start_day"
    )
    correlation: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.45, description="share of return variance coming from the common market factor"
    )
    # Volatility clustering: log σ = log vol_1m + fast + slow, two AR(1) components.
    vol_fast_minutes: PositiveFloat = Field(10.0, description="time constant of the fast log-vol component")
    vol_fast_std: float = Field(0.4, ge=0.0, le=2.0, description="stationary std of the fast log-vol component")
    vol_slow_minutes: PositiveFloat = Field(2880.0, description="time constant of the slow log-vol component")
    vol_slow_std: float = Field(0.35, ge=0.0, le=2.0, description="stationary std of the slow log-vol component")
    bursts_per_day: float = Field(0.5, ge=0.0, le=50.0, description="volatility bursts per day and symbol")
    burst_excess: float = Field(2.5, ge=0.0, le=20.0, description="mean extra σ multiple at a burst's start")
    burst_minutes: PositiveFloat = Field(120.0, description="time constant of a burst's decay")
    jumps_per_day: float = Field(1.5, ge=0.0, le=100.0, description="rare return jumps per day and symbol")
    jump_scale: float = Field(3.0, ge=0.0, le=50.0, description="jump size: this × σ × Student-t(3)")
    intraday_amplitude: float = Field(
        0.25, ge=0.0, lt=1.0, description="vol and volume are ×(1 ± this) between the quiet and busy UTC hours"
    )
    # Flow
    large_trade_usd: PositiveFloat = Field(50_000.0, description="trades at or above this are stored one by one")
    whale_trade_usd: PositiveFloat = Field(100_000.0, description="whale aggregates count trades at or above this")
    large_trade_alpha: Annotated[float, Field(gt=1.0, le=4.0)] = Field(
        1.35, description="Pareto tail index of large-trade notionals"
    )
    large_trade_cap_per_min: int = Field(24, ge=1, le=200, description="at most this many large trades per minute")
    retail_sample_per_min: int = Field(2, ge=0, le=20, description="small trades sampled per minute for snapshots")
    informed_minutes: PositiveFloat = Field(3.0, description="persistence of the informed (whale) signal")
    whale_side_bias: Annotated[float, Field(ge=0.0, lt=0.5)] = Field(
        0.3, description="whales buy with probability 0.5 + this × tanh(informed signal)"
    )
    whale_lead: float = Field(
        0.12,
        ge=0.0,
        le=1.0,
        description="return of the next minute per unit of normalised whale net flow, in σ (then ½ the "
        "minute after): whale flow leads price",
    )
    whale_impact: float = Field(
        0.05, ge=0.0, le=1.0, description="return of the same minute per unit of normalised whale net flow, in σ"
    )
    taker_sensitivity: float = Field(
        0.22, ge=0.0, lt=0.5, description="retail taker buy share = 0.5 + this × tanh(r / 2σ) + noise"
    )
    volume_vol_elasticity: float = Field(0.9, ge=0.0, le=3.0, description="volume ∝ σ^this")
    volume_return_factor: float = Field(0.35, ge=0.0, le=3.0, description="volume × (1 + this × |r|/σ)")
    volume_noise: float = Field(0.35, ge=0.0, le=2.0, description="lognormal noise of minute volume")
    # Positions, liquidations and the heatmap
    leverages: tuple[float, ...] = Field(
        (5.0, 10.0, 20.0, 25.0, 50.0, 75.0, 100.0), description="leverage of the mapped cohorts"
    )
    leverage_weights: tuple[float, ...] = Field(
        (0.18, 0.27, 0.2, 0.13, 0.12, 0.05, 0.05), description="share of mapped notional at each leverage"
    )
    maintenance_margin: Annotated[float, Field(ge=0.0, lt=0.05)] = Field(
        0.005, description="liquidation at entry × (1 − 1/L + mm) for longs, × (1 + 1/L − mm) for shorts"
    )
    position_hold_days: PositiveFloat = Field(3.0, description="mean holding time of open interest")
    oi_flow_std: float = Field(0.35, ge=0.0, le=2.0, description="std of the slow log-multiplier of position opening")
    oi_flow_minutes: PositiveFloat = Field(360.0, description="time constant of that multiplier")
    leveraged_share: Probability = Field(
        0.03, description="share of newly opened notional that carries a liquidation price near enough to map"
    )
    realized_share: Probability = Field(
        0.1,
        description="share of a crossed cluster that is force-liquidated; the rest was closed by stops or topped up "
        "before (heatmaps estimate far more than is ever liquidated)",
    )
    leveraged_hold_days: PositiveFloat = Field(1.0, description="mean life of a leveraged cohort before it is closed")
    cascade_impact: float = Field(
        1.5, ge=0.0, le=20.0, description="next-minute push, in σ, per minute-volume of net liquidations"
    )
    magnet_strength: float = Field(
        0.03, ge=0.0, le=1.0, description="drift toward the larger nearby liquidation side, in σ per minute"
    )
    heatmap_levels_per_side: int = Field(10, ge=1, le=100, description="heatmap levels stored per side and refresh")
    heatmap_range: Annotated[float, Field(gt=0.0, lt=0.5)] = Field(
        0.08, description="heatmap levels are taken within ± this fraction of price"
    )
    heatmap_bucket: Annotated[float, Field(gt=0.0, lt=0.05)] = Field(
        0.001, description="width of a heatmap bucket, in log-price (0.001 ≈ 10 bps)"
    )
    # Refresh cadences, minutes
    slow_refresh_minutes: int = Field(5, ge=1, le=60, description="heatmap, max pain, long/short and book refresh")
    funding_outage_per_day: float = Field(
        0.5, ge=0.0, le=50.0, description="funding feed outages per day (value and as_of frozen meanwhile)"
    )
    funding_outage_minutes: tuple[int, int] = Field((3, 25), description="min, max outage length")
    # Positioning
    short_share_fade: float = Field(
        0.9, ge=0.0, le=5.0, description="retail fades moves: short share + this × tanh(4h return / 4h σ) × 0.1"
    )
    short_share_noise: float = Field(0.075, ge=0.0, le=0.3, description="stationary std of short-share noise")
    funding_base: float = Field(0.0001, description="interest component, fraction per 8h (Binance's 0.01%)")
    funding_momentum: float = Field(
        0.00004,
        ge=0.0,
        description="premium per unit of momentum m = 24h return / 24h σ: sinh(m) when m > 0 (euphoria is "
        "convex), tanh(m) below, fraction per 8h",
    )
    funding_positioning: float = Field(
        0.0006, ge=0.0, description="premium per unit of (long share − its mean), fraction per 8h"
    )
    funding_common_noise: float = Field(0.00005, ge=0.0, description="std of the shared premium noise")
    funding_clamp: PositiveFloat = Field(0.003, description="funding is clipped to ± this per 8h")
    # Options
    max_pain_pull: float = Field(
        0.0006, ge=0.0, le=0.1, description="log-price pull per minute toward max pain at expiry (fades over 24 h)"
    )
    # Chain
    fee_baseline: PositiveFloat = Field(8_000.0, description="Solana p50 priority fee baseline, micro-lamports/CU")
    fee_spikes_per_day: float = Field(4.0, ge=0.0, le=200.0, description="random priority-fee spikes per day")
    fee_spike_half_life_minutes: PositiveFloat = Field(0.8, description="half-life of a fee spike's excess")
    jito_baseline: PositiveFloat = Field(10_000.0, description="Jito tip baseline, lamports")
    jito_half_life_minutes: PositiveFloat = Field(6.0, description="half-life of a Jito tip spike's excess")
    health_factor_mean: PositiveFloat = Field(2.6, description="Aave health factor around which it drifts")
    health_factor_leverage: float = Field(
        2.0, ge=0.0, le=10.0, description="HF ∝ (ETH / its 3-day mean)^this: ETH drops pull HF toward 2.0"
    )

    @field_validator("start")
    @classmethod
    def _start_is_utc_midnight(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
        value = value.astimezone(UTC)
        if value != value.replace(hour=0, minute=0, second=0, microsecond=0):
            raise ValueError(f"start {value.isoformat()} must be at 00:00 UTC")
        return value

    @model_validator(mode="after")
    def _check(self) -> SimParams:
        names = [s.symbol for s in self.symbols]
        if len(set(names)) != len(names):
            raise ValueError(f"symbols {names} contain a duplicate")
        if len(self.leverages) != len(self.leverage_weights) or not self.leverages:
            raise ValueError("leverages and leverage_weights must have the same, non-zero length")
        if any(lev <= 1.0 for lev in self.leverages) or any(w < 0 for w in self.leverage_weights):
            raise ValueError("leverages must exceed 1 and weights must not be negative")
        starts = [r.start_day for r in self.regimes]
        if starts[0] != 0.0 or any(b <= a for a, b in itertools.pairwise(starts)):
            raise ValueError(f"regime start days {starts} must begin at 0 and increase")
        lo, hi = self.funding_outage_minutes
        if not 1 <= lo <= hi:
            raise ValueError("funding_outage_minutes must be (min, max) with 1 <= min <= max")
        if self.whale_trade_usd < self.large_trade_usd:
            raise ValueError("whale_trade_usd must not be below large_trade_usd")
        return self

    def symbol_names(self) -> tuple[str, ...]:
        return tuple(s.symbol for s in self.symbols)

    def with_hurst(self, hurst: float, drift_per_day: float = 0.0) -> SimParams:
        """The same market driven by one regime throughout."""
        return self.model_copy(update={"regimes": (RegimeSegment(hurst=hurst, drift_per_day=drift_per_day),)})

    def regime_arrays(self, first_minute: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Hurst exponent and per-minute drift of each minute in [first_minute, first_minute + n)."""
        minutes = np.arange(first_minute, first_minute + n)
        starts = np.array([r.start_day * MINUTES_PER_DAY for r in self.regimes])
        which = np.searchsorted(starts, minutes, side="right") - 1
        hurst = np.array([r.hurst for r in self.regimes])[which]
        drift = np.array([r.drift_per_day / MINUTES_PER_DAY for r in self.regimes])[which]
        return hurst, drift


def stream(seed: int, *keys: int) -> np.random.Generator:
    """An independent random stream for (seed, keys…): chunk, symbol and component each get their own,
    so changing one part of the model never shifts the numbers drawn by another."""
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))
