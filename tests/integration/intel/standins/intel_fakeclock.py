"""A simulated monotonic clock whose `sleep` advances time instead of waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: float = 1000.0, wall: datetime | None = None) -> None:
        self.t = start
        self.sleeps: list[float] = []
        self._wall0 = wall or datetime(2025, 11, 14, 6, 0, tzinfo=UTC)
        self._t0 = start

    def now(self) -> float:
        return self.t

    def wall(self) -> datetime:
        return self._wall0 + timedelta(seconds=self.t - self._t0)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(seconds, 0.0)
