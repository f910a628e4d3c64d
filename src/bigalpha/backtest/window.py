"""The part of a history a backtest runs over (`bigalpha backtest --start/--end`).

A window holds the bars that open at or after `start` and before `end` (either side may be open): `--end
2024-02-01` keeps the last 15-minute bar of January, the one closing at midnight. The whole bot's run may also
keep a warm-up: up to `warmup_bars` bars before `start` (`--warmup`), which the indicator columns are computed
over but which no strategy, order, shadow or learning job ever sees (`Market.first_tick`), so the first bar of the
window has a full Hurst window and full flow windows, while the strategies' own state and the learning loop start
empty, as a bot started then with its indicators already filled would. Without a warm-up the indicators fill up
inside the window. Only the candles are cut. Funding and positioning rows are looked up at each bar as they are
over the whole history (a snapshot shows the last row at or before its bar's close), so the first bar of a window
sees the funding rate and open interest in force; trades outside the kept bars belong to no bar, as trades in a
gap of the candles do.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bigalpha.backtest.contexts import epoch_ns

if TYPE_CHECKING:
    from bigalpha.config.indicators import IndicatorsConfig
    from bigalpha.data.history import Candles


def indicator_warmup_bars(cfg: IndicatorsConfig) -> int:
    """The bars the longest indicator window reads (A-HURST-1's strict window, with the defaults): a warm-up that
    long gives the first bar traded every indicator a bot already running would have. Windows counted in minutes
    span at most that many bars (a bar lasts a minute or more)."""
    return max(
        cfg.hurst_window,
        cfg.cvd_window,
        cfg.whale_volume_lookback,
        cfg.whale_intent_window,
        cfg.taker_window_minutes,
        cfg.ofi_window_minutes,
    )


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

    def candles(self, series: Candles, warmup_bars: int = 0) -> Candles | None:
        """`series` cut to the bars opening inside the window, after up to `warmup_bars` of those before it; None
        when no bar opens inside the window."""
        first = 0 if self.start is None else int(np.searchsorted(series.ts, epoch_ns(self.start), "left"))
        hi = len(series) if self.end is None else int(np.searchsorted(series.ts, epoch_ns(self.end), "left"))
        if hi <= first:
            return None
        lo = max(first - warmup_bars, 0)
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

    def first_tick(self, tick_ns: npt.NDArray[np.int64], bar_seconds: float) -> int:
        """The index in `tick_ns` (bar closes) of the first tick whose bars open inside the window: the ticks before
        it close warm-up bars."""
        if self.start is None:
            return 0
        return int(np.searchsorted(tick_ns, epoch_ns(self.start) + round(bar_seconds * 1e9), "left"))

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
