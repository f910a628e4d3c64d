"""Blocking rules that are not about the market's flow: golden hour (G-GOLDEN-1) and the fee-aware gate (G-FEE-1).

Golden hour reads the signal's own timestamp (never a clock): entries only when start ≤ t < end, UTC,
so 09:00:00 is inside and 16:00:00 is outside. Exits never pass the gate, so they are never held back.

The fee-aware gate: the expected move must exceed round-trip fees + the symbol's slippage buffer (learned by
L-SHADOW-1; the config default until then). Equal is not "exceeds": it blocks. A signal that states no
expected move fails open (D-FAILOPEN), with the outcome naming the missing `expected_move_bps`.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from bigalpha.config.gate import GateConfig
from bigalpha.domain import DenyReason, GuardName, GuardOutcome, Signal
from bigalpha.gate.learned import GateLearnedState
from bigalpha.gate.outcomes import Number, allow, block, unavailable
from bigalpha.indicators.context import MarketContext


def golden_hour(signal: Signal, context: MarketContext, config: GateConfig, learned: GateLearnedState) -> GuardOutcome:
    """G-GOLDEN-1: new entries only between 09:00 (inclusive) and 16:00 (exclusive) UTC."""
    del context, learned
    guard = GuardName.GOLDEN_HOUR
    moment = signal.ts.astimezone(UTC)
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
    start, end = config.golden_hour_start_utc, config.golden_hour_end_utc
    window = f"{start:02d}:00–{end:02d}:00 UTC"
    numbers: dict[str, Number] = {"time_utc": moment.time().isoformat(), "start_hour_utc": start, "end_hour_utc": end}
    clock = hh_mm_ss(moment)
    if start * 3600 <= seconds < end * 3600:
        return allow(guard, f"{clock} UTC is inside the golden hours {window}", **numbers)
    return block(
        guard,
        DenyReason.OUTSIDE_GOLDEN_HOUR,
        f"{clock} UTC is outside the golden hours {window}: no new entries",
        **numbers,
    )


def hh_mm_ss(moment: datetime) -> str:
    """`f"{moment:%H:%M:%S}"`, without strftime (a third of this guard's time on every signal it judges)."""
    return f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"


def fee_aware(signal: Signal, context: MarketContext, config: GateConfig, learned: GateLearnedState) -> GuardOutcome:
    """G-FEE-1: block unless the expected move exceeds round-trip fees plus the symbol's slippage buffer."""
    del context
    guard = GuardName.FEE_AWARE
    slippage = learned.slippage_for(signal.symbol, config.default_slippage_bps)
    cost = config.round_trip_fee_bps + slippage
    expected = signal.expected_move_bps
    numbers: dict[str, Number] = {
        "expected_move_bps": expected,
        "round_trip_fee_bps": config.round_trip_fee_bps,
        "slippage_bps": slippage,
        "cost_bps": cost,
    }
    if expected is None:
        return unavailable(guard, "the signal states no expected move (signal.expected_move_bps)", **numbers)
    if expected > cost and not math.isclose(expected, cost, rel_tol=1e-9):
        return allow(guard, f"expected move {expected:g} bps > costs {cost:g} bps", **numbers)
    return block(
        guard,
        DenyReason.FEES_EXCEED_EXPECTED_MOVE,
        f"expected move {expected:g} bps does not exceed fees {config.round_trip_fee_bps:g} + slippage "
        f"{slippage:g} = {cost:g} bps",
        **numbers,
    )
