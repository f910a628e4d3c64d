"""Retail-positioning guards for longs: LONG_TRAP_DETECTED (G-TRAP-1), TAKER_AGGRESSION_BLOCK (G-TAKER-1).

Boundaries as the SPEC words them: a long/short ratio "above 2.0" blocks, so 2.0 itself is allowed; a
taker ratio "≤ 1.10" blocks, so 1.10 itself is blocked (both to 1e-9 relative).
"""

from __future__ import annotations

import math

from bigalpha.config.gate import GateConfig
from bigalpha.domain import DenyReason, GuardName, GuardOutcome, Side, Signal
from bigalpha.gate.learned import GateLearnedState
from bigalpha.gate.outcomes import allow, block, long_only, unavailable
from bigalpha.indicators.context import MarketContext

_REL_TOL = 1e-9


def _above(value: float, limit: float) -> bool:
    return value > limit and not math.isclose(value, limit, rel_tol=_REL_TOL)


def long_trap(signal: Signal, context: MarketContext, config: GateConfig, learned: GateLearnedState) -> GuardOutcome:
    """G-TRAP-1: block a LONG when the retail long/short account ratio is above 2.0."""
    del learned
    guard = GuardName.LONG_TRAP
    if signal.side is not Side.LONG:
        return long_only(guard, signal.side)
    ratio = context.long_short_ratio
    numbers = {"long_short_ratio": ratio, "limit": config.long_trap_ratio}
    if ratio is None:
        reason = context.unavailable.get("long_short_ratio", "not in the market context")
        return unavailable(guard, f"long/short ratio (A-LSR-1): {reason}", **numbers)
    if _above(ratio, config.long_trap_ratio):
        return block(
            guard,
            DenyReason.LONG_TRAP_DETECTED,
            f"retail long/short ratio {ratio:.2f} is above {config.long_trap_ratio:g}: crowded longs",
            **numbers,
        )
    return allow(guard, f"retail long/short ratio {ratio:.2f} ≤ {config.long_trap_ratio:g}", **numbers)


def taker_aggression(
    signal: Signal, context: MarketContext, config: GateConfig, learned: GateLearnedState
) -> GuardOutcome:
    """G-TAKER-1: block a LONG when the 5-minute taker buy/sell ratio is at or below 1.10."""
    del learned
    guard = GuardName.TAKER_AGGRESSION
    if signal.side is not Side.LONG:
        return long_only(guard, signal.side)
    ratio = context.taker_ratio_5m
    numbers = {"taker_ratio_5m": ratio, "min_ratio": config.taker_min_ratio}
    if ratio is None:
        reason = context.unavailable.get("taker_ratio", "not in the market context")
        return unavailable(guard, f"5-minute taker ratio (A-TAKER-1): {reason}", **numbers)
    if not _above(ratio, config.taker_min_ratio):
        return block(
            guard,
            DenyReason.TAKER_AGGRESSION_BLOCK,
            f"5-minute taker buy/sell ratio {ratio:.3f} ≤ {config.taker_min_ratio:g}: no aggressive buying",
            **numbers,
        )
    return allow(guard, f"5-minute taker buy/sell ratio {ratio:.3f} > {config.taker_min_ratio:g}", **numbers)
