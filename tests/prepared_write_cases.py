"""The store's writes, compiled once and run on the driver's cursor (`StoreTx`), against the writes they replaced
(`ReferenceTx`: each a SQLAlchemy Core statement through `Connection.execute`, a shadow as its table object), shared
by the SQLite and PostgreSQL tests.

The same script of writes goes through each path into an emptied store; every table is then read back as the
driver returns it (JSON as its stored text, datetimes and money as SQLite's text), sequence numbers included."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Protocol

import pytest
from hypothesis import strategies as st
from sqlalchemy import JSON, Connection, bindparam, insert, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from bigalpha.domain import (
    AccountName,
    ClientOrderId,
    Decision,
    EventId,
    EventType,
    Fill,
    GuardName,
    GuardOutcome,
    Liquidity,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    Side,
    Signal,
    SignalId,
    StrategyName,
    Symbol,
    Verdict,
)
from bigalpha.domain import Event as DomainEvent
from bigalpha.learning.shadow import Shadow
from bigalpha.store import Store, mapping
from bigalpha.store.tables import (
    EventRow,
    FillRow,
    OrderRow,
    PositionRow,
    ShadowTradeRow,
    SignalRow,
    StateRow,
    VerdictRow,
)
from store_cases import make_position, make_signal

# Children before parents, for emptying a store under its foreign keys.
TABLES = ("fills", "verdicts", "shadow_trades", "events", "state", "positions", "orders", "signals")
_ORDER_BY = {
    "fills": "id",
    "verdicts": "signal_id",
    "shadow_trades": "id",
    "events": "seq",
    "state": '"key"',
    "positions": "id",
    "orders": "client_order_id",
    "signals": "id",
}


class ReferenceTx:
    """The store's writes as they were before they were compiled once: SQLAlchemy Core statements through
    `Connection.execute`, the order update built per call, a shadow written from its table object."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add_signal(self, signal: Signal) -> None:
        self.connection.execute(insert(SignalRow), mapping.signal_values(signal))

    def add_verdict(self, verdict: Verdict, ts: datetime, risk: dict[str, Any] | None = None) -> None:
        self.connection.execute(
            insert(VerdictRow),
            {
                "signal_id": verdict.signal_id,
                "ts": ts,
                "allowed": verdict.allowed,
                "size_multiplier": verdict.size_multiplier,
                "blocked_by": verdict.blocked_by.value if verdict.blocked_by else None,
                "reason": verdict.reason.value if verdict.reason else None,
                "outcomes": mapping.json_ready(list(verdict.outcomes)),
                "risk": mapping.json_ready(risk) if risk is not None else None,
            },
        )

    def save_order(
        self,
        order: Order,
        *,
        filled: Decimal | None = None,
        at: datetime | None = None,
        exchange_order_id: str | None = None,
        error: str | None = None,
    ) -> None:
        changes: dict[str, Any] = {"status": order.status.value, "updated_at": at or order.ts}
        if filled is not None:
            changes["filled_quantity"] = filled
        if exchange_order_id is not None:
            changes["exchange_order_id"] = exchange_order_id
        if error is not None:
            changes["error"] = error
        key = OrderRow.client_order_id == order.client_order_id
        if self.connection.execute(update(OrderRow).where(key).values(changes)).rowcount == 0:
            values = mapping.order_values(order, filled=filled or Decimal(0))
            self.connection.execute(insert(OrderRow), {**values, "exchange_order_id": None, "error": None, **changes})

    def add_fill(self, fill: Fill) -> None:
        self.connection.execute(insert(FillRow), mapping.fill_values(fill))

    def save_position(self, position: Position) -> None:
        values = mapping.position_values(position)
        by_key = update(PositionRow).where(PositionRow.id == bindparam("key"))
        if self.connection.execute(by_key, _by_key(values)).rowcount == 0:
            self.connection.execute(insert(PositionRow), values)

    def add_event(self, event: DomainEvent) -> None:
        self.connection.execute(insert(EventRow), mapping.event_values(event))

    def set_state(self, key: str, value: dict[str, Any], at: datetime) -> None:
        dialect_insert = sqlite_insert if self.connection.dialect.name == "sqlite" else postgresql_insert
        statement = dialect_insert(StateRow)
        upsert = statement.on_conflict_do_update(
            index_elements=[StateRow.key],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
        self.connection.execute(upsert, {"key": key, "value": value, "updated_at": at})

    def add_shadow(self, shadow: Shadow) -> None:
        self.connection.execute(insert(ShadowTradeRow), _row_values(shadow.to_row()))

    def save_shadow(self, shadow: Shadow) -> None:
        values = _row_values(shadow.to_row())
        by_key = update(ShadowTradeRow).where(ShadowTradeRow.id == bindparam("key"))
        if self.connection.execute(by_key, _by_key(values)).rowcount == 0:
            self.connection.execute(insert(ShadowTradeRow), values)


def _row_values(row: ShadowTradeRow) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in ShadowTradeRow.__table__.columns}


def _by_key(values: dict[str, Any]) -> dict[str, Any]:
    params = dict(values)
    params["key"] = params.pop("id")
    return params


class Writes(Protocol):
    """What a script calls: both `StoreTx` and `ReferenceTx` have it."""

    def add_signal(self, signal: Signal) -> None: ...
    def add_verdict(self, verdict: Verdict, ts: datetime, risk: dict[str, Any] | None = None) -> None: ...
    def save_order(
        self,
        order: Order,
        *,
        filled: Decimal | None = None,
        at: datetime | None = None,
        exchange_order_id: str | None = None,
        error: str | None = None,
    ) -> None: ...
    def add_fill(self, fill: Fill) -> None: ...
    def save_position(self, position: Position) -> None: ...
    def add_event(self, event: DomainEvent) -> None: ...
    def set_state(self, key: str, value: dict[str, Any], at: datetime) -> None: ...
    def add_shadow(self, shadow: Shadow) -> None: ...
    def save_shadow(self, shadow: Shadow) -> None: ...


@dataclass(frozen=True)
class SignalRecord:
    """One signal's writes as the engine makes them (signal, verdict, events, shadow), and its shadow's close."""

    signal: Signal
    verdict: Verdict
    risk: dict[str, Any] | None
    events: tuple[DomainEvent, ...]
    shadow: Shadow
    close: tuple[datetime, float, float, str, dict[str, Any]] | None


@dataclass(frozen=True)
class Script:
    records: tuple[SignalRecord, ...]
    states: tuple[tuple[str, dict[str, Any], datetime], ...]
    order_updates: tuple[tuple[OrderStatus, Decimal | None, str | None, str | None], ...]
    position_closed_at: datetime | None


def json_values(*, finite: bool) -> st.SearchStrategy[Any]:
    """JSON-storable values as the engine hands them to the store: Decimals, enums, datetimes and tuples among
    them. `finite`: no NaN or infinity (PostgreSQL's JSON refuses them)."""
    text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63)
        | st.floats(allow_nan=not finite, allow_infinity=not finite)
        | text
        | st.decimals(allow_nan=False, allow_infinity=False, places=6)
        | st.sampled_from(list(GuardName))
        | moments()
    )
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.tuples(inner) | st.dictionaries(text, inner, max_size=3),
        max_leaves=10,
    )


def moments() -> st.SearchStrategy[datetime]:
    """Aware moments, not all of them in UTC (the store converts them)."""
    zones = st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5, minutes=-30))])
    # hypothesis wants naive bounds; `timezones` makes every drawn moment aware.
    earliest, latest = datetime(2001, 1, 1), datetime(2090, 1, 1)  # noqa: DTZ001
    return st.datetimes(min_value=earliest, max_value=latest, timezones=zones)


def _floats(*, finite: bool) -> st.SearchStrategy[float]:
    return st.floats(allow_nan=False, allow_infinity=not finite, width=64)


@st.composite
def scripts(draw: st.DrawFn, *, finite: bool) -> Script:
    values = json_values(finite=finite)
    records = []
    for n in range(draw(st.integers(0, 4))):
        signal = Signal(
            id=SignalId(f"sig-{n}"),
            ts=draw(moments()),
            symbol=Symbol(draw(st.sampled_from(["BTC", "ETH"]))),
            side=draw(st.sampled_from(list(Side))),
            strategy=StrategyName("alpha_ofi"),
            price=draw(_floats(finite=True)),
            conviction=draw(_floats(finite=True)),
            stop_pct=draw(st.none() | _floats(finite=True)),
            targets_pct=draw(st.none() | st.tuples(_floats(finite=True), _floats(finite=True))),
            expected_move_bps=draw(st.none() | _floats(finite=finite)),
            requested_notional_usd=draw(st.none() | st.decimals(min_value=-(10**12), max_value=10**12, places=8)),
        )
        blocked_by = draw(st.none() | st.sampled_from(list(GuardName)))
        outcomes = tuple(
            GuardOutcome(
                guard=guard,
                decision=draw(st.sampled_from(list(Decision))),
                multiplier=draw(_floats(finite=finite)),
                evidence=draw(st.dictionaries(st.text(max_size=4), values, max_size=3)),
                message=draw(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6)),
            )
            for guard in draw(st.lists(st.sampled_from(list(GuardName)), max_size=3))
        )
        verdict = Verdict(
            signal_id=signal.id,
            allowed=blocked_by is None,
            size_multiplier=draw(_floats(finite=True)),
            outcomes=outcomes,
            blocked_by=blocked_by,
        )
        events = tuple(
            DomainEvent(
                id=EventId(f"evt-{n}-{k}"),
                ts=draw(moments()),
                type=draw(st.sampled_from(list(EventType))),
                source="engine",
                symbol=signal.symbol,
                guard=draw(st.none() | st.sampled_from(list(GuardName))),
                message=draw(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6)),
                data=draw(st.dictionaries(st.text(max_size=4), values, max_size=4)),
            )
            for k in range(draw(st.integers(0, 3)))
        )
        shadow = Shadow(
            id=f"shd-{signal.id}",
            signal_id=signal.id,
            symbol=signal.symbol,
            side=signal.side.value,
            strategy=signal.strategy,
            blocked_by=blocked_by.value if blocked_by else None,
            taken=blocked_by is None,
            position_id=None,
            opened_at=signal.ts,
            entry_price=signal.price,
            stop_price=draw(_floats(finite=True)),
            targets=draw(st.lists(_floats(finite=True), max_size=3)),
            state=draw(st.dictionaries(st.text(max_size=4), values, max_size=4)),
        )
        close = draw(
            st.none()
            | st.tuples(
                moments(),
                _floats(finite=True),
                _floats(finite=finite),
                st.sampled_from(["stop", "target", "end"]),
                st.dictionaries(st.text(max_size=4), values, max_size=3),
            )
        )
        risk = draw(st.none() | st.dictionaries(st.text(max_size=4), values, max_size=3))
        records.append(SignalRecord(signal, verdict, risk, events, shadow, close))
    states = tuple(
        draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["engine", "exit:pos-1"]),
                    st.dictionaries(st.text(max_size=4), values, max_size=3),
                    moments(),
                ),
                max_size=3,
            )
        )
    )
    order_updates = tuple(
        draw(
            st.lists(
                st.tuples(
                    st.sampled_from(list(OrderStatus)),
                    st.none() | st.decimals(min_value=0, max_value=10, places=8),
                    st.none()
                    | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=6),
                    st.none()
                    | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=6),
                ),
                max_size=3,
            )
        )
    )
    return Script(tuple(records), states, order_updates, draw(st.none() | moments()))


def play(script: Script, transaction: Callable[[], Any], writer: Callable[[Any], Writes]) -> None:
    """Write `script` as the engine would: a transaction per signal, the closes together, the orders apart."""
    for record in script.records:
        with transaction() as tx:
            writes = writer(tx)
            writes.add_signal(record.signal)
            writes.add_verdict(record.verdict, record.signal.ts, risk=record.risk)
            for event in record.events:
                writes.add_event(event)
            writes.add_shadow(dataclasses.replace(record.shadow))
    with transaction() as tx:
        writes = writer(tx)
        for record in script.records:
            if record.close is not None:
                closed = dataclasses.replace(record.shadow)
                closed.closed_at, closed.exit_price, closed.return_pct, closed.exit_reason, closed.state = record.close
                writes.save_shadow(closed)
    order = Order(
        client_order_id=ClientOrderId("ord-1"),
        ts=datetime(2025, 6, 1, tzinfo=UTC),
        symbol=Symbol("BTC"),
        side=OrderSide.BUY,
        type=OrderType.LIMIT,
        quantity=Decimal("0.004150000000000001"),
        account=AccountName("hot"),
        price=Decimal("100000.5"),
    )
    with transaction() as tx:
        writes = writer(tx)
        writes.save_order(order)
        for k, (status, filled, exchange_id, error) in enumerate(script.order_updates):
            at = order.ts + timedelta(seconds=k + 1)
            writes.save_order(
                dataclasses.replace(order, status=status),
                filled=filled,
                at=at,
                exchange_order_id=exchange_id,
                error=error,
            )
            writes.add_fill(
                Fill(
                    order.client_order_id,
                    at,
                    order.symbol,
                    order.side,
                    Decimal("100000.5"),
                    Decimal(k + 1) / 7,
                    Decimal("0.01"),
                    Liquidity.MAKER,
                    f"t-{k}",
                )
            )
        position = make_position()
        writes.save_position(position)
        if script.position_closed_at is not None:
            writes.save_position(dataclasses.replace(position, closed_at=script.position_closed_at, exit_reason="stop"))
        for key, value, at in script.states:
            writes.set_state(key, value, at)


def empty(store: Store) -> None:
    """No rows, and every numbered key starting again from 1."""
    with store.transaction() as tx:
        if tx.connection.dialect.name == "postgresql":
            tx.connection.exec_driver_sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
            return
        for table in TABLES:
            tx.connection.exec_driver_sql(f"DELETE FROM {table}")


def raw_tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table as the driver returns it, JSON columns as their stored text."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with store.transaction() as tx:
        postgresql = tx.connection.dialect.name == "postgresql"
        for name in TABLES:
            table = {row.__tablename__: row.__table__ for row in _ROWS}[name]
            columns = [
                f'"{column.name}"::text' if postgresql and isinstance(column.type, JSON) else f'"{column.name}"'
                for column in table.columns
            ]
            result = tx.connection.exec_driver_sql(
                f"SELECT {', '.join(columns)} FROM {name} ORDER BY {_ORDER_BY[name]}"
            )
            tables[name] = [tuple(row) for row in result]
    return tables


_ROWS = (FillRow, VerdictRow, ShadowTradeRow, EventRow, StateRow, PositionRow, OrderRow, SignalRow)


def written_both_ways(
    store: Store, script: Script
) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]]:
    """The tables after `script` written by `StoreTx`, and after it written by `ReferenceTx`, each from empty."""
    empty(store)
    play(script, store.transaction, lambda tx: tx)
    new = raw_tables(store)
    empty(store)
    play(script, store.transaction, lambda tx: ReferenceTx(tx.connection))
    return new, raw_tables(store)


def check_duplicate_key_keeps_nothing(store: Store) -> None:
    """A duplicate key raises the same `IntegrityError` through `StoreTx` and through `ReferenceTx`, and the block
    keeps none of its writes."""
    empty(store)
    for writer in (lambda tx: tx, lambda tx: ReferenceTx(tx.connection)):
        with pytest.raises(IntegrityError), store.transaction() as tx:
            writes = writer(tx)
            writes.add_signal(make_signal(1))
            writes.add_signal(make_signal(1))
        assert store.signal_ids() == set()
