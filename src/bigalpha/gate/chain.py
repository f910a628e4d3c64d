"""The chain: every guard in order, stopping at the first block, then the size rules.

Order (decided, see docs/gate.md): the SPEC's five blocking guards in the SPEC's order — whale conflict,
liquidation wall, long trap, taker aggression, whale intent — then the two other blocking rules, golden
hour and fee-aware, then the size rules — ULTRA, fear & greed, random regime — and last the probation cap.
Every rule that can block runs before any size rule, so a blocked signal carries no size outcome and the
chain is "blocks, then sizes". The size multipliers are multiplied in a fixed (sorted) order, so the product
does not depend on the order the size rules ran in; the probation cap then takes min(product, cap).

A guard switched off in config gives an explicit "disabled" ALLOW outcome (it is listed, never silent).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC

from bigalpha.config.gate import GateConfig, GuardSwitches
from bigalpha.domain import Decision, GuardName, GuardOutcome, Side, Signal, Verdict
from bigalpha.gate import liquidity, positioning, sizing, timing, whale
from bigalpha.gate.learned import GateLearnedState
from bigalpha.gate.outcomes import disabled
from bigalpha.indicators.context import MarketContext

Guard = Callable[[Signal, MarketContext, GateConfig, GateLearnedState], GuardOutcome]

BLOCK_ORDER: tuple[GuardName, ...] = (
    GuardName.WHALE_CONFLICT,
    GuardName.LIQ_WALL,
    GuardName.LONG_TRAP,
    GuardName.TAKER_AGGRESSION,
    GuardName.WHALE_INTENT,
    GuardName.GOLDEN_HOUR,
    GuardName.FEE_AWARE,
)
SIZE_ORDER: tuple[GuardName, ...] = (GuardName.ULTRA_CONVICTION, GuardName.FEAR_GREED, GuardName.RANDOM_REGIME)
GATE_ORDER: tuple[GuardName, ...] = (*BLOCK_ORDER, *SIZE_ORDER, GuardName.PROBATION)

GUARDS: dict[GuardName, Guard] = {
    GuardName.WHALE_CONFLICT: whale.whale_conflict,
    GuardName.LIQ_WALL: liquidity.liq_wall,
    GuardName.LONG_TRAP: positioning.long_trap,
    GuardName.TAKER_AGGRESSION: positioning.taker_aggression,
    GuardName.WHALE_INTENT: whale.whale_intent,
    GuardName.GOLDEN_HOUR: timing.golden_hour,
    GuardName.FEE_AWARE: timing.fee_aware,
    GuardName.ULTRA_CONVICTION: whale.ultra_conviction,
    GuardName.FEAR_GREED: sizing.fear_greed,
    GuardName.RANDOM_REGIME: sizing.random_regime,
}

_SWITCHES: dict[GuardName, str] = {
    GuardName.WHALE_CONFLICT: "whale_conflict",
    GuardName.LIQ_WALL: "liq_wall",
    GuardName.LONG_TRAP: "long_trap",
    GuardName.TAKER_AGGRESSION: "taker_aggression",
    GuardName.WHALE_INTENT: "whale_intent",
    GuardName.GOLDEN_HOUR: "golden_hour",
    GuardName.FEE_AWARE: "fee_aware",
    GuardName.ULTRA_CONVICTION: "ultra_conviction",
    GuardName.FEAR_GREED: "fear_greed",
    GuardName.RANDOM_REGIME: "random_regime",
    GuardName.PROBATION: "probation",
}


def switch_name(guard: GuardName, side: Side) -> str:
    """The `gate.guards` switch that turns `guard` on for a signal of `side`."""
    if guard is GuardName.LIQ_WALL and side is Side.SHORT:
        return "liq_wall_short_mirror"
    return _SWITCHES[guard]


# Each guard's switch for each side, named once rather than on every signal.
_SWITCH_OF: dict[Side, dict[GuardName, str]] = {side: {g: switch_name(g, side) for g in GATE_ORDER} for side in Side}


def _enabled(switches: GuardSwitches, switch: str) -> bool:
    on: bool = getattr(switches, switch)
    return on


def _check(signal: Signal, context: MarketContext) -> None:
    where = f"signal {signal.id}"
    if signal.ts.tzinfo is None or signal.ts.utcoffset() is None:
        raise ValueError(f"{where}: ts {signal.ts.isoformat()} has no timezone; bigalpha works in UTC")
    if not (math.isfinite(signal.price) and signal.price > 0):
        raise ValueError(f"{where}: price must be a positive number, got {signal.price}")
    if signal.expected_move_bps is not None and not math.isfinite(signal.expected_move_bps):
        raise ValueError(f"{where}: expected_move_bps must be finite, got {signal.expected_move_bps}")
    if context.symbol != signal.symbol:
        raise ValueError(f"{where}: symbol {signal.symbol!r} does not match the market context's {context.symbol!r}")


def evaluate(
    signal: Signal,
    context: MarketContext,
    config: GateConfig,
    learned: GateLearnedState,
    *,
    size_order: Sequence[GuardName] = SIZE_ORDER,
) -> Verdict:
    """Run the gate on one entry signal. Pure: the same inputs always give the same verdict."""
    _check(signal, context)
    if size_order is not SIZE_ORDER and sorted(size_order) != sorted(SIZE_ORDER):
        raise ValueError(f"size_order must be a permutation of {[g.value for g in SIZE_ORDER]}")
    switches = config.guards
    switch_of = _SWITCH_OF[signal.side]
    outcomes: list[GuardOutcome] = []
    for name in BLOCK_ORDER:
        if not _enabled(switches, switch_of[name]):
            outcomes.append(disabled(name, switch_of[name]))
            continue
        outcome = GUARDS[name](signal, context, config, learned)
        outcomes.append(outcome)
        if outcome.decision is Decision.BLOCK:
            return Verdict(
                signal_id=signal.id,
                allowed=False,
                size_multiplier=0.0,
                outcomes=tuple(outcomes),
                blocked_by=name,
                reason=outcome.reason,
            )
    multipliers: list[float] = []
    for name in size_order:
        if not _enabled(switches, switch_of[name]):
            outcomes.append(disabled(name, switch_of[name]))
            continue
        outcome = GUARDS[name](signal, context, config, learned)
        outcomes.append(outcome)
        multipliers.append(outcome.multiplier)
    product = math.prod(sorted(multipliers))
    if _enabled(switches, switch_of[GuardName.PROBATION]):
        cap_outcome, final = sizing.probation(signal, config, learned, product)
    else:
        cap_outcome, final = disabled(GuardName.PROBATION, "probation"), product
    outcomes.append(cap_outcome)
    return Verdict(signal_id=signal.id, allowed=True, size_multiplier=final, outcomes=tuple(outcomes))


def signal_time_utc(signal: Signal) -> str:
    """The signal's time as an ISO string in UTC (for messages and events)."""
    return signal.ts.astimezone(UTC).isoformat()
