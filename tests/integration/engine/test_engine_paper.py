"""The engine end to end on the simulator: paper trading writes a consistent store (S-OFI, L-SHADOW-1,
G-BUS-1, P-PERP-1, P-STOP-1, R-MODE-1, I-PERSIST-1)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from engine_harness import engine_on_sim, ledger, settings_for

from bigalpha.domain import EventType, Mode, OrderStatus
from bigalpha.execution.portfolio import net_pnl
from bigalpha.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def day_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("paper-day")
    with engine_on_sim(settings_for(tmp), days=1) as built:
        summary = built.engine.run(built.feed)
        built.engine.stop("test")
    assert summary.ticks == 1440
    return tmp


def _store(tmp: Path) -> Store:
    return Store.open(settings_for(tmp))


def test_every_signal_is_judged_stored_and_shadowed(day_run: Path) -> None:
    """L-SHADOW-1: every signal, taken or blocked, becomes a shadow trade; each has a stored verdict."""
    store = _store(day_run)
    try:
        signals = store.signals(limit=100_000)
        assert len(signals) > 20
        shadows = store.shadow_trades()
        assert {row.signal_id for row in shadows} == {s.id for s in signals}
        verdicts = store.verdict_rows(limit=100_000)
        assert {row.signal_id for row in verdicts} == {s.id for s in signals}
        taken = [row for row in shadows if row.taken]
        assert all(row.position_id for row in taken)
        assert any(not row.taken for row in shadows)
        assert {s.strategy for s in signals} >= {"alpha_ofi"}
    finally:
        store.close()


def test_alpha_ofi_conviction_stays_in_its_band(day_run: Path) -> None:
    """S-OFI: conviction 1.0–1.5× for Alpha-OFI signals."""
    store = _store(day_run)
    try:
        convictions = [s.conviction for s in store.signals(limit=100_000) if s.strategy == "alpha_ofi"]
        assert convictions
        assert all(1.0 <= c <= 1.5 for c in convictions)
    finally:
        store.close()


def test_blocks_are_events_with_evidence(day_run: Path) -> None:
    """G-BUS-1: every block is an event with type, source, guard, symbol, direction, time and evidence."""
    store = _store(day_run)
    try:
        events = [event for _, event in store.events(limit=1_000_000)]
        blocks = [
            e
            for e in events
            if e.source == "intelligence_gate"
            and e.guard is not None
            and e.type.value not in ("GUARD_RESIZE", "GUARD_DATA_UNAVAILABLE")
        ]
        assert blocks
        for event in blocks:
            assert event.symbol
            assert event.side
            assert event.data
    finally:
        store.close()


def test_wallet_equals_start_plus_net_pnl_of_closed_trades(day_run: Path) -> None:
    """P-PERP-1: fees, funding and P&L add up across a whole day of paper trading."""
    store = _store(day_run)
    try:
        state = ledger(store)
        every = [*store.closed_positions(), *store.open_positions()]  # open ones may have realized a tier already
        assert Decimal(str(state["wallet"])) == Decimal(1660) + sum((net_pnl(p) for p in every), Decimal(0))
        for position in store.closed_positions():
            assert position.quantity == 0
            assert position.stop_price > 0  # P-STOP-1: every position had a stop at entry
    finally:
        store.close()


def test_orders_are_finished_and_filled_exactly(day_run: Path) -> None:
    store = _store(day_run)
    try:
        for order in store.orders(limit=100_000):
            fills = store.fills(order.client_order_id)
            assert order.status in (OrderStatus.FILLED, OrderStatus.REJECTED, OrderStatus.CANCELED) or fills
            if order.status is OrderStatus.FILLED:
                assert sum((f.quantity for f in fills), Decimal(0)) == order.quantity
    finally:
        store.close()


@pytest.mark.no_cover  # a run-equality test at scale: see tests/conftest.py
def test_a_week_runs_the_4_hour_jobs_on_the_simulated_clock(tmp_path: Path) -> None:
    """L-SHADOW-1 / L-GUARD-1 / L-OPT-1: the 4-hour review and the 12-hour tuning run on market time."""
    with engine_on_sim(settings_for(tmp_path), days=2) as built:
        summary = built.engine.run(built.feed)
    assert summary.first_tick is not None
    assert summary.last_tick is not None
    period = timedelta(hours=4)
    epoch = summary.first_tick.replace(hour=0, minute=0)
    crossed = int((summary.last_tick - epoch) / period) - int((summary.first_tick - epoch) / period)
    assert crossed == 12
    assert summary.ran_jobs.count("learning_review") == crossed
    # L-OPT-1: the whale-threshold tuning every 12 hours of market time (12:00 and 00:00)
    assert summary.ran_jobs.count("whale_threshold_tuning") == 4


def test_paper_mode_broker_never_sends_real_orders(tmp_path: Path) -> None:
    """R-MODE-1: in paper mode the broker chain ends in the paper broker, which sends nothing anywhere."""
    with engine_on_sim(settings_for(tmp_path), days=1, mode=Mode.PAPER) as built:
        broker = built.engine.parts.broker
        inner = broker
        while hasattr(inner, "inner"):
            inner = inner.inner
        assert getattr(inner, "sends_real_orders", True) is False


def test_events_include_the_trade_lifecycle(day_run: Path) -> None:
    store = _store(day_run)
    try:
        kinds = {event.type for _, event in store.events(limit=1_000_000)}
        assert {EventType.ENGINE_STARTED, EventType.VERDICT, EventType.FILL} <= kinds
        if store.closed_positions():
            assert EventType.POSITION_CLOSED in kinds
    finally:
        store.close()


def test_reviews_report_guards_and_the_max_pain_hit_rate(day_run: Path) -> None:
    """L-GUARD-1 and L-MP-1: each 4-hour review event carries the guard table and the TRUE TREND max-pain hit
    rate with its recommendation flag (above 60%)."""
    store = _store(day_run)
    try:
        reviews = [e for _, e in store.events(types=[EventType.LEARNING_REVIEW.value], limit=1000)]
        assert len(reviews) >= 5
        for review in reviews:
            if "guards" not in review.data:
                continue  # the 12-hour whale tuning also reports as a review when it adopts nothing
            magnet = review.data["max_pain"]
            assert magnet["threshold"] == 0.6
            rate = magnet["hit_rate"]
            assert magnet["recommend_raising_magnet_conviction"] == (rate is not None and rate > 0.6)
        assert any(review.data.get("guards") for review in reviews)
    finally:
        store.close()
