"""The paper broker's state as JSON data, so the simulated exchange survives a restart like a real one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from bigalpha.domain import (
    AccountName,
    ClientOrderId,
    Fill,
    Liquidity,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionId,
    SignalId,
    Symbol,
)

# Finished orders are kept for reconciliation; older ones beyond this many are dropped from the state.
KEEP_FINISHED = 500
OrderTuple = tuple[Order, Decimal, tuple[Fill, ...], OrderStatus, str]
# An order as the state writes it: its JSON data, the quantity filled, each fill's JSON data, status, reason.
OrderEntry = tuple[dict[str, Any], Decimal, Sequence[dict[str, Any]], OrderStatus, str]


def order_data(order: Order) -> dict[str, Any]:
    """An order as JSON data."""
    return {
        "client_order_id": order.client_order_id,
        "ts": order.ts.isoformat(),
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.type.value,
        "quantity": str(order.quantity),
        "account": order.account,
        "price": str(order.price) if order.price is not None else None,
        "reduce_only": order.reduce_only,
        "signal_id": order.signal_id,
        "position_id": order.position_id,
        "tag": order.tag,
    }


def fill_data(fill: Fill) -> dict[str, Any]:
    """A fill as JSON data."""
    return {
        "ts": fill.ts.isoformat(),
        "price": str(fill.price),
        "quantity": str(fill.quantity),
        "fee": str(fill.fee),
        "liquidity": fill.liquidity.value,
        "trade_id": fill.trade_id,
    }


def dump_state(orders: Iterable[OrderEntry], net: Mapping[tuple[str, Symbol], Decimal]) -> dict[str, Any]:
    """The state of `orders` (each with its data already built: the state is written after every change, and
    rebuilding up to KEEP_FINISHED finished orders' data each time cost more than the write) and net positions."""
    entries = list(orders)
    finished = [e for e in entries if e[3] in (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED)]
    dropped = {id(e) for e in finished[:-KEEP_FINISHED]} if len(finished) > KEEP_FINISHED else set()
    return {
        "orders": [
            {
                "order": order,
                "filled": str(filled),
                "fills": list(fills),
                "status": status.value,
                "reason": reason,
            }
            for entry in entries
            if id(entry) not in dropped
            for order, filled, fills, status, reason in (entry,)
        ],
        "net": [{"account": account, "symbol": symbol, "quantity": str(q)} for (account, symbol), q in net.items()],
    }


def load_state(state: Mapping[str, Any]) -> tuple[list[OrderTuple], dict[tuple[str, Symbol], Decimal]]:
    orders: list[OrderTuple] = []
    for entry in state.get("orders", []):
        raw = entry["order"]
        order = Order(
            client_order_id=ClientOrderId(raw["client_order_id"]),
            ts=datetime.fromisoformat(raw["ts"]),
            symbol=Symbol(raw["symbol"]),
            side=OrderSide(raw["side"]),
            type=OrderType(raw["type"]),
            quantity=Decimal(raw["quantity"]),
            account=AccountName(raw["account"]),
            price=Decimal(raw["price"]) if raw["price"] is not None else None,
            reduce_only=raw["reduce_only"],
            signal_id=SignalId(raw["signal_id"]) if raw["signal_id"] else None,
            position_id=PositionId(raw["position_id"]) if raw["position_id"] else None,
            status=OrderStatus.SUBMITTED,
            tag=raw["tag"],
        )
        fills = tuple(
            Fill(
                client_order_id=order.client_order_id,
                ts=datetime.fromisoformat(f["ts"]),
                symbol=order.symbol,
                side=order.side,
                price=Decimal(f["price"]),
                quantity=Decimal(f["quantity"]),
                fee=Decimal(f["fee"]),
                liquidity=Liquidity(f["liquidity"]),
                trade_id=f["trade_id"],
            )
            for f in entry["fills"]
        )
        orders.append((order, Decimal(entry["filled"]), fills, OrderStatus(entry["status"]), entry["reason"]))
    net = {(n["account"], Symbol(n["symbol"])): Decimal(n["quantity"]) for n in state.get("net", [])}
    return orders, net
