"""Shadow trades (L-SHADOW-1): every signal, taken or blocked, is followed to its exit with ideal fills.

A shadow enters at the signal's price with no fee or slippage, and exits by the same exit policy as a
real position (its stop, its ladder and its holds), filling exactly at the trigger prices. What it
earned is what the signal was worth before execution costs: comparing shadow and live profit factors
measures slippage (L-SHADOW-1), and the shadows a guard blocked measure that guard (L-GUARD-1).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bigalpha.domain import AccountName, Bar, Position, PositionId, Side, Signal, SignalId, Symbol
from bigalpha.engine.policies import EntryPlan, ExitPolicy
from bigalpha.indicators.context import MarketContext
from bigalpha.store.mapping import meta_from_json, meta_to_json
from bigalpha.store.tables import ShadowTradeRow

SHADOW_ACCOUNT = AccountName("shadow")
UNIT = Decimal(1)


def shadow_id(signal: Signal) -> str:
    return f"shd-{signal.id}"


def open_shadow(signal: Signal, plan: EntryPlan, *, blocked_by: str | None, position_id: str | None) -> ShadowTradeRow:
    """A shadow of `signal`: one unit at the signal's price, the plan's stop and targets."""
    return ShadowTradeRow(
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
        closed_at=None,
        exit_price=None,
        return_pct=None,
        exit_reason=None,
        state={"exit_state": dict(plan.state), "closed": "0", "pnl": "0", "meta": meta_to_json(plan.meta)},
    )


def as_position(row: ShadowTradeRow) -> Position:
    """The shadow as a one-unit position the exit policy can judge."""
    state = row.state or {}
    closed = Decimal(state.get("closed", "0"))
    entry = Decimal(repr(row.entry_price))
    return Position(
        id=PositionId(row.id),
        symbol=Symbol(row.symbol),
        side=Side(row.side),
        account=SHADOW_ACCOUNT,
        opened_at=row.opened_at,
        entry_price=entry,
        quantity=UNIT - closed,
        initial_quantity=UNIT,
        leverage=1,
        margin=entry,
        stop_price=Decimal(repr(row.stop_price)),
        targets=tuple(Decimal(repr(t)) for t in row.targets),
        signal_id=SignalId(row.signal_id),
        strategy=row.strategy,
        meta=meta_from_json(state.get("meta")),
        tiers_done=int(state.get("tiers_done", 0)),
    )


def advance_shadow(
    row: ShadowTradeRow, policy: ExitPolicy, context: MarketContext, bar: Bar, now: datetime
) -> ShadowTradeRow | None:
    """Apply this bar to an open shadow; the updated row, or None when nothing changed."""
    if row.closed_at is not None or now <= row.opened_at:
        return None
    state = dict(row.state or {})
    position = as_position(row)
    plan = policy(position, context, bar, now, state.get("exit_state", {}))
    if not plan.actions and dict(plan.state) == state.get("exit_state", {}):
        return None
    closed = Decimal(state.get("closed", "0"))
    pnl = Decimal(state.get("pnl", "0"))
    tiers_done = int(state.get("tiers_done", 0))
    last_price = None
    reason = None
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
    state.update({"exit_state": dict(plan.state), "closed": str(closed), "pnl": str(pnl), "tiers_done": tiers_done})
    updated = replace_row(row, state=state)
    if closed >= UNIT:
        updated = replace_row(
            updated,
            closed_at=now,
            exit_price=float(last_price) if last_price is not None else bar.close,
            return_pct=float(pnl / position.entry_price),
            exit_reason=reason,
        )
    return updated


def replace_row(row: ShadowTradeRow, **changes: Any) -> ShadowTradeRow:
    """A detached copy of `row` with `changes` (rows are merged into the store, never mutated in place)."""
    values = {column: getattr(row, column) for column in ShadowTradeRow.__table__.columns.keys()}  # noqa: SIM118
    values.update(changes)
    return ShadowTradeRow(**values)


def force_close(row: ShadowTradeRow, price: float, now: datetime, reason: str) -> ShadowTradeRow:
    """Close what is left of a shadow at `price` (end of data, flatten)."""
    state = dict(row.state or {})
    closed = Decimal(state.get("closed", "0"))
    pnl = Decimal(state.get("pnl", "0"))
    entry = Decimal(repr(row.entry_price))
    sign = 1 if row.side == "LONG" else -1
    pnl += Decimal(sign) * (UNIT - closed) * (Decimal(repr(price)) - entry)
    state.update({"closed": "1", "pnl": str(pnl)})
    return replace_row(
        row, state=state, closed_at=now, exit_price=price, return_pct=float(pnl / entry), exit_reason=reason
    )


def shadow_to_dict(row: ShadowTradeRow) -> dict[str, Any]:
    """An open shadow as JSON data, for the engine's checkpoint."""
    data: dict[str, Any] = {column: getattr(row, column) for column in ShadowTradeRow.__table__.columns.keys()}  # noqa: SIM118
    for key in ("opened_at", "closed_at"):
        if data[key] is not None:
            data[key] = data[key].isoformat()
    return data


def shadow_from_dict(data: dict[str, Any]) -> ShadowTradeRow:
    values = dict(data)
    for key in ("opened_at", "closed_at"):
        if values.get(key) is not None:
            values[key] = datetime.fromisoformat(values[key])
    return ShadowTradeRow(**values)
