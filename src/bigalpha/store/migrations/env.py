"""Alembic environment: bigalpha runs migrations in-process on the connection the store hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bigalpha.store.tables import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("bigalpha migrations run through bigalpha.store.migrate(), which supplies a connection")
_run(connection)
