"""Shadow trades (L-SHADOW-1): every signal, taken or blocked, is followed to its exit with ideal fills.

A shadow enters at the signal's price with no fee or slippage, and exits by the same exit policy as a
real position (its stop, its ladder and its holds), filling exactly at the trigger prices. What it
earned is what the signal was worth before execution costs: comparing shadow and live profit factors
measures slippage (L-SHADOW-1), and the shadows a guard blocked measure that guard (L-GUARD-1).

Open shadows are plain objects the engine keeps (and checkpoints); the store gets a row when a shadow
opens and when it closes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from bigalpha.domain import AccountName, Bar, Position, PositionId, Side, Signal, SignalId, Symbol
from bigalpha.engine.policies import EntryPlan, ExitPolicy
from bigalpha.indicators.context import MarketContext
from bigalpha.store.mapping import meta_from_json, meta_to_json
from bigalpha.store.tables import ShadowTradeRow

SHADOW_ACCOUNT = AccountName("shadow")
SHADOW_ID_PREFIX = "shd-"
UNIT = Decimal(1)


@dataclass(slots=True)
class Shadow:
    """One shadow trade; its fields are the `shadow_trades` table's columns."""

    id: str
    signal_id: str
    symbol: str
    side: str
    strategy: str
    blocked_by: str | None
    taken: bool
    position_id: str | None
    opened_at: datetime
    entry_price: float
    stop_price: float
    targets: list[float]
    closed_at: datetime | None = None
    exit_price: float | None = None
    return_pct: float | None = None
    exit_reason: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    # Not a column: the one-unit position `as_position` last built, with what it was built from.
    _judged: tuple[tuple[object, ...], tuple[object, object], Position] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def to_row(self) -> ShadowTradeRow:
        return ShadowTradeRow(**{name: getattr(self, name) for name in COLUMNS})

    @classmethod
    def from_row(cls, row: ShadowTradeRow) -> Shadow:
        return cls(**{name: getattr(row, name) for name in COLUMNS})

    def to_dict(self) -> dict[str, Any]:
        """JSON data for the engine's checkpoint."""
        data = {name: getattr(self, name) for name in COLUMNS}
        for key in ("opened_at", "closed_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Shadow:
        values = dict(data)
        for key in ("opened_at", "closed_at"):
            if values.get(key) is not None:
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Shadow) if f.init)


def shadow_id(signal: Signal) -> str:
    return f"{SHADOW_ID_PREFIX}{signal.id}"


def is_shadow(position: Position) -> bool:
    """Whether `position` is a shadow as `as_position` builds it (a real position has neither its account nor an id
    of this form)."""
    return position.account == SHADOW_ACCOUNT and position.id.startswith(SHADOW_ID_PREFIX)


def open_shadow(signal: Signal, plan: EntryPlan, *, blocked_by: str | None, position_id: str | None) -> Shadow:
    """A shadow of `signal`: one unit at the signal's price, the plan's stop and targets."""
    return Shadow(
        id=shadow_id(signal),
        signal_id=signal.id,
        symbol=signal.symbol,
        side=signal.side.value,
        strategy=signal.strategy,
        blocked_by=blocked_by,
        taken=blocked_by is None,
        position_id=position_id,
        opened_at=signal.ts,
        entry_price=signal.price,
        stop_price=float(plan.stop_price),
        targets=[float(target) for target in plan.targets],
        state={"exit_state": dict(plan.state), "closed": "0", "pnl": "0", "meta": meta_to_json(plan.meta)},
    )


def as_position(shadow: Shadow) -> Position:
    """The shadow as a one-unit position the exit policy can judge.

    A shadow is judged on many bars, and only its closed quantity and tiers change between them (when an exit
    fills): the position is rebuilt in full only when a field it reads from the open shadow has changed.
    """
    state = shadow.state
    source = (
        shadow.id,
        shadow.symbol,
        shadow.side,
        shadow.opened_at,
        shadow.entry_price,
        shadow.stop_price,
        tuple(shadow.targets),
        shadow.signal_id,
        shadow.strategy,
        state.get("meta"),
    )
    progress = (state.get("closed", "0"), state.get("tiers_done", 0))
    judged = shadow._judged
    if judged is None or judged[0] != source:
        position = _position(shadow, state, None)
    elif judged[1] != progress:
        position = _position(shadow, state, judged[2])
    else:
        return judged[2]
    shadow._judged = (source, progress, position)
    return position


def _position(shadow: Shadow, state: dict[str, Any], same: Position | None) -> Position:
    """`same`, built from the same fields of the shadow, lends its converted prices and metadata."""
    if same is None:
        side = Side(shadow.side)
        entry = Decimal(repr(shadow.entry_price))
        stop = Decimal(repr(shadow.stop_price))
        targets = tuple(Decimal(repr(t)) for t in shadow.targets)
        meta = meta_from_json(state.get("meta"))
    else:
        side, entry, stop, targets, meta = same.side, same.entry_price, same.stop_price, same.targets, same.meta
    return Position(
        id=PositionId(shadow.id),
        symbol=Symbol(shadow.symbol),
        side=side,
        account=SHADOW_ACCOUNT,
        opened_at=shadow.opened_at,
        entry_price=entry,
        quantity=UNIT - Decimal(state.get("closed", "0")),
        initial_quantity=UNIT,
        leverage=1,
        margin=entry,
        stop_price=stop,
        targets=targets,
        signal_id=SignalId(shadow.signal_id),
        strategy=shadow.strategy,
        meta=meta,
        tiers_done=int(state.get("tiers_done", 0)),
    )


def advance_shadow(shadow: Shadow, policy: ExitPolicy, context: MarketContext, bar: Bar, now: datetime) -> bool:
    """Apply this bar to an open shadow, in place; True when it closed."""
    if shadow.closed_at is not None or now <= shadow.opened_at:
        return False
    state = shadow.state
    position = as_position(shadow)
    plan = policy(position, context, bar, now, state.get("exit_state", {}))
    state["exit_state"] = dict(plan.state)
    if not plan.actions:
        return False
    closed = Decimal(state.get("closed", "0"))
    pnl = Decimal(state.get("pnl", "0"))
    tiers_done = int(state.get("tiers_done", 0))
    last_price, reason = None, None
    for action in plan.actions:
        quantity = min(action.quantity, UNIT - closed)
        if quantity <= 0:
            continue
        price = action.trigger_price if action.trigger_price is not None else Decimal(repr(bar.close))
        pnl += Decimal(position.side.sign) * quantity * (price - position.entry_price)
        closed += quantity
        last_price, reason = price, action.reason
        if action.reason.startswith("tier-"):
            tiers_done = max(tiers_done, int(action.reason.split("-")[1]))
    state.update({"closed": str(closed), "pnl": str(pnl), "tiers_done": tiers_done})
    if closed < UNIT:
        return False
    shadow.closed_at = now
    shadow.exit_price = float(last_price) if last_price is not None else bar.close
    shadow.return_pct = float(pnl / position.entry_price)
    shadow.exit_reason = reason
    return True


def force_close(shadow: Shadow, price: float, now: datetime, reason: str) -> None:
    """Close what is left of a shadow at `price` (end of data), in place."""
    state = shadow.state
    closed = Decimal(state.get("closed", "0"))
    pnl = Decimal(state.get("pnl", "0"))
    entry = Decimal(repr(shadow.entry_price))
    sign = Side(shadow.side).sign
    pnl += Decimal(sign) * (UNIT - closed) * (Decimal(repr(price)) - entry)
    state.update({"closed": "1", "pnl": str(pnl)})
    shadow.closed_at, shadow.exit_price = now, price
    shadow.return_pct, shadow.exit_reason = float(pnl / entry), reason
