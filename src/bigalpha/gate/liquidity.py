"""LIQ_WALL_CONFLICT (G-LIQ-1): no LONG within 0.5% of a short-liquidation cluster.

"Within 0.5%" includes exactly 0.5% (to 1e-9 relative): a LONG whose entry is exactly 0.5% below a
cluster is blocked. The distance is measured from the signal's price (its entry), against every
short-liquidation cluster of the context. The decided mirrored rule blocks a SHORT within the same
distance of a long-liquidation cluster; it is off by default (`gate.guards.liq_wall_short_mirror`).
"""

from __future__ import annotations

from bigalpha.config.gate import GateConfig
from bigalpha.domain import DenyReason, GuardName, GuardOutcome, Side, Signal
from bigalpha.gate.learned import GateLearnedState
from bigalpha.gate.outcomes import allow, block, unavailable
from bigalpha.indicators.context import MarketContext
from bigalpha.indicators.liquidity import distance_pct, within


def liq_wall(signal: Signal, context: MarketContext, config: GateConfig, learned: GateLearnedState) -> GuardOutcome:
    """G-LIQ-1 for a LONG (short-liquidation clusters), and its mirror for a SHORT (long-liquidation clusters)."""
    del learned
    guard = GuardName.LIQ_WALL
    long = signal.side is Side.LONG
    clusters = context.short_clusters if long else context.long_clusters
    kind = "short-liquidation" if long else "long-liquidation"
    if clusters is None:
        return unavailable(
            guard,
            f"liquidation heatmap (A-LIQ-1): {context.unavailable.get('liquidation_heatmap', 'not in the market context')}",
            side=signal.side.value,
        )
    if not clusters:
        return allow(guard, f"no {kind} cluster", side=signal.side.value, clusters=0, limit_pct=config.liq_wall_pct)
    nearest = min(clusters, key=lambda c: distance_pct(c.price, signal.price))
    distance = distance_pct(nearest.price, signal.price)
    numbers = {
        "side": signal.side.value,
        "price": signal.price,
        "cluster_price": nearest.price,
        "cluster_usd": nearest.liquidation_usd,
        "distance_pct": distance,
        "limit_pct": config.liq_wall_pct,
        "clusters": len(clusters),
    }
    if within(distance, config.liq_wall_pct):
        return block(
            guard,
            DenyReason.LIQ_WALL_CONFLICT,
            f"{signal.side.value} at {signal.price:,.2f} is {distance:.3%} from a {kind} cluster at "
            f"{nearest.price:,.2f} ({nearest.liquidation_usd:,.0f} USD); limit {config.liq_wall_pct:.2%}",
            **numbers,
        )
    return allow(guard, f"nearest {kind} cluster is {distance:.3%} away (limit {config.liq_wall_pct:.2%})", **numbers)
