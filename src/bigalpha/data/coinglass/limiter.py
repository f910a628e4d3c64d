"""The process-wide CoinGlass rate limiter (D-CG-2) and the TTL cache (D-CG-3).

Both are written here rather than taken from a library: the limiter must serve callers on several
event loops (the live feed's background loop, `asyncio.run` in the CLI) with one shared budget, and
both must run on an injected clock so a simulated hour takes milliseconds in tests and benchmarks.
aiolimiter and asyncio-throttle bind to one loop and read the real clock; cachetools' TTLCache takes
a timer but offers nothing else we need. The limiter reserves a time slot under a thread lock (no
await inside it), then sleeps until the slot, so no asyncio primitive is shared between loops.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")

NowFn = Callable[[], float]
SleepFn = Callable[[float], Awaitable[None]]

WINDOW_S = 60.0


class RateLimiter:
    """At least `min_spacing_s` between two calls and at most `max_calls_per_minute` in any rolling
    60-second window. `acquire()` returns when the caller may send its request."""

    def __init__(
        self,
        min_spacing_s: float,
        max_calls_per_minute: int,
        *,
        now: NowFn = time.monotonic,
        sleep: SleepFn = asyncio.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._slots: deque[float] = deque()
        self._now = now
        self._sleep = sleep
        self.min_spacing_s = min_spacing_s
        self.max_calls_per_minute = max_calls_per_minute
        self._validate()

    def reconfigure(self, min_spacing_s: float, max_calls_per_minute: int) -> None:
        """Adopt the detected plan's limits (D-CG-5); slots already granted stay counted."""
        with self._lock:
            self.min_spacing_s = min_spacing_s
            self.max_calls_per_minute = max_calls_per_minute
            self._validate()

    def _validate(self) -> None:
        if self.min_spacing_s < 0 or self.max_calls_per_minute < 1:
            raise ValueError(
                f"rate limit needs min_spacing_s >= 0 and max_calls_per_minute >= 1, got "
                f"{self.min_spacing_s} and {self.max_calls_per_minute}"
            )

    def reserve(self) -> float:
        """Book the earliest slot that keeps both limits and return it (a `now()` value)."""
        with self._lock:
            now = self._now()
            while self._slots and self._slots[0] <= now - WINDOW_S:
                self._slots.popleft()
            slot = now
            if self._slots:
                slot = max(slot, self._slots[-1] + self.min_spacing_s)
            if len(self._slots) >= self.max_calls_per_minute:
                # the call max_calls_per_minute back must have left the window when this one goes
                slot = max(slot, self._slots[-self.max_calls_per_minute] + WINDOW_S)
            self._slots.append(slot)
            return slot

    async def acquire(self) -> float:
        """Wait for a slot; returns the slot time."""
        slot = self.reserve()
        delay = slot - self._now()
        if delay > 0:
            await self._sleep(delay)
        return slot


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    expires_at: float
    value: V


class TtlCache(Generic[V]):
    """Values kept for a per-entry time-to-live on an injected clock; thread-safe."""

    def __init__(self, *, now: NowFn = time.monotonic, max_entries: int = 4096) -> None:
        self._now = now
        self._entries: dict[Hashable, _Entry[V]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires_at <= self._now():
                if entry is not None:
                    del self._entries[key]
                self.misses += 1
                return None
            self.hits += 1
            return entry.value

    def put(self, key: Hashable, value: V, ttl_s: float) -> None:
        with self._lock:
            if len(self._entries) >= self._max_entries:
                now = self._now()
                for stale in [k for k, e in self._entries.items() if e.expires_at <= now]:
                    del self._entries[stale]
                if len(self._entries) >= self._max_entries:
                    del self._entries[next(iter(self._entries))]
            self._entries[key] = _Entry(self._now() + ttl_s, value)

    @property
    def hit_ratio(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0
