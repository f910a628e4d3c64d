"""Round-trip cases shared by the SQLite and PostgreSQL store tests."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import DetachedInstanceError

from bigalpha.domain import (
    AccountName,
    ClientOrderId,
    DenyReason,
    Event,
    EventId,
    EventType,
    Fill,
    GuardName,
    Liquidity,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    PositionId,
    PositionMeta,
    Regime,
    Side,
    Signal,
    SignalId,
    StrategyName,
    Symbol,
    Verdict,
)
from bigalpha.store import Store
from bigalpha.store.database import downgrade, head_revision, migrate, schema_revision
from bigalpha.store.tables import ShadowTradeRow

T0 = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)


def make_signal(n: int = 1) -> Signal:
    return Signal(
        id=SignalId(f"sig-{n}"),
        ts=T0,
        symbol=Symbol("BTC"),
        side=Side.LONG,
        strategy=StrategyName("alpha_ofi"),
        price=100_000.5,
        conviction=1.25,
        stop_pct=0.01,
        targets_pct=(0.005, 0.02),
        requested_notional_usd=Decimal("123.45"),
    )


def make_order(n: int = 1) -> Order:
    return Order(
        client_order_id=ClientOrderId(f"ord-{n}"),
        ts=T0,
        symbol=Symbol("BTC"),
        side=OrderSide.BUY,
        type=OrderType.MARKET,
        quantity=Decimal("0.004150000000000001"),
        account=AccountName("hot"),
        signal_id=SignalId("sig-1"),
    )


def make_position() -> Position:
    return Position(
        id=PositionId("pos-1"),
        symbol=Symbol("BTC"),
        side=Side.LONG,
        account=AccountName("hot"),
        opened_at=T0,
        entry_price=Decimal("100000.1"),
        quantity=Decimal("0.00415"),
        initial_quantity=Decimal("0.00415"),
        leverage=3,
        margin=Decimal("138.33347"),
        stop_price=Decimal("99000.099"),
        targets=(Decimal("100500.6005"), Decimal("102000.102")),
        signal_id=SignalId("sig-1"),
        strategy="alpha_ofi",
        meta=PositionMeta(
            hurst=0.61,
            regime=Regime.TRENDING,
            true_trend=True,
            oi_delta_5m_at_entry=1_250_000.0,
            max_pain_at_entry=98_000.0,
            nearest_cluster_price=101_000.0,
            nearest_cluster_usd=40_000_000.0,
            verdict_evidence=(("whale_cvd_usd", "1200000"),),
        ),
    )


def check_round_trips(store: Store) -> None:
    """Every record type reads back equal to what was written, money exact and time in UTC."""
    signal, order, position = make_signal(), make_order(), make_position()
    fill = Fill(
        client_order_id=order.client_order_id,
        ts=T0 + timedelta(milliseconds=250),
        symbol=order.symbol,
        side=order.side,
        price=Decimal("100000.1"),
        quantity=Decimal("0.00415"),
        fee=Decimal("0.20750002075"),
        liquidity=Liquidity.TAKER,
        trade_id="t-1",
    )
    event = Event(
        id=EventId("evt-1"),
        ts=T0,
        type=DenyReason.LIQ_WALL_CONFLICT,
        source="intelligence_gate",
        symbol=Symbol("BTC"),
        side=Side.LONG,
        guard=GuardName.LIQ_WALL,
        message="blocked",
        data={"distance_pct": 0.004, "cluster_price": 100_400.0},
    )
    with store.transaction() as tx:
        tx.add_signal(signal)
        tx.save_order(order)
        tx.add_fill(fill)
        tx.save_position(position)
        tx.add_event(event)
        tx.set_state("kill_switch", {"tripped": True, "reason": "R-K-2"}, T0)
    assert store.signals()[0] == signal
    assert store.get_order(order.client_order_id) == order
    assert store.fills(order.client_order_id) == [fill]
    assert store.fill_trade_ids(order.client_order_id) == {fill.trade_id}
    assert store.fill_trade_ids("ord-unknown") == set()
    assert store.order_status(order.client_order_id) is order.status
    assert store.order_status("ord-unknown") is None
    assert store.get_position(position.id) == position
    assert store.open_positions() == [position]
    assert store.working_position_ids() == set()  # the open order is not tied to a position
    seq, stored_event = store.events()[0]
    assert seq >= 1
    assert stored_event == event
    assert store.get_state("kill_switch") == {"tripped": True, "reason": "R-K-2"}
    assert store.fills()[0].ts.tzinfo is not None

    closed = dataclasses.replace(position, closed_at=T0 + timedelta(hours=1), quantity=Decimal(0), exit_reason="tier-4")
    with store.transaction() as tx:
        tx.save_position(closed)
        tx.save_order(dataclasses.replace(order, status=OrderStatus.FILLED), filled=Decimal("0.00415"), at=T0)
    assert store.open_positions() == []
    assert store.closed_positions() == [closed]
    assert store.order_filled_quantity(order.client_order_id) == Decimal("0.00415")
    assert store.order_status(order.client_order_id) is OrderStatus.FILLED
    assert store.open_orders() == []
    exit_order = dataclasses.replace(make_order(2), position_id=position.id, reduce_only=True)
    with store.transaction() as tx:
        tx.save_order(exit_order)
    assert store.working_position_ids() == {position.id} == {o.position_id for o in store.open_orders()}
    with store.transaction() as tx:
        tx.save_order(dataclasses.replace(exit_order, status=OrderStatus.CANCELED))
    assert store.working_position_ids() == set()
    assert store.events(types=[EventType.SIGNAL.value]) == []


def check_failed_write_leaves_nothing(store: Store) -> None:
    """A transaction that fails half-way keeps none of its writes."""
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.add_signal(make_signal(7))
        tx.save_order(make_order(7))
        tx.add_signal(make_signal(7))  # duplicate primary key: the whole transaction fails
    assert store.get_order("ord-7") is None
    assert all(signal.id != "sig-7" for signal in store.signals())


def check_migrations_round_trip(store: Store) -> None:
    """The schema migrates up to head, down to nothing and up again, and matches the table models."""
    head = head_revision()
    assert schema_revision(store.engine) == head
    downgrade(store.engine, "base")
    assert schema_revision(store.engine) is None
    assert "orders" not in inspect(store.engine).get_table_names()
    migrate(store.engine)
    assert schema_revision(store.engine) == head
    tables = set(inspect(store.engine).get_table_names())
    assert {"orders", "fills", "positions", "signals", "verdicts", "events", "shadow_trades", "state"} <= tables


def make_shadow(signal: Signal, *, blocked_by: str | None) -> ShadowTradeRow:
    return ShadowTradeRow(
        id=f"shd-{signal.id}",
        signal_id=signal.id,
        symbol=signal.symbol,
        side=signal.side.value,
        strategy=signal.strategy,
        blocked_by=blocked_by,
        taken=blocked_by is None,
        position_id=None,
        opened_at=signal.ts,
        entry_price=signal.price,
        stop_price=99_000.0,
        targets=[100_500.0, 102_000.0],
        state={"closed": "0", "exit_state": {}},
    )


def check_shadow_writes_and_reads(store: Store) -> None:
    """A shadow follows its signal in one transaction (its foreign key is met by the order of the writes), is
    replaced whole when it closes, and reads back whole, by outcome only, or narrowed."""
    taken, blocked, other = make_signal(1), make_signal(2), make_signal(3)
    with store.transaction() as tx:
        for signal, blocked_by in ((taken, None), (blocked, "WHALE_INTENT"), (other, "GOLDEN_HOUR")):
            tx.add_signal(signal)
            tx.add_verdict(
                Verdict(signal_id=signal.id, allowed=blocked_by is None, size_multiplier=1.0, outcomes=()),
                T0,
                risk={"notional_usd": Decimal("250.5")} if blocked_by is None else None,
            )
            tx.add_shadow(make_shadow(signal, blocked_by=blocked_by))
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.add_shadow(make_shadow(make_signal(9), blocked_by=None))  # no such signal
    assert [row.id for row in store.shadow_trades()] == ["shd-sig-1", "shd-sig-2", "shd-sig-3"]
    assert store.signal_ids() == {"sig-1", "sig-2", "sig-3"}

    closed = make_shadow(blocked, blocked_by="WHALE_INTENT")
    closed.closed_at, closed.exit_price, closed.return_pct, closed.exit_reason = (
        T0 + timedelta(hours=1),
        99_000.0,
        -0.01,
        "stop",
    )
    closed.state = {"closed": "1", "pnl": "-1000.5", "whale_candidates": {"1.0": 5.0}}
    with store.transaction() as tx:
        tx.save_shadow(closed)
    [row] = store.shadow_trades(closed_only=True)
    assert (row.id, row.closed_at, row.exit_price, row.return_pct, row.exit_reason) == (
        "shd-sig-2",
        closed.closed_at,
        99_000.0,
        -0.01,
        "stop",
    )
    assert row.state == closed.state
    assert row.targets == [100_500.0, 102_000.0]
    assert [row.id for row in store.shadow_trades(open_only=True)] == ["shd-sig-1", "shd-sig-3"]
    narrowed = store.shadow_trades(taken_or_blocked_by="WHALE_INTENT")
    assert [row.id for row in narrowed] == ["shd-sig-1", "shd-sig-2"]

    [outcome] = store.shadow_trades(closed_only=True, with_plan=False)
    assert (outcome.blocked_by, outcome.taken, outcome.return_pct) == ("WHALE_INTENT", False, -0.01)
    with pytest.raises(DetachedInstanceError):  # left out, and never loaded later behind the caller's back
        _ = outcome.state

    unseen = make_signal(4)
    with store.transaction() as tx:  # a shadow saved before the table has it is inserted, not lost
        tx.add_signal(unseen)
        tx.save_shadow(make_shadow(unseen, blocked_by="GOLDEN_HOUR"))
    assert [row.id for row in store.shadow_trades(open_only=True)] == ["shd-sig-1", "shd-sig-3", "shd-sig-4"]

    risks = store.verdict_risks(["sig-1", "sig-2", "sig-9"])
    assert risks == {"sig-1": {"notional_usd": "250.5"}, "sig-2": None}


def check_state_reads(store: Store) -> None:
    with store.transaction() as tx:
        tx.set_state("exit:pos-1", {"reason": "BASE"}, T0)
        tx.set_state("exit:pos-2", {"reason": "TRUE_TREND"}, T0)
    assert store.get_states(["exit:pos-1", "exit:pos-2", "exit:pos-3"]) == {
        "exit:pos-1": {"reason": "BASE"},
        "exit:pos-2": {"reason": "TRUE_TREND"},
    }
    assert store.get_states([]) == {}
