"""Clocks. Decisions never read the time themselves: the engine passes `clock.now()` in.

`WallClock` is real time; `SimulatedClock` is moved by the feed, so a backtest of a week runs the
4-hour and 12-hour jobs exactly as live trading would, as fast as the machine allows.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """The time port."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class WallClock:
    """Real UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class SimulatedClock:
    """Time that only moves when told to, and never backwards."""

    def __init__(self, start: datetime) -> None:
        self._now = require_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance_to(self, moment: datetime) -> None:
        moment = require_utc(moment)
        if moment < self._now:
            raise ValueError(f"simulated clock cannot go back from {self._now.isoformat()} to {moment.isoformat()}")
        self._now = moment

    def advance(self, delta: timedelta) -> None:
        self.advance_to(self._now + delta)


def require_utc(moment: datetime) -> datetime:
    """`moment` as UTC; a naive datetime is refused because its zone is a guess."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no timezone; bigalpha works in UTC")
    return moment.astimezone(UTC)
