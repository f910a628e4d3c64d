"""The contract every `Broker` must pass (paper now, ccxt later). A broker's test module subclasses
`BrokerContract` and provides `make_broker` and `market` (feeds a snapshot to the broker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.domain import (
    AccountName,
    Bar,
    BookLevel,
    ClientOrderId,
    MarketSnapshot,
    Observed,
    Order,
    OrderBook,
    OrderSide,
    OrderStatus,
    OrderType,
    Symbol,
)
from bigalpha.execution.ports import Broker

T0 = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
BTC = Symbol("BTC")


def snapshot(
    ts: datetime = T0,
    *,
    bid: float = 99_990.0,
    ask: float = 100_010.0,
    depth: float = 1.0,
    levels: int = 5,
    low: float | None = None,
    high: float | None = None,
) -> MarketSnapshot:
    """A BTC snapshot with `levels` price levels of `depth` BTC on each side, 10 USD apart."""
    book = OrderBook(
        bids=tuple(BookLevel(bid - 10.0 * i, depth) for i in range(levels)),
        asks=tuple(BookLevel(ask + 10.0 * i, depth) for i in range(levels)),
    )
    mid = (bid + ask) / 2
    bar = Bar(ts, mid, high if high is not None else ask, low if low is not None else bid, mid, 10.0, 5.0)
    return MarketSnapshot(symbol=BTC, ts=ts, bar=bar, book=Observed(book, ts, "test"))


def order(
    n: int,
    side: OrderSide,
    quantity: str,
    *,
    kind: OrderType = OrderType.MARKET,
    price: str | None = None,
    reduce_only: bool = False,
    ts: datetime = T0,
) -> Order:
    return Order(
        client_order_id=ClientOrderId(f"ord-{n}"),
        ts=ts,
        symbol=BTC,
        side=side,
        type=kind,
        quantity=Decimal(quantity),
        account=AccountName("hot"),
        price=Decimal(price) if price is not None else None,
        reduce_only=reduce_only,
    )


class BrokerContract:
    def make_broker(self) -> Broker:
        raise TypeError("a broker's contract test provides make_broker")

    def test_market_buy_fills_at_the_best_ask(self) -> None:
        broker = self.make_broker()
        broker.on_market(snapshot())
        report = broker.submit(order(1, OrderSide.BUY, "0.5"))
        assert report.status is OrderStatus.FILLED
        assert report.filled_quantity == Decimal("0.5")
        assert [fill.price for fill in report.fills] == [Decimal("100010.0")]

    def test_market_order_walks_the_depth(self) -> None:
        broker = self.make_broker()
        broker.on_market(snapshot())
        report = broker.submit(order(1, OrderSide.BUY, "2.5"))
        assert report.status is OrderStatus.FILLED
        assert [fill.price for fill in report.fills] == [Decimal("100010.0"), Decimal("100020.0"), Decimal("100030.0")]
        assert sum(fill.quantity for fill in report.fills) == Decimal("2.5")

    def test_thin_book_fills_partially_then_completes_on_the_next_book(self) -> None:
        broker = self.make_broker()
        broker.on_market(snapshot(depth=0.1, levels=2))
        first = broker.submit(order(1, OrderSide.SELL, "0.5"))
        assert first.status is OrderStatus.PARTIALLY_FILLED
        assert first.filled_quantity == Decimal("0.2")
        changed = broker.on_market(snapshot(T0 + timedelta(minutes=1)))
        assert [report.status for report in changed] == [OrderStatus.FILLED]
        assert changed[0].filled_quantity == Decimal("0.5")

    def test_submit_is_idempotent_by_client_order_id(self) -> None:
        broker = self.make_broker()
        broker.on_market(snapshot())
        first = broker.submit(order(1, OrderSide.BUY, "0.5"))
        again = broker.submit(order(1, OrderSide.BUY, "0.5"))
        assert again == first
        assert broker.report(ClientOrderId("ord-1")) == first

    def test_unknown_order_has_no_report(self) -> None:
        assert self.make_broker().report(ClientOrderId("never-sent")) is None

    def test_limit_order_rests_then_fills_as_maker(self) -> None:
        broker = self.make_broker()
        broker.on_market(snapshot())
        rest = broker.submit(order(1, OrderSide.BUY, "0.3", kind=OrderType.LIMIT, price="99900"))
        assert rest.status is OrderStatus.SUBMITTED
        assert rest.fills == ()
        changed = broker.on_market(snapshot(T0 + timedelta(minutes=1), bid=99_850.0, ask=99_870.0, low=99_800.0))
        assert len(changed) == 1
        fill = changed[0].fills[0]
        assert fill.price == Decimal("99900")
        assert fill.liquidity.value == "MAKER"

    def test_cancel_leaves_the_filled_part(self) -> None:
        broker = self.make_broker()
        broker.on_market(snapshot(depth=0.1, levels=1))
        broker.submit(order(1, OrderSide.BUY, "0.5"))
        canceled = broker.cancel(ClientOrderId("ord-1"))
        assert canceled.status is OrderStatus.CANCELED
        assert canceled.filled_quantity == Decimal("0.1")
        assert broker.on_market(snapshot(T0 + timedelta(minutes=1))) == []

    def test_reduce_only_never_opens_or_grows_a_position(self) -> None:
        broker = self.make_broker()
        broker.on_market(snapshot())
        refused = broker.submit(order(1, OrderSide.SELL, "0.1", reduce_only=True))
        assert refused.status is OrderStatus.REJECTED
        broker.submit(order(2, OrderSide.BUY, "0.3"))
        capped = broker.submit(order(3, OrderSide.SELL, "1.0", reduce_only=True))
        assert capped.status is OrderStatus.FILLED
        assert capped.filled_quantity == Decimal("0.3")

    def test_invalid_orders_are_rejected_not_raised(self) -> None:
        broker = self.make_broker()
        broker.on_market(snapshot())
        assert broker.submit(order(1, OrderSide.BUY, "0")).status is OrderStatus.REJECTED
        assert broker.submit(order(2, OrderSide.BUY, "1", kind=OrderType.LIMIT)).status is OrderStatus.REJECTED

    def test_taker_fees_are_charged_on_notional(self) -> None:
        broker = self.make_broker()
        broker.on_market(snapshot())
        fill = broker.submit(order(1, OrderSide.BUY, "1")).fills[0]
        assert fill.fee > 0
        assert fill.fee == (fill.price * fill.quantity * Decimal(5) / Decimal(10_000)).quantize(Decimal("1e-8"))

    @settings(max_examples=200, deadline=None)
    @given(
        quantities=st.lists(
            st.decimals(min_value=Decimal("0.001"), max_value=Decimal(4), places=3), min_size=1, max_size=6
        ),
        depth=st.floats(min_value=0.01, max_value=2.0),
    )
    def test_fills_never_exceed_the_order_or_the_book(self, quantities: list[Decimal], depth: float) -> None:
        broker = self.make_broker()
        broker.on_market(snapshot(depth=depth, levels=3))
        total_filled = Decimal(0)
        for n, quantity in enumerate(quantities):
            report = broker.submit(order(n, OrderSide.BUY, str(quantity)))
            assert report.filled_quantity <= quantity
            assert sum((fill.quantity for fill in report.fills), Decimal(0)) == report.filled_quantity
            total_filled += report.filled_quantity
        assert total_filled <= Decimal(repr(depth)) * 3
