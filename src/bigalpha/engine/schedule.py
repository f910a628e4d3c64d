"""Periodic jobs on the engine's clock: a backtest of a week runs the 4-hour and 12-hour jobs exactly
as live trading does, because the schedule reads the tick's time, never the wall clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Job = Callable[[datetime], None]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class ScheduledJob:
    name: str
    every: timedelta
    run: Job
    last_run: datetime | None = None
    # `last_run` and its slot: every tick asks whether a job is due, and `last_run` changes only when it ran.
    last_slot: tuple[datetime, int] | None = field(default=None, repr=False, compare=False)


class Scheduler:
    """Runs each job at the first tick at or after each multiple of its period (aligned to the epoch)."""

    def __init__(self) -> None:
        self._jobs: list[ScheduledJob] = []

    def add(self, name: str, every: timedelta, run: Job) -> None:
        if every <= timedelta(0):
            raise ValueError(f"job {name!r} needs a positive period, got {every}")
        self._jobs.append(ScheduledJob(name, every, run))

    def due(self, now: datetime) -> list[str]:
        return [job.name for job in self._jobs if self._is_due(job, now)]

    def run_due(self, now: datetime) -> list[str]:
        ran = []
        for job in self._jobs:
            if self._is_due(job, now):
                job.run(now)
                job.last_run = now
                ran.append(job.name)
        return ran

    @staticmethod
    def _slot(moment: datetime, every: timedelta) -> int:
        return int((moment - _EPOCH) / every)

    def _is_due(self, job: ScheduledJob, now: datetime) -> bool:
        if job.last_run is None:
            # The first tick only sets the phase: a job runs when a period boundary is crossed.
            job.last_run = now
            return False
        last = job.last_slot
        if last is None or last[0] is not job.last_run:
            last = job.last_slot = (job.last_run, self._slot(job.last_run, job.every))
        return self._slot(now, job.every) > last[1]

    def state_dict(self) -> dict[str, Any]:
        return {job.name: job.last_run.isoformat() for job in self._jobs if job.last_run is not None}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        for job in self._jobs:
            if job.name in state:
                job.last_run = datetime.fromisoformat(state[job.name])
