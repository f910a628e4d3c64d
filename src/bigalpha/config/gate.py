"""Intelligence-gate settings (G-* rules). Every guard can be switched off (used by ablation)."""

from __future__ import annotations

from pydantic import Field, model_validator

from bigalpha.config._base import Fraction, Section, SizeMultiplier


class GuardSwitches(Section):
    """On/off per guard; all on by default except the mirrored short liquidation rule."""

    whale_conflict: bool = Field(True, description="G-WHALE-1: WHALE_CONFLICT guard on")
    liq_wall: bool = Field(True, description="G-LIQ-1: LIQ_WALL_CONFLICT guard on (longs)")
    liq_wall_short_mirror: bool = Field(
        False, description="G-LIQ-1 (decided): mirrored rule blocking a SHORT near a long-liquidation cluster"
    )
    long_trap: bool = Field(True, description="G-TRAP-1: LONG_TRAP_DETECTED guard on")
    taker_aggression: bool = Field(True, description="G-TAKER-1: TAKER_AGGRESSION_BLOCK guard on")
    whale_intent: bool = Field(True, description="G-WHALE-3: WHALE_INTENT_FILTER guard on")
    ultra_conviction: bool = Field(True, description="G-WHALE-2: ULTRA conviction sizing on")
    fear_greed: bool = Field(True, description="G-FG-1: fear & greed size cut on")
    random_regime: bool = Field(True, description="G-HURST-1: random-walk regime size cut on")
    golden_hour: bool = Field(True, description="G-GOLDEN-1: golden-hour entry window on")
    probation: bool = Field(True, description="G-PROB-1: probation size cap on")
    fee_aware: bool = Field(True, description="G-FEE-1: fee-aware gate on")


class GateConfig(Section):
    """Thresholds of the intelligence gate."""

    guards: GuardSwitches = GuardSwitches()
    liq_wall_pct: Fraction = Field(
        0.005, description="G-LIQ-1: block a LONG within this of a short-liquidation cluster (0.5%)"
    )
    long_trap_ratio: float = Field(
        2.0, gt=0, description="G-TRAP-1: block a LONG when the retail long/short account ratio is above this"
    )
    taker_min_ratio: float = Field(
        1.10, gt=0, description="G-TAKER-1: block a LONG when the 5-minute taker buy/sell ratio is at or below this"
    )
    ultra_multiplier: SizeMultiplier = Field(
        2.5, description="G-WHALE-2: size multiplier when whale CVD and retail OFI both align (ULTRA)"
    )
    ultra_min_ofi: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="G-WHALE-2: retail OFI aligns with a LONG above +this, with a SHORT below −this",
    )
    fear_greed_above: float = Field(80.0, ge=0, le=100, description="G-FG-1: fear & greed above this cuts every size")
    fear_greed_multiplier: SizeMultiplier = Field(0.6, le=1.0, description="G-FG-1: size multiplier in extreme greed")
    random_regime_multiplier: SizeMultiplier = Field(
        0.5, le=1.0, description="G-HURST-1 (decided): size multiplier in the random-walk regime"
    )
    golden_hour_start_utc: int = Field(
        9, ge=0, le=23, description="G-GOLDEN-1: first hour (UTC) new entries are allowed"
    )
    golden_hour_end_utc: int = Field(
        16,
        ge=1,
        le=24,
        description="G-GOLDEN-1: entries allowed strictly before this hour (UTC); 16:00:00 itself is outside",
    )
    probation_cap: SizeMultiplier = Field(0.2, le=1.0, description="G-PROB-1: size multiplier cap on probation")
    round_trip_fee_bps: float = Field(
        10.0, ge=0, description="G-FEE-1: round-trip fees (taker in and out) in basis points"
    )
    default_slippage_bps: float = Field(
        2.0, ge=0, description="G-FEE-1: a symbol's slippage buffer before L-SHADOW-1 adjusts it"
    )

    @model_validator(mode="after")
    def _golden_hour_is_a_window(self) -> GateConfig:
        if self.golden_hour_start_utc >= self.golden_hour_end_utc:
            raise ValueError(
                f"golden_hour_start_utc ({self.golden_hour_start_utc}) must be before "
                f"golden_hour_end_utc ({self.golden_hour_end_utc})"
            )
        return self
