"""Cases for a batched store (one long transaction, each block a SAVEPOINT), shared by the SQLite and PostgreSQL
tests. `committed_signals` counts the signals another connection sees: what is durable so far."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy.exc import IntegrityError

from bigalpha.store import Store, StoreError
from store_cases import make_order, make_signal

CommittedSignals = Callable[[], int]


def _signal_ids(store: Store) -> set[str]:
    return store.signal_ids()


def check_reads_see_uncommitted_blocks(store: Store, committed_signals: CommittedSignals) -> None:
    """Every read of the store sees each block as soon as it ends; nobody else sees anything before a flush."""
    with store.transaction() as tx:
        tx.add_signal(make_signal(1))
        tx.save_order(make_order(1))
        tx.set_state("engine", {"n": 1}, make_signal(1).ts)
    assert _signal_ids(store) == {"sig-1"}  # an ORM read
    assert store.get_order("ord-1") == make_order(1)
    assert store.get_state("engine") == {"n": 1}  # a Core read
    assert store.get_states(["engine"]) == {"engine": {"n": 1}}
    assert committed_signals() == 0
    store.flush()
    assert committed_signals() == 1
    with store.transaction() as tx:  # the store goes on after a flush, in a new long transaction
        tx.add_signal(make_signal(2))
    assert _signal_ids(store) == {"sig-1", "sig-2"}
    assert committed_signals() == 1


def check_a_failed_block_loses_only_its_own_writes(store: Store) -> None:
    """A block that raises is rolled back to its savepoint: the blocks before and after it keep their writes, and
    the long transaction stays usable (on PostgreSQL an error would otherwise abort all of it)."""
    with store.transaction() as tx:
        tx.add_signal(make_signal(1))
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.add_signal(make_signal(2))
        tx.save_order(make_order(2))
        tx.add_signal(make_signal(2))  # duplicate primary key: this block fails
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.add_signal(make_signal(3))
        raise RuntimeError("the caller gives up half-way")
    with store.transaction() as tx:
        tx.add_signal(make_signal(4))
    assert _signal_ids(store) == {"sig-1", "sig-4"}
    assert store.get_order("ord-2") is None


def check_a_failed_inner_block_leaves_the_outer_block(store: Store) -> None:
    """Blocks nest: an inner block that fails, caught inside the outer one, loses only its own writes."""
    with store.transaction() as outer:
        outer.add_signal(make_signal(1))
        with pytest.raises(IntegrityError), store.transaction() as inner:
            inner.add_signal(make_signal(2))
            inner.add_signal(make_signal(1))  # already written by the outer block
        with store.transaction() as inner:
            inner.add_signal(make_signal(3))
    assert _signal_ids(store) == {"sig-1", "sig-3"}


def check_everything_is_durable_after_close(store: Store, reopen: Callable[[], Store]) -> None:
    with store.transaction() as tx:
        tx.add_signal(make_signal(1))
    store.flush()
    with store.transaction() as tx:
        tx.add_signal(make_signal(2))
        tx.set_state("engine", {"n": 2}, make_signal(2).ts)
    store.close()
    store.close()  # closing twice is harmless
    again = reopen()
    try:
        assert again.signal_ids() == {"sig-1", "sig-2"}
        assert again.get_state("engine") == {"n": 2}
    finally:
        again.close()


def check_misuse_is_refused(store: Store) -> None:
    """A flush or close inside a block would commit half of it; another thread would share the one connection;
    a closed store has no connection left. Each is a StoreError that says so."""
    with store.transaction() as tx:
        tx.add_signal(make_signal(1))
        with pytest.raises(StoreError, match="inside a transaction block"):
            store.flush()
        with pytest.raises(StoreError, match="inside a transaction block"):
            store.close()
    assert _signal_ids(store) == {"sig-1"}  # the refused calls changed nothing

    caught: list[Exception] = []

    def other_thread() -> None:
        try:
            store.get_state("engine")
        except Exception as error:  # handed back to the test's thread, to be checked there
            caught.append(error)

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert len(caught) == 1
    assert isinstance(caught[0], StoreError)
    assert "thread that opened it" in str(caught[0])

    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.signal_ids()
    with pytest.raises(StoreError, match="closed"), store.transaction() as tx:
        tx.add_signal(make_signal(2))
