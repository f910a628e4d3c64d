"""Indicator settings (A-* rules)."""

from __future__ import annotations

from pydantic import Field, model_validator

from bigalpha.config._base import Fraction, Section


class IndicatorsConfig(Section):
    """Windows and thresholds of the analytics every guard reads."""

    cvd_window: int = Field(60, ge=1, description="A-CVD-1: CVD rolling window, in 1-minute bars")
    whale_trade_usd: float = Field(
        100_000.0, gt=0, description="A-WHALE-1: a trade at or above this notional (USD) is whale flow"
    )
    whale_volume_multiple: float = Field(
        3.0, gt=1.0, description="A-WHALE-1: without trade sizes, a bar above this × average volume is whale flow"
    )
    whale_volume_lookback: int = Field(
        20, ge=2, description="A-WHALE-1: bars in the rolling average volume used by the fallback"
    )
    whale_intent_window: int = Field(
        15,
        ge=1,
        description="G-WHALE-3 (decided): bars of recent trades above the learned threshold that make 'whale intent'",
    )
    whale_direction_min_usd: float = Field(
        0.0, ge=0, description="A-WHALE-1 (decided): whale CVD within ±this (USD) has no direction (neutral)"
    )
    whale_intensity_share_weight: float = Field(
        0.6,
        ge=0,
        le=1,
        description="A-WHALE-2: weight of whale-flow share in the intensity; volume intensity gets the rest",
    )
    whale_share_full_scale: float = Field(
        0.5,
        gt=0,
        le=1,
        description="A-WHALE-2: a whale share of gross flow at or above this scores the share part in full",
    )
    whale_intensity_recent_bars: int = Field(
        5, ge=1, description="A-WHALE-2: recent bars whose volume is compared with the CVD window's average"
    )
    whale_intensity_high: float = Field(
        70.0, gt=0, lt=100, description="A-WHALE-2: intensity at or above this is the high (green) band"
    )
    whale_intensity_moderate: float = Field(
        40.0, gt=0, lt=100, description="A-WHALE-2: intensity at or above this is moderate (yellow); below is low (red)"
    )
    hurst_window: int = Field(
        100, ge=100, description="A-HURST-1: strict rolling window of the Hurst exponent (no shorter estimate)"
    )
    hurst_trending_above: float = Field(0.55, gt=0, lt=1, description="A-HURST-2: H above this is trending")
    hurst_noise_below: float = Field(0.45, gt=0, lt=1, description="A-HURST-2: H below this is noise (mean-reverting)")
    oi_velocity_minutes: int = Field(5, ge=1, description="A-OI-1: OI velocity look-back, in minutes")
    liq_concentration_multiple: float = Field(
        2.0,
        gt=0,
        description="A-LIQ-1 (decided): a heatmap level is concentrated when its volume is at least this × the median level",
    )
    liq_merge_pct: Fraction = Field(
        0.001, description="A-LIQ-1 (decided): neighbouring concentrated levels closer than this merge into one cluster"
    )
    liq_max_clusters: int = Field(20, ge=1, description="A-LIQ-1 (decided): clusters kept per side, nearest first")
    liq_major_pct: Fraction = Field(0.01, description="A-LIQ-1: a liquidation cluster within this of price is major")
    liq_near_pct: Fraction = Field(0.03, description="A-LIQ-1: high-concentration clusters are ranked within this")
    liq_top_n: int = Field(2, ge=1, description="A-LIQ-1: how many high-concentration clusters are kept")
    wall_range_pct: Fraction = Field(0.05, description="A-OB-1: order-book walls are searched within this of price")
    wall_top_n: int = Field(3, ge=1, description="A-OB-1: how many ask walls and bid walls are kept")
    institutional_wall_usd: float = Field(
        25_000_000.0, gt=0, description="A-OB-1: a wall larger than this (USD) is institutional"
    )
    max_pain_far_pct: Fraction = Field(0.02, description="A-MP-1: max pain is 'far' when its distance exceeds this")
    taker_window_minutes: int = Field(5, ge=1, description="A-TAKER-1: taker buy/sell ratio window, in minutes")
    ofi_taker_weight: float = Field(
        0.6, ge=0, le=1, description="A-OFI-1: weight of taker flow in OFI; top-of-book imbalance gets the rest"
    )
    ofi_window_minutes: int = Field(5, ge=1, description="A-OFI-1: taker-flow window of the OFI, in minutes")
    ofi_book_levels: int = Field(
        1, ge=1, description="A-OFI-1: book levels per side in the top-of-book imbalance (1 = best bid and ask)"
    )
    oi_velocity_tolerance_s: float = Field(
        90.0,
        ge=0,
        description="A-OI-1 (decided): the 'OI 5 minutes ago' observation may be at most this much older than 5 minutes",
    )

    @model_validator(mode="after")
    def _bands_are_ordered(self) -> IndicatorsConfig:
        if self.hurst_noise_below > self.hurst_trending_above:
            raise ValueError(
                f"hurst_noise_below ({self.hurst_noise_below}) must not exceed "
                f"hurst_trending_above ({self.hurst_trending_above})"
            )
        if self.whale_intensity_moderate >= self.whale_intensity_high:
            raise ValueError(
                f"whale_intensity_moderate ({self.whale_intensity_moderate}) must be below "
                f"whale_intensity_high ({self.whale_intensity_high})"
            )
        if self.whale_intensity_recent_bars > self.cvd_window:
            raise ValueError(
                f"whale_intensity_recent_bars ({self.whale_intensity_recent_bars}) must not exceed "
                f"cvd_window ({self.cvd_window})"
            )
        if self.liq_major_pct > self.liq_near_pct:
            raise ValueError(f"liq_major_pct ({self.liq_major_pct}) must not exceed liq_near_pct ({self.liq_near_pct})")
        return self
