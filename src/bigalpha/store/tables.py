"""The database schema (SQLAlchemy 2 declarative). Table models are separate from the domain messages:
the store maps between them, so a schema change never leaks into the decision code."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bigalpha.store.types import ExactDecimal, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        Decimal: ExactDecimal(),
        dict[str, Any]: JSON(),
    }


class SignalRow(Base):
    __tablename__ = "signals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[datetime] = mapped_column(index=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    strategy: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    price: Mapped[float] = mapped_column(Float)
    conviction: Mapped[float] = mapped_column(Float)
    size_multiplier: Mapped[float] = mapped_column(Float)
    stop_pct: Mapped[float | None] = mapped_column(Float)
    expected_move_bps: Mapped[float | None] = mapped_column(Float)
    requested_notional_usd: Mapped[Decimal | None]
    targets_pct: Mapped[list[float] | None] = mapped_column(JSON)


class VerdictRow(Base):
    __tablename__ = "verdicts"

    signal_id: Mapped[str] = mapped_column(ForeignKey("signals.id"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(index=True)
    allowed: Mapped[bool] = mapped_column(Boolean)
    size_multiplier: Mapped[float] = mapped_column(Float)
    blocked_by: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    outcomes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    risk: Mapped[dict[str, Any] | None]


class OrderRow(Base):
    __tablename__ = "orders"

    client_order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal]
    filled_quantity: Mapped[Decimal]
    price: Mapped[Decimal | None]
    reduce_only: Mapped[bool] = mapped_column(Boolean)
    account: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), index=True)
    tag: Mapped[str] = mapped_column(String(32))
    signal_id: Mapped[str | None] = mapped_column(String(64))
    position_id: Mapped[str | None] = mapped_column(String(64), index=True)
    exchange_order_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)


class FillRow(Base):
    __tablename__ = "fills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(ForeignKey("orders.client_order_id"), index=True)
    ts: Mapped[datetime]
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal]
    quantity: Mapped[Decimal]
    fee: Mapped[Decimal]
    liquidity: Mapped[str] = mapped_column(String(8))
    trade_id: Mapped[str] = mapped_column(String(128))


class PositionRow(Base):
    __tablename__ = "positions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), index=True)
    side: Mapped[str] = mapped_column(String(8))
    account: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(64))
    signal_id: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    entry_price: Mapped[Decimal]
    quantity: Mapped[Decimal]
    initial_quantity: Mapped[Decimal]
    leverage: Mapped[int] = mapped_column(Integer)
    margin: Mapped[Decimal]
    stop_price: Mapped[Decimal]
    targets: Mapped[list[str]] = mapped_column(JSON)
    tiers_done: Mapped[int] = mapped_column(Integer)
    realized_pnl: Mapped[Decimal]
    fees_paid: Mapped[Decimal]
    funding_paid: Mapped[Decimal]
    exit_reason: Mapped[str | None] = mapped_column(String(64))
    meta: Mapped[dict[str, Any] | None]


class ShadowTradeRow(Base):
    __tablename__ = "shadow_trades"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    signal_id: Mapped[str] = mapped_column(ForeignKey("signals.id"), index=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    strategy: Mapped[str] = mapped_column(String(64))
    blocked_by: Mapped[str | None] = mapped_column(String(64))
    taken: Mapped[bool] = mapped_column(Boolean)
    position_id: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(index=True)
    entry_price: Mapped[float] = mapped_column(Float)
    stop_price: Mapped[float] = mapped_column(Float)
    targets: Mapped[list[float]] = mapped_column(JSON)
    closed_at: Mapped[datetime | None]
    exit_price: Mapped[float | None] = mapped_column(Float)
    return_pct: Mapped[float | None] = mapped_column(Float)
    exit_reason: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[dict[str, Any] | None]


class EventRow(Base):
    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    ts: Mapped[datetime] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(48), index=True)
    source: Mapped[str] = mapped_column(String(48))
    symbol: Mapped[str | None] = mapped_column(String(32))
    side: Mapped[str | None] = mapped_column(String(8))
    guard: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]


class StateRow(Base):
    """Key-value state that must survive restarts: thresholds, probation, slippage buffers, kill switch,
    counters, indicator buffers (I-PERSIST-1)."""

    __tablename__ = "state"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


Index("ix_events_type_ts", EventRow.type, EventRow.ts)
