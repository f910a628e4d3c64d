"""The paper broker passes the broker contract, and survives a restart with its state."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from broker_contract import BrokerContract, order, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.domain import ClientOrderId, OrderSide, OrderStatus, OrderType
from bigalpha.execution.paper import PaperBroker, PaperTerms
from bigalpha.execution.paper_state import dump_state, fill_data, order_data

TERMS = PaperTerms(Decimal(2), Decimal(5), timedelta(milliseconds=50), Decimal(2))


class TestPaperBrokerContract(BrokerContract):
    def make_broker(self) -> PaperBroker:
        return PaperBroker(TERMS)


def test_state_survives_a_restart_and_reconciles_by_id() -> None:
    """R-MODE-1 / I-PERSIST-1: a restarted paper broker knows every order it had, and a resubmission
    of a known client order id returns the recorded fills instead of trading again."""
    saved: list[dict[str, Any]] = []
    broker = PaperBroker(TERMS, persist=saved.append)
    broker.on_market(snapshot(depth=0.1, levels=1))
    first = broker.submit(order(1, OrderSide.BUY, "0.3"))
    assert first.status is OrderStatus.PARTIALLY_FILLED
    restarted = PaperBroker(TERMS, persist=saved.append, state=saved[-1])
    assert restarted.submit(order(1, OrderSide.BUY, "0.3")) == first
    restarted.on_market(snapshot(snapshot().ts + timedelta(minutes=1)))
    report = restarted.report(ClientOrderId("ord-1"))
    assert report is not None
    assert report.status is OrderStatus.FILLED


def test_fill_time_includes_latency() -> None:
    broker = PaperBroker(TERMS)
    broker.on_market(snapshot())
    fill = broker.submit(order(1, OrderSide.BUY, "0.1")).fills[0]
    assert fill.ts == snapshot().ts + timedelta(milliseconds=50)


def test_without_a_book_market_orders_fill_at_close_plus_slippage() -> None:
    broker = PaperBroker(TERMS)
    bare = snapshot()
    broker.on_market(type(bare)(symbol=bare.symbol, ts=bare.ts, bar=bare.bar))
    fill = broker.submit(order(1, OrderSide.BUY, "0.1")).fills[0]
    close = Decimal(repr(bare.bar.close))
    assert fill.price == close + close * Decimal(2) / Decimal(10_000)


def test_book_share_models_the_queue_ahead() -> None:
    """P-PERP-1 (paper): with half of each displayed level available, 2.5 units need five levels."""
    broker = PaperBroker(PaperTerms(Decimal(2), Decimal(5), timedelta(0), Decimal(2), book_share=Decimal("0.5")))
    broker.on_market(snapshot())
    report = broker.submit(order(1, OrderSide.BUY, "2.5"))
    assert report.status is OrderStatus.FILLED
    assert [fill.quantity for fill in report.fills] == [Decimal("0.5")] * 5


# One step of a session on the paper exchange: a new book, an order (side, quantity, reduce-only, limit or market,
# its price offset from the mid), or a cancel of an earlier order.
books = st.tuples(st.just("book"), st.floats(0.01, 2.0), st.integers(1, 4))
orders = st.tuples(
    st.just("order"),
    st.sampled_from(OrderSide),
    st.decimals(min_value="0.01", max_value="3", places=2),
    st.booleans(),
    st.booleans(),
    st.integers(-30, 30),
)
cancels = st.tuples(st.just("cancel"), st.integers(0, 20))


def _fresh_state(broker: PaperBroker) -> dict[str, Any]:
    """The state built from nothing but the broker's orders and fills, each converted at this moment."""
    state = dump_state(
        (
            (order_data(w.order), w.filled, [fill_data(f) for f in w.fills], w.status, w.reason)
            for w in broker._orders.values()
        ),
        broker._net,
    )
    saved = broker.state_dict()
    return {**state, "seen": saved["seen"], "taken": saved["taken"]}


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.one_of(books, orders, orders, cancels), min_size=1, max_size=30))
def test_every_saved_state_is_the_state_of_its_orders_and_comes_back_after_a_restart(
    steps: list[tuple[Any, ...]],
) -> None:
    """I-PERSIST-1: each order's and fill's data is built once and kept, not rebuilt at every save; whatever
    happens (partial fills over several books, reduce-only caps that shrink an order, cancels), every saved state
    equals the one built afresh from the orders, and a broker restarted from its JSON saves the same state."""
    saved: list[dict[str, Any]] = []
    broker = PaperBroker(TERMS, persist=saved.append)
    now, submitted = snapshot().ts, 0
    for step in steps:
        saves = len(saved)
        if step[0] == "book":
            now += timedelta(minutes=1)
            broker.on_market(snapshot(now, depth=step[1], levels=step[2]))
        elif step[0] == "order":
            _, side, quantity, reduce_only, limit, offset = step
            submitted += 1
            price = str(100_000 + 10 * offset) if limit else None
            kind = OrderType.LIMIT if limit else OrderType.MARKET
            broker.submit(
                order(submitted, side, str(quantity), kind=kind, price=price, reduce_only=reduce_only, ts=now)
            )
        elif submitted:
            broker.cancel(ClientOrderId(f"ord-{step[1] % submitted + 1}"))
        if len(saved) > saves:  # this step changed an order: it saved the state
            assert saved[-1] == _fresh_state(broker)
    if saved:
        restarted = PaperBroker(TERMS, state=json.loads(json.dumps(saved[-1])))
        assert restarted.state_dict() == saved[-1]
