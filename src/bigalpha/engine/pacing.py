"""Paced replay: a feed's ticks released at `speed` × real time, after an unpaced warm-up.

The warm-up runs as fast as the machine allows until market time reaches `pace_from`, so a paper run on
the simulator has its 100-bar Hurst window and its flow buffers filled before a person starts watching.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime

from bigalpha.data.ports import Feed, Tick, tick_time
from bigalpha.domain import Symbol


class PacedFeed:
    """Wraps a `Feed`; the same ticks, released no faster than `speed` × real time after `pace_from`."""

    def __init__(
        self,
        inner: Feed,
        *,
        speed: float,
        pace_from: datetime | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.inner = inner
        self.speed = speed
        self.pace_from = pace_from
        self._sleep = sleep
        self._monotonic = monotonic

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        return self.inner.symbols

    def close(self) -> None:
        self.inner.close()

    def ticks(self) -> Iterator[Tick]:
        anchor: tuple[datetime, float] | None = None
        for tick in self.inner.ticks():
            moment = tick_time(tick)
            if self.pace_from is not None and moment < self.pace_from:
                yield tick
                continue
            if anchor is None:
                anchor = (moment, self._monotonic())
            else:
                due = anchor[1] + (moment - anchor[0]).total_seconds() / self.speed
                wait = due - self._monotonic()
                if wait > 0:
                    self._sleep(wait)
            yield tick
