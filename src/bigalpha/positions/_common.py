"""Helpers shared by the position rules: the float→Decimal boundary, price rounding, input checks, events.

Indicator inputs (bars, walls, clusters, max pain) are floats; position prices are `Decimal`. A float crosses
into a price through `to_decimal`, which takes its shortest repr (`101.5` → `Decimal("101.5")`, not the
binary expansion), so a wall at 101.5 gives exactly 101.3985 once multiplied by 0.999.

Derived prices (stops, targets) are rounded to `price_significant_digits` significant digits of the entry
price, *toward the entry*: a stop is never wider than asked (R-G-2 still holds) and a wall-adjusted target
never lands past the wall. The broker rounds to the instrument's tick at the execution boundary.

Event ids are derived from what produced the event (position or signal, bar time, rule, tier) so that
replaying a bar, or re-running it after a crash, gives the same id and nothing is stored twice.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from bigalpha.domain import Bar, Event, EventId, EventType, Position, Side, Symbol

SOURCE = "positions"


def to_decimal(value: float, name: str) -> Decimal:
    """A finite float as the Decimal of its shortest repr."""
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return Decimal(repr(float(value)))


def round_toward(price: Decimal, entry: Decimal, digits: int) -> Decimal:
    """`price` rounded to `digits` significant digits of `entry`, in the direction of `entry`."""
    return round_to_quantum(price, entry, price_quantum(entry, digits))


def price_quantum(entry: Decimal, digits: int) -> Decimal:
    """The unit of `digits` significant digits of `entry` (what `round_toward` rounds to)."""
    return Decimal(1).scaleb(entry.adjusted() - digits + 1)


def round_to_quantum(price: Decimal, entry: Decimal, quantum: Decimal) -> Decimal:
    """`round_toward` with the quantum of the entry found once, for several prices planned from one entry."""
    rounding = ROUND_FLOOR if price > entry else ROUND_CEILING
    return price.quantize(quantum, rounding=rounding)


def require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def require_positive(value: Decimal, name: str) -> None:
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{name} must be a positive finite Decimal, got {value}")


def validate_bar(bar: Bar) -> None:
    """A bar whose prices are positive and finite, with low ≤ open, close ≤ high."""
    require_aware(bar.ts, "bar.ts")
    # These comparisons hold exactly when every check below passes (any NaN fails one); the checks name the problem.
    if 0 < bar.low <= bar.open <= bar.high < math.inf and bar.low <= bar.close <= bar.high:
        return
    prices = {"open": bar.open, "high": bar.high, "low": bar.low, "close": bar.close}
    for name, value in prices.items():
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"bar.{name} must be a positive finite number, got {value!r}")
    if not bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high:
        raise ValueError(
            f"bar at {bar.ts.isoformat()} is inconsistent: low {bar.low}, open {bar.open}, "
            f"close {bar.close}, high {bar.high}"
        )


def validate_position(position: Position) -> None:
    """An open position whose quantities, stop and targets are coherent with its side."""
    if not position.is_open:
        raise ValueError(f"position {position.id} is closed (at {position.closed_at}); nothing to evaluate")
    require_aware(position.opened_at, "position.opened_at")
    entry = position.entry_price
    require_positive(entry, "position.entry_price")
    quantity = position.quantity
    require_positive(quantity, "position.quantity")
    if quantity > position.initial_quantity:
        raise ValueError(
            f"position {position.id}: open quantity {quantity} exceeds its initial {position.initial_quantity}"
        )
    targets = position.targets
    if not targets:
        raise ValueError(f"position {position.id} has no targets")
    if not 0 <= position.tiers_done <= len(targets):
        raise ValueError(f"position {position.id}: tiers_done {position.tiers_done} is outside 0..{len(targets)}")
    sign = position.side.sign
    if sign * (entry - position.stop_price) <= 0:
        raise ValueError(
            f"position {position.id}: {position.side} stop {position.stop_price} is not on the losing side "
            f"of entry {entry} (P-STOP-1)"
        )
    previous = entry
    for tier, target in enumerate(targets, start=1):
        if sign * (target - previous) < 0 or target == entry:
            raise ValueError(
                f"position {position.id}: Tier-{tier} target {target} is out of order for a {position.side} "
                f"entered at {entry}"
            )
        previous = target


def event_id(*parts: object) -> EventId:
    """A stable id for the event that `parts` identify."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:20]
    return EventId(f"evt-{digest}")


def position_event(
    kind: EventType,
    ts: datetime,
    symbol: Symbol,
    side: Side,
    key: tuple[object, ...],
    message: str,
    data: dict[str, Any],
) -> Event:
    return Event(
        id=event_id(kind.value, *key),
        ts=ts,
        type=kind,
        source=SOURCE,
        symbol=symbol,
        side=side,
        message=message,
        data=data,
    )
