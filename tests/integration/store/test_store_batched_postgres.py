"""A batched store on a real PostgreSQL server: SAVEPOINTs inside one long transaction, as on SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from batched_store_cases import (
    check_a_failed_block_loses_only_its_own_writes,
    check_a_failed_inner_block_leaves_the_outer_block,
    check_everything_is_durable_after_close,
    check_misuse_is_refused,
    check_reads_see_uncommitted_blocks,
)
from bigalpha.config import Settings, load_settings
from bigalpha.store import Store
from bigalpha.store.database import create_db_engine
from store_cases import (
    check_failed_write_leaves_nothing,
    check_round_trips,
    check_shadow_writes_and_reads,
    check_state_reads,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(postgres_url: str) -> Settings:
    return load_settings(env={"BIGALPHA__SECRETS__DATABASE_URL": postgres_url})


@pytest.fixture
def outside(postgres_url: str) -> Iterator[Callable[[], int]]:
    """The signals another connection sees (PostgreSQL shows it only what is committed)."""
    engine = create_db_engine(postgres_url)

    def committed_signals() -> int:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM signals")).scalar_one())

    yield committed_signals
    engine.dispose()


@pytest.fixture
def store(settings: Settings, postgres_url: str) -> Iterator[Store]:
    opened = Store.open(settings, batched=True)
    yield opened
    opened.close()  # first: the long transaction holds locks the schema reset would wait for
    engine = create_db_engine(postgres_url)
    with engine.begin() as connection:  # each test starts from an empty schema
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def test_postgres_reads_see_the_blocks_written_before_any_commit(store: Store, outside: Callable[[], int]) -> None:
    check_reads_see_uncommitted_blocks(store, outside)


def test_postgres_a_failed_block_loses_only_its_own_writes(store: Store) -> None:
    check_a_failed_block_loses_only_its_own_writes(store)


def test_postgres_a_failed_inner_block_leaves_the_outer_block(store: Store) -> None:
    check_a_failed_inner_block_leaves_the_outer_block(store)


def test_postgres_everything_is_durable_after_close(
    store: Store, settings: Settings, outside: Callable[[], int]
) -> None:
    check_everything_is_durable_after_close(store, lambda: Store.open(settings))
    assert outside() == 2


def test_postgres_misuse_is_refused_with_a_clear_error(store: Store) -> None:
    check_misuse_is_refused(store)


@pytest.mark.parametrize(
    "case", [check_round_trips, check_shadow_writes_and_reads, check_state_reads, check_failed_write_leaves_nothing]
)
def test_postgres_the_store_cases_hold_batched(store: Store, case: Callable[[Store], None]) -> None:
    case(store)
