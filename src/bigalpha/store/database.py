"""Opening the database: SQLite (WAL) under the data directory by default, any SQLAlchemy URL by config,
schema brought to the newest migration at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bigalpha.config import Settings
from bigalpha.json_text import dumps

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class StoreError(RuntimeError):
    """The database cannot be opened or written; the message says which and why (never the password)."""


def database_url(settings: Settings) -> str:
    """The URL in force: the secret URL, else `store.url`, else SQLite at data_dir/bigalpha.db."""
    if settings.secrets.database_url is not None:
        return settings.secrets.database_url.get_secret_value()
    if settings.store.url is not None:
        return settings.store.url
    return f"sqlite:///{(settings.store.data_dir / 'bigalpha.db').as_posix()}"


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while the engine writes; NORMAL sync is durable at each checkpoint under WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_batched_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """A store written in one long transaction that nobody else reads (a backtest's fresh file, re-run rather
    than recovered): nothing is synced to disk, and the rollback journal that savepoints need stays in memory."""
    # The driver must not open and commit transactions on its own: it would start one at the first INSERT and
    # treat the release of the outermost SAVEPOINT as a commit. BEGIN is sent by `_sqlite_begin` instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=MEMORY")
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def create_db_engine(url: str, *, batched: bool = False) -> Engine:
    """An engine for `url`; for SQLite the folder is created and WAL switched on.

    `batched` is for a store written in one long transaction by its only user (`Store.open(..., batched=True)`, see `connections.BatchConnections`): on SQLite
    the driver's own transaction handling is replaced by SQLAlchemy's, so that SAVEPOINTs nest inside it, and
    the file is neither synced nor journaled on disk. On PostgreSQL the engine is the same either way."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise StoreError(f"database URL {safe_url(url)!r} is not a valid SQLAlchemy URL") from error
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, json_serializer=dumps)
        if batched:
            event.listen(engine, "connect", _sqlite_batched_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return create_engine(parsed, pool_pre_ping=True, json_serializer=dumps)
    except (NoSuchModuleError, ArgumentError) as error:
        raise StoreError(f"database URL {safe_url(url)!r}: {error}") from None


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest)."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(_alembic_config(connection), revision)


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        revision: str | None = MigrationContext.configure(connection).get_current_revision()
        return revision


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(None))
    head: str | None = script.get_current_head()
    return head
