"""Crash points: named places where the process can be made to die, to prove restart safety.

`BIGALPHA_CRASH_AT=NAME:N` makes the process kill itself with SIGKILL the N-th time it passes the
crash point NAME (counting from 1 in this process). Unset (always, outside the restart-safety tests),
a crash point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "BIGALPHA_CRASH_AT"
CRASH_POINTS = (
    "before_submit",  # the order is in the store as PENDING_SUBMIT, the broker has not seen it
    "after_submit",  # the broker has the order (and maybe fills); the store does not know yet
    "after_fill_recorded",  # fills and the position are stored; the tick is not marked done
    "after_partial_fill",  # part of an order is filled and stored; the rest is still working
    "before_exit_submit",  # an exit order is stored, not yet sent
    "after_tick",  # the tick's state is saved
)


def _target() -> tuple[str, int] | None:
    raw = os.environ.get(CRASH_ENV)
    if not raw:
        return None
    name, _, count = raw.partition(":")
    if name not in CRASH_POINTS or not count.isdigit() or int(count) < 1:
        raise ValueError(f"{CRASH_ENV}={raw!r}: expected NAME:N with NAME one of {', '.join(CRASH_POINTS)}")
    return name, int(count)


_TARGET = _target()
_PASSES: dict[str, int] = {}


def arm(name: str, count: int) -> None:
    """Set the crash point of this process (as `BIGALPHA_CRASH_AT=NAME:N` does at start-up)."""
    global _TARGET  # noqa: PLW0603 - one process-wide setting, read on every crash point
    if name not in CRASH_POINTS or count < 1:
        raise ValueError(f"crash point {name}:{count}: NAME must be one of {', '.join(CRASH_POINTS)}, N ≥ 1")
    _TARGET = (name, count)
    _PASSES.clear()


def crash_point(name: str) -> None:
    """Die here if this is the configured crash point and pass."""
    if _TARGET is None or _TARGET[0] != name:
        return
    _PASSES[name] = _PASSES.get(name, 0) + 1
    if _PASSES[name] == _TARGET[1]:
        os.kill(os.getpid(), signal.SIGKILL)
