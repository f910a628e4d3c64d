"""The learning jobs' Core reads return the same data, in the same order, as the ORM reads they replace: the
4-hour review's shadow outcomes, the whale-threshold tuning's shadows and the closed positions. Timestamps are
drawn from a handful of values so that ties in the ordering column are common."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, null, select, update
from sqlalchemy.orm import Session

from bigalpha.config import load_settings
from bigalpha.domain import Position, PositionId, Signal, SignalId, Verdict
from bigalpha.store import Store
from bigalpha.store.mapping import position_from_row
from bigalpha.store.records import ShadowOutcome, TuningShadow
from bigalpha.store.tables import PositionRow, ShadowTradeRow, SignalRow, StateRow, VerdictRow
from store_cases import T0, make_position, make_shadow, make_signal

GUARDS = (None, "WHALE_INTENT", "GOLDEN_HOUR", "LIQ_WALL")
MINUTES = st.integers(min_value=0, max_value=5).map(lambda m: T0 + timedelta(minutes=m))


@dataclasses.dataclass(frozen=True)
class ShadowSpec:
    opened_at: datetime
    closed: bool
    taken: bool
    blocked_by: str | None
    return_pct: float | None
    strategy: str
    symbol: str


shadow_specs = st.builds(
    ShadowSpec,
    opened_at=MINUTES,
    closed=st.booleans(),
    taken=st.booleans(),
    blocked_by=st.sampled_from(GUARDS),
    return_pct=st.one_of(st.none(), st.floats(min_value=-0.5, max_value=0.5, allow_nan=False)),
    strategy=st.sampled_from(("alpha_ofi", "sol_fee_fade")),
    symbol=st.sampled_from(("BTC", "ETH")),
)


@pytest.fixture(scope="module", params=[False, True], ids=["per-call", "batched"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("core-reads") / "store.db"
    opened = Store.open(load_settings(env={}), url=f"sqlite:///{path}", batched=request.param)
    yield opened
    opened.close()


def _empty(store: Store) -> None:
    with store.transaction() as tx:
        for table in (ShadowTradeRow, VerdictRow, SignalRow, PositionRow, StateRow):
            tx.connection.execute(delete(table))


def _write_shadows(store: Store, specs: list[ShadowSpec]) -> None:
    _empty(store)
    with store.transaction() as tx:
        for n, spec in enumerate(specs):
            signal: Signal = dataclasses.replace(make_signal(n), ts=spec.opened_at, symbol=spec.symbol)
            tx.add_signal(signal)
            tx.add_verdict(Verdict(signal_id=signal.id, allowed=spec.taken, size_multiplier=1.0, outcomes=()), T0)
            row = make_shadow(signal, blocked_by=spec.blocked_by)
            row.taken, row.strategy, row.symbol = spec.taken, spec.strategy, spec.symbol
            row.state = {"closed": "1" if spec.closed else "0", "n": n}
            if spec.closed:
                row.closed_at = spec.opened_at + timedelta(hours=1)
                row.exit_price, row.return_pct, row.exit_reason = 101.0, spec.return_pct, "stop"
            tx.add_shadow(row)


@settings(max_examples=60, deadline=None)
@given(specs=st.lists(shadow_specs, max_size=14), since=MINUTES)
def test_shadow_outcomes_are_the_closed_shadows_outcome_columns_in_the_same_order(
    store: Store, specs: list[ShadowSpec], since: datetime
) -> None:
    _write_shadows(store, specs)
    rows = store.shadow_trades(closed_only=True, since=since, with_plan=False)
    expected = [
        ShadowOutcome(r.strategy, r.symbol, r.taken, r.blocked_by, r.return_pct, r.position_id, r.closed_at)
        for r in rows
    ]
    assert store.shadow_outcomes(since=since) == expected


@settings(max_examples=30, deadline=None)
@given(specs=st.lists(shadow_specs, max_size=14))
def test_shadow_outcomes_without_since_are_every_closed_shadow(store: Store, specs: list[ShadowSpec]) -> None:
    _write_shadows(store, specs)
    rows = store.shadow_trades(closed_only=True, with_plan=False)
    expected = [
        ShadowOutcome(r.strategy, r.symbol, r.taken, r.blocked_by, r.return_pct, r.position_id, r.closed_at)
        for r in rows
    ]
    assert store.shadow_outcomes() == expected


def test_verdict_outcomes_stream_every_verdict_across_batches(store: Store) -> None:
    """More verdicts than one fetch holds: each verdict's outcomes once, oldest first, as the table rows hold them."""
    _empty(store)
    count = 2 * 1000 + 7
    with store.transaction() as tx:
        for n in range(count):
            signal = make_signal(n)
            tx.add_signal(signal)
            tx.connection.execute(
                insert(VerdictRow),
                {
                    "signal_id": signal.id,
                    "ts": T0 + timedelta(seconds=count - n),  # written newest first
                    "allowed": False,
                    "size_multiplier": 1.0,
                    "outcomes": [{"guard": GUARDS[1 + n % 3], "decision": "RESIZE" if n % 2 else "BLOCK", "n": n}]
                    if n % 5
                    else [],
                },
            )
    streamed = list(store.verdict_outcomes())
    rows = sorted(store.verdict_rows(limit=10 * count), key=lambda row: (row.ts, row.signal_id))
    assert streamed == [row.outcomes for row in rows]
    assert len(streamed) == count
    last = count - 1  # the oldest: written last
    assert streamed[0] == [{"guard": GUARDS[1 + last % 3], "decision": "RESIZE" if last % 2 else "BLOCK", "n": last}]


def _as_tuning_shadow(row: ShadowTradeRow) -> TuningShadow:
    return TuningShadow(**{field.name: getattr(row, field.name) for field in dataclasses.fields(TuningShadow)})


@settings(max_examples=60, deadline=None)
@given(
    specs=st.lists(shadow_specs, max_size=14),
    since=MINUTES,
    again=MINUTES,
    guard=st.sampled_from(GUARDS[1:]),
    rewritten=st.sets(st.integers(min_value=0, max_value=13)),
)
def test_tuning_shadows_are_the_table_rows_columns_in_the_same_order(
    store: Store, specs: list[ShadowSpec], since: datetime, again: datetime, guard: str, rewritten: set[int]
) -> None:
    """Each call equals the ORM read, also a second call that finds some states it has decoded before: those it
    reuses, and the states rewritten in between (the same text or a new one) it reads as they now are."""
    _write_shadows(store, specs)
    rows = store.shadow_trades(closed_only=True, since=since, taken_or_blocked_by=guard)
    assert store.tuning_shadows(since=since, taken_or_blocked_by=guard) == [_as_tuning_shadow(r) for r in rows]
    with store.transaction() as tx:
        for n in sorted(rewritten):
            if n < len(specs):
                # a state another row may have too, JSON null, or no state at all (SQL NULL)
                state = ({"closed": "1", "n": n % 2}, None, null())[n % 3]
                tx.connection.execute(
                    update(ShadowTradeRow).where(ShadowTradeRow.id == f"shd-sig-{n}").values(state=state)
                )
    rows = store.shadow_trades(closed_only=True, since=again, taken_or_blocked_by=guard)
    assert store.tuning_shadows(since=again, taken_or_blocked_by=guard) == [_as_tuning_shadow(r) for r in rows]


def _orm_closed_positions(store: Store, since: datetime | None) -> list[Position]:
    """The ORM read `Store.closed_positions` made before it read Core rows: the reference."""
    with Session(store.engine) as session:
        query = select(PositionRow).where(PositionRow.closed_at.is_not(None))
        if since is not None:
            query = query.where(PositionRow.closed_at >= since)
        return [position_from_row(row) for row in session.scalars(query.order_by(PositionRow.closed_at))]


@settings(max_examples=40, deadline=None)
@given(
    closes=st.lists(st.one_of(st.none(), MINUTES), max_size=10),
    since=st.one_of(st.none(), MINUTES),
    pnl=st.decimals(min_value=-1000, max_value=1000, places=8),
)
def test_closed_positions_read_as_core_rows_equal_the_orm_read(
    store: Store, closes: list[datetime | None], since: datetime | None, pnl: Decimal
) -> None:
    _empty(store)
    with store.transaction() as tx:
        for n, closed_at in enumerate(closes):
            position = dataclasses.replace(
                make_position(),
                id=PositionId(f"pos-{n}"),
                signal_id=SignalId(f"sig-{n}"),
                closed_at=closed_at,
                realized_pnl=pnl,
                exit_reason="stop" if closed_at else None,
            )
            tx.save_position(position)
    store.flush()  # the reference reads through its own connection: it sees only what is committed
    expected = _orm_closed_positions(store, since)
    assert store.closed_positions(since) == expected
    assert [p.closed_at for p in expected] == sorted(
        c for c in closes if c is not None and (since is None or c >= since)
    )
