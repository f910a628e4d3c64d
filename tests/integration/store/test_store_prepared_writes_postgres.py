"""On a real PostgreSQL server, the store's writes compiled once (named parameters, bind casts, JSON through
psycopg's adapter) store exactly what the SQLAlchemy Core statements they replaced stored, per-call and batched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import text

from bigalpha.config import load_settings
from bigalpha.store import Store
from bigalpha.store.database import create_db_engine
from prepared_write_cases import Script, check_duplicate_key_keeps_nothing, scripts, written_both_ways
from store_cases import make_signal

pytestmark = pytest.mark.postgres


@pytest.fixture(params=[False, True], ids=["per-call", "batched"])
def store(request: pytest.FixtureRequest, postgres_url: str) -> Iterator[Store]:
    opened = Store.open(load_settings(env={"BIGALPHA__SECRETS__DATABASE_URL": postgres_url}), batched=request.param)
    yield opened
    opened.close()  # first: the long transaction holds locks the schema reset would wait for
    engine = create_db_engine(postgres_url)
    with engine.begin() as connection:  # each test starts from an empty schema
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=scripts(finite=True))
def test_postgres_tables_hold_the_same_rows_and_json_text_as_the_core_statements_wrote(
    store: Store, script: Script
) -> None:
    new, reference = written_both_ways(store, script)
    assert new == reference


def test_postgres_duplicate_key_is_the_same_integrity_error_and_the_store_goes_on(store: Store) -> None:
    """An error aborts a PostgreSQL transaction: the block's rollback must leave the store usable either way."""
    check_duplicate_key_keeps_nothing(store)
    with store.transaction() as tx:
        tx.add_signal(make_signal(2))
    assert store.signal_ids() == {"sig-2"}
