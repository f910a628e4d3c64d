"""Engine parts: the schedule on the engine clock, paced replay, crash-point parsing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.data.ports import Tick
from bigalpha.domain import Bar, MarketSnapshot, Symbol
from bigalpha.engine.pacing import PacedFeed
from bigalpha.engine.schedule import Scheduler

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def test_jobs_run_at_each_period_boundary_of_the_tick_time() -> None:
    """L-SHADOW-1 / L-OPT-1 schedules: every 4 h and 12 h of *market* time, whatever the wall clock does."""
    ran: list[tuple[str, datetime]] = []
    scheduler = Scheduler()
    scheduler.add("review", timedelta(hours=4), lambda now: ran.append(("review", now)))
    scheduler.add("tune", timedelta(hours=12), lambda now: ran.append(("tune", now)))
    moment = T0 + timedelta(minutes=1)
    while moment <= T0 + timedelta(days=7):
        scheduler.run_due(moment)
        moment += timedelta(minutes=1)
    assert sum(1 for name, _ in ran if name == "review") == 42
    assert sum(1 for name, _ in ran if name == "tune") == 14
    assert all(now.minute == 0 and now.hour % 4 == 0 for name, now in ran if name == "review")


def test_schedule_state_survives_a_restart() -> None:
    first = Scheduler()
    first.add("review", timedelta(hours=4), lambda now: None)
    first.run_due(T0 + timedelta(hours=3))
    restored = Scheduler()
    ran: list[datetime] = []
    restored.add("review", timedelta(hours=4), ran.append)
    restored.load_state_dict(first.state_dict())
    restored.run_due(T0 + timedelta(hours=4, minutes=1))
    assert ran == [T0 + timedelta(hours=4, minutes=1)]


def test_a_non_positive_period_is_refused() -> None:
    with pytest.raises(ValueError, match="positive period"):
        Scheduler().add("x", timedelta(0), lambda now: None)


class _ListFeed:
    def __init__(self, ticks: list[Tick]) -> None:
        self._ticks = ticks

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        return (Symbol("BTC"),)

    def ticks(self) -> Iterator[Tick]:
        yield from self._ticks

    def close(self) -> None:
        self._ticks = []


def _tick(minute: int) -> Tick:
    ts = T0 + timedelta(minutes=minute)
    return (MarketSnapshot(symbol=Symbol("BTC"), ts=ts, bar=Bar(ts, 1, 1, 1, 1, 1, 0.5)),)


def test_paced_feed_warms_up_unpaced_then_keeps_speed() -> None:
    """The paper run's pacing: no sleep before `pace_from`, then one market minute per second at 60×."""
    sleeps: list[float] = []
    clock = [0.0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    feed = PacedFeed(
        _ListFeed([_tick(m) for m in range(6)]),
        speed=60.0,
        pace_from=T0 + timedelta(minutes=3),
        sleep=sleep,
        monotonic=lambda: clock[0],
    )
    assert len(list(feed.ticks())) == 6
    assert sleeps == pytest.approx([1.0, 1.0])


def test_paced_feed_refuses_a_bad_speed() -> None:
    with pytest.raises(ValueError, match="speed"):
        PacedFeed(_ListFeed([]), speed=0.0)


@settings(max_examples=150, deadline=None)
@given(
    periods=st.lists(st.integers(1, 12 * 3600), min_size=1, max_size=3),
    steps=st.lists(st.integers(1, 6 * 3600 * 1_000_000), min_size=1, max_size=60),
    restart_at=st.integers(0, 60),
)
def test_the_schedule_runs_each_job_when_its_slot_since_the_epoch_changes(
    periods: list[int], steps: list[int], restart_at: int
) -> None:
    """A job runs on the first tick of a later epoch-aligned slot than its last run's (the slot of its last run is
    remembered, not recomputed): tick by tick the same jobs as the plain rule, across a restart from saved state."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)

    def build() -> Scheduler:
        scheduler = Scheduler()
        for k, seconds in enumerate(periods):
            scheduler.add(f"job{k}", timedelta(seconds=seconds), lambda now: None)
        return scheduler

    scheduler = build()
    last: dict[str, datetime] = {}
    now = start
    for k, step in enumerate(steps):
        now += timedelta(microseconds=step)
        if k == restart_at:
            saved = scheduler.state_dict()
            scheduler = build()
            scheduler.load_state_dict(saved)
        expected = []
        for j, seconds in enumerate(periods):
            name, every = f"job{j}", timedelta(seconds=seconds)
            if name not in last:
                last[name] = now
            elif int((now - epoch) / every) > int((last[name] - epoch) / every):
                expected.append(name)
                last[name] = now
        assert scheduler.run_due(now) == expected
