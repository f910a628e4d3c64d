"""Write statements compiled once for a database and run straight on the driver's cursor.

`Connection.execute` spends most of a small INSERT's time on its own work per statement (looking the compiled
form up in its cache by a key it builds each time, an execution context, the parameters processed through the
compiled form, a result object): about 15 µs of a 24 µs event insert on SQLite, and the engine writes five or
six rows per signal without reading anything back. A `PreparedWrite` does that work once per dialect: the SQL
text SQLAlchemy renders for the statement, and the bind processors of its parameters in the order the text binds
them. Each write then converts its values through those same processors (so what is stored, JSON text and
datetime text included, is what `Connection.execute` would have stored) and hands them to the cursor.

An error keeps the shape `Connection.execute` gives it: a driver error is raised as SQLAlchemy's exception of
the same kind (`IntegrityError` …), and a value a processor refuses (a naive datetime, a float for money) as a
`StatementError`. The one thing not mirrored is invalidating a connection the server dropped: the block's
rollback meets the dead connection and SQLAlchemy invalidates it there, and the pool's pre-ping screens the
next checkout."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any]


class PreparedWrite:
    """One INSERT or UPDATE, compiled for `dialect` with the parameters `keys` (for an INSERT: the columns it
    writes; for an UPDATE without `.values()`: the columns it sets, and any `bindparam` of its WHERE clause)."""

    __slots__ = ("_binds", "_dbapi_error", "_dialect", "_positional", "sql")

    def __init__(self, statement: UpdateBase, keys: Sequence[str], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        self.sql = compiled.string
        self._dialect = dialect
        self._dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        self._positional = compiled.positional
        names = compiled.positiontup if compiled.positional else list(compiled.bind_names.values())
        if names is None:
            raise ValueError(f"{self.sql!r} compiled positional without an order of its parameters")
        escaped = compiled.escaped_bind_names
        unknown = set(names) - set(keys)
        if unknown:
            raise ValueError(f"{self.sql!r} binds {sorted(unknown)} that no key names: it would never be given them")
        # (key in the caller's values, name in the SQL text, processor or None): one per bound parameter, in order.
        self._binds: tuple[tuple[str, str, Processor | None], ...] = tuple(
            (
                name,
                escaped.get(name, name),
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect),
            )
            for name in names
        )

    def run(self, cursor: DBAPICursor, values: Mapping[str, Any]) -> int:
        """Execute with `values` (a value for every key the statement binds); the number of rows it touched."""
        params: Sequence[Any] | dict[str, Any] | None = None
        try:
            if self._positional:
                # A list, not a tuple from a generator: the driver takes any sequence, and a list comprehension
                # is the cheapest way to build one.
                params = [values[key] if process is None else process(values[key]) for key, _, process in self._binds]
            else:
                params = {
                    name: values[key] if process is None else process(values[key]) for key, name, process in self._binds
                }
            cursor.execute(self.sql, params)
        except Exception as error:
            raise as_sqlalchemy_error(error, self.sql, params, self._dbapi_error, self._dialect) from error
        return int(cursor.rowcount)


def run_plain(cursor: DBAPICursor, sql: str, dialect: Dialect) -> None:
    """Execute `sql` without parameters (a SAVEPOINT statement) on the driver's cursor, errors as SQLAlchemy's."""
    try:
        cursor.execute(sql)
    except Exception as error:
        raise as_sqlalchemy_error(error, sql, None, dialect.loaded_dbapi.Error, dialect) from error


def as_sqlalchemy_error(
    error: Exception,
    sql: str,
    params: Sequence[Any] | Mapping[str, Any] | None,
    dbapi_error: type[Exception],
    dialect: Dialect,
) -> BaseException:
    """The exception `Connection.execute` raises for `error`: a driver error as SQLAlchemy's own class of it,
    anything else met while running the statement as a `StatementError`."""
    return DBAPIError.instance(sql, params, error, dbapi_error, dialect=dialect)
