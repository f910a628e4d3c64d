"""`map_forked`: independent tasks in forked workers give what running them here gives, in the items' order."""

from __future__ import annotations

import os

import pytest

from bigalpha.backtest.parallel import WorkerLost, can_fork, map_forked, usable_cpus

needs_fork = pytest.mark.skipif(not can_fork(), reason="this system cannot fork a process")


def test_results_equal_the_ones_made_here_in_the_items_order() -> None:
    table = {k: k * k for k in range(9)}  # a closure's state, inherited by the workers, never sent to them

    def task(item: int) -> tuple[int, int]:
        return item, table[item] + 1

    items = [8, 3, 5, 0, 1, 7]
    expected = [task(item) for item in items]
    for jobs in (1, 2, 3, 20):
        assert map_forked(task, items, jobs=jobs) == expected


@needs_fork
def test_items_run_in_workers_when_more_than_one_job_is_asked_for() -> None:
    pids = map_forked(lambda _item: os.getpid(), list(range(6)), jobs=2)
    assert os.getpid() not in pids
    assert 1 <= len(set(pids)) <= 2
    assert map_forked(lambda _item: os.getpid(), [0, 1], jobs=1) == [os.getpid()] * 2


@needs_fork
def test_a_failing_item_raises_its_own_error_here() -> None:
    def task(item: int) -> int:
        if item == 4:
            raise ValueError(f"item {item} is bad input")
        return item

    with pytest.raises(ValueError, match="item 4 is bad input"):
        map_forked(task, list(range(8)), jobs=2)


@needs_fork
def test_a_worker_that_dies_is_reported_as_lost() -> None:
    def task(item: int) -> int:
        if item == 2:
            os._exit(9)  # as the system's out-of-memory killer would end it: no exception, no result
        return item

    with pytest.raises(WorkerLost, match=r"a worker process ended before finishing its item.*out of memory"):
        map_forked(task, list(range(6)), jobs=2)


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_counts_every_finished_item_once(jobs: int) -> None:
    seen: list[tuple[int, int]] = []
    map_forked(
        lambda item: item, list(range(5)), jobs=jobs, done=lambda finished, total: seen.append((finished, total))
    )
    counts = [finished for finished, _ in seen]
    assert counts == sorted(counts)
    assert counts[-1] == 5
    assert {total for _, total in seen} == {5}


def test_no_items_and_bad_job_counts() -> None:
    assert map_forked(lambda item: item, [], jobs=4) == []
    with pytest.raises(ValueError, match="jobs must be at least 1, got 0"):
        map_forked(lambda item: item, [1], jobs=0)
    assert usable_cpus() >= 1
