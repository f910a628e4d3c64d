"""Tactical-setup settings (S-* rules). Levels live here or come from positioning data, never from code."""

from __future__ import annotations

from itertools import pairwise

from pydantic import Field, model_validator

from bigalpha.config._base import Fraction, Section, SizeMultiplier


def _ascending(name: str, values: list[float]) -> None:
    if any(b <= a for a, b in pairwise(values)) or any(v <= 0 for v in values):
        raise ValueError(f"{name} {values} must be positive and ascending")


class BtcLowerBandLong(Section):
    """S-BTC-L: flush below the lower band, reclaim with positive delta."""

    enabled: bool = Field(True, description="S-BTC-L: setup on")
    symbol: str = Field("BTC", min_length=1, description="S-BTC-L: the symbol it trades")
    band: float | None = Field(
        106_800.0, gt=0, description="S-BTC-L: lower band; None derives it from the long-liquidation cluster"
    )
    size_multiplier: SizeMultiplier = Field(0.7, description="S-BTC-L: size × base unit")
    stop_bps: float = Field(28.0, gt=0, description="S-BTC-L: stop distance in bps")
    thin_book_stop_bps: float = Field(35.0, gt=0, description="S-BTC-L: stop when the book thins")
    targets_bps: list[float] = Field(
        default_factory=lambda: [25.0, 50.0, 90.0], description="S-BTC-L: targets +25 / +50 / +90 bps"
    )
    thin_book_depth_usd: float = Field(
        2_000_000.0, gt=0, description="S-BTC-L (decided): bid depth within 0.5% below this is a thin book"
    )
    thin_book_range_pct: Fraction = Field(
        0.005, description="S-BTC-L (decided): the bid depth is summed this far below price"
    )
    flush_depth_bps: float = Field(
        5.0, ge=0, description="S-BTC-L (decided): a flush trades at least this far below the band (bps)"
    )
    flush_expiry_minutes: float = Field(
        30.0, gt=0, description="S-BTC-L (decided): a flush not reclaimed within this is forgotten"
    )
    cooldown_minutes: float = Field(15.0, ge=0, description="S-BTC-L (decided): minutes between two signals")

    @model_validator(mode="after")
    def _check(self) -> BtcLowerBandLong:
        _ascending("targets_bps", self.targets_bps)
        if self.thin_book_stop_bps < self.stop_bps:
            raise ValueError("thin_book_stop_bps must not be below stop_bps")
        return self


class BtcUpperBandShort(Section):
    """S-BTC-S: confirmed fail-break above the upper band."""

    enabled: bool = Field(True, description="S-BTC-S: setup on")
    symbol: str = Field("BTC", min_length=1, description="S-BTC-S: the symbol it trades")
    band_low: float | None = Field(109_700.0, gt=0, description="S-BTC-S: upper band, low edge")
    band_high: float | None = Field(110_000.0, gt=0, description="S-BTC-S: upper band, high edge")
    max_short_share: Fraction = Field(0.54, description="S-BTC-S: only if shorts are below this share")
    size_multiplier: SizeMultiplier = Field(0.5, description="S-BTC-S: size × base unit")
    stop_bps: float = Field(30.0, gt=0, description="S-BTC-S: stop distance in bps")
    targets_bps: list[float] = Field(
        default_factory=lambda: [25.0, 45.0, 80.0], description="S-BTC-S: targets +25 / +45 / +80 bps"
    )
    confirm_bars: int = Field(
        5, ge=1, description="S-BTC-S (decided): bars after the fail-break within which a lower high must print"
    )
    funding_narrowing_bps: float = Field(
        0.0,
        ge=0,
        description="S-BTC-S (decided): the funding spread narrows when it is more than this below its value at "
        "the fail-break",
    )
    cooldown_minutes: float = Field(15.0, ge=0, description="S-BTC-S (decided): minutes between two signals")

    @model_validator(mode="after")
    def _check(self) -> BtcUpperBandShort:
        _ascending("targets_bps", self.targets_bps)
        if self.band_low is not None and self.band_high is not None and self.band_low > self.band_high:
            raise ValueError(f"band_low ({self.band_low}) must not exceed band_high ({self.band_high})")
        return self


class SolFeeFade(Section):
    """S-SOL-FADE: fade a priority-fee spike back to VWAP."""

    enabled: bool = Field(True, description="S-SOL-FADE: setup on")
    symbol: str = Field("SOL", min_length=1, description="S-SOL-FADE: the symbol it trades")
    spike_multiple: float = Field(3.0, gt=1, description="S-SOL-FADE: p50 priority fee above this × baseline")
    decay_pct: Fraction = Field(0.40, description="S-SOL-FADE: the spike must decay by at least this")
    decay_window_s: float = Field(120.0, gt=0, description="S-SOL-FADE: ... within this many seconds")
    baseline_minutes: int = Field(60, ge=1, description="S-SOL-FADE (decided): baseline = median fee over this")
    size_multiplier: SizeMultiplier = Field(0.6, description="S-SOL-FADE: size × base unit")
    jito_elevated_multiple: float = Field(
        2.0, gt=1, description="S-SOL-FADE (decided): Jito tips above this × baseline are elevated"
    )
    jito_size_factor: SizeMultiplier = Field(0.5, le=1, description="S-SOL-FADE: size halved if Jito stays elevated")
    stop_bps: float = Field(35.0, gt=0, description="S-SOL-FADE: stop distance in bps")
    jito_stop_bps: float = Field(45.0, gt=0, description="S-SOL-FADE: stop when Jito tips are elevated")
    baseline_min_samples: int = Field(
        10, ge=1, description="S-SOL-FADE (decided): fee observations needed before a baseline exists"
    )
    vwap_minutes: int = Field(60, ge=1, description="S-SOL-FADE (decided): the VWAP faded back to spans this")
    min_vwap_distance_bps: float = Field(
        10.0, ge=0, description="S-SOL-FADE (decided): no fade when price is closer to VWAP than this (bps)"
    )
    cooldown_minutes: float = Field(10.0, ge=0, description="S-SOL-FADE (decided): minutes between two signals")

    @model_validator(mode="after")
    def _check(self) -> SolFeeFade:
        if self.jito_stop_bps < self.stop_bps:
            raise ValueError(f"jito_stop_bps ({self.jito_stop_bps}) must not be below stop_bps ({self.stop_bps})")
        return self


class XrpSqueeze(Section):
    """S-XRP-SQ: no shorts at ≥ 53% shorts; scalp dips long only."""

    enabled: bool = Field(True, description="S-XRP-SQ: setup on (the risk-side no-shorts rule applies either way)")
    symbol: str = Field("XRP", min_length=1, description="S-XRP-SQ: the symbol it guards and trades")
    short_share_at_or_above: Fraction = Field(0.53, description="S-XRP-SQ: no shorts while shorts ≥ this share")
    min_hold_s: float = Field(45.0, gt=0, description="S-XRP-SQ: shortest hold of a dip scalp (seconds)")
    max_hold_s: float = Field(60.0, gt=0, description="S-XRP-SQ: longest hold of a dip scalp (seconds)")
    stop_bps: float = Field(22.0, gt=0, description="S-XRP-SQ: stop distance in bps")
    dip_bps: float = Field(
        30.0, gt=0, description="S-XRP-SQ (decided): a dip is a drop of at least this from the 5-minute high"
    )
    size_multiplier: SizeMultiplier = Field(0.5, description="S-XRP-SQ (decided): size × base unit")
    dip_lookback_minutes: int = Field(5, ge=1, description="S-XRP-SQ (decided): the dip is measured from this high")
    targets_bps: list[float] = Field(
        default_factory=lambda: [20.0], description="S-XRP-SQ (decided): scalp target(s) in bps"
    )
    require_heavy_shorts: bool = Field(
        True, description="S-XRP-SQ (decided): dip scalps only while shorts are at or above the share"
    )
    cooldown_s: float = Field(120.0, ge=0, description="S-XRP-SQ (decided): seconds between two scalps")

    @model_validator(mode="after")
    def _check(self) -> XrpSqueeze:
        _ascending("targets_bps", self.targets_bps)
        if self.min_hold_s > self.max_hold_s:
            raise ValueError(f"min_hold_s ({self.min_hold_s}) must not exceed max_hold_s ({self.max_hold_s})")
        return self


class AlphaOfi(Section):
    """S-OFI: the flow strategy whose signals the gate filters."""

    enabled: bool = Field(True, description="S-OFI: Alpha-OFI on")
    entry_threshold: float = Field(
        0.15,
        gt=0,
        lt=1,
        description="S-OFI (decided): |OFI| at or above this, agreeing with CVD, signals (about the 85th percentile of |OFI| on the default simulated market)",
    )
    conviction_min: float = Field(1.0, gt=0, description="S-OFI: conviction at the entry threshold")
    conviction_max: float = Field(1.5, gt=0, description="S-OFI: conviction at |OFI| = 1")
    cooldown_minutes: int = Field(15, ge=0, description="S-OFI (decided): minutes between two signals per symbol")
    expected_move_bps: float = Field(
        40.0, gt=0, description="S-OFI (decided): expected move announced to the fee-aware gate"
    )

    @model_validator(mode="after")
    def _check(self) -> AlphaOfi:
        if self.conviction_min > self.conviction_max:
            raise ValueError(
                f"conviction_min ({self.conviction_min}) must not exceed conviction_max ({self.conviction_max})"
            )
        return self


class SessionRule(Section):
    """S-SESSION: when a session stops."""

    stop_after_consecutive_losses: int = Field(2, ge=1, description="S-SESSION: stop after the 2nd consecutive loss")
    stop_at_r_multiple: float = Field(1.0, gt=0, description="S-SESSION: stop at +1R net")
    min_trades: int = Field(4, ge=1, description="S-SESSION: a session plans at least this many trades")
    max_trades: int = Field(6, ge=1, description="S-SESSION: and at most this many")
    session_hours: float = Field(
        8.0, gt=0, le=24, description="S-SESSION (decided): sessions of this many hours tile each trading day"
    )

    @model_validator(mode="after")
    def _check(self) -> SessionRule:
        if self.min_trades > self.max_trades:
            raise ValueError(f"min_trades ({self.min_trades}) must not exceed max_trades ({self.max_trades})")
        return self


class SetupsConfig(Section):
    """Every strategy that emits signals."""

    alpha_ofi: AlphaOfi = AlphaOfi()
    btc_lower_band_long: BtcLowerBandLong = BtcLowerBandLong()
    btc_upper_band_short: BtcUpperBandShort = BtcUpperBandShort()
    sol_fee_fade: SolFeeFade = SolFeeFade()
    xrp_squeeze: XrpSqueeze = XrpSqueeze()
    session: SessionRule = SessionRule()
