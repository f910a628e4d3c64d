"""Perpetual-futures accounting (P-PERP-1): margin, liquidation price, funding, P&L. All `Decimal`.

Liquidation price follows Binance USDⓈ-M's published formula for one position in isolated margin
(one-way mode), where the other contracts' maintenance margin and P&L are zero:

    LP = (WB + cum − side × Q × EP) / (Q × MMR − side × Q)

with WB the isolated wallet balance (the position's margin), cum the bracket's maintenance amount,
side +1 long / −1 short, Q the absolute quantity, EP the entry price and MMR the bracket's maintenance
margin rate. The bracket is the one of the position's notional *at the liquidation price*: when it
differs from the entry notional's bracket, the price is recalculated with that bracket, as the FAQ
instructs. The maintenance amount of bracket n is floor_n × (MMR_n − MMR_{n−1}) + cum_{n−1}.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bigalpha.config.execution import MarginTier
from bigalpha.domain import Side

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Bracket:
    floor_usd: Decimal
    maintenance_rate: Decimal
    maintenance_amount: Decimal


def brackets(tiers: Sequence[MarginTier]) -> tuple[Bracket, ...]:
    """The tiers with their maintenance amounts (cum), from Binance's recursive formula."""
    result: list[Bracket] = []
    previous_rate, previous_amount = ZERO, ZERO
    for tier in tiers:
        amount = tier.floor_usd * (tier.maintenance_rate - previous_rate) + previous_amount
        result.append(Bracket(tier.floor_usd, tier.maintenance_rate, amount))
        previous_rate, previous_amount = tier.maintenance_rate, amount
    return tuple(result)


def bracket_for(notional: Decimal, table: Sequence[Bracket]) -> Bracket:
    """The bracket whose range holds `notional` (its floor included)."""
    chosen = table[0]
    for bracket in table:
        if notional >= bracket.floor_usd:
            chosen = bracket
    return chosen


def maintenance_margin(notional: Decimal, table: Sequence[Bracket]) -> Decimal:
    """Notional × MMR − maintenance amount, for the notional's bracket."""
    bracket = bracket_for(abs(notional), table)
    return abs(notional) * bracket.maintenance_rate - bracket.maintenance_amount


def initial_margin(notional: Decimal, leverage: int) -> Decimal:
    if leverage < 1:
        raise ValueError(f"leverage must be at least 1, got {leverage}")
    return abs(notional) / Decimal(leverage)


def liquidation_price(
    side: Side, quantity: Decimal, entry_price: Decimal, margin: Decimal, table: Sequence[Bracket]
) -> Decimal:
    """Isolated-margin liquidation price (see the module docstring); 0 when it would be negative."""
    if quantity <= 0 or entry_price <= 0:
        raise ValueError(f"liquidation price needs a positive quantity and entry price, got {quantity} @ {entry_price}")
    sign = Decimal(side.sign)
    bracket = bracket_for(quantity * entry_price, table)
    price = ZERO
    # The bracket at the liquidation price can differ from the entry's; a few passes settle it.
    for _ in range(len(table) + 1):
        denominator = quantity * bracket.maintenance_rate - sign * quantity
        price = (margin + bracket.maintenance_amount - sign * quantity * entry_price) / denominator
        settled = bracket_for(quantity * max(price, ZERO), table)
        if settled == bracket:
            break
        bracket = settled
    return max(price, ZERO)


def unrealized_pnl(side: Side, quantity: Decimal, entry_price: Decimal, mark_price: Decimal) -> Decimal:
    return Decimal(side.sign) * quantity * (mark_price - entry_price)


def funding_payment(side: Side, quantity: Decimal, mark_price: Decimal, rate: Decimal) -> Decimal:
    """What the position pays at a funding time (negative: it receives). Longs pay when the rate is positive."""
    return Decimal(side.sign) * quantity * mark_price * rate


def fee(notional: Decimal, bps: Decimal) -> Decimal:
    return abs(notional) * bps / Decimal(10_000)
