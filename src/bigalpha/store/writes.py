"""The writes of one store transaction (`StoreTx`) and the statements they run, compiled once per database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, Protocol

from sqlalchemy import Connection, Table, bindparam, insert, update
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.orm import DeclarativeBase

from bigalpha.domain import Event, Fill, Order, Position, Signal, Verdict
from bigalpha.json_text import JsonText
from bigalpha.store import mapping
from bigalpha.store.prepared import PreparedWrite, SharedProcessors
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


class ShadowColumns(Protocol):
    """A shadow trade's column values as attributes of the same names: the learning loop's `Shadow` is written
    as it is, with no table object built only to be read back column by column (a `ShadowTradeRow` fits too)."""

    @property
    def id(self) -> str: ...
    @property
    def signal_id(self) -> str: ...
    @property
    def symbol(self) -> str: ...
    @property
    def side(self) -> str: ...
    @property
    def strategy(self) -> str: ...
    @property
    def blocked_by(self) -> str | None: ...
    @property
    def taken(self) -> bool: ...
    @property
    def position_id(self) -> str | None: ...
    @property
    def opened_at(self) -> datetime: ...
    @property
    def entry_price(self) -> float: ...
    @property
    def stop_price(self) -> float: ...
    @property
    def targets(self) -> list[float]: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def exit_price(self) -> float | None: ...
    @property
    def return_pct(self) -> float | None: ...
    @property
    def exit_reason(self) -> str | None: ...
    @property
    def state(self) -> dict[str, Any] | None: ...


class StoreTx:
    """The writes of one transaction. Obtain it from `Store.transaction()`; nothing is visible to other
    readers until the block ends, and nothing at all is kept if the block raises.

    Each write is one statement, executed when it is called. Rows are only ever appended or replaced whole, so
    the ORM's unit of work (about a millisecond per transaction on the engine's hot path) bought nothing, and
    each statement is compiled once per database (`WriteStatements`) and run on the driver's cursor. A row is in
    the transaction as soon as its write returns, so a row referring to it by foreign key may follow; a write
    that fails raises where it was made, as the SQLAlchemy exception `Connection.execute` would raise.

    `connection` is the block's connection, for statements of the caller's own (a test's cleanup): they run in
    the same transaction."""

    __slots__ = ("_cursor", "_statements", "connection")

    def __init__(self, connection: Connection, cursor: DBAPICursor, statements: WriteStatements) -> None:
        self.connection = connection
        self._cursor = cursor
        self._statements = statements

    def add_signal(self, signal: Signal) -> None:
        self._statements.insert_signal.run(self._cursor, mapping.signal_values(signal))

    def add_verdict(self, verdict: Verdict, ts: datetime, risk: dict[str, Any] | None = None) -> None:
        self._statements.insert_verdict.run(
            self._cursor,
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
        """Insert `order`, or update its status (and filled quantity) if its client order id is known."""
        changes: dict[str, Any] = {"status": order.status.value, "updated_at": at or order.ts}
        if filled is not None:
            changes["filled_quantity"] = filled
        if exchange_order_id is not None:
            changes["exchange_order_id"] = exchange_order_id
        if error is not None:
            changes["error"] = error
        updated = self._statements.update_order(tuple(changes)).run(
            self._cursor, {**changes, "key": order.client_order_id}
        )
        if updated == 0:
            values = mapping.order_values(order, filled=filled or Decimal(0))
            self._statements.insert_order.run(
                self._cursor, {**values, "exchange_order_id": None, "error": None, **changes}
            )

    def add_fill(self, fill: Fill) -> None:
        self._statements.insert_fill.run(self._cursor, mapping.fill_values(fill))

    def save_position(self, position: Position) -> None:
        """Insert `position`, or replace every column of its row."""
        values = mapping.position_values(position)
        if self._statements.update_position.run(self._cursor, _by_key(values)) == 0:
            self._statements.insert_position.run(self._cursor, values)

    def add_event(self, event: Event) -> None:
        self._statements.insert_event.run(self._cursor, mapping.event_values(event))

    def set_state(self, key: str, value: dict[str, Any] | JsonText, at: datetime) -> None:
        """Insert or replace one state value (an upsert: the old value is never read back); a `JsonText` is the
        value's JSON text, stored as it is."""
        self._statements.upsert_state.run(self._cursor, {"key": key, "value": value, "updated_at": at})

    def add_shadow(self, shadow: ShadowColumns) -> None:
        """A new shadow's row (an insert: its signal is already written in this transaction or before)."""
        self._statements.insert_shadow.run(self._cursor, shadow_values(shadow))

    def save_shadow(self, shadow: ShadowColumns) -> None:
        """Replace every column of a shadow's row; a shadow the table does not have yet is inserted."""
        values = shadow_values(shadow)
        if self._statements.update_shadow.run(self._cursor, _by_key(values)) == 0:
            self._statements.insert_shadow.run(self._cursor, values)


def shadow_values(shadow: ShadowColumns) -> dict[str, Any]:
    """Every column of `shadow`'s row, by name."""
    return dict(zip(_SHADOW_COLUMNS, _read_shadow(shadow), strict=True))


def _by_key(values: dict[str, Any]) -> dict[str, Any]:
    """Parameters for an update by id: the row's id as `key`, every other column as its new value."""
    params = dict(values)
    params["key"] = params.pop("id")
    return params


_SHADOW_COLUMNS = tuple(column.key for column in ShadowTradeRow.__table__.columns)
# Every column's attribute read in one call (C): a shadow is written when it opens, on every signal.
_read_shadow: Callable[[ShadowColumns], tuple[Any, ...]] = attrgetter(*_SHADOW_COLUMNS)


class WriteStatements:
    """Every statement a `StoreTx` runs, compiled for one database (a store builds them once, on its first
    transaction, when the dialect has met its server)."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._shared = shared = SharedProcessors()  # a signal's time, bound in table after table, converted once
        self.insert_signal = _insert(SignalRow, dialect, shared)
        self.insert_verdict = _insert(VerdictRow, dialect, shared)
        self.insert_order = _insert(OrderRow, dialect, shared)
        self.insert_fill = _insert(FillRow, dialect, shared)
        self.insert_position = _insert(PositionRow, dialect, shared)
        self.insert_event = _insert(EventRow, dialect, shared)
        self.insert_shadow = _insert(ShadowTradeRow, dialect, shared)
        self.update_position = _update(PositionRow, dialect, shared)
        self.update_shadow = _update(ShadowTradeRow, dialect, shared)
        upsert = _upsert_state(sqlite_insert if dialect.name == "sqlite" else postgresql_insert)
        self.upsert_state = PreparedWrite(upsert, ("key", "value", "updated_at"), dialect, shared)
        self._order_updates: dict[tuple[str, ...], PreparedWrite] = {}

    def update_order(self, changed: tuple[str, ...]) -> PreparedWrite:
        """UPDATE orders SET `changed` by client order id (`key`): one statement per set of changed columns
        (a handful: status and time, plus any of filled quantity, exchange id and error)."""
        statement = self._order_updates.get(changed)
        if statement is None:
            by_key = update(OrderRow).where(OrderRow.client_order_id == bindparam("key"))
            statement = PreparedWrite(by_key, (*changed, "key"), self._dialect, self._shared)
            self._order_updates[changed] = statement
        return statement


def _insert(model: type[DeclarativeBase], dialect: Dialect, shared: SharedProcessors) -> PreparedWrite:
    """INSERT of every column but a key the database numbers itself (events.seq, fills.id). Inline: nothing is
    fetched back (PostgreSQL would otherwise be asked to return the numbered key, which nobody reads)."""
    table = _table(model)
    columns = [column.key for column in table.columns if column.autoincrement is not True]
    return PreparedWrite(insert(table).inline(), columns, dialect, shared)


def _update(model: type[DeclarativeBase], dialect: Dialect, shared: SharedProcessors) -> PreparedWrite:
    """UPDATE of every column of the row whose one-column primary key is the parameter `key`."""
    table = _table(model)
    [key] = table.primary_key.columns
    columns = [column.key for column in table.columns if column is not key]
    return PreparedWrite(update(table).where(key == bindparam("key")), (*columns, "key"), dialect, shared)


def _table(model: type[DeclarativeBase]) -> Table:
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table


def _upsert_state(
    insert: Callable[[type[StateRow]], SqliteInsert | PostgresqlInsert],
) -> SqliteInsert | PostgresqlInsert:
    """INSERT .. ON CONFLICT (key) DO UPDATE in one dialect, its values bound when it runs."""
    statement = insert(StateRow)
    return statement.on_conflict_do_update(
        index_elements=[StateRow.key],
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    )
