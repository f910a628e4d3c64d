"""The `Store`: every record bigalpha keeps, written in transactions so a failed write leaves nothing half-done."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bigalpha.config import Settings
from bigalpha.domain import Event, Fill, Order, OrderStatus, Position, Signal, Verdict
from bigalpha.store import mapping
from bigalpha.store.database import StoreError, create_db_engine, database_url, migrate, safe_url, session_scope
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

OPEN_ORDER_STATUSES = (OrderStatus.PENDING_SUBMIT, OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED)


class StoreTx:
    """The writes of one transaction. Obtain it from `Store.transaction()`; nothing is visible to other
    readers until the block ends, and nothing at all is kept if the block raises."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_signal(self, signal: Signal) -> None:
        self.session.add(mapping.signal_row(signal))

    def add_verdict(self, verdict: Verdict, ts: datetime, risk: dict[str, Any] | None = None) -> None:
        self.session.add(
            VerdictRow(
                signal_id=verdict.signal_id,
                ts=ts,
                allowed=verdict.allowed,
                size_multiplier=verdict.size_multiplier,
                blocked_by=verdict.blocked_by.value if verdict.blocked_by else None,
                reason=verdict.reason.value if verdict.reason else None,
                outcomes=mapping.json_ready(list(verdict.outcomes)),
                risk=mapping.json_ready(risk) if risk is not None else None,
            )
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
        row = self.session.get(OrderRow, order.client_order_id)
        if row is None:
            row = mapping.order_row(order, filled=filled or Decimal(0))
            self.session.add(row)
            # Fills refer to the order by foreign key; write it now so they can follow in this transaction.
            self.session.flush()
        else:
            row.status = order.status.value
            if filled is not None:
                row.filled_quantity = filled
        row.updated_at = at or order.ts
        if exchange_order_id is not None:
            row.exchange_order_id = exchange_order_id
        if error is not None:
            row.error = error

    def add_fill(self, fill: Fill) -> None:
        self.session.add(mapping.fill_row(fill))

    def save_position(self, position: Position) -> None:
        row = self.session.get(PositionRow, position.id) or PositionRow()
        self.session.add(mapping.apply_position(row, position))

    def add_event(self, event: Event) -> None:
        self.session.add(mapping.event_row(event))

    def set_state(self, key: str, value: dict[str, Any], at: datetime) -> None:
        """Insert or replace one state value (an upsert: the old value is never read back)."""
        dialect = self.session.get_bind().dialect.name
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        statement = insert(StateRow).values(key=key, value=value, updated_at=at)
        statement = statement.on_conflict_do_update(
            index_elements=[StateRow.key],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
        self.session.execute(statement)

    def add_shadow(self, row: ShadowTradeRow) -> None:
        """A new shadow's row (an insert: cheaper than `save_shadow`'s look-up first)."""
        self.session.flush()  # its signal first: the shadow refers to it by foreign key
        self.session.add(row)

    def save_shadow(self, row: ShadowTradeRow) -> None:
        self.session.merge(row)


class Store:
    """The database behind bigalpha (SQLite by default, PostgreSQL by URL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, settings: Settings, *, url: str | None = None) -> Store:
        """Open the configured database and bring its schema to the newest migration."""
        url = url or database_url(settings)
        engine = create_db_engine(url)
        try:
            migrate(engine)
        except SQLAlchemyError as error:
            engine.dispose()
            raise StoreError(
                f"cannot open database {safe_url(url)}: {error.__class__.__name__}: {getattr(error, 'orig', None) or error}"
            ) from None
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[StoreTx]:
        with session_scope(self._sessions) as session:
            yield StoreTx(session)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    # -- single writes -------------------------------------------------------------------------
    def add_event(self, event: Event) -> None:
        with self.transaction() as tx:
            tx.add_event(event)

    def set_state(self, key: str, value: dict[str, Any], at: datetime) -> None:
        with self.transaction() as tx:
            tx.set_state(key, value, at)

    # -- reads ---------------------------------------------------------------------------------
    def get_state(self, key: str) -> dict[str, Any] | None:
        with self._read() as session:
            row = session.get(StateRow, key)
            return dict(row.value) if row is not None else None

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

    def count_orders(self, *, position_id: str) -> int:
        with self._read() as session:
            return int(
                session.scalar(select(func.count()).select_from(OrderRow).where(OrderRow.position_id == position_id))
                or 0
            )

    def get_signal(self, signal_id: str) -> Signal | None:
        with self._read() as session:
            row = session.get(SignalRow, signal_id)
            return mapping.signal_from_row(row) if row is not None else None

    def has_signal(self, signal_id: str) -> bool:
        with self._read() as session:
            return session.get(SignalRow, signal_id) is not None

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
        with self._read() as session:
            query = select(PositionRow).where(PositionRow.closed_at.is_not(None))
            if since is not None:
                query = query.where(PositionRow.closed_at >= since)
            rows = session.scalars(query.order_by(PositionRow.closed_at))
            return [mapping.position_from_row(row) for row in rows]

    def signals(self, limit: int = 1000) -> list[Signal]:
        with self._read() as session:
            rows = session.scalars(select(SignalRow).order_by(SignalRow.ts.desc()).limit(limit))
            return [mapping.signal_from_row(row) for row in rows]

    def get_verdict_row(self, signal_id: str) -> VerdictRow | None:
        with self._read() as session:
            return session.get(VerdictRow, signal_id)

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

    def shadow_trades(self, *, open_only: bool = False, since: datetime | None = None) -> list[ShadowTradeRow]:
        with self._read() as session:
            query = select(ShadowTradeRow)
            if open_only:
                query = query.where(ShadowTradeRow.closed_at.is_(None))
            if since is not None:
                query = query.where(ShadowTradeRow.opened_at >= since)
            return list(session.scalars(query.order_by(ShadowTradeRow.opened_at)))
