"""The `Feed` port: where the engine's market snapshots come from, in every mode."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from bigalpha.domain import MarketSnapshot, Symbol

# Every symbol's snapshot at one instant; the engine processes one tick at a time.
Tick = tuple[MarketSnapshot, ...]


class Feed(Protocol):
    """Yields ticks in strictly increasing time order. The simulator, history replay and the live
    providers each implement it; the engine cannot tell them apart."""

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        """The symbols every tick covers."""
        ...

    def ticks(self) -> Iterator[Tick]:
        """Ticks in time order; ends when the data ends (history) or when `close` is called (live)."""
        ...

    def close(self) -> None:
        """Release connections and files; idempotent."""
        ...


def tick_time(tick: Tick) -> datetime:
    """The instant a tick describes (all its snapshots share it)."""
    return tick[0].ts
