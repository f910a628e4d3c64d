"""Feeds on the simulator (the `Feed` port): a dataset in memory, a dataset directory, or a live
unbounded stream generated a day at a time.

Pacing: with `speed=None` ticks come as fast as the consumer takes them (backtests); with a speed,
one tick every 60 s / speed of real time (`speed=60` shows a simulated hour per real minute). The
clock and sleep functions are injectable so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from bigalpha.data.ports import Tick
from bigalpha.data.sim.dataset import SimDataset, read_dataset
from bigalpha.data.sim.generator import iter_chunks
from bigalpha.data.sim.params import SimParams
from bigalpha.data.sim.scenarios import Scenario
from bigalpha.data.sim.schema import Frame
from bigalpha.data.sim.snapshots import SnapshotBuilder
from bigalpha.domain import Symbol

SleepFn = Callable[[float], None]
ClockFn = Callable[[], float]
DEFAULT_LIVE_SPEED = 60.0


class _Pacer:
    """Holds each tick until its slot: tick k is due at start + k × interval (no drift)."""

    def __init__(self, speed: float | None, sleep: SleepFn, clock: ClockFn) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self._interval = None if speed is None else 60.0 / speed
        self._sleep, self._clock = sleep, clock
        self._start: float | None = None
        self._count = 0

    def wait(self) -> None:
        if self._interval is None:
            return
        now = self._clock()
        if self._start is None:
            self._start = now
        due = self._start + self._count * self._interval
        if due > now:
            self._sleep(due - now)
        self._count += 1


class _BuilderFeed:
    """Ticks from a sequence of snapshot builders (one per dataset, or one per generated day)."""

    def __init__(
        self,
        symbols: tuple[str, ...],
        builders: Callable[[], Iterable[SnapshotBuilder]],
        speed: float | None,
        sleep: SleepFn,
        clock: ClockFn,
    ) -> None:
        self._symbols = tuple(Symbol(s) for s in symbols)
        self._builders = builders
        self._pacer = _Pacer(speed, sleep, clock)
        self._closed = False

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        return self._symbols

    def close(self) -> None:
        self._closed = True

    def ticks(self) -> Iterator[Tick]:
        for builder in self._builders():
            for i in range(len(builder)):
                if self._is_closed():
                    return
                self._pacer.wait()
                # close() may have been called from another thread while this one slept.
                if self._is_closed():
                    return
                yield builder.tick(i)

    def _is_closed(self) -> bool:
        return self._closed


def _fee_symbols(params: SimParams) -> frozenset[str]:
    return frozenset(s.symbol for s in params.symbols if s.fees)


class SimFeed(_BuilderFeed):
    """Replays a generated `SimDataset` in time order."""

    def __init__(
        self,
        dataset: SimDataset,
        *,
        speed: float | None = None,
        sleep: SleepFn = time.sleep,
        clock: ClockFn = time.monotonic,
    ) -> None:
        super().__init__(dataset.symbols, self._dataset_builders, speed, sleep, clock)
        self._dataset = dataset

    @property
    def dataset(self) -> SimDataset:
        return self._dataset

    def _dataset_builders(self) -> Iterable[SnapshotBuilder]:
        params = self._dataset.params
        yield SnapshotBuilder(self._dataset.frames, params.symbol_names(), _fee_symbols(params))


class DatasetFeed(SimFeed):
    """Replays a dataset directory written by `bigalpha sim --out DIR` (validated on open)."""

    def __init__(
        self,
        directory: Path,
        *,
        speed: float | None = None,
        sleep: SleepFn = time.sleep,
        clock: ClockFn = time.monotonic,
    ) -> None:
        super().__init__(read_dataset(Path(directory)), speed=speed, sleep=sleep, clock=clock)


class LiveSimFeed(_BuilderFeed):
    """An unbounded simulated market, generated one day at a time and paced in real time.

    It continues deterministically: its first N days equal `generate(params, N, scenario)`. `max_days`
    bounds it (None: until `close`).
    """

    def __init__(
        self,
        params: SimParams,
        *,
        scenario: Scenario | None = None,
        speed: float | None = DEFAULT_LIVE_SPEED,
        max_days: int | None = None,
        sleep: SleepFn = time.sleep,
        clock: ClockFn = time.monotonic,
    ) -> None:
        self._params = scenario.apply(params) if scenario else params
        super().__init__(self._params.symbol_names(), self._day_builders, speed, sleep, clock)
        self._scenario = scenario
        if max_days is not None and max_days <= 0:
            raise ValueError(f"max_days must be positive, got {max_days}")
        self._max_days = max_days

    def _day_builders(self) -> Iterable[SnapshotBuilder]:
        fee_symbols = _fee_symbols(self._params)
        chunks: Iterator[dict[str, Frame]] = iter_chunks(self._params, self._scenario)
        day = 0
        while self._max_days is None or day < self._max_days:
            frames = next(chunks)
            day += 1
            yield SnapshotBuilder(frames, self._params.symbol_names(), fee_symbols)
