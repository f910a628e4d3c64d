"""The store on SQLite (the default): round-trips, transactions, migrations, WAL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bigalpha.config import load_settings
from bigalpha.store import Store, StoreError, database_url
from store_cases import (
    check_failed_write_leaves_nothing,
    check_migrations_round_trip,
    check_round_trips,
    check_shadow_writes_and_reads,
    check_state_reads,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    settings = load_settings(env={"BIGALPHA__STORE__DATA_DIR": str(tmp_path / "var")})
    opened = Store.open(settings)
    yield opened
    opened.close()


def test_default_database_is_sqlite_under_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings(env={"BIGALPHA__STORE__DATA_DIR": str(tmp_path / "var")})
    assert database_url(settings) == f"sqlite:///{tmp_path}/var/bigalpha.db"


def test_sqlite_runs_in_wal_mode(store: Store) -> None:
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_records_round_trip(store: Store) -> None:
    """I-PERSIST-1: orders, fills, positions, signals, events and state read back exactly."""
    check_round_trips(store)


def test_shadows_follow_their_signals_and_read_back_whole_or_narrowed(store: Store) -> None:
    check_shadow_writes_and_reads(store)


def test_state_values_read_back_by_key(store: Store) -> None:
    check_state_reads(store)


def test_failed_write_leaves_no_half_written_record(store: Store) -> None:
    check_failed_write_leaves_nothing(store)


def test_migrations_go_down_and_up(store: Store) -> None:
    check_migrations_round_trip(store)


def test_unopenable_database_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    settings = load_settings(env={"BIGALPHA__STORE__URL": f"sqlite:///{blocker}/sub/x.db"})
    with pytest.raises((StoreError, OSError)):
        Store.open(settings)


def test_bad_url_is_a_store_error_without_password() -> None:
    settings = load_settings(env={"BIGALPHA__SECRETS__DATABASE_URL": "nonsense://user:hunter2@host/db"})
    with pytest.raises(StoreError) as caught:
        Store.open(settings)
    assert "hunter2" not in str(caught.value)
