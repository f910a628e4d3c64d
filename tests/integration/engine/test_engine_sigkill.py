"""Restart safety (I-PERSIST-1): the bot killed with SIGKILL at random moments of an order's life and
restarted loses and duplicates nothing, and ends with the P&L of an uninterrupted run on the same seed."""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import sys
import threading
from pathlib import Path

import pytest
from engine_harness import ledger, settings_for

from bigalpha.cli import app
from bigalpha.engine import faults
from bigalpha.store import Store

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

UNTIL = "2025-01-01T13:00"  # four golden hours of trading after an unpaced warm-up
# The warm-up ends where the golden hour (G-GOLDEN-1) begins: no order exists before it, so each round of kills
# starts from a copy of one bot stopped there (by --until, then started again by its normal start-up path).
WARM_UNTIL = "2025-01-01T09:00"
POINTS = (
    "before_submit",
    "after_submit",
    "after_fill_recorded",
    "after_partial_fill",
    "before_exit_submit",
    "after_tick",
)
# The paper broker may take only a sliver of each displayed level (the queue ahead of us), so the bot's orders
# fill partially over several ticks and a kill can land between a partial fill and the rest.
BOOK_SHARE = "0.0000001"
KILLS_WANTED = 50


def _bot(data_dir: Path, crash: str | None, until: str) -> None:
    """The child process: `bigalpha run` exactly as a user starts it, with a crash point armed."""
    # A forked child inherits the parent's tracer when the suite measures coverage, yet its coverage is never
    # collected (it dies by SIGKILL or leaves by os._exit): tracing it would only make each of the many runs slower.
    sys.settrace(None)
    threading.settrace(None)
    os.environ.update(
        {
            "BIGALPHA__STORE__DATA_DIR": str(data_dir),
            "BIGALPHA__DATA__SYMBOLS": '["ETH","SOL"]',
            "BIGALPHA__EXECUTION__PAPER_BOOK_SHARE": BOOK_SHARE,
        }
    )
    if crash is not None:
        name, _, count = crash.partition(":")
        faults.arm(name, int(count))
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the child's output is not read
    app(["run", "--speed", "0", "--until", until, "--no-view"])


def _run(data_dir: Path, crash: str | None, until: str = UNTIL) -> int:
    """Run the bot in a forked process (already imported, so each of the many restarts is quick) and return
    its exit code: 0 when it reached the end, −9 when it was killed by SIGKILL at its crash point."""
    process = multiprocessing.get_context("fork").Process(target=_bot, args=(data_dir, crash, until))
    process.start()
    process.join(timeout=120)
    if process.exitcode is None:
        process.kill()
        raise AssertionError(f"the bot did not finish within 120 s (crash point {crash})")
    if process.exitcode not in (0, -signal.SIGKILL):
        raise AssertionError(f"the bot failed with exit code {process.exitcode} (crash point {crash})")
    return process.exitcode


def _ledger(data_dir: Path) -> dict[str, object]:
    store = Store.open(settings_for(data_dir))
    try:
        return ledger(store)
    finally:
        store.close()


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """I-PERSIST-1: at least 50 SIGKILLs across orders' lives (before submit, after submit, after fills are
    recorded, after a partial fill, during an exit, between ticks); after each the bot restarts by its normal
    start-up path. Each round resumes the warm-up's copy, so a clean stop and start at the golden hour loses
    nothing either: every round must end equal to the run never stopped."""
    reference_dir = tmp_path / "reference"
    assert _run(reference_dir, None) == 0
    reference = _ledger(reference_dir)
    assert reference["positions"], "the reference run must trade for this test to mean anything"
    fills_per_order: dict[str, int] = {}
    for trade_id, _price, _quantity in reference["fills"]:  # type: ignore[union-attr]
        order_id = trade_id.rsplit("-", 1)[0]
        fills_per_order[order_id] = fills_per_order.get(order_id, 0) + 1
    assert max(fills_per_order.values()) > 1, "orders must fill partially for this test to mean anything"
    warm_dir = tmp_path / "warm"
    assert _run(warm_dir, None, WARM_UNTIL) == 0
    assert _ledger(warm_dir)["orders"] == [], "the warm-up must end before the first order"

    rng = random.Random(20261121)
    kills, rounds = 0, 0
    killed_at: dict[str, int] = dict.fromkeys(POINTS, 0)
    while kills < KILLS_WANTED:
        rounds += 1
        data_dir = tmp_path / f"round-{rounds}"
        shutil.copytree(warm_dir, data_dir)
        while True:
            point = rng.choice(POINTS)
            if _run(data_dir, f"{point}:{rng.randint(1, 3)}") == 0:
                break  # this round reached the end: compare, then start another until enough kills
            kills += 1
            killed_at[point] += 1
        assert _ledger(data_dir) == reference, f"round {rounds} differs after kills {killed_at}"
    assert all(count > 0 for count in killed_at.values()), killed_at
