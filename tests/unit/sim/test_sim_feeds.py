"""D-SIM-1: feeds on the simulator implement the `Feed` port."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bigalpha.data.ports import Feed, tick_time
from bigalpha.data.sim import SimDataset, SimParams, write_dataset
from bigalpha.data.sim.feed import DatasetFeed, LiveSimFeed, SimFeed


class FakeTime:
    """A clock that moves only when slept on, recording every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_sim_feed_is_a_feed(two_days: SimDataset) -> None:
    feed: Feed = SimFeed(two_days)
    assert feed.symbols == ("BTC", "ETH", "SOL", "XRP")


def test_ticks_are_strictly_increasing_with_one_snapshot_per_symbol(two_days: SimDataset) -> None:
    """Feed port: strictly increasing time, every tick holds each symbol once, all at the tick's instant."""
    previous = None
    count = 0
    for tick in SimFeed(two_days).ticks():
        assert [s.symbol for s in tick] == ["BTC", "ETH", "SOL", "XRP"]
        moment = tick_time(tick)
        assert all(s.ts == moment for s in tick)
        assert all(s.bar.ts < s.ts for s in tick)
        if previous is not None:
            assert moment > previous
        previous = moment
        count += 1
    assert count == 2 * 1440


def test_as_fast_as_possible_never_sleeps(two_days: SimDataset) -> None:
    fake = FakeTime()
    ticks = list(itertools.islice(SimFeed(two_days, sleep=fake.sleep, clock=fake.clock).ticks(), 100))
    assert len(ticks) == 100
    assert fake.sleeps == []


def test_paced_feed_sleeps_60_over_speed_between_ticks(two_days: SimDataset) -> None:
    """At speed 60 one simulated minute takes one real second; the first tick comes at once."""
    fake = FakeTime()
    feed = SimFeed(two_days, speed=60.0, sleep=fake.sleep, clock=fake.clock)
    list(itertools.islice(feed.ticks(), 5))
    assert fake.sleeps == pytest.approx([1.0, 1.0, 1.0, 1.0])


def test_paced_feed_does_not_drift_when_the_consumer_is_slow(two_days: SimDataset) -> None:
    """Slots are fixed (start + k × interval): time the consumer spent shortens the next sleep."""
    fake = FakeTime()
    feed = SimFeed(two_days, speed=120.0, sleep=fake.sleep, clock=fake.clock)
    for i, _ in enumerate(feed.ticks()):
        fake.now += 0.2  # the engine works 0.2 s on each tick
        if i == 3:
            break
    assert fake.sleeps == pytest.approx([0.3, 0.3, 0.3])


def test_speed_must_be_positive(two_days: SimDataset) -> None:
    with pytest.raises(ValueError, match="speed must be positive"):
        SimFeed(two_days, speed=0.0)


def test_close_stops_the_feed(two_days: SimDataset) -> None:
    feed = SimFeed(two_days)
    ticks = feed.ticks()
    next(ticks)
    feed.close()
    feed.close()  # idempotent
    assert list(ticks) == []


def test_dataset_feed_replays_a_directory_like_the_dataset(two_days: SimDataset, tmp_path: Path) -> None:
    write_dataset(two_days, tmp_path / "ds")
    replay = DatasetFeed(tmp_path / "ds")
    assert replay.symbols == ("BTC", "ETH", "SOL", "XRP")
    for a, b in zip(itertools.islice(replay.ticks(), 30), itertools.islice(SimFeed(two_days).ticks(), 30), strict=True):
        assert a == b


def test_live_feed_runs_past_one_day_and_paces(sim_params: SimParams) -> None:
    """The paper-mode stream: unbounded, generated a day at a time, paced (default 60×)."""
    fake = FakeTime()
    feed = LiveSimFeed(sim_params, sleep=fake.sleep, clock=fake.clock)
    ticks = list(itertools.islice(feed.ticks(), 1445))
    assert tick_time(ticks[1440]) > tick_time(ticks[1439])
    assert ticks[1440][0].bar.ts.day == 2
    assert len(fake.sleeps) == 1444
    assert fake.sleeps[0] == pytest.approx(1.0)
    feed.close()


def test_live_feed_with_a_scenario_and_max_days(sim_params: SimParams) -> None:
    from bigalpha.data.sim import build_scenario

    feed = LiveSimFeed(sim_params, scenario=build_scenario("fee_spike"), speed=None, max_days=1)
    ticks = list(feed.ticks())
    assert len(ticks) == 1440
    sol = ticks[12 * 60][2]
    before = ticks[11 * 60][2]
    assert sol.priority_fees is not None
    assert before.priority_fees is not None
    assert sol.priority_fees.value.p50_micro_lamports > 3 * before.priority_fees.value.p50_micro_lamports
    with pytest.raises(ValueError, match="max_days"):
        LiveSimFeed(sim_params, max_days=0)
