"""The order router: stored before sent, recorded once, reconciled by client order id after a crash."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from broker_contract import order, snapshot

from bigalpha.bus import BusTx, SignalBus
from bigalpha.config import load_settings
from bigalpha.domain import ClientOrderId, Fill, Order, OrderSide, OrderStatus
from bigalpha.engine.orders import OrderRouter
from bigalpha.execution.paper import PaperBroker, PaperTerms
from bigalpha.execution.ports import OrderReport
from bigalpha.store import Store

TERMS = PaperTerms(Decimal(2), Decimal(5), timedelta(0), Decimal(2))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(load_settings(env={"BIGALPHA__STORE__DATA_DIR": str(tmp_path)}))
    yield opened
    opened.close()


class _Recorder:
    def __init__(self) -> None:
        self.applied: list[str] = []
        self.after = 0

    def on_fills(self, tx: BusTx, placed: Order, fills: list[Fill]) -> None:
        del tx
        self.applied += [f"{placed.client_order_id}:{fill.trade_id}" for fill in fills]

    def after_fills(self) -> None:
        self.after += 1


def test_an_order_is_stored_before_the_broker_sees_it(store: Store) -> None:
    """I-PERSIST-1: the client order id exists in the store as PENDING_SUBMIT before submission."""
    broker = PaperBroker(TERMS)
    seen_before_submit: list[OrderStatus | None] = []

    class _Spy:
        def submit(self, placed: Order) -> OrderReport:
            stored = store.get_order(placed.client_order_id)
            seen_before_submit.append(stored.status if stored else None)
            return broker.submit(placed)

        def __getattr__(self, name: str) -> object:
            return getattr(broker, name)

    recorder = _Recorder()
    router = OrderRouter(store, SignalBus(store), _Spy(), recorder.on_fills, recorder.after_fills)  # type: ignore[arg-type]
    broker.on_market(snapshot())
    placed = order(1, OrderSide.BUY, "0.5")
    router.stage(placed)
    router.send(placed)
    assert seen_before_submit == [OrderStatus.PENDING_SUBMIT]
    stored = store.get_order("ord-1")
    assert stored is not None
    assert stored.status is OrderStatus.FILLED
    assert recorder.applied == ["ord-1:ord-1-1"]


def test_reconcile_sends_what_was_never_sent_and_records_what_was(store: Store) -> None:
    """After a crash: an order stored but never sent is sent; fills the broker made while the process was
    down are recorded once; nothing is applied twice."""
    broker = PaperBroker(TERMS)
    broker.on_market(snapshot())
    recorder = _Recorder()
    router = OrderRouter(store, SignalBus(store), broker, recorder.on_fills, recorder.after_fills)
    never_sent, sent_unrecorded = order(1, OrderSide.BUY, "0.1"), order(2, OrderSide.BUY, "0.2")
    for placed in (never_sent, sent_unrecorded):
        router.stage(placed)
    broker.submit(sent_unrecorded)  # the process died right after this call
    assert router.reconcile(snapshot().ts) == (2, [])
    assert sorted(recorder.applied) == ["ord-1:ord-1-1", "ord-2:ord-2-1"]
    assert router.reconcile(snapshot().ts) == (0, [])
    assert len(store.fills()) == 2
    assert store.open_orders() == []
    assert store.get_order(ClientOrderId("ord-2")) is not None
