"""Independent backtests at once: one worker process per CPU, each forked from this one.

A guard ablation is a dozen runs of the bot over the same market that share nothing but their inputs. Each
worker is forked after the market is built, so it starts with the market already in memory (its pages shared
until written; a run only reads its market) and with the task itself, a closure that could not be sent to a
freshly spawned interpreter. Only each item (a guard's name, or None for the baseline) goes to a worker, and
each result comes back, pickled. Where forking is not available (Windows), or one worker is asked for, the items run here one after the
other; either way the results are the same, in the items' order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# The task of the pool this process works for, under "task": set in each worker, right after the fork, by `_adopt`.
_ADOPTED: dict[str, Callable[[Any], Any]] = {}


class WorkerLost(RuntimeError):
    """A worker process ended without finishing its item (killed, for one by the system when memory ran out)."""


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system tells it, else the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def map_forked(
    task: Callable[[Item], Result],
    items: Sequence[Item],
    *,
    jobs: int,
    done: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """`[task(item) for item in items]`, with up to `jobs` items running at once in forked workers.

    `done(finished, total)` is called in this process as items finish. The first item whose task raises stops the
    rest (those not yet started never start) and its exception is raised here; a worker that dies raises
    `WorkerLost`.

    The workers are forked when the first item is handed out, before the pool starts a thread of its own: a fork
    copies only the thread that makes it, so the caller should have no other thread running then (a progress
    display that refreshes itself from a thread, for one)."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    total = len(items)
    workers = min(jobs, total)
    if workers <= 1 or not can_fork():
        results = []
        for count, item in enumerate(items, start=1):
            results.append(task(item))
            if done is not None:
                done(count, total)
        return results
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=_adopt, initargs=(task,)
    )
    try:
        futures: list[Future[Result]] = [pool.submit(_run_adopted, item) for item in items]
        pending: set[Future[Result]] = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    raise WorkerLost(
                        f"a worker process ended before finishing its item, {len(pending)} item(s) still to make"
                        " (killed, or out of memory?)"
                    ) from error
                if error is not None:
                    raise error
            if done is not None:
                done(total - len(pending), total)
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _adopt(task: Callable[[Any], Any]) -> None:
    _ADOPTED["task"] = task


def _run_adopted(item: Any) -> Any:
    task = _ADOPTED.get("task")
    if task is None:
        raise RuntimeError("a worker of map_forked was started without its task")
    return task(item)
