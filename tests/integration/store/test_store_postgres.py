"""The store on a real PostgreSQL server started by the test suite on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from bigalpha.config import load_settings
from bigalpha.store import Store
from store_cases import (
    check_failed_write_leaves_nothing,
    check_migrations_round_trip,
    check_round_trips,
    check_shadow_writes_and_reads,
    check_state_reads,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(postgres_url: str) -> Iterator[Store]:
    settings = load_settings(env={"BIGALPHA__SECRETS__DATABASE_URL": postgres_url})
    opened = Store.open(settings)
    yield opened
    with opened.engine.begin() as connection:  # each test starts from an empty schema
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    opened.close()


def test_postgres_records_round_trip(store: Store) -> None:
    """I-PERSIST-1 on PostgreSQL: money exact in NUMERIC, times in UTC."""
    check_round_trips(store)


def test_postgres_shadows_follow_their_signals_and_read_back_whole_or_narrowed(store: Store) -> None:
    check_shadow_writes_and_reads(store)


def test_postgres_state_values_read_back_by_key(store: Store) -> None:
    check_state_reads(store)


def test_postgres_failed_write_leaves_nothing(store: Store) -> None:
    check_failed_write_leaves_nothing(store)


def test_postgres_migrations_go_down_and_up(store: Store) -> None:
    check_migrations_round_trip(store)
