"""The store's writes compiled once and run on the driver's cursor store exactly what the SQLAlchemy Core
statements they replaced stored (shadows written from the learning loop's `Shadow`, not from a table object),
and fail the same way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy.exc import StatementError

from bigalpha.config import load_settings
from bigalpha.store import Store
from prepared_write_cases import (
    ReferenceTx,
    Script,
    check_duplicate_key_keeps_nothing,
    empty,
    raw_tables,
    scripts,
    written_both_ways,
)
from store_cases import T0


@pytest.fixture(params=[False, True], ids=["per-call", "batched"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    settings = load_settings(env={"BIGALPHA__STORE__DATA_DIR": str(tmp_path)})
    opened = Store.open(settings, batched=request.param)
    yield opened
    opened.close()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=scripts(finite=False))
def test_every_table_holds_the_same_rows_and_text_as_the_core_statements_wrote(store: Store, script: Script) -> None:
    new, reference = written_both_ways(store, script)
    assert new == reference


def test_the_comparison_sees_a_difference_in_json_text(store: Store) -> None:
    """The raw read is what makes the comparison worth having: two JSON texts of one value differ there."""
    empty(store)
    with store.transaction() as tx:
        tx.set_state("engine", {"a": 1, "b": 2}, T0)
    first = raw_tables(store)["state"]
    with store.transaction() as tx:
        tx.connection.exec_driver_sql("""UPDATE state SET value = '{"b": 2, "a": 1}'""")
    assert raw_tables(store)["state"] != first


def test_a_duplicate_key_is_the_same_integrity_error_and_the_block_keeps_nothing(store: Store) -> None:
    check_duplicate_key_keeps_nothing(store)


def test_a_naive_time_is_the_same_statement_error(store: Store) -> None:
    naive = datetime(2025, 6, 1, 10, 0)  # noqa: DTZ001 - the naive time is the point
    caught = []
    for writer in (lambda tx: tx, lambda tx: ReferenceTx(tx.connection)):
        with pytest.raises(StatementError) as error, store.transaction() as tx:
            writer(tx).set_state("engine", {}, naive)
        caught.append(error.value)
    assert [type(e) for e in caught] == [StatementError, StatementError]
    assert [type(e.orig) for e in caught] == [ValueError, ValueError]
    assert str(caught[0].orig) == str(caught[1].orig)
    assert store.get_state("engine") is None
