"""The part of a history a backtest runs over (`bigalpha backtest --start/--end`).

A window holds the bars that open at or after `start` and before `end` (either side may be open): `--end
2024-02-01` keeps the last 15-minute bar of January, the one closing at midnight. The run then begins at `start`
as it would on files that began there: its indicators warm up inside the window, and its learning loop starts
empty. Only the candles are cut. Funding and positioning rows are looked up at each bar as they are over the whole
history (a snapshot shows the last row at or before its bar's close), so the first bar of a window sees the funding
rate and open interest in force, as a bot started at that moment would; trades outside the window's bars belong
to no bar, as trades in a gap of the candles do.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from bigalpha.backtest.contexts import epoch_ns

if TYPE_CHECKING:
    from bigalpha.data.history import Candles


@dataclass(frozen=True, slots=True)
class Window:
    """Bars opening in [start, end); None leaves that side open. Both moments are timezone-aware."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        for name, moment in (("--start", self.start), ("--end", self.end)):
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} {moment.isoformat()}: a window's moments carry their time zone")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError(
                f"--start {self.start.isoformat()} is not before --end {self.end.isoformat()}: the window holds no bar"
            )

    @property
    def whole(self) -> bool:
        """No side given: the whole history."""
        return self.start is None and self.end is None

    def candles(self, series: Candles) -> Candles | None:
        """`series` cut to the bars opening inside the window; None when none does."""
        lo = 0 if self.start is None else int(np.searchsorted(series.ts, epoch_ns(self.start), "left"))
        hi = len(series) if self.end is None else int(np.searchsorted(series.ts, epoch_ns(self.end), "left"))
        if hi <= lo:
            return None
        if lo == 0 and hi == len(series):
            return series
        rows = slice(lo, hi)
        taker = series.taker_buy_volume
        return dataclasses.replace(
            series,
            ts=series.ts[rows],
            open=series.open[rows],
            high=series.high[rows],
            low=series.low[rows],
            close=series.close[rows],
            volume=series.volume[rows],
            taker_buy_volume=None if taker is None else taker[rows],
        )

    def describe(self) -> str:
        """`[start, end)` as ISO-8601 moments ('…' for an open side): for messages."""
        start, end = self.to_dict().values()
        return f"[{start or '…'}, {end or '…'})"

    def to_dict(self) -> dict[str, str | None]:
        """The window as the summary records it, in UTC."""
        return {
            "start": None if self.start is None else self.start.astimezone(UTC).isoformat(),
            "end": None if self.end is None else self.end.astimezone(UTC).isoformat(),
        }
