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

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select
from sqlalchemy.types import TypeEngine

from bigalpha.store.types import UtcDateTime

Processor = Callable[[Any], Any]


class LatestMoment:
    """The bind processor of a `UtcDateTime` column that remembers the text it made of the latest UTC moment.

    A signal's time is bound five or six times in a row (its row, its verdict, its events, its shadow), and on
    SQLite each binding converts to UTC and formats the text anew (a few µs). Only an exact `datetime` in UTC
    with fold 0 is remembered: two of those that compare equal have every field equal, so the processor makes
    the same text of both. Only a text result is remembered (a text is its value; PostgreSQL's processor gives
    back a datetime object, and does little to make it). One (moment, text) pair, swapped whole: a thread
    reading it meanwhile sees the old pair or the new one, never half of each."""

    __slots__ = ("_latest", "_process")

    def __init__(self, process: Processor) -> None:
        self._process = process
        self._latest: tuple[datetime | None, Any] = (None, None)

    def __call__(self, value: Any) -> Any:
        if type(value) is not datetime or value.tzinfo is not UTC or value.fold:
            return self._process(value)
        moment, bound = self._latest
        if value == moment:
            return bound
        bound = self._process(value)
        if type(bound) is str:
            self._latest = (value, bound)
        return bound


class SharedProcessors:
    """One `LatestMoment` per `UtcDateTime` type object, shared by every statement of one database: all of a
    store's time columns share one type object, so a moment bound in one table is remembered for the next.
    Processors made from one type object for one dialect convert alike, which is what makes the sharing sound."""

    __slots__ = ("_moments",)

    def __init__(self) -> None:
        # The type object is kept with its processor: its id is never reused while this registry holds it.
        self._moments: dict[int, tuple[TypeEngine[Any], LatestMoment]] = {}

    def processor(self, type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
        process: Processor | None = type_.dialect_impl(dialect).bind_processor(dialect)
        if process is None or not isinstance(type_, UtcDateTime):
            return process
        shared = self._moments.get(id(type_))
        if shared is None:
            shared = (type_, LatestMoment(process))
            self._moments[id(type_)] = shared
        return shared[1]


def _bound_names(compiled: SQLCompiler) -> tuple[Sequence[str], Mapping[str, str]]:
    """A compiled statement's parameter names in the order the driver takes them, and the escaped form of those
    the SQL text writes otherwise."""
    names = compiled.positiontup if compiled.positional else list(compiled.bind_names.values())
    if names is None:
        raise ValueError(f"{compiled.string!r} compiled positional without an order of its parameters")
    return names, compiled.escaped_bind_names


class PreparedWrite:
    """One INSERT or UPDATE, compiled for `dialect` with the parameters `keys` (for an INSERT: the columns it
    writes; for an UPDATE without `.values()`: the columns it sets, and any `bindparam` of its WHERE clause).
    `shared` gives the processors (the plain ones of SQLAlchemy when not given)."""

    __slots__ = ("_binds", "_converted", "_dbapi_error", "_dialect", "_fetch", "_names", "sql")

    def __init__(
        self, statement: UpdateBase, keys: Sequence[str], dialect: Dialect, shared: SharedProcessors | None = None
    ) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        self.sql = compiled.string
        self._dialect = dialect
        self._dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        names, escaped = _bound_names(compiled)
        unknown = set(names) - set(keys)
        if unknown:
            raise ValueError(f"{self.sql!r} binds {sorted(unknown)} that no key names: it would never be given them")
        if shared is None:
            shared = SharedProcessors()
        # (key in the caller's values, name in the SQL text, processor or None): one per bound parameter, in order.
        self._binds: tuple[tuple[str, str, Processor | None], ...] = tuple(
            (name, escaped.get(name, name), shared.processor(compiled.binds[name].type, dialect)) for name in names
        )
        # The values fetched all at once in C, then only the few that have a processor converted, in bind order.
        self._fetch = _fetcher(tuple(name for name, _, _ in self._binds))
        self._converted = tuple((k, process) for k, (_, _, process) in enumerate(self._binds) if process is not None)
        # Positional drivers take a list; the others (psycopg) a dict by the names in the SQL text.
        self._names = None if compiled.positional else tuple(name for _, name, _ in self._binds)

    def run(self, cursor: DBAPICursor, values: Mapping[str, Any]) -> int:
        """Execute with `values` (a value for every key the statement binds); the number of rows it touched."""
        params: Sequence[Any] | dict[str, Any] | None = None
        try:
            params = self._parameters(values)
            cursor.execute(self.sql, params)
        except Exception as error:
            raise as_sqlalchemy_error(error, self.sql, params, self._dbapi_error, self._dialect) from error
        return int(cursor.rowcount)

    def _parameters(self, values: Mapping[str, Any]) -> list[Any] | dict[str, Any]:
        """The driver's parameters: each value through its processor, converted in the order the text binds them
        (so of two bad values, the first in that order is the one reported)."""
        try:
            params = [*self._fetch(values)]
        except KeyError:
            return self._one_by_one(values)  # raises where fetching and converting value by value raises
        for k, process in self._converted:
            params[k] = process(params[k])
        if self._names is None:
            return params
        return dict(zip(self._names, params, strict=True))

    def _one_by_one(self, values: Mapping[str, Any]) -> list[Any] | dict[str, Any]:
        """Fetch and convert one value after the other: a processor that refuses an earlier value raises before
        a missing later key is noticed, as when each value was fetched just before it was converted."""
        params = [values[key] if process is None else process(values[key]) for key, _, process in self._binds]
        if self._names is None:
            return params
        return dict(zip(self._names, params, strict=True))


class PreparedRead:
    """One SELECT, compiled for `dialect` once, run straight on a cursor of the driver: the learning jobs' reads,
    a few hundred microseconds each through `Connection.execute` (its cache key, built by walking the statement on
    every call, and its result object) for a few rows.

    The rows are what `Connection.execute` gives: the same SQL text (so the same rows, in the same order) and each
    column through the result processor SQLAlchemy gives its type (found, as SQLAlchemy finds it, from the type
    code the driver reports for the column, once per distinct set of codes). They come as plain tuples, in the
    order the statement selects its columns. A statement whose parameters are rendered only when it runs (an
    expanding IN) is refused: its text is not final when compiled."""

    __slots__ = ("_binds", "_dbapi_error", "_dialect", "_names", "_processors", "_types", "sql")

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.has_out_parameters or "POSTCOMPILE" in compiled.string:
            raise ValueError(f"{compiled.string!r} is rendered only when it runs: it cannot be prepared")
        self.sql = compiled.string
        self._dialect = dialect
        self._dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        names, escaped = _bound_names(compiled)
        self._binds: tuple[tuple[str, Processor | None], ...] = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
        )
        self._names = None if compiled.positional else tuple(escaped.get(name, name) for name in names)
        self._types: tuple[TypeEngine[Any], ...] = tuple(column.type for column in statement.selected_columns)
        # the driver's type codes of the columns → each column's result processor (None: read as it comes)
        self._processors: dict[tuple[Any, ...], tuple[tuple[int, Processor], ...]] = {}

    def all(self, cursor: DBAPICursor, values: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row for `values` (a value for each parameter the statement binds), converted."""
        rows, convert = self.fetch(cursor, values)
        return [convert(row) for row in rows]

    def fetch(
        self, cursor: DBAPICursor, values: Mapping[str, Any] | None = None
    ) -> tuple[Sequence[Sequence[Any]], Callable[[Sequence[Any]], tuple[Any, ...]]]:
        """Every row for `values` as the driver gives it, and the function converting such a row (`all` is both):
        for a reader that converts only the rows it has not met before."""
        params: list[Any] | dict[str, Any] | None = None
        try:
            given = values or {}
            converted = [given[name] if process is None else process(given[name]) for name, process in self._binds]
            params = converted if self._names is None else dict(zip(self._names, converted, strict=True))
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
            description = cursor.description
        except Exception as error:
            raise as_sqlalchemy_error(error, self.sql, params, self._dbapi_error, self._dialect) from error
        codes = tuple(column[1] for column in description or ())
        processors = self._processors.get(codes)
        if processors is None:
            processors = self._processors[codes] = self._result_processors(codes)
        return rows, functools.partial(_converted, processors)

    def _result_processors(self, codes: tuple[Any, ...]) -> tuple[tuple[int, Processor], ...]:
        if len(codes) != len(self._types):
            raise ValueError(f"{self.sql!r} returned {len(codes)} columns, not the {len(self._types)} it selects")
        dialect = self._dialect
        found = [
            type_.dialect_impl(dialect).result_processor(dialect, code)
            for type_, code in zip(self._types, codes, strict=True)
        ]
        return tuple((k, process) for k, process in enumerate(found) if process is not None)


def _converted(processors: tuple[tuple[int, Processor], ...], row: Sequence[Any]) -> tuple[Any, ...]:
    """`row` with each column that has a processor converted by it."""
    if not processors:
        return tuple(row)
    items = list(row)
    for k, process in processors:
        items[k] = process(items[k])
    return tuple(items)


def _fetcher(keys: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function giving the values of `keys` as a tuple (itemgetter gives a bare value for a single key)."""
    if len(keys) == 1:
        [key] = keys
        return lambda values: (values[key],)
    getter: Callable[[Mapping[str, Any]], tuple[Any, ...]] = itemgetter(*keys)
    return getter


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
