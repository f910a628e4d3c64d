"""The tactical setups (S-BTC-L, S-BTC-S, S-SOL-FADE, S-XRP-SQ) as `Strategy` implementations.

`build_setups(settings)` returns the enabled ones; `hold_window(strategy, settings)` tells the position
manager the hold a setup's positions must respect (S-XRP-SQ's 45–60 s), since `Signal` has no field for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bigalpha.config import Settings
from bigalpha.strategies.base import Strategy
from bigalpha.strategies.setups.btc_bands import LowerBandLong, UpperBandShort
from bigalpha.strategies.setups.sol_fade import SolFeeFadeSetup
from bigalpha.strategies.setups.xrp_squeeze import XrpSqueezeSetup


@dataclass(frozen=True, slots=True)
class HoldWindow:
    """A position is held at least `min_s` (no take-profit before) and closed at `max_s` at the latest."""

    min_s: float
    max_s: float


def build_setups(settings: Settings) -> list[Strategy]:
    """Every enabled tactical setup, configured from `settings.setups`."""
    cfg = settings.setups
    setups: list[Strategy] = []
    if cfg.btc_lower_band_long.enabled:
        setups.append(LowerBandLong(cfg.btc_lower_band_long))
    if cfg.btc_upper_band_short.enabled:
        setups.append(UpperBandShort(cfg.btc_upper_band_short))
    if cfg.sol_fee_fade.enabled:
        setups.append(SolFeeFadeSetup(cfg.sol_fee_fade))
    if cfg.xrp_squeeze.enabled:
        setups.append(XrpSqueezeSetup(cfg.xrp_squeeze))
    return setups


def hold_window(strategy: str, settings: Settings) -> HoldWindow | None:
    """The hold of a setup's positions, by the strategy name a position records; None when it sets none."""
    if strategy == XrpSqueezeSetup.NAME:
        squeeze = settings.setups.xrp_squeeze
        return HoldWindow(min_s=squeeze.min_hold_s, max_s=squeeze.max_hold_s)
    return None


__all__ = [
    "HoldWindow",
    "LowerBandLong",
    "SolFeeFadeSetup",
    "UpperBandShort",
    "XrpSqueezeSetup",
    "build_setups",
    "hold_window",
]
