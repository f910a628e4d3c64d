"""Learning-loop settings (L-* rules). Schedules run on the engine's clock."""

from __future__ import annotations

from pydantic import Field, model_validator

from bigalpha.config._base import Section


class LearningConfig(Section):
    """Shadow trades, guard effectiveness, probation and threshold tuning."""

    review_interval_hours: float = Field(
        4.0, gt=0, description="L-SHADOW-1 / L-GUARD-1: hours between two shadow-vs-live reviews"
    )
    shadow_pf_ratio: float = Field(
        1.15, gt=1.0, description="L-SHADOW-1: raise slippage when shadow PF > this × live PF"
    )
    slippage_step_bps: float = Field(2.0, gt=0, description="L-SHADOW-1: slippage-buffer raise, in bps")
    max_slippage_bps: float = Field(50.0, gt=0, description="L-SHADOW-1 (decided): ceiling of the slippage buffer")
    probation_pf_below: float = Field(
        0.8, gt=0, description="L-PROB-1: golden-hour profit factor below this puts a symbol on probation"
    )
    probation_release_pf: float = Field(
        1.0, gt=0, description="L-PROB-1 (decided): released when the PF of its last trades is at least this"
    )
    probation_release_trades: int = Field(
        20, ge=1, description="L-PROB-1 (decided): how many recent trades the release PF is measured over"
    )
    probation_min_trades: int = Field(
        5, ge=1, description="L-PROB-1 (decided): golden-hour trades needed before probation can be judged"
    )
    max_pain_hit_rate: float = Field(
        0.60, gt=0, lt=1, description="L-MP-1: TRUE TREND max-pain hit rate above this recommends more conviction"
    )
    max_pain_auto_apply: bool = Field(False, description="L-MP-1: apply the recommendation automatically")
    optimize_interval_hours: float = Field(12.0, gt=0, description="L-OPT-1: hours between whale-threshold tunings")
    optimize_lookback_trades: int = Field(50, ge=1, description="L-OPT-1: trades the tuning replays")
    optimize_multipliers: list[float] = Field(
        default_factory=lambda: [0.8, 0.9, 1.0, 1.1, 1.2],
        min_length=1,
        description="L-OPT-1: whale-threshold multipliers tried",
    )
    optimize_min_improvement_usd: float = Field(
        50.0, ge=0, description="L-OPT-1: adopt the best multiplier only if it beats the current by more than this"
    )
    optuna_storage: str | None = Field(
        None, description="L-OPT-2: Optuna storage URL; None uses SQLite in the data directory"
    )
    optuna_space: dict[str, list[float]] = Field(
        default_factory=lambda: {
            "gate.liq_wall_pct": [0.002, 0.02],
            "gate.long_trap_ratio": [1.2, 3.0],
            "gate.taker_min_ratio": [0.9, 1.5],
            "gate.ultra_min_ofi": [0.0, 0.5],
            "gate.fear_greed_above": [60.0, 95.0],
            "gate.golden_hour_start_utc": [6.0, 12.0],
            "gate.golden_hour_end_utc": [13.0, 20.0],
            "gate.default_slippage_bps": [0.0, 10.0],
            "positions.default_stop_pct": [0.004, 0.03],
            "positions.wall_offset_pct": [0.0005, 0.005],
            "positions.institutional_wall_usd": [5_000_000.0, 100_000_000.0],
            # Each tier's range and each hold's lies between its neighbours' (and between their defaults): every
            # proposal is a rising ladder keeping P-HOLD-1's priority, so no trial is lost to a rule between settings.
            "positions.ladder.targets[0]": [0.003, 0.0075],
            "positions.ladder.targets[1]": [0.0075, 0.0125],
            "positions.ladder.targets[2]": [0.0125, 0.0175],
            "positions.ladder.targets[3]": [0.0175, 0.04],
            "positions.hold.base_minutes": [15.0, 60.0],
            "positions.hold.far_from_max_pain_minutes": [60.0, 90.0],
            "positions.hold.toward_cluster_minutes": [90.0, 240.0],
            "positions.hold.max_pain_far_pct": [0.01, 0.05],
            "positions.hold.toward_cluster_bars": [2.0, 6.0],
            "positions.hold.cluster_max_pct": [0.01, 0.06],
        },
        description="L-OPT-2 (decided): the gate and exit thresholds `bigalpha optimize` searches, each setting's "
        "[low, high]; `name[i]` is item i of a list setting. Left out: the size multipliers (a larger size scales "
        "P&L without choosing better trades), the ladder's fractions (shares that must sum to 1), the guards' "
        "on/off switches (`--ablate` measures those), fees (facts of the venue) and TRUE TREND's Hurst threshold "
        "(bound to indicators.hurst_trending_above)",
    )

    @model_validator(mode="after")
    def _ranges_are_ranges(self) -> LearningConfig:
        for key, pair in self.optuna_space.items():
            if len(pair) != 2 or not pair[0] < pair[1]:
                raise ValueError(f"optuna_space[{key!r}] = {pair}: give [low, high] with low below high")
        return self

    @model_validator(mode="after")
    def _current_threshold_is_tried(self) -> LearningConfig:
        if 1.0 not in self.optimize_multipliers:
            raise ValueError(f"optimize_multipliers {self.optimize_multipliers} must include 1.0, the current value")
        if any(m <= 0 for m in self.optimize_multipliers):
            raise ValueError(f"optimize_multipliers {self.optimize_multipliers} must all be above 0")
        return self
