"""The backtest's exchange: next-open fills for market orders, trigger-price fills for stops and targets.

Fill semantics (docs/backtesting.md):

- a market order decided at bar t's close (entries, max-hold and flatten exits) fills at bar t + 1's open,
  buys × (1 + slippage), sells × (1 − slippage), when the next snapshot of its symbol arrives;
- a stop or ladder exit fills at the price the exit policy triggered it at, on the bar that triggered it:
  the stop price, or the bar's open when the bar gapped through it (P-STOP-1), the target, or the open when
  the bar opened beyond it. The exit policy (`bigalpha.positions.evaluate_exits`) decides; `TriggerBook`
  passes its trigger prices to this broker, so the broker never judges a stop itself;
- every fill pays the taker fee (P-PERP-1), quantized as the paper broker quantizes it.

It keeps the `Broker` contract: idempotent by client order id, reduce-only never grows a position, trade ids
derived from the client order id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from bigalpha.domain import Bar, ClientOrderId, Fill, Liquidity, MarketSnapshot, Order, OrderSide, OrderStatus, Position
from bigalpha.engine.policies import ExitPlan, ExitPolicy
from bigalpha.execution.ports import OrderReport
from bigalpha.indicators.context import MarketContext
from bigalpha.learning.shadow import is_shadow

FEE_QUANTUM = Decimal("0.00000001")
_AT_TRIGGER = ("stop", "tier-")


class TriggerBook(dict[tuple[str, str], Decimal]):
    """(position id, exit reason) → the trigger price of the exit the policy just decided."""


class TriggerRecordingExitPolicy:
    """The engine's exit policy, unchanged, also writing each action's trigger price into a `TriggerBook`.

    Only a real position's triggers are written: a shadow trade's exits are never sent as orders (it fills itself
    at its trigger prices), so its triggers would never be taken out of the book, which would grow by a few
    entries for every signal of the backtest."""

    def __init__(self, inner: ExitPolicy, triggers: TriggerBook) -> None:
        self.inner = inner
        self.triggers = triggers

    def __call__(
        self, position: Position, context: MarketContext, bar: Bar, now: datetime, state: Mapping[str, Any]
    ) -> ExitPlan:
        plan = self.inner(position, context, bar, now, state)
        if is_shadow(position):
            return plan
        for action in plan.actions:
            if action.trigger_price is not None:
                self.triggers[(str(position.id), action.reason)] = action.trigger_price
        return plan


@dataclass
class _Order:
    order: Order
    fills: list[Fill] = field(default_factory=list)
    status: OrderStatus = OrderStatus.SUBMITTED
    reason: str = ""

    @property
    def filled(self) -> Decimal:
        return sum((f.quantity for f in self.fills), Decimal(0))

    def report(self) -> OrderReport:
        return OrderReport(self.order.client_order_id, self.status, self.filled, tuple(self.fills), self.reason)


class BacktestBroker:
    """A `Broker` with the backtest's fill rules (see the module docstring)."""

    sends_real_orders = False

    def __init__(self, taker_fee_bps: Decimal, slippage_bps: Decimal, triggers: TriggerBook) -> None:
        self.fee_bps = taker_fee_bps
        self.slippage = slippage_bps / Decimal(10_000)
        self.triggers = triggers
        self._orders: dict[ClientOrderId, _Order] = {}
        self._pending: dict[str, list[_Order]] = {}
        self._net: dict[tuple[str, str], Decimal] = {}

    def submit(self, order: Order) -> OrderReport:
        known = self._orders.get(order.client_order_id)
        if known is not None:
            return known.report()
        working = _Order(order)
        self._orders[order.client_order_id] = working
        if order.quantity <= 0:
            working.status, working.reason = OrderStatus.REJECTED, f"quantity must be positive, got {order.quantity}"
            return working.report()
        if order.reduce_only:
            reducible = self._reducible(order)
            if reducible <= 0:
                working.status, working.reason = OrderStatus.REJECTED, "reduce-only order would not reduce a position"
                return working.report()
            working.order = order = _with_quantity(order, min(order.quantity, reducible))
        trigger = self.triggers.pop((str(order.position_id), order.tag), None)
        if order.reduce_only and trigger is not None and order.tag.startswith(_AT_TRIGGER):
            self._fill(working, trigger, order.ts)
        else:
            self._pending.setdefault(str(order.symbol), []).append(working)
        return working.report()

    def cancel(self, client_order_id: ClientOrderId) -> OrderReport:
        working = self._orders.get(client_order_id)
        if working is None:
            return OrderReport(client_order_id, OrderStatus.REJECTED, Decimal(0), (), "unknown order")
        if working.status not in (OrderStatus.FILLED, OrderStatus.REJECTED):
            working.status, working.reason = OrderStatus.CANCELED, "canceled"
            pending = self._pending.get(str(working.order.symbol), [])
            if working in pending:
                pending.remove(working)
        return working.report()

    def report(self, client_order_id: ClientOrderId) -> OrderReport | None:
        working = self._orders.get(client_order_id)
        return working.report() if working is not None else None

    def on_market(self, snapshot: MarketSnapshot) -> list[OrderReport]:
        pending = self._pending.pop(str(snapshot.symbol), [])
        reports = []
        for working in pending:
            if working.status is OrderStatus.CANCELED:
                continue
            order = working.order
            if order.reduce_only:
                working.order = order = _with_quantity(order, min(order.quantity, self._reducible(order)))
                if order.quantity <= 0:
                    working.status, working.reason = OrderStatus.CANCELED, "nothing left to reduce"
                    reports.append(working.report())
                    continue
            price = Decimal(repr(snapshot.bar.open))
            price = price * (1 + self.slippage) if order.side is OrderSide.BUY else price * (1 - self.slippage)
            self._fill(working, price, snapshot.bar.ts)
            reports.append(working.report())
        return reports

    def has_pending(self, symbol: str) -> bool:
        return bool(self._pending.get(symbol))

    def pending_positions(self) -> set[str]:
        """The positions with an order waiting for the next bar's open."""
        return {
            str(working.order.position_id)
            for pending in self._pending.values()
            for working in pending
            if working.order.position_id is not None
        }

    def _reducible(self, order: Order) -> Decimal:
        net = self._net.get((order.account, order.symbol), Decimal(0))
        return max(net, Decimal(0)) if order.side is OrderSide.SELL else max(-net, Decimal(0))

    def _fill(self, working: _Order, price: Decimal, at: datetime) -> None:
        order = working.order
        fee = (price * order.quantity * self.fee_bps / Decimal(10_000)).quantize(FEE_QUANTUM, rounding=ROUND_HALF_EVEN)
        working.fills.append(
            Fill(
                client_order_id=order.client_order_id,
                ts=max(at, order.ts),
                symbol=order.symbol,
                side=order.side,
                price=price,
                quantity=order.quantity,
                fee=fee,
                liquidity=Liquidity.TAKER,
                trade_id=f"{order.client_order_id}-1",
            )
        )
        working.status = OrderStatus.FILLED
        key = (order.account, order.symbol)
        signed = order.quantity if order.side is OrderSide.BUY else -order.quantity
        self._net[key] = self._net.get(key, Decimal(0)) + signed


def _with_quantity(order: Order, quantity: Decimal) -> Order:
    from dataclasses import replace

    return replace(order, quantity=quantity)
