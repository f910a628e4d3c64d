"""Narrow read-only records the store returns where a whole table row (an ORM object) would cost more than the
reader needs: plain frozen values built straight from a Core row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class ShadowOutcome:
    """What a closed shadow trade earned and why it was not (or was) taken: the columns the 4-hour review
    (L-SHADOW-1, L-GUARD-1) reads, and nothing else (L-SHADOW-1 pairs a taken signal's shadow with its live trade
    by `position_id`, and judges the pair once, after the later of their closes)."""

    strategy: str
    symbol: str
    taken: bool
    blocked_by: str | None
    return_pct: float | None
    position_id: str | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class TuningShadow:
    """What the whale-threshold tuning (L-OPT-1) reads of a closed shadow trade: the signal it asks the
    whale-intent guard about again, the outcome it counts, and the state holding the whale intent at each
    candidate threshold. Records may share one `state` (see `Store.tuning_shadows`): read it, never change it."""

    signal_id: str
    symbol: str
    side: str
    strategy: str
    blocked_by: str | None
    taken: bool
    opened_at: datetime
    entry_price: float
    closed_at: datetime | None
    return_pct: float | None
    state: dict[str, Any] | None


class PositionColumns(NamedTuple):
    """A `positions` row read as a plain tuple (`Store.closed_positions`), its columns by name in the table's
    order: it reads as the table object does, for `mapping.position_from_row`."""

    id: str
    symbol: str
    side: str
    account: str
    strategy: str
    signal_id: str | None
    opened_at: datetime
    closed_at: datetime | None
    entry_price: Decimal
    quantity: Decimal
    initial_quantity: Decimal
    leverage: int
    margin: Decimal
    stop_price: Decimal
    targets: list[str]
    tiers_done: int
    realized_pnl: Decimal
    fees_paid: Decimal
    funding_paid: Decimal
    exit_reason: str | None
    meta: dict[str, Any] | None
