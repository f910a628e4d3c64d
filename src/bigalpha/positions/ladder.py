"""The take-profit ladder (P-LADDER-1) and its wall-adjusted top tier (P-WALL-1).

Targets are fractions of the entry price on the winning side: a long's Tier 1 at +0.5% sits at
entry × 1.005, a short's at entry × 0.995. A setup may bring its own ladder (`Signal.targets_pct`); the
configured one (+0.5 / +1.0 / +1.5 / +2.0%) serves every other signal.

Each tier closes a share of the *initial* quantity: the configured fractions when the ladder has as many
tiers as the configured one, otherwise (a setup's own ladder) equal shares. The last tier closes whatever
is still open, so a ladder never leaves dust and never closes more than is open.

P-WALL-1: an institutional wall (notional strictly above `institutional_wall_usd`) between the entry and the
top tier's target (the target included: a wall sitting exactly on it would absorb the order) moves that
target to 0.1% in front of the wall: wall × 0.999 for a long's ask wall, wall × 1.001 for a short's bid
wall. With several such walls, the one nearest the entry wins: price meets it first. A wall so close to the
entry that its adjusted target would not be beyond the entry is ignored, since a take-profit must take a
profit. Lower tiers that would then sit beyond the new top target are moved onto it (decided): they keep
their shares and fill together with the top tier, so the ladder stays ordered (ties allowed) and the
number of tiers, hence `Position.tiers_done`, keeps its meaning.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bigalpha.config.positions import PositionsConfig
from bigalpha.domain import Side
from bigalpha.indicators.liquidity import Wall
from bigalpha.positions._common import price_quantum, round_to_quantum, round_toward, to_decimal


@dataclass(frozen=True, slots=True)
class TargetMove:
    """One target moved by P-WALL-1: the tier (1-based), its old and new price, and the wall that moved it."""

    tier: int
    old_target: Decimal
    new_target: Decimal
    wall_price: float
    wall_usd: float
    top_tier: bool  # False: a lower tier moved onto the new top target to keep the ladder ordered


def validate_targets_pct(targets_pct: Sequence[float]) -> None:
    if not targets_pct:
        raise ValueError("a ladder needs at least one target")
    previous = 0.0
    for tier, pct in enumerate(targets_pct, start=1):
        if not 0.0 < pct < 1.0:
            raise ValueError(f"Tier-{tier} target must be a fraction in (0, 1), got {pct!r}")
        if pct <= previous:
            raise ValueError(f"Tier-{tier} target {pct} must be above Tier-{tier - 1} target {previous}")
        previous = pct


def ladder_targets(
    side: Side, entry: Decimal, targets_pct: Sequence[float], config: PositionsConfig
) -> tuple[Decimal, ...]:
    """P-LADDER-1: the target price of each tier, rounded toward the entry."""
    validate_targets_pct(targets_pct)
    sign = side.sign
    quantum = price_quantum(entry, config.price_significant_digits)
    return tuple(round_to_quantum(entry * _target_factor(sign, pct), entry, quantum) for pct in targets_pct)


@functools.lru_cache(maxsize=64, typed=True)
def _target_factor(sign: int, pct: float) -> Decimal:
    # 1 ± the target's fraction: every signal plans the configured ladder, whose fractions rarely change.
    return 1 + sign * to_decimal(pct, "target")


def ladder_fractions(tiers: int, config: PositionsConfig) -> tuple[Decimal, ...]:
    """P-LADDER-1: the share of the initial quantity each tier closes (they sum to 1)."""
    if tiers < 1:
        raise ValueError(f"a ladder needs at least one tier, got {tiers}")
    configured = config.ladder.fractions
    if tiers == len(configured):
        return _decimal_fractions(tuple(configured))
    share = Decimal(1) / tiers
    return (share,) * tiers


@functools.lru_cache(maxsize=8)
def _decimal_fractions(fractions: tuple[float, ...]) -> tuple[Decimal, ...]:
    # The exit policy asks on every bar of every position; the configured ladder rarely changes.
    return tuple(to_decimal(f, "fraction") for f in fractions)


def tier_quantity(tier_index: int, fractions: Sequence[Decimal], initial: Decimal, open_quantity: Decimal) -> Decimal:
    """What tier `tier_index` (0-based) closes: its share of the initial quantity, never more than is open;
    the last tier closes all that is open."""
    if tier_index == len(fractions) - 1:
        return open_quantity
    return min(initial * fractions[tier_index], open_quantity)


def _blocking_wall(
    side: Side, entry: Decimal, top: Decimal, walls: Sequence[Wall], config: PositionsConfig
) -> tuple[Wall, Decimal] | None:
    sign = side.sign
    offset = to_decimal(config.wall_offset_pct, "wall_offset_pct")
    found: list[tuple[Decimal, Wall, Decimal]] = []
    for wall in walls:
        if not wall.notional_usd > config.institutional_wall_usd:
            continue
        price = to_decimal(wall.price, "wall price")
        if price <= 0 or sign * (price - entry) <= 0 or sign * (price - top) > 0:
            continue  # not between the entry and the top target
        moved = round_toward(price * (1 - sign * offset), entry, config.price_significant_digits)
        if sign * (moved - entry) <= 0:
            continue  # no profit left in front of it
        found.append((sign * (price - entry), wall, moved))
    if not found:
        return None
    _, wall, moved = min(found, key=lambda item: item[0])
    return wall, moved


def wall_adjusted_targets(
    side: Side, entry: Decimal, targets: Sequence[Decimal], walls: Sequence[Wall] | None, config: PositionsConfig
) -> tuple[tuple[Decimal, ...], tuple[TargetMove, ...]]:
    """P-WALL-1: the ladder with its top target in front of the nearest institutional wall, and the moves made.

    `walls` are the ask walls for a long and the bid walls for a short (A-OB-1); None (unavailable) or no
    qualifying wall leaves the ladder as it is.
    """
    if not targets:
        raise ValueError("a ladder needs at least one target")
    if not walls:
        return tuple(targets), ()
    top = targets[-1]
    hit = _blocking_wall(side, entry, top, walls, config)
    if hit is None:
        return tuple(targets), ()
    wall, new_top = hit
    sign = side.sign
    adjusted: list[Decimal] = []
    moves: list[TargetMove] = []
    last = len(targets) - 1
    for index, target in enumerate(targets):
        if index == last or sign * (target - new_top) > 0:
            adjusted.append(new_top)
            if target != new_top:
                moves.append(TargetMove(index + 1, target, new_top, wall.price, wall.notional_usd, index == last))
        else:
            adjusted.append(target)
    moves.sort(key=lambda m: (not m.top_tier, m.tier))
    return tuple(adjusted), tuple(moves)
