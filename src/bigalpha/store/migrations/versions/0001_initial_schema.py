"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 05:50:27.840126
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bigalpha.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "events",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ts", bigalpha.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("source", sa.String(length=48), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=True),
        sa.Column("side", sa.String(length=8), nullable=True),
        sa.Column("guard", sa.String(length=32), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
        sa.UniqueConstraint("id", name=op.f("uq_events_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_ts"), ["ts"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_type"), ["type"], unique=False)
        batch_op.create_index("ix_events_type_ts", ["type", "ts"], unique=False)

    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("ts", bigalpha.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bigalpha.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("quantity", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("filled_quantity", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("price", bigalpha.store.types.ExactDecimal(length=64), nullable=True),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.Column("signal_id", sa.String(length=64), nullable=True),
        sa.Column("position_id", sa.String(length=64), nullable=True),
        sa.Column("exchange_order_id", sa.String(length=128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("client_order_id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_position_id"), ["position_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_ts"), ["ts"], unique=False)

    op.create_table(
        "positions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("signal_id", sa.String(length=64), nullable=True),
        sa.Column("opened_at", bigalpha.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", bigalpha.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("entry_price", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("quantity", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("initial_quantity", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("leverage", sa.Integer(), nullable=False),
        sa.Column("margin", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("stop_price", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("tiers_done", sa.Integer(), nullable=False),
        sa.Column("realized_pnl", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("fees_paid", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("funding_paid", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("exit_reason", sa.String(length=64), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_positions_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_positions_symbol"), ["symbol"], unique=False)

    op.create_table(
        "signals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ts", bigalpha.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("conviction", sa.Float(), nullable=False),
        sa.Column("size_multiplier", sa.Float(), nullable=False),
        sa.Column("stop_pct", sa.Float(), nullable=True),
        sa.Column("expected_move_bps", sa.Float(), nullable=True),
        sa.Column("requested_notional_usd", bigalpha.store.types.ExactDecimal(length=64), nullable=True),
        sa.Column("targets_pct", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
    )
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signals_ts"), ["ts"], unique=False)

    op.create_table(
        "state",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", bigalpha.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_state")),
    )
    op.create_table(
        "fills",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("ts", bigalpha.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("price", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("quantity", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("fee", bigalpha.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("liquidity", sa.String(length=8), nullable=False),
        sa.Column("trade_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_order_id"], ["orders.client_order_id"], name=op.f("fk_fills_client_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
    )
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fills_client_order_id"), ["client_order_id"], unique=False)

    op.create_table(
        "shadow_trades",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("signal_id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("blocked_by", sa.String(length=64), nullable=True),
        sa.Column("taken", sa.Boolean(), nullable=False),
        sa.Column("position_id", sa.String(length=64), nullable=True),
        sa.Column("opened_at", bigalpha.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("entry_price", sa.Float(), nullable=False),
        sa.Column("stop_price", sa.Float(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("closed_at", bigalpha.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("exit_price", sa.Float(), nullable=True),
        sa.Column("return_pct", sa.Float(), nullable=True),
        sa.Column("exit_reason", sa.String(length=64), nullable=True),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["signal_id"], ["signals.id"], name=op.f("fk_shadow_trades_signal_id_signals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_trades")),
    )
    with op.batch_alter_table("shadow_trades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shadow_trades_opened_at"), ["opened_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_shadow_trades_signal_id"), ["signal_id"], unique=False)

    op.create_table(
        "verdicts",
        sa.Column("signal_id", sa.String(length=64), nullable=False),
        sa.Column("ts", bigalpha.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("size_multiplier", sa.Float(), nullable=False),
        sa.Column("blocked_by", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("outcomes", sa.JSON(), nullable=False),
        sa.Column("risk", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["signal_id"], ["signals.id"], name=op.f("fk_verdicts_signal_id_signals")),
        sa.PrimaryKeyConstraint("signal_id", name=op.f("pk_verdicts")),
    )
    with op.batch_alter_table("verdicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verdicts_ts"), ["ts"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("verdicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verdicts_ts"))

    op.drop_table("verdicts")
    with op.batch_alter_table("shadow_trades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shadow_trades_signal_id"))
        batch_op.drop_index(batch_op.f("ix_shadow_trades_opened_at"))

    op.drop_table("shadow_trades")
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fills_client_order_id"))

    op.drop_table("fills")
    op.drop_table("state")
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signals_ts"))

    op.drop_table("signals")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_positions_symbol"))
        batch_op.drop_index(batch_op.f("ix_positions_closed_at"))

    op.drop_table("positions")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_ts"))
        batch_op.drop_index(batch_op.f("ix_orders_status"))
        batch_op.drop_index(batch_op.f("ix_orders_position_id"))

    op.drop_table("orders")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type_ts")
        batch_op.drop_index(batch_op.f("ix_events_type"))
        batch_op.drop_index(batch_op.f("ix_events_ts"))

    op.drop_table("events")
