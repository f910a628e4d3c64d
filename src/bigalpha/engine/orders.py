"""The order router: an order is stored before it is sent, and what the broker reports is recorded once.

1. The order is written as PENDING_SUBMIT (with whatever else the caller writes in that transaction).
2. It is sent. The broker's submit is idempotent by client order id.
3. New fills (by trade id) are recorded with the order's status, in one transaction with the caller's
   position changes.

A crash between any two steps is repaired by `reconcile`: every unfinished order in the store is asked
of the broker by its client order id — sent if the broker never saw it, recorded if it did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from bigalpha.bus import BusTx, SignalBus
from bigalpha.domain import Fill, Order, OrderStatus
from bigalpha.engine.faults import crash_point
from bigalpha.execution.ports import Broker, OrderReport
from bigalpha.store import Store

FillHandler = Callable[[BusTx, Order, list[Fill]], None]


class OrderRouter:
    """Sends orders through the broker and records what happens to them."""

    def __init__(
        self, store: Store, bus: SignalBus, broker: Broker, on_fills: FillHandler, after_fills: Callable[[], None]
    ) -> None:
        self.store = store
        self.bus = bus
        self.broker = broker
        self.on_fills = on_fills
        self.after_fills = after_fills

    @contextmanager
    def staging(self, order: Order) -> Iterator[BusTx]:
        """Write `order` as PENDING_SUBMIT together with the caller's writes (one transaction)."""
        with self.bus.transaction() as tx:
            tx.tx.save_order(replace(order, status=OrderStatus.PENDING_SUBMIT))
            yield tx

    def stage(self, order: Order) -> None:
        """Write `order` as PENDING_SUBMIT on its own."""
        with self.bus.transaction() as tx:
            tx.tx.save_order(replace(order, status=OrderStatus.PENDING_SUBMIT))

    def send(self, order: Order, crash_name: str = "before_submit") -> OrderReport:
        """Send a staged order and record the outcome."""
        crash_point(crash_name)
        report = self.broker.submit(order)
        crash_point("after_submit")
        self.record(order, report, at=order.ts)
        return report

    def record(self, order: Order, report: OrderReport, *, at: datetime) -> list[Fill]:
        """Record the fills of `report` not yet stored, and the order's status, in one transaction."""
        known = self.store.fill_trade_ids(order.client_order_id)
        new_fills = [fill for fill in report.fills if fill.trade_id not in known]
        if not new_fills and self.store.order_status(order.client_order_id) is report.status:
            return []
        with self.bus.transaction() as tx:
            tx.tx.save_order(
                replace(order, status=report.status),
                filled=report.filled_quantity,
                at=at,
                error=report.reason or None,
            )
            for fill in new_fills:
                tx.tx.add_fill(fill)
            if new_fills:
                self.on_fills(tx, order, new_fills)
        if new_fills:
            self.after_fills()
            crash_point("after_fill_recorded")
            if report.status is OrderStatus.PARTIALLY_FILLED:
                crash_point("after_partial_fill")
        return new_fills

    def reconcile(self, at: datetime, *, send_unsent: bool = True) -> tuple[int, list[Order]]:
        """Bring every unfinished stored order in line with the broker. Returns how many changed, and the
        orders the broker never received — sent now, or, with `send_unsent=False`, returned for the caller to
        send once the broker has the market data they were meant to meet."""
        changed = 0
        unsent: list[Order] = []
        for order in self.store.open_orders():
            report = self.broker.report(order.client_order_id)
            if report is None:
                if not send_unsent:
                    unsent.append(order)
                    continue
                # The process died after storing the order and before sending it: send it now.
                report = self.broker.submit(order)
            new_fills = self.record(order, report, at=at)
            if new_fills or report.status is not order.status:
                changed += 1
        return changed, unsent

    def on_market_reports(self, reports: list[OrderReport], at: datetime) -> None:
        """Record what resting or working orders did on new market data."""
        for report in reports:
            order = self.store.get_order(report.client_order_id)
            if order is not None:
                self.record(order, report, at=at)
