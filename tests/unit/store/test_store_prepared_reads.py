"""A prepared read gives the rows `Connection.execute` gives for the same statement: the same rows, in the same order,
each column converted the same way (money, times, JSON, booleans, NULLs), on a per-call and a batched store."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bigalpha.config import load_settings
from bigalpha.domain import Position, PositionId, SignalId
from bigalpha.store import Store
from bigalpha.store import store as store_module
from bigalpha.store.mapping import position_from_row
from bigalpha.store.prepared import PreparedRead
from bigalpha.store.records import PositionColumns
from bigalpha.store.tables import PositionRow, ShadowTradeRow, SignalRow, StateRow, VerdictRow
from store_cases import T0, make_position, make_shadow, make_signal

MINUTES = st.integers(min_value=0, max_value=4).map(lambda m: T0 + timedelta(minutes=m))


@pytest.fixture(scope="module", params=[False, True], ids=["per-call", "batched"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("prepared-reads") / "store.db"
    opened = Store.open(load_settings(env={}), url=f"sqlite:///{path}", batched=request.param)
    yield opened
    opened.close()


def _both(store: Store, statement: Any, values: dict[str, Any] | None = None) -> tuple[list[Any], list[Any]]:
    """(the prepared read's rows, `Connection.execute`'s rows as tuples), through the store's own connection."""
    prepared = PreparedRead(statement, store.engine.dialect)
    with store._core() as connection:
        expected = [tuple(row) for row in connection.execute(statement, values or {}).all()]
        cursor = connection.connection.cursor()
        try:
            return prepared.all(cursor, values), expected
        finally:
            cursor.close()


def _fill(store: Store, opened: list[datetime], closed: list[datetime | None], pnl: Decimal) -> None:
    with store.transaction() as tx:
        for table in (ShadowTradeRow, VerdictRow, SignalRow, PositionRow, StateRow):
            tx.connection.execute(delete(table))
    with store.transaction() as tx:
        for n, (opened_at, closed_at) in enumerate(zip(opened, closed, strict=False)):
            signal = dataclasses.replace(make_signal(n), ts=opened_at)
            tx.add_signal(signal)
            row = make_shadow(signal, blocked_by=None if n % 2 else "WHALE_INTENT")
            row.taken = n % 3 == 0
            row.state = {"closed": "1", "n": n} if n % 4 else None
            if closed_at is not None:
                row.closed_at, row.exit_price, row.return_pct, row.exit_reason = closed_at, 101.0, n / 7, "stop"
            tx.add_shadow(row)
            position = dataclasses.replace(
                make_position(),
                id=PositionId(f"pos-{n}"),
                signal_id=SignalId(f"sig-{n}") if n % 2 else None,
                opened_at=opened_at,
                closed_at=closed_at,
                realized_pnl=pnl,
                meta=None if n % 3 == 1 else make_position().meta,
            )
            tx.save_position(position)
            tx.set_state(f"key-{n}", {"n": n, "pnl": str(pnl)}, opened_at)


@settings(max_examples=40, deadline=None)
@given(
    opened=st.lists(MINUTES, max_size=8),
    closed=st.lists(st.none() | MINUTES, max_size=8),
    since=MINUTES,
    pnl=st.decimals(min_value=-1000, max_value=1000, places=8),
)
def test_the_stores_prepared_reads_give_the_rows_of_connection_execute(
    store: Store, opened: list[datetime], closed: list[datetime | None], since: datetime, pnl: Decimal
) -> None:
    _fill(store, opened, closed, pnl)
    cases: list[tuple[Any, dict[str, Any] | None]] = [
        (store_module._ALL_SHADOW_OUTCOMES, None),
        (store_module._SHADOW_OUTCOMES, {"since": since}),
        (store_module._CLOSED_POSITIONS, None),
        (store_module._CLOSED_POSITIONS_SINCE, {"since": since}),
        (store_module._TUNING_SHADOWS, {"since": since, "guard": "WHALE_INTENT"}),
        (store_module._STATE_VALUE, {"key": "key-1"}),
        (store_module._STATE_VALUE, {"key": "no-such-key"}),
    ]
    for statement, values in cases:
        rows, expected = _both(store, statement, values)
        assert rows == expected
        assert [tuple(map(type, row)) for row in rows] == [tuple(map(type, row)) for row in expected]


def test_position_columns_are_the_positions_tables_columns_in_order() -> None:
    """`Store.closed_positions` names each column of a row by its place: the names must be the table's, in order."""
    assert PositionColumns._fields == tuple(PositionRow.__table__.columns.keys())
    assert tuple(store_module._CLOSED_POSITIONS.selected_columns.keys()) == PositionColumns._fields


def test_a_statement_rendered_only_when_it_runs_is_refused(store: Store) -> None:
    expanding = select(StateRow.value).where(StateRow.key.in_(["a", "b"]))
    with pytest.raises(ValueError, match="rendered only when it runs"):
        PreparedRead(expanding, store.engine.dialect)


def _orm_closed_positions(store: Store) -> list[Position]:
    """The closed positions read through the ORM, every row converted anew: the reference."""
    with store._read() as session:
        rows = session.scalars(
            select(PositionRow).where(PositionRow.closed_at.is_not(None)).order_by(PositionRow.closed_at)
        )
        return [position_from_row(row) for row in rows]


@settings(max_examples=40, deadline=None)
@given(
    first=st.lists(st.none() | MINUTES, max_size=6),
    rewritten=st.lists(st.tuples(st.integers(min_value=0, max_value=7), st.none() | MINUTES, st.integers(0, 2))),
)
def test_closed_positions_met_before_are_the_positions_their_rows_now_hold(
    store: Store, first: list[datetime | None], rewritten: list[tuple[int, datetime | None, int]]
) -> None:
    """Between two reads some rows are rewritten (closed, reopened, the same values again, other money or
    metadata) and some added: each read equals converting every row anew, and a position met again unchanged is
    the very same object."""
    _fill(store, [T0] * len(first), first, Decimal("1.5"))
    before = store.closed_positions()
    assert before == _orm_closed_positions(store)
    with store.transaction() as tx:
        for n, closed_at, change in rewritten:
            position = dataclasses.replace(
                make_position(),
                id=PositionId(f"pos-{n}"),
                signal_id=SignalId(f"sig-{n}") if n % 2 else None,
                closed_at=closed_at,
                realized_pnl=(Decimal("1.5"), Decimal("1.50"), Decimal("-2"))[change],
                meta=None if change == 2 else make_position().meta,
            )
            tx.save_position(position)
    after = store.closed_positions()
    assert after == _orm_closed_positions(store)
    assert [p.realized_pnl.as_tuple() for p in after] == [
        p.realized_pnl.as_tuple() for p in _orm_closed_positions(store)
    ]
    earlier = {p.id: p for p in before}
    untouched = {f"pos-{n}" for n in range(len(first))} - {f"pos-{n}" for n, _, _ in rewritten}
    for position in after:
        if position.id in untouched:
            assert position is earlier[position.id]
