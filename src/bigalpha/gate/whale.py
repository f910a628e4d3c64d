"""Whale guards: WHALE_CONFLICT (G-WHALE-1), WHALE_INTENT_FILTER (G-WHALE-3) and ULTRA conviction (G-WHALE-2).

G-WHALE-1 reads the whale CVD of A-WHALE-1 over the CVD window (trade sizes, or the volume-spike proxy where
sizes are missing). G-WHALE-3 reads only trades at or above the learned whale threshold, over the shorter
whale-intent window (decided: recent intent, `indicators.whale_intent_window`); it fails open when the context
was computed at another threshold than the learned one, because it cannot judge at the learned one.
"""

from __future__ import annotations

import math

from bigalpha.config.gate import GateConfig
from bigalpha.domain import DenyReason, GuardName, GuardOutcome, Side, Signal
from bigalpha.gate.learned import GateLearnedState
from bigalpha.gate.outcomes import allow, block, resize, unavailable
from bigalpha.indicators.context import MarketContext
from bigalpha.indicators.flow import FlowDirection

_ALIGNED = {Side.LONG: FlowDirection.BUY, Side.SHORT: FlowDirection.SELL}
_OPPOSED = {Side.LONG: FlowDirection.SELL, Side.SHORT: FlowDirection.BUY}


def _usd(value: float | None) -> str:
    return "unknown" if value is None else f"{value:+,.0f} USD"


def _reason(context: MarketContext, key: str) -> str:
    return context.unavailable.get(key, "not in the market context")


def whale_conflict(
    signal: Signal, context: MarketContext, config: GateConfig, learned: GateLearnedState
) -> GuardOutcome:
    """G-WHALE-1: block when the whale CVD direction diverges from the signal's direction."""
    del config, learned  # the rule has no threshold of its own: the direction comes from A-WHALE-1
    guard = GuardName.WHALE_CONFLICT
    direction = context.whale_direction
    numbers = {
        "whale_cvd_usd": context.whale_cvd_usd,
        "whale_direction": None if direction is None else direction.value,
        "side": signal.side.value,
    }
    if direction is None:
        return unavailable(guard, f"whale CVD (A-WHALE-1): {_reason(context, 'whale_cvd')}", **numbers)
    if direction is _OPPOSED[signal.side]:
        return block(
            guard,
            DenyReason.WHALE_CONFLICT,
            f"whale CVD {_usd(context.whale_cvd_usd)} is {direction.value}, against a {signal.side.value}",
            **numbers,
        )
    return allow(guard, f"whale CVD is {direction.value}: no conflict with a {signal.side.value}", **numbers)


def whale_intent(signal: Signal, context: MarketContext, config: GateConfig, learned: GateLearnedState) -> GuardOutcome:
    """G-WHALE-3: block when whale CVD from trades at or above the learned threshold diverges from the signal."""
    del config
    guard = GuardName.WHALE_INTENT
    direction = context.whale_intent_direction
    numbers = {
        "whale_intent_cvd_usd": context.whale_intent_cvd_usd,
        "whale_intent_direction": None if direction is None else direction.value,
        "threshold_usd": learned.whale_threshold_usd,
        "context_threshold_usd": context.whale_threshold_usd,
        "side": signal.side.value,
    }
    if direction is None:
        return unavailable(
            guard, f"whale intent CVD (trades ≥ threshold): {_reason(context, 'whale_intent')}", **numbers
        )
    if context.whale_threshold_usd is None or not math.isclose(
        context.whale_threshold_usd, learned.whale_threshold_usd, rel_tol=1e-9
    ):
        return unavailable(
            guard,
            f"whale intent CVD was computed at a threshold of {context.whale_threshold_usd} USD, "
            f"not at the learned {learned.whale_threshold_usd:,.0f} USD",
            **numbers,
        )
    if direction is _OPPOSED[signal.side]:
        return block(
            guard,
            DenyReason.WHALE_INTENT_FILTER,
            f"whale intent {_usd(context.whale_intent_cvd_usd)} (trades ≥ {learned.whale_threshold_usd:,.0f} USD) "
            f"is {direction.value}, against a {signal.side.value}",
            **numbers,
        )
    return allow(guard, f"whale intent is {direction.value}: no divergence", **numbers)


def ultra_conviction(
    signal: Signal, context: MarketContext, config: GateConfig, learned: GateLearnedState
) -> GuardOutcome:
    """G-WHALE-2: whale CVD and retail OFI both aligned with the signal: size × ultra_multiplier (2.5)."""
    del learned
    guard = GuardName.ULTRA_CONVICTION
    direction = context.whale_direction
    numbers = {
        "whale_direction": None if direction is None else direction.value,
        "ofi": context.ofi,
        "min_ofi": config.ultra_min_ofi,
        "side": signal.side.value,
    }
    if direction is None:
        return unavailable(guard, f"whale CVD (A-WHALE-1): {_reason(context, 'whale_cvd')}", **numbers)
    if context.ofi is None:
        return unavailable(guard, f"retail OFI (A-OFI-1): {_reason(context, 'ofi')}", **numbers)
    ofi_aligned = context.ofi * signal.side.sign > config.ultra_min_ofi
    if direction is _ALIGNED[signal.side] and ofi_aligned:
        return resize(
            guard,
            config.ultra_multiplier,
            f"ULTRA: whale CVD {direction.value} and retail OFI {context.ofi:+.2f} both back the "
            f"{signal.side.value}: size × {config.ultra_multiplier:g}",
            **numbers,
        )
    return allow(guard, "normal conviction: whale CVD and retail OFI are not both aligned", **numbers)
