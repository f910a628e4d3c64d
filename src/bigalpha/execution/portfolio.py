"""Positions and the wallet, updated by fills and funding: pure functions over immutable records.

The wallet balance moves only by realized P&L, fees and funding; equity = balance + unrealized P&L of
the open positions at their marks (P-PERP-1). A position's entry price is the volume-weighted price of
its entry fills; its margin is its entry notional divided by its leverage (isolated margin).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from bigalpha.domain import Fill, Position, Symbol
from bigalpha.execution.accounting import Bracket, funding_payment, liquidation_price, unrealized_pnl

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Wallet:
    """The trading account's cash side."""

    balance: Decimal
    fees_paid: Decimal = ZERO
    funding_paid: Decimal = ZERO
    realized_pnl: Decimal = ZERO


def add_entry_fill(position: Position, fill: Fill) -> Position:
    """`position` grown by an entry fill: VWAP entry, margin for the new notional, the fill's fee."""
    quantity = position.quantity + fill.quantity
    if quantity <= 0:
        raise ValueError(f"an entry fill must add quantity, got {fill.quantity}")
    entry = (position.entry_price * position.quantity + fill.price * fill.quantity) / quantity
    return replace(
        position,
        quantity=quantity,
        initial_quantity=position.initial_quantity + fill.quantity,
        entry_price=entry,
        margin=entry * quantity / Decimal(position.leverage),
        fees_paid=position.fees_paid + fill.fee,
    )


def apply_exit_fill(position: Position, fill: Fill, *, reason: str, at: datetime) -> tuple[Position, Decimal]:
    """`position` reduced by an exit fill, and the P&L that fill realized (before its fee)."""
    if fill.quantity > position.quantity:
        raise ValueError(f"exit fill of {fill.quantity} exceeds the open quantity {position.quantity} of {position.id}")
    realized = Decimal(position.side.sign) * fill.quantity * (fill.price - position.entry_price)
    remaining = position.quantity - fill.quantity
    margin = position.margin * remaining / position.quantity if position.quantity else ZERO
    tiers_done = position.tiers_done
    if reason.startswith("tier-") and reason.removeprefix("tier-").isdigit():
        # A ladder exit that filled moves the ladder on, so the same tier is not sent again.
        tiers_done = max(tiers_done, int(reason.removeprefix("tier-")))
    updated = replace(
        position,
        quantity=remaining,
        margin=margin,
        tiers_done=tiers_done,
        realized_pnl=position.realized_pnl + realized,
        fees_paid=position.fees_paid + fill.fee,
        closed_at=at if remaining == 0 else None,
        exit_reason=reason if remaining == 0 else position.exit_reason,
    )
    return updated, realized


def apply_funding(position: Position, mark: Decimal, rate: Decimal) -> tuple[Position, Decimal]:
    """`position` after a funding payment at `mark` and `rate`; returns the amount it paid (negative: received)."""
    paid = funding_payment(position.side, position.quantity, mark, rate)
    return replace(position, funding_paid=position.funding_paid + paid), paid


def net_pnl(position: Position) -> Decimal:
    """Realized P&L after fees and funding."""
    return position.realized_pnl - position.fees_paid - position.funding_paid


def position_liquidation_price(position: Position, table: Sequence[Bracket]) -> Decimal:
    return liquidation_price(position.side, position.quantity, position.entry_price, position.margin, table)


def equity(wallet: Wallet, positions: Iterable[Position], marks: Mapping[Symbol, Decimal]) -> Decimal:
    """Balance plus the unrealized P&L of every open position at its mark (entry price when unknown)."""
    total = wallet.balance
    for position in positions:
        if position.quantity > 0:
            mark = marks.get(position.symbol, position.entry_price)
            total += unrealized_pnl(position.side, position.quantity, position.entry_price, mark)
    return total


def wallet_after(wallet: Wallet, *, realized: Decimal = ZERO, fee: Decimal = ZERO, funding: Decimal = ZERO) -> Wallet:
    """The wallet after a realized P&L, a fee and a funding payment (each may be zero)."""
    return Wallet(
        balance=wallet.balance + realized - fee - funding,
        fees_paid=wallet.fees_paid + fee,
        funding_paid=wallet.funding_paid + funding,
        realized_pnl=wallet.realized_pnl + realized,
    )
