"""Storage: SQLAlchemy 2 tables, Alembic migrations, SQLite (WAL) by default, PostgreSQL by URL."""

from bigalpha.store.database import StoreError, database_url, safe_url
from bigalpha.store.store import Store
from bigalpha.store.writes import StoreTx

__all__ = ["Store", "StoreError", "StoreTx", "database_url", "safe_url"]
