"""The engine's book: open positions and the wallet, changed only by fills and funding, always written to
the store in the transaction that records what changed them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from bigalpha.bus import BusTx
from bigalpha.domain import (
    AccountName,
    Event,
    EventId,
    EventType,
    Fill,
    Order,
    Position,
    PositionId,
    Side,
    SignalId,
    StrategyName,
    Symbol,
)
from bigalpha.engine.policies import EntryPlan
from bigalpha.execution.portfolio import (
    Wallet,
    add_entry_fill,
    apply_exit_fill,
    apply_funding,
    equity,
    net_pnl,
    wallet_after,
)
from bigalpha.store import Store
from bigalpha.store.mapping import meta_from_json, meta_to_json

WALLET_KEY = "wallet"
Levels = tuple[Decimal, tuple[Decimal, ...]]  # a position's stop and ladder targets
PLAN_PREFIX = "plan:"
EXIT_STATE_PREFIX = "exit:"  # the exit policy's state per position (holds, max-pain hits)


def plan_to_state(
    plan: EntryPlan, side: Side, symbol: Symbol, leverage: int, account: str, strategy: str, signal_id: str
) -> dict[str, Any]:
    return {
        "side": side.value,
        "symbol": symbol,
        "leverage": leverage,
        "account": account,
        "strategy": strategy,
        "signal_id": signal_id,
        "stop_price": str(plan.stop_price),
        "targets": [str(t) for t in plan.targets],
        "meta": meta_to_json(plan.meta),
        "exit_state": dict(plan.state),
    }


def wallet_to_state(wallet: Wallet) -> dict[str, Any]:
    return {
        "balance": str(wallet.balance),
        "fees_paid": str(wallet.fees_paid),
        "funding_paid": str(wallet.funding_paid),
        "realized_pnl": str(wallet.realized_pnl),
    }


def wallet_from_state(state: dict[str, Any]) -> Wallet:
    return Wallet(
        balance=Decimal(state["balance"]),
        fees_paid=Decimal(state["fees_paid"]),
        funding_paid=Decimal(state["funding_paid"]),
        realized_pnl=Decimal(state["realized_pnl"]),
    )


class Book:
    """Open positions and the wallet, mirrored in the store."""

    def __init__(self, store: Store, starting_balance: Decimal) -> None:
        self.store = store
        stored = store.get_state(WALLET_KEY)
        self.wallet = wallet_from_state(stored) if stored is not None else Wallet(starting_balance)
        self.positions: dict[PositionId, Position] = {p.id: p for p in store.open_positions()}
        self.closed_this_run: list[Position] = []

    def equity(self, marks: dict[Symbol, Decimal]) -> Decimal:
        return equity(self.wallet, self.positions.values(), marks)

    def exposure(self) -> Decimal:
        return sum((p.entry_price * p.quantity for p in self.positions.values()), Decimal(0))

    def apply_fills(
        self,
        tx: BusTx,
        order: Order,
        fills: list[Fill],
        at: datetime,
        replan: Callable[[Order, Decimal], Levels | None] | None = None,
    ) -> tuple[Position, bool, bool]:
        """Apply an order's new fills; returns (position, opened now, closed now). After entry fills, `replan`
        gives the stop and targets for the position's average entry price (None keeps the current ones)."""
        if order.position_id is None:
            raise ValueError(f"order {order.client_order_id} has no position id")
        position = self.positions.get(order.position_id) or self._from_plan(order)
        opened = position.quantity == 0 and order.tag == "entry"
        for fill in fills:
            if order.tag == "entry":
                position = add_entry_fill(position, fill)
                self.wallet = wallet_after(self.wallet, fee=fill.fee)
            else:
                position, realized = apply_exit_fill(position, fill, reason=order.tag, at=fill.ts)
                self.wallet = wallet_after(self.wallet, realized=realized, fee=fill.fee)
            tx.publish(
                _event(
                    EventType.FILL,
                    fill.ts,
                    position,
                    f"{order.tag} {fill.side.value} {fill.quantity} @ {fill.price:,.4f}",
                    {
                        "client_order_id": fill.client_order_id,
                        "price": fill.price,
                        "quantity": fill.quantity,
                        "fee": fill.fee,
                        "liquidity": fill.liquidity.value,
                    },
                    fill.trade_id,
                )
            )
        if order.tag == "entry" and replan is not None:
            levels = replan(order, position.entry_price)
            if levels is not None:
                position = replace(position, stop_price=levels[0], targets=levels[1])
        closed = not position.is_open
        tx.tx.save_position(position)
        tx.tx.set_state(WALLET_KEY, wallet_to_state(self.wallet), at)
        if opened:
            tx.publish(
                _event(
                    EventType.POSITION_OPENED,
                    at,
                    position,
                    f"{position.side.value} {position.quantity} {position.symbol} @ {position.entry_price:,.4f}",
                    {"stop": position.stop_price, "targets": list(position.targets)},
                    "open",
                )
            )
        if closed:
            self.positions.pop(position.id, None)
            self.closed_this_run.append(position)
            tx.publish(
                _event(
                    EventType.POSITION_CLOSED,
                    at,
                    position,
                    f"{position.symbol} closed ({position.exit_reason}) net {net_pnl(position):.2f}",
                    {
                        "net_pnl": net_pnl(position),
                        "realized": position.realized_pnl,
                        "fees": position.fees_paid,
                        "funding": position.funding_paid,
                    },
                    "close",
                )
            )
        else:
            self.positions[position.id] = position
        return position, opened, closed

    def _from_plan(self, order: Order) -> Position:
        plan = self.store.get_state(PLAN_PREFIX + str(order.position_id))
        if plan is None:
            raise ValueError(f"no entry plan stored for position {order.position_id}")
        return Position(
            id=PositionId(str(order.position_id)),
            symbol=Symbol(plan["symbol"]),
            side=Side(plan["side"]),
            account=AccountName(plan["account"]),
            opened_at=order.ts,
            entry_price=Decimal(0),
            quantity=Decimal(0),
            initial_quantity=Decimal(0),
            leverage=int(plan["leverage"]),
            margin=Decimal(0),
            stop_price=Decimal(plan["stop_price"]),
            targets=tuple(Decimal(t) for t in plan["targets"]),
            signal_id=SignalId(plan["signal_id"]),
            strategy=StrategyName(plan["strategy"]),
            meta=meta_from_json(plan["meta"]),
        )

    def fund(self, tx: BusTx, position: Position, mark: Decimal, rate: Decimal, at: datetime) -> None:
        """P-PERP-1: a funding payment at a funding time."""
        updated, paid = apply_funding(position, mark, rate)
        self.wallet = wallet_after(self.wallet, funding=paid)
        self.positions[updated.id] = updated
        tx.tx.save_position(updated)
        tx.tx.set_state(WALLET_KEY, wallet_to_state(self.wallet), at)
        tx.publish(
            _event(
                EventType.FUNDING_PAID,
                at,
                updated,
                f"funding {paid:.6f} at rate {rate}",
                {"rate": rate, "mark": mark, "paid": paid},
                at.strftime("%Y%m%dT%H%M"),
            )
        )

    def replace_position(self, position: Position, tx: BusTx) -> None:
        """Store a position whose exit levels changed (no fill involved)."""
        self.positions[position.id] = position
        tx.tx.save_position(position)


def _event(kind: EventType, at: datetime, position: Position, message: str, data: dict[str, Any], key: str) -> Event:
    return Event(
        id=EventId(f"evt-{kind.value.lower()}-{position.id}-{key}"),
        ts=at,
        type=kind,
        source="engine",
        symbol=position.symbol,
        side=position.side,
        message=message,
        data={"position_id": position.id, **data},
    )
