"""A batched SQLite store (a backtest's): one long transaction, each block a SAVEPOINT, every read on the same
connection; committed by flush and close."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

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
from store_cases import (
    check_failed_write_leaves_nothing,
    check_round_trips,
    check_shadow_writes_and_reads,
    check_state_reads,
)


@pytest.fixture
def settings() -> Settings:
    return load_settings(env={})


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "backtest.db"


@pytest.fixture
def store(settings: Settings, path: Path) -> Iterator[Store]:
    opened = Store.open(settings, url=f"sqlite:///{path}", batched=True)
    yield opened
    opened.close()


def _committed_signals(path: Path) -> int:
    """What another process would see: a plain sqlite3 connection, outside SQLAlchemy and its pragmas."""
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT count(*) FROM signals").fetchone()[0])
    finally:
        connection.close()


def test_reads_see_the_blocks_written_before_any_commit(store: Store, path: Path) -> None:
    check_reads_see_uncommitted_blocks(store, lambda: _committed_signals(path))


def test_a_failed_block_loses_only_its_own_writes(store: Store) -> None:
    check_a_failed_block_loses_only_its_own_writes(store)


def test_a_failed_inner_block_leaves_the_outer_block(store: Store) -> None:
    check_a_failed_inner_block_leaves_the_outer_block(store)


def test_everything_is_durable_after_close(store: Store, settings: Settings, path: Path) -> None:
    check_everything_is_durable_after_close(store, lambda: Store.open(settings, url=f"sqlite:///{path}"))
    assert _committed_signals(path) == 2


def test_misuse_is_refused_with_a_clear_error(store: Store) -> None:
    check_misuse_is_refused(store)


@pytest.mark.parametrize(
    "case", [check_round_trips, check_shadow_writes_and_reads, check_state_reads, check_failed_write_leaves_nothing]
)
def test_the_store_cases_hold_batched(store: Store, case: Callable[[Store], None]) -> None:
    """Every round trip the per-call store passes, the batched store passes too."""
    case(store)


def test_a_batched_file_is_neither_synced_nor_journaled_on_disk(store: Store) -> None:
    """Safe for a throw-away file only this run reads: a crash loses the run, which is re-run anyway."""
    with store._core() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 0
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "memory"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_per_call_store_is_unchanged(settings: Settings, tmp_path: Path) -> None:
    """The live and paper store keeps WAL, synced at checkpoints, and commits each block when it ends."""
    path = tmp_path / "live.db"
    store = Store.open(settings, url=f"sqlite:///{path}")
    try:
        assert not store.batched
        with store._core() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 1
        check_a_failed_block_loses_only_its_own_writes(store)
        assert _committed_signals(path) == 2
    finally:
        store.close()
