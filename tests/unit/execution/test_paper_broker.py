"""The paper broker passes the broker contract, and survives a restart with its state."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from broker_contract import BrokerContract, order, snapshot

from bigalpha.domain import ClientOrderId, OrderSide, OrderStatus
from bigalpha.execution.paper import PaperBroker, PaperTerms

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
