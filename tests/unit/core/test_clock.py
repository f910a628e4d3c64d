"""Clocks: simulated time never goes back and refuses naive datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bigalpha.clock import SimulatedClock, WallClock, require_utc


def test_simulated_clock_moves_forward_only() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    clock = SimulatedClock(start)
    clock.advance(timedelta(minutes=5))
    assert clock.now() == start + timedelta(minutes=5)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance_to(start)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        require_utc(datetime(2025, 1, 1))  # noqa: DTZ001 - the point of the test


def test_wall_clock_is_utc() -> None:
    assert WallClock().now().tzinfo == UTC
