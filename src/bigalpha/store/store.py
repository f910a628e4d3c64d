"""The `Store`: every record bigalpha keeps, written in transactions so a failed write leaves nothing half-done."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Select, Text, bindparam, cast, func, literal_column, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, defer

from bigalpha.config import Settings
from bigalpha.domain import Event, Fill, Order, OrderStatus, Position, Signal
from bigalpha.json_text import JsonText
from bigalpha.store import mapping
from bigalpha.store.connections import BatchConnections, Connections, PerCallConnections
from bigalpha.store.database import StoreError, create_db_engine, database_url, migrate, safe_url
from bigalpha.store.prepared import PreparedRead
from bigalpha.store.records import PositionColumns, ShadowOutcome, TuningShadow
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
from bigalpha.store.writes import StoreTx, WriteStatements

OPEN_ORDER_STATUSES = (OrderStatus.PENDING_SUBMIT, OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED)
_IDS_PER_QUERY = 500  # well under SQLite's and PostgreSQL's limits on bound parameters


class Store:
    """The database behind bigalpha (SQLite by default, PostgreSQL by URL).

    Opened `batched`, the store is written in one long transaction on one connection, committed by `flush()` and
    `close()` (see `BatchConnections`): for a store nobody else reads while it is written, a backtest's."""

    def __init__(self, engine: Engine, *, batched: bool = False) -> None:
        self.engine = engine
        self.batched = batched
        self._connections: Connections = BatchConnections(engine) if batched else PerCallConnections(engine)
        self._statements: WriteStatements | None = None  # compiled by the first transaction
        # The JSON columns' decoder, as SQLAlchemy's JSON type would use it, for the states read as text.
        self._json_loads: Callable[[str], Any] = getattr(engine.dialect, "_json_deserializer", None) or json.loads
        self._tuning_states: dict[str, Any] = {}  # the states `tuning_shadows` last read, by their text
        self._prepared_reads: dict[Select[Any], PreparedRead] = {}  # compiled by their first run
        # the positions `closed_positions` last built, by the driver's values of their rows (and their types)
        self._closed_positions: dict[tuple[tuple[Any, ...], tuple[type, ...]], Position] = {}

    @classmethod
    def open(cls, settings: Settings, *, url: str | None = None, batched: bool = False) -> Store:
        """Open the configured database and bring its schema to the newest migration."""
        url = url or database_url(settings)
        engine = create_db_engine(url, batched=batched)
        try:
            migrate(engine)
            return cls(engine, batched=batched)
        except SQLAlchemyError as error:
            engine.dispose()
            raise StoreError(
                f"cannot open database {safe_url(url)}: {error.__class__.__name__}: {getattr(error, 'orig', None) or error}"
            ) from None

    def flush(self) -> None:
        """Make every write so far durable (batched: commit the long transaction; otherwise already done)."""
        self._connections.flush()

    def close(self) -> None:
        """Commit what a batched store holds, then release every connection."""
        self._connections.close()

    @contextmanager
    def transaction(self) -> Iterator[StoreTx]:
        """One transaction: committed when the block ends, rolled back whole if anything in it fails. Batched, the
        block is a SAVEPOINT: rolled back whole the same way, and made durable by the next flush or close."""
        with self._connections.writing() as block:
            if self._statements is None:
                # Compiled once the dialect has met its server (its first connection tells it the version).
                self._statements = WriteStatements(self.engine.dialect)
            yield StoreTx(block.connection, block.cursor, self._statements)

    def _read(self) -> AbstractContextManager[Session]:
        return self._connections.session()

    def _core(self) -> AbstractContextManager[Connection]:
        """A connection for Core reads: rows as tuples, no ORM objects built (the learning jobs' hot reads)."""
        return self._connections.reading()

    def _prepared(self, read: Select[Any], values: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows of one of the store's own reads, run on a cursor of the driver (see `PreparedRead`)."""
        rows, convert = self._fetched(read, values)
        return [convert(row) for row in rows]

    def _fetched(
        self, read: Select[Any], values: dict[str, Any] | None = None
    ) -> tuple[Sequence[Sequence[Any]], Callable[[Sequence[Any]], tuple[Any, ...]]]:
        """`PreparedRead.fetch` of one of the store's own reads: the driver's rows and their conversion."""
        with self._core() as connection:
            prepared = self._prepared_reads.get(read)
            if prepared is None:
                # Compiled once the dialect has met its server (a connection is open now), as the writes are.
                prepared = self._prepared_reads[read] = PreparedRead(read, self.engine.dialect)
            cursor = connection.connection.cursor()
            try:
                return prepared.fetch(cursor, values)
            finally:
                cursor.close()

    # -- single writes -------------------------------------------------------------------------
    def add_event(self, event: Event) -> None:
        with self.transaction() as tx:
            tx.add_event(event)

    def set_state(self, key: str, value: dict[str, Any] | JsonText, at: datetime) -> None:
        """Insert or replace one state value; a `JsonText` is the value's JSON text, stored as it is."""
        with self.transaction() as tx:
            tx.set_state(key, value, at)

    # -- reads ---------------------------------------------------------------------------------
    def get_state(self, key: str) -> dict[str, Any] | None:
        rows = self._prepared(_STATE_VALUE, {"key": key})  # the key is the table's primary key: a row at most
        value = rows[0][0] if rows else None
        return dict(value) if value is not None else None

    def get_states(self, keys: Collection[str]) -> dict[str, dict[str, Any]]:
        """The state values stored under `keys` (one query per few hundred keys; a key not stored is left out)."""
        wanted = list(keys)
        values: dict[str, dict[str, Any]] = {}
        with self._core() as connection:
            for start in range(0, len(wanted), _IDS_PER_QUERY):
                chunk = wanted[start : start + _IDS_PER_QUERY]
                for key, value in connection.execute(_STATE_VALUES, {"keys": chunk}):
                    values[key] = dict(value)
        return values

    def state_keys(self, prefix: str = "") -> list[str]:
        with self._read() as session:
            keys = session.scalars(select(StateRow.key).where(StateRow.key.startswith(prefix)))
            return sorted(keys)

    def get_order(self, client_order_id: str) -> Order | None:
        with self._read() as session:
            row = session.get(OrderRow, client_order_id)
            return mapping.order_from_row(row) if row is not None else None

    def order_filled_quantity(self, client_order_id: str) -> Decimal:
        with self._read() as session:
            row = session.get(OrderRow, client_order_id)
            return row.filled_quantity if row is not None else Decimal(0)

    def open_orders(self) -> list[Order]:
        with self._read() as session:
            rows = session.scalars(
                select(OrderRow)
                .where(OrderRow.status.in_([s.value for s in OPEN_ORDER_STATUSES]))
                .order_by(OrderRow.ts)
            )
            return [mapping.order_from_row(row) for row in rows]

    def working_position_ids(self) -> set[str]:
        """The positions with an order still working: the position ids of `open_orders()`, without building the
        orders (the engine asks on every tick a position is open, to leave those positions alone)."""
        rows = self._prepared(_WORKING_POSITION_IDS)
        return {position_id for (position_id,) in rows if position_id is not None}  # None: refused by the query

    def order_status(self, client_order_id: str) -> OrderStatus | None:
        """The stored status of an order; None when the store does not have it."""
        rows = self._prepared(_ORDER_STATUS, {"client_order_id": client_order_id})
        return OrderStatus(rows[0][0]) if rows else None

    def fill_trade_ids(self, client_order_id: str) -> set[str]:
        """The trade ids of an order's stored fills (the router records each fill once, by its trade id)."""
        return {trade_id for (trade_id,) in self._prepared(_FILL_TRADE_IDS, {"client_order_id": client_order_id})}

    def count_orders(self, *, position_id: str) -> int:
        [(count,)] = self._prepared(_COUNT_ORDERS, {"position_id": position_id})
        return int(count)

    def get_signal(self, signal_id: str) -> Signal | None:
        with self._read() as session:
            row = session.get(SignalRow, signal_id)
            return mapping.signal_from_row(row) if row is not None else None

    def signal_ids(self) -> set[str]:
        with self._read() as session:
            return set(session.scalars(select(SignalRow.id)))

    def orders(self, limit: int = 1000) -> list[Order]:
        with self._read() as session:
            rows = session.scalars(select(OrderRow).order_by(OrderRow.ts.desc()).limit(limit))
            return [mapping.order_from_row(row) for row in rows]

    def fills(self, client_order_id: str | None = None) -> list[Fill]:
        with self._read() as session:
            query = select(FillRow).order_by(FillRow.id)
            if client_order_id is not None:
                query = query.where(FillRow.client_order_id == client_order_id)
            return [mapping.fill_from_row(row) for row in session.scalars(query)]

    def fills_for_position(self, position_id: str) -> list[Fill]:
        with self._read() as session:
            query = (
                select(FillRow)
                .join(OrderRow, OrderRow.client_order_id == FillRow.client_order_id)
                .where(OrderRow.position_id == position_id)
                .order_by(FillRow.id)
            )
            return [mapping.fill_from_row(row) for row in session.scalars(query)]

    def last_events(self, limit: int) -> list[tuple[int, Event]]:
        """The newest `limit` events, oldest first."""
        with self._read() as session:
            rows = list(session.scalars(select(EventRow).order_by(EventRow.seq.desc()).limit(limit)))
            return [(row.seq, mapping.event_from_row(row)) for row in reversed(rows)]

    def get_position(self, position_id: str) -> Position | None:
        with self._read() as session:
            row = session.get(PositionRow, position_id)
            return mapping.position_from_row(row) if row is not None else None

    def open_positions(self) -> list[Position]:
        with self._read() as session:
            rows = session.scalars(
                select(PositionRow).where(PositionRow.closed_at.is_(None)).order_by(PositionRow.opened_at)
            )
            return [mapping.position_from_row(row) for row in rows]

    def closed_positions(self, since: datetime | None = None) -> list[Position]:
        """Closed positions by closing time, from `since` on (read as Core rows).

        A caller reading them again meets mostly the rows it met before (the 4-hour review keeps those itself now,
        `ClosedTrades`, and reads only the newest), and converting a row (its money, times and JSON columns) and
        building its position is most of what reading it costs. A
        position is a pure function of the driver's values of its row, and is immutable: one built from equal
        values (of the same types) the previous call met is that call's position."""
        if since is None:
            rows, convert = self._fetched(_CLOSED_POSITIONS)
        else:
            rows, convert = self._fetched(_CLOSED_POSITIONS_SINCE, {"since": since})
        previous = self._closed_positions
        built: dict[tuple[tuple[Any, ...], tuple[type, ...]], Position] = {}
        positions = []
        for row in rows:
            key = (tuple(row), tuple(map(type, row)))
            try:
                position = built.get(key) or previous.get(key)
            except TypeError:  # a driver that gives a JSON column decoded (PostgreSQL's): no key, built anew
                positions.append(mapping.position_from_row(PositionColumns._make(convert(row))))
                continue
            if position is None:
                position = mapping.position_from_row(PositionColumns._make(convert(row)))
            built[key] = position
            positions.append(position)
        self._closed_positions = built
        return positions

    def signals(self, limit: int = 1000) -> list[Signal]:
        with self._read() as session:
            rows = session.scalars(select(SignalRow).order_by(SignalRow.ts.desc()).limit(limit))
            return [mapping.signal_from_row(row) for row in rows]

    def get_verdict_row(self, signal_id: str) -> VerdictRow | None:
        with self._read() as session:
            return session.get(VerdictRow, signal_id)

    def verdict_risks(self, signal_ids: Collection[str]) -> dict[str, dict[str, Any] | None]:
        """The risk gate's record in each of these signals' verdicts, by signal id (one query per few hundred
        ids; a signal without a verdict is left out)."""
        ids = list(signal_ids)
        risks: dict[str, dict[str, Any] | None] = {}
        with self._core() as connection:
            for start in range(0, len(ids), _IDS_PER_QUERY):
                chunk = ids[start : start + _IDS_PER_QUERY]
                for signal_id, risk in connection.execute(_VERDICT_RISKS, {"ids": chunk}):
                    risks[signal_id] = risk
        return risks

    def verdict_rows(self, limit: int = 1000) -> Sequence[VerdictRow]:
        with self._read() as session:
            return list(session.scalars(select(VerdictRow).order_by(VerdictRow.ts.desc()).limit(limit)))

    def events(
        self, *, after_seq: int = 0, types: Sequence[str] | None = None, limit: int = 1000
    ) -> list[tuple[int, Event]]:
        """Events in the order they were published, with their sequence numbers (for paging and streaming)."""
        with self._read() as session:
            query = select(EventRow).where(EventRow.seq > after_seq)
            if types:
                query = query.where(EventRow.type.in_(list(types)))
            rows = session.scalars(query.order_by(EventRow.seq).limit(limit))
            return [(row.seq, mapping.event_from_row(row)) for row in rows]

    def shadow_trades(
        self,
        *,
        open_only: bool = False,
        closed_only: bool = False,
        since: datetime | None = None,
        taken_or_blocked_by: str | None = None,
        with_plan: bool = True,
    ) -> list[ShadowTradeRow]:
        """Shadow trades by opening time; with `taken_or_blocked_by`, only those of signals taken or blocked by that
        guard. `with_plan=False` leaves out the JSON columns (`targets`, `state`: the bulk of a row and of its
        reading), for callers that need only the outcome; reading them then raises."""
        with self._read() as session:
            query = select(ShadowTradeRow)
            if not with_plan:
                query = query.options(defer(ShadowTradeRow.targets), defer(ShadowTradeRow.state))
            if open_only:
                query = query.where(ShadowTradeRow.closed_at.is_(None))
            if closed_only:
                query = query.where(ShadowTradeRow.closed_at.is_not(None))
            if since is not None:
                query = query.where(ShadowTradeRow.opened_at >= since)
            if taken_or_blocked_by is not None:
                query = query.where(ShadowTradeRow.taken | (ShadowTradeRow.blocked_by == taken_or_blocked_by))
            return list(session.scalars(query.order_by(ShadowTradeRow.opened_at)))

    def shadow_outcomes(self, *, since: datetime | None = None) -> list[ShadowOutcome]:
        """The closed shadow trades opened at or after `since` (all of them without), by opening time: the same rows,
        in the same order, as `shadow_trades(closed_only=True, since=since)`, read as their outcomes only (Core rows,
        no table objects: the 4-hour review reads them every time, a backtest's report all of them at once)."""
        if since is None:
            return [ShadowOutcome(*row) for row in self._prepared(_ALL_SHADOW_OUTCOMES)]
        return [ShadowOutcome(*row) for row in self._prepared(_SHADOW_OUTCOMES, {"since": since})]

    def verdict_outcomes(self) -> Iterator[list[dict[str, Any]]]:
        """Each verdict's guard outcomes, oldest first, read a batch of rows at a time: a whole backtest's verdicts
        as table objects would cost hundreds of megabytes."""
        with self._core() as connection:
            for (outcomes,) in connection.execute(_VERDICT_OUTCOMES):
                yield list(outcomes or [])

    def tuning_shadows(self, *, since: datetime, taken_or_blocked_by: str) -> list[TuningShadow]:
        """The rows (in the same order) of `shadow_trades(closed_only=True, since=since, taken_or_blocked_by=...)`,
        as the columns the whale-threshold tuning reads (Core rows, no table objects).

        A run every 12 hours over days of shadows reads mostly the rows the run before read, and a row's state
        (kilobytes of JSON: its plan, its metadata, the verdict's evidence) is most of what reading it costs. So
        the state is read as its text, and a text the previous call read is not decoded again: its decoded value
        is shared by both calls' records, which is why they must only be read."""
        previous = self._tuning_states
        decoded: dict[str, Any] = {}
        records = []
        for *columns, text in self._prepared(_TUNING_SHADOWS, {"since": since, "guard": taken_or_blocked_by}):
            state = None
            if text is not None:
                state = decoded.get(text)
                if state is None:
                    state = previous.get(text)
                    if state is None:
                        state = self._json_loads(text)
                    decoded[text] = state
            columns.append(state)  # the record's last field, read last
            records.append(TuningShadow(*columns))
        self._tuning_states = decoded
        return records


# The learning jobs' reads, built once: a statement built per call costs more than running it on a small table.
# Each filters and orders exactly as the ORM query it replaces, so rows come back in the same order.
_STATE_VALUE = select(StateRow.value).where(StateRow.key == bindparam("key"))
_STATE_VALUES = select(StateRow.key, StateRow.value).where(StateRow.key.in_(bindparam("keys", expanding=True)))
_VERDICT_RISKS = select(VerdictRow.signal_id, VerdictRow.risk).where(
    VerdictRow.signal_id.in_(bindparam("ids", expanding=True))
)
# The engine asks on every tick a position is open. The statuses are the enum's own values, written into the SQL
# text (an IN list of parameters is rendered only when it runs, so it could not be prepared).
_WORKING_POSITION_IDS = (
    select(OrderRow.position_id)
    .where(OrderRow.status.in_([literal_column(f"'{s.value}'") for s in OPEN_ORDER_STATUSES]))
    .where(OrderRow.position_id.is_not(None))
    .distinct()
)
_ORDER_STATUS = select(OrderRow.status).where(OrderRow.client_order_id == bindparam("client_order_id"))
_FILL_TRADE_IDS = select(FillRow.trade_id).where(FillRow.client_order_id == bindparam("client_order_id"))
_COUNT_ORDERS = select(func.count()).select_from(OrderRow).where(OrderRow.position_id == bindparam("position_id"))
_CLOSED_POSITIONS = (
    select(PositionRow.__table__).where(PositionRow.closed_at.is_not(None)).order_by(PositionRow.closed_at)
)
_CLOSED_POSITIONS_SINCE = (
    select(PositionRow.__table__)
    .where(PositionRow.closed_at.is_not(None))
    .where(PositionRow.closed_at >= bindparam("since"))
    .order_by(PositionRow.closed_at)
)
_ALL_SHADOW_OUTCOMES = (
    select(*(getattr(ShadowTradeRow, field.name) for field in fields(ShadowOutcome)))
    .where(ShadowTradeRow.closed_at.is_not(None))
    .order_by(ShadowTradeRow.opened_at)
)
_SHADOW_OUTCOMES = _ALL_SHADOW_OUTCOMES.where(ShadowTradeRow.opened_at >= bindparam("since"))
_STREAM_ROWS = 1000  # rows fetched per round trip by the streamed reads
_VERDICT_OUTCOMES = (
    select(VerdictRow.outcomes).order_by(VerdictRow.ts, VerdictRow.signal_id).execution_options(yield_per=_STREAM_ROWS)
)
_TUNING_SHADOWS = (
    select(
        *(getattr(ShadowTradeRow, field.name) for field in fields(TuningShadow) if field.name != "state"),
        cast(ShadowTradeRow.state, Text),  # decoded by `tuning_shadows`, once per distinct text
    )
    .where(ShadowTradeRow.closed_at.is_not(None))
    .where(ShadowTradeRow.opened_at >= bindparam("since"))
    .where(ShadowTradeRow.taken | (ShadowTradeRow.blocked_by == bindparam("guard")))
    .order_by(ShadowTradeRow.opened_at)
)
