"""A prepared write's parameters: fetched all at once and converted only where a column has a processor, with a
time column's text remembered for its latest UTC moment. They must be what converting value by value with
SQLAlchemy's own processors gives, and a bad value must fail as it failed there (the first in bind order)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg.types.json import Json
from sqlalchemy import JSON, Column, Engine, MetaData, String, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError

from bigalpha.json_text import dumps
from bigalpha.store.database import create_db_engine
from bigalpha.store.prepared import LatestMoment, PreparedWrite, SharedProcessors
from bigalpha.store.types import UtcDateTime

# The store's dialects, their drivers loaded and the column JSON encoder set; making an engine connects nowhere.
DIALECTS: dict[str, Dialect] = {
    "sqlite": create_db_engine("sqlite://").dialect,
    "postgresql": create_db_engine("postgresql://bigalpha@127.0.0.1/unused").dialect,
}

_TABLE = Table(
    "notes",
    MetaData(),
    Column("id", String(16), primary_key=True),
    Column("at", UtcDateTime()),
    Column("body", JSON()),
    Column("until", UtcDateTime()),
)
_KEYS = ("id", "at", "body", "until")


class Moment(datetime):
    """A datetime subclass: never remembered (only an exact datetime is)."""


def _moments() -> st.SearchStrategy[Any]:
    """Times as a store is given them, drawn from a few instants so that one often repeats: UTC, the same
    instant in another zone, fold 1, a subclass, a naive time (refused) and None."""
    base = st.sampled_from(
        [
            datetime(2024, 1, 1, 2, 3, tzinfo=UTC),
            datetime(2024, 1, 1, 2, 4, 0, 5, tzinfo=UTC),
            datetime(2031, 6, 1, tzinfo=UTC),
        ]
    )
    return st.one_of(
        base,
        base,
        base.map(lambda d: d.astimezone(timezone(timedelta(hours=3)))),
        base.map(lambda d: d.replace(fold=1)),
        base.map(lambda d: Moment.fromtimestamp(d.timestamp(), UTC)),
        base.map(lambda d: d.replace(tzinfo=None)),
        st.none(),
    )


def _converted(process: Any, value: Any) -> tuple[str, Any]:
    """What `process` makes of `value`: its result with type and fold, or its error's type and text."""
    try:
        result = process(value)
    except Exception as error:
        return ("error", (type(error), str(error)))
    return ("value", (type(result), result, getattr(result, "fold", None), getattr(result, "tzinfo", None)))


@pytest.mark.parametrize("dialect", DIALECTS.values(), ids=DIALECTS.keys())
@settings(max_examples=150, deadline=None)
@given(sequence=st.lists(_moments(), max_size=12))
def test_a_remembered_moment_converts_as_the_plain_processor_does(dialect: Dialect, sequence: list[Any]) -> None:
    plain = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert plain is not None
    remembered = LatestMoment(plain)
    for value in sequence:
        assert _converted(remembered, value) == _converted(plain, value)


def test_only_a_text_is_remembered() -> None:
    """On SQLite the text of a moment is kept and given again; PostgreSQL's processor gives a datetime object
    back, which is converted anew each time."""
    moment = datetime(2024, 1, 1, 2, 3, tzinfo=UTC)
    calls: list[datetime] = []

    def as_text(value: datetime) -> str:
        calls.append(value)
        return value.isoformat()

    text = LatestMoment(as_text)
    assert text(moment) == text(datetime(2024, 1, 1, 2, 3, tzinfo=UTC)) == moment.isoformat()
    assert len(calls) == 1

    def as_itself(value: datetime) -> datetime:
        calls.append(value)
        return value

    calls.clear()
    itself = LatestMoment(as_itself)
    itself(moment)
    itself(moment)
    assert len(calls) == 2


def test_time_columns_share_one_processor_and_the_others_keep_sqlalchemys() -> None:
    dialect = DIALECTS["sqlite"]
    shared = SharedProcessors()
    time_type = UtcDateTime()
    first = shared.processor(time_type, dialect)
    assert isinstance(first, LatestMoment)
    assert shared.processor(time_type, dialect) is first
    assert shared.processor(UtcDateTime(), dialect) is not first  # another type object: its own
    assert shared.processor(String(16), dialect) is None
    assert not isinstance(shared.processor(JSON(), dialect), LatestMoment)


def _values() -> st.SearchStrategy[dict[str, Any]]:
    aware = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]))
    body = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=8,
    )
    return st.fixed_dictionaries({"id": st.text(max_size=4), "at": aware, "body": body, "until": st.none() | aware})


@pytest.mark.parametrize("dialect", DIALECTS.values(), ids=DIALECTS.keys())
@settings(max_examples=150, deadline=None)
@given(rows=st.lists(_values(), min_size=1, max_size=5))
def test_parameters_are_the_values_converted_one_by_one(dialect: Dialect, rows: list[dict[str, Any]]) -> None:
    """Positional (SQLite: a list in bind order) and named (psycopg: a dict by the names in the SQL text)."""
    write = PreparedWrite(insert(_TABLE).inline(), _KEYS, dialect, SharedProcessors())
    reference = PreparedWrite(insert(_TABLE).inline(), _KEYS, dialect)
    for values in rows:
        assert _comparable(write._parameters(values)) == _comparable(reference._one_by_one(values))


def _comparable(params: list[Any] | dict[str, Any]) -> list[Any] | dict[str, Any]:
    """psycopg's JSON wrapper compares by identity: compare the text it would send."""

    def text(value: Any) -> Any:
        return ("json", dumps(value.obj)) if isinstance(value, Json) else value

    if isinstance(params, dict):
        return {name: text(value) for name, value in params.items()}
    return [text(value) for value in params]


@pytest.fixture
def engine() -> Iterator[Engine]:
    made = create_db_engine("sqlite://")
    with made.begin() as connection:
        _TABLE.create(connection)
    yield made
    made.dispose()


def _run(engine: Engine, values: dict[str, Any]) -> StatementError:
    write = PreparedWrite(insert(_TABLE).inline(), _KEYS, engine.dialect, SharedProcessors())
    with engine.connect() as connection:
        cursor = connection.connection.cursor()
        with pytest.raises(StatementError) as caught:
            write.run(cursor, values)
        cursor.close()
    return caught.value


def test_a_missing_key_is_a_statement_error(engine: Engine) -> None:
    error = _run(engine, {"id": "a", "at": datetime(2024, 1, 1, tzinfo=UTC), "body": {}})
    assert isinstance(error.orig, KeyError)
    assert str(error.orig) == "'until'"


def test_of_two_bad_values_the_first_in_bind_order_is_reported(engine: Engine) -> None:
    """A naive time before a missing key: converting value by value met the naive time first."""
    error = _run(engine, {"id": "a", "at": datetime(2024, 1, 1), "body": {}})  # noqa: DTZ001 - naive on purpose
    assert isinstance(error.orig, ValueError)
    assert "naive datetime" in str(error.orig)


def test_a_value_a_processor_refuses_is_a_statement_error_and_nothing_is_written(engine: Engine) -> None:
    error = _run(engine, {"id": "a", "at": datetime(2024, 1, 1, tzinfo=UTC), "body": {"x": object()}, "until": None})
    assert isinstance(error.orig, TypeError)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM notes").scalar_one() == 0


def test_a_plain_engine_still_runs_the_write(engine: Engine) -> None:
    """The fast path writes what SQLAlchemy's statement writes: same text for time and JSON."""
    values = {
        "id": "a",
        "at": datetime(2024, 1, 1, 2, 3, tzinfo=UTC),
        "body": {"k": [1.5, None]},
        "until": datetime(2024, 1, 1, 5, 3, tzinfo=timezone(timedelta(hours=3))),
    }
    write = PreparedWrite(insert(_TABLE).inline(), _KEYS, engine.dialect, SharedProcessors())
    with engine.begin() as connection:
        cursor = connection.connection.cursor()
        assert write.run(cursor, values) == 1
        cursor.close()
        ours = connection.exec_driver_sql("SELECT * FROM notes").all()
        connection.exec_driver_sql("DELETE FROM notes")
        connection.execute(insert(_TABLE), values)
        theirs = connection.exec_driver_sql("SELECT * FROM notes").all()
    assert ours == theirs
    assert ours[0][1] == ours[0][3] == "2024-01-01 02:03:00.000000"
