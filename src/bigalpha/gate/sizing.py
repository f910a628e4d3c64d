"""Size rules that only cut: fear & greed (G-FG-1), random-walk regime (G-HURST-1), probation cap (G-PROB-1).

Fear & greed "above 80" cuts, so 80 itself does not. The random-walk regime is A-HURST-2's
0.45 ≤ H ≤ 0.55 (both ends included), read from the context's regime. Probation is a cap, not a
multiplier: the final size multiplier is min(product of every other size rule, cap); its outcome's
multiplier is that cap's effect (final / product, ≤ 1), and it allows unchanged when the product is
already at or below the cap.
"""

from __future__ import annotations

import math

from bigalpha.config.gate import GateConfig
from bigalpha.domain import GuardName, GuardOutcome, Regime, Signal
from bigalpha.gate.learned import GateLearnedState
from bigalpha.gate.outcomes import allow, resize, unavailable
from bigalpha.indicators.context import MarketContext


def fear_greed(signal: Signal, context: MarketContext, config: GateConfig, learned: GateLearnedState) -> GuardOutcome:
    """G-FG-1: fear & greed above 80 → every size × 0.6. Never blocks."""
    del signal, learned
    guard = GuardName.FEAR_GREED
    value = context.fear_greed
    numbers = {"fear_greed": value, "above": config.fear_greed_above, "multiplier": config.fear_greed_multiplier}
    if value is None:
        reason = context.unavailable.get("fear_greed", "not in the market context")
        return unavailable(guard, f"fear & greed index (A-FG-1): {reason}", **numbers)
    if value > config.fear_greed_above and not math.isclose(value, config.fear_greed_above, rel_tol=1e-9):
        return resize(
            guard,
            config.fear_greed_multiplier,
            f"extreme greed {value:g} > {config.fear_greed_above:g}: size × {config.fear_greed_multiplier:g}",
            **numbers,
        )
    return allow(guard, f"fear & greed {value:g} ≤ {config.fear_greed_above:g}", **numbers)


def random_regime(
    signal: Signal, context: MarketContext, config: GateConfig, learned: GateLearnedState
) -> GuardOutcome:
    """G-HURST-1: random-walk regime (0.45 ≤ H ≤ 0.55) → size × 0.5 (decided, configurable)."""
    del signal, learned
    guard = GuardName.RANDOM_REGIME
    numbers = {"hurst": context.hurst, "regime": context.regime.value}
    if context.regime is Regime.UNKNOWN:
        reason = context.unavailable.get("hurst", "no Hurst estimate in the market context")
        return unavailable(guard, f"Hurst regime (A-HURST-1): {reason}", **numbers)
    if context.regime is Regime.RANDOM_WALK:
        return resize(
            guard,
            config.random_regime_multiplier,
            f"random-walk regime (H = {context.hurst}): size × {config.random_regime_multiplier:g}",
            **numbers,
        )
    return allow(guard, f"{context.regime.value} regime: no cut", **numbers)


def probation(
    signal: Signal, config: GateConfig, learned: GateLearnedState, product: float
) -> tuple[GuardOutcome, float]:
    """G-PROB-1: a symbol on probation has its size multiplier capped at 0.2×. Returns (outcome, final multiplier)."""
    guard = GuardName.PROBATION
    cap = config.probation_cap
    if not learned.on_probation(signal.symbol):
        return allow(guard, f"{signal.symbol} is not on probation", on_probation=False, cap=cap), product
    numbers = {"on_probation": True, "cap": cap, "product_before_cap": product}
    if product <= cap:
        return allow(
            guard, f"{signal.symbol} on probation; size × {product:g} is within the cap {cap:g}", **numbers
        ), product
    outcome = resize(
        guard,
        cap / product,
        f"{signal.symbol} on probation: size multiplier capped at {cap:g} (was {product:g})",
        **numbers,
    )
    return outcome, cap
