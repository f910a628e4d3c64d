"""Position and exit settings (P-* rules), and the perpetual-futures account model."""

from __future__ import annotations

from itertools import pairwise

from pydantic import Field, model_validator

from bigalpha.config._base import Fraction, Section


class HoldConfig(Section):
    """Minimum holds of a TRUE TREND position (P-HOLD-1); priority 90 > 75 > 45."""

    toward_cluster_minutes: int = Field(
        90, ge=0, description="P-HOLD-1: hold when price is moving toward a liquidation cluster"
    )
    far_from_max_pain_minutes: int = Field(
        75, ge=0, description="P-HOLD-1: hold when entry was more than max_pain_far_pct from max pain"
    )
    base_minutes: int = Field(45, ge=0, description="P-HOLD-1: hold of every other TRUE TREND position")
    max_pain_far_pct: Fraction = Field(0.02, description="P-HOLD-1: 'more than 2% from max pain' at entry")
    toward_cluster_bars: int = Field(
        3,
        ge=1,
        le=1_000,
        description="P-HOLD-1 (decided): price is moving toward a cluster when it came closer to the nearest cluster "
        "ahead over this many bars (or since entry, while fewer bars have passed)",
    )
    cluster_max_pct: Fraction = Field(
        0.03, description="P-HOLD-1 (decided): only a liquidation cluster ahead within this of price is a magnet"
    )


class LadderConfig(Section):
    """Take-profit ladder (P-LADDER-1): targets as fractions of entry price, and the share closed at each."""

    targets: list[float] = Field(
        default_factory=lambda: [0.005, 0.010, 0.015, 0.020],
        min_length=1,
        max_length=8,
        description="P-LADDER-1: Tier 1 +0.5%, Tier 2 +1.0% (decided), Tier 3 +1.5% (decided), Tier 4 +2.0%",
    )
    fractions: list[float] = Field(
        default_factory=lambda: [0.25, 0.25, 0.25, 0.25],
        min_length=1,
        max_length=8,
        description="P-LADDER-1 (decided): share of the original quantity closed at each tier; they sum to 1",
    )

    @model_validator(mode="after")
    def _tiers_are_consistent(self) -> LadderConfig:
        if len(self.targets) != len(self.fractions):
            raise ValueError(f"targets has {len(self.targets)} tiers but fractions has {len(self.fractions)}")
        for index, (lower, upper) in enumerate(pairwise(self.targets), start=1):
            if not lower < upper:
                raise ValueError(f"Tier-{index} target {lower} must be below Tier-{index + 1} target {upper}")
        if any(target <= 0 for target in self.targets):
            raise ValueError(f"every target must be above 0, got {self.targets}")
        if any(fraction <= 0 for fraction in self.fractions):
            raise ValueError(f"every fraction must be above 0, got {self.fractions}")
        if abs(sum(self.fractions) - 1.0) > 1e-9:
            raise ValueError(f"fractions must sum to 1, got {sum(self.fractions)}")
        return self


class PerpConfig(Section):
    """Perpetual-futures accounting (P-PERP-1)."""

    leverage: int = Field(3, ge=1, le=125, description="P-PERP-1: leverage of new positions (isolated margin)")
    maker_fee_bps: float = Field(2.0, ge=-5, le=100, description="P-PERP-1: maker fee in basis points")
    taker_fee_bps: float = Field(5.0, ge=0, le=100, description="P-PERP-1: taker fee in basis points")
    funding_interval_hours: int = Field(8, ge=1, le=24, description="P-PERP-1: hours between funding payments")


class PositionsConfig(Section):
    """How positions are held and exited."""

    hold: HoldConfig = HoldConfig()
    ladder: LadderConfig = LadderConfig()
    perp: PerpConfig = PerpConfig()
    wall_offset_pct: Fraction = Field(
        0.001, description="P-WALL-1: a target in front of an institutional wall sits this far before it (×0.999)"
    )
    institutional_wall_usd: float = Field(
        25_000_000.0, gt=0, description="P-WALL-1: a wall larger than this (USD) moves the Tier-4 target"
    )
    default_stop_pct: Fraction = Field(
        0.01, description="P-STOP-1: stop distance of a position whose signal gives none"
    )
    true_trend_hurst_above: float = Field(
        0.55,
        gt=0,
        lt=1,
        description="P-TREND-1: TRUE TREND needs H above this (keep equal to indicators.hurst_trending_above)",
    )
    price_significant_digits: int = Field(
        10,
        ge=6,
        le=28,
        description="P-STOP-1, P-LADDER-1 (decided): stop and target prices are rounded toward entry to this many "
        "significant digits; the broker rounds them to the tick",
    )

    @model_validator(mode="after")
    def _holds_keep_their_priority(self) -> PositionsConfig:
        hold = self.hold
        if not hold.toward_cluster_minutes >= hold.far_from_max_pain_minutes >= hold.base_minutes:
            raise ValueError(
                "hold minutes must keep P-HOLD-1's priority toward_cluster >= far_from_max_pain >= base, got "
                f"{hold.toward_cluster_minutes} / {hold.far_from_max_pain_minutes} / {hold.base_minutes}"
            )
        return self
