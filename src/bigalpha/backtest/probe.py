"""L-OPT-1's whale probe over a history: the whale-intent CVD at every candidate threshold, read from columns.

The live `WhaleProbe` keeps, per symbol, each recent bar's whale buy − sell notional at every candidate
threshold (the current threshold × each multiplier), computed from the bar's trades when the bar is observed.
A sparse backtest does not show the engine every bar, so this probe computes the same per-bar numbers for the
whole history at once (`Lane.arrays`, the vectorized `whale_trade_flow`) and sums a signal's window when a
signal asks for it, left to right as the live probe sums its deque, so the candidates are the same floats.

The threshold a bar is observed at is the one in force when its tick is processed. It changes only when the
12-hour tuning job adopts a new one, at the end of a processed tick; so a bar later than the last tick observed
under the old threshold belongs to the new one, whether or not the engine was shown it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from bigalpha.backtest.contexts import ThresholdEras, epoch_ns
from bigalpha.backtest.market import Lane
from bigalpha.config import Settings
from bigalpha.domain import MarketSnapshot, Symbol
from bigalpha.learning.whale_tuning import WhaleProbe

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class _EraIndex:
    """One symbol's threshold eras as lane indices: each era's first bar and threshold (see `window_spans`)."""

    starts: list[int] = field(default_factory=list)
    thresholds: list[float] = field(default_factory=list)
    ordered: bool = True


@dataclass(frozen=True, slots=True)
class _Deltas:
    """One symbol's bar-by-bar whale deltas at one era's threshold times each multiplier (a row each, so a window
    is read in one slice), and `unsized_before` of the bars at each (one, when all are the same array)."""

    delta: FloatArray
    unsized: tuple[IntArray, ...]


class ColumnWhaleProbe(WhaleProbe):
    """A `WhaleProbe` whose per-bar whale deltas come from whole-history columns (see the module docstring)."""

    def __init__(self, settings: Settings, lanes: Mapping[Symbol, Lane], tick_ns: IntArray) -> None:
        super().__init__(settings)
        self._lanes = lanes
        self._bar_ns = {s: tick_ns[lane.tick] for s, lane in lanes.items()}
        self._era_end = {s: era_end(bar_ns) for s, bar_ns in self._bar_ns.items()}
        self._deltas: dict[tuple[Symbol, float], _Deltas] = {}
        self._at: dict[Symbol, int] = {}  # lane index of each symbol's last observed bar
        self._eras = ThresholdEras()
        self._era_index: dict[Symbol, _EraIndex] = {}
        self._labels = tuple(repr(m) for m in self.multipliers)

    def observe(self, snapshot: MarketSnapshot, threshold_usd: float) -> None:
        ns = epoch_ns(snapshot.ts)
        self._eras.observe(ns, threshold_usd)
        bar_ns = self._bar_ns[snapshot.symbol]
        i = int(bar_ns.searchsorted(ns))
        if i >= bar_ns.shape[0] or int(bar_ns[i]) != ns:
            raise ValueError(f"{snapshot.symbol}: no bar of the history at {snapshot.ts.isoformat()}")
        self._at[snapshot.symbol] = i

    def candidates(self, symbol: Symbol) -> dict[str, float] | None:
        i = self._at.get(symbol)
        if i is None or i + 1 < self.window:
            return None
        spans: list[list[list[float]]] = []  # each era's part of the window: a row of bars per multiplier
        for first, end, threshold in self._spans(symbol, i + 1 - self.window, i + 1):
            deltas = self._deltas_at(symbol, threshold)
            if any(unsized[end] != unsized[first] for unsized in deltas.unsized):
                return None  # a bar without trade sizes: intent unknown at every threshold, as live
            spans.append(deltas.delta[:, first:end].tolist())
        if len(spans) == 1:
            columns = spans[0]  # the window in one era (nearly always): its rows are the columns, as they are
        else:
            columns = [[value for span in spans for value in span[k]] for k in range(len(self.multipliers))]
        return {label: sum(values) for label, values in zip(self._labels, columns, strict=True)}

    def _spans(self, symbol: Symbol, lo: int, hi: int) -> list[tuple[int, int, float]]:
        """`ThresholdEras.spans` of this symbol's bars [lo, hi), with each era's first bar found once (eras are only
        ever appended) rather than two searches per era per signal."""
        eras = self._eras.eras
        bar_ns = self._bar_ns[symbol]
        index = self._era_index.get(symbol)
        if index is None:
            index = self._era_index[symbol] = _EraIndex()
        while len(index.starts) < len(eras):
            since, threshold = eras[len(index.starts)]
            start = int(bar_ns.searchsorted(since, side="right"))
            index.ordered = index.ordered and (not index.starts or index.starts[-1] <= start)
            index.starts.append(start)
            index.thresholds.append(threshold)
        return window_spans(index.starts, index.thresholds, self._era_end[symbol], lo, hi, ordered=index.ordered)

    def _deltas_at(self, symbol: Symbol, threshold_usd: float) -> _Deltas:
        """The bar-by-bar whale deltas at this era threshold times each multiplier, and `unsized_before` of its bars."""
        key = (symbol, threshold_usd)
        cached = self._deltas.get(key)
        if cached is None:
            # Each row is written in place: stacking separate rows would hold the history twice at the peak.
            delta = np.empty((len(self.multipliers), int(self._bar_ns[symbol].shape[0])))
            unsized: list[IntArray] = []
            counted: list[BoolArray] = []  # the sizes arrays counted (a simulator's lane hands the same one each time)
            for row, multiplier in zip(delta, self.multipliers, strict=True):
                flow = self._lanes[symbol].arrays(threshold_usd * multiplier).flow
                np.subtract(flow.trade_whale_buy_usd, flow.trade_whale_sell_usd, out=row)
                sizes = flow.has_trade_sizes
                del flow  # its history-long whale columns, before the next multiplier's are made
                if any(sizes is seen for seen in counted):
                    continue
                counted.append(sizes)
                before = unsized_before(sizes)
                if not any(np.array_equal(before, known) for known in unsized):
                    unsized.append(before)  # the same bars are sized at every threshold: one array to look up
            cached = self._deltas[key] = _Deltas(delta, tuple(unsized))
        return cached

    def state_dict(self) -> dict[str, Any]:
        return {}  # a backtest is re-run, never resumed: its probe is rebuilt from the history


def era_end(bar_ns: IntArray) -> int:
    """Where the last era ends among `bar_ns`, as `ThresholdEras.spans` finds it."""
    return int(bar_ns.searchsorted(2**62, side="right"))


def window_spans(
    starts: Sequence[int], thresholds: Sequence[float], last_end: int, lo: int, hi: int, *, ordered: bool
) -> list[tuple[int, int, float]]:
    """`ThresholdEras.spans(bar_ns, lo, hi)` from each era's first bar index (era k covers [starts[k],
    starts[k + 1]), the last one up to `last_end`) and its threshold.

    Eras begin in time order, so `starts` never decreases (`ordered`) and only the eras the window can overlap
    are looked at: those before the one holding `lo` end at or before it, those from the first one starting at
    `hi` begin after it. Not `ordered`, every era is looked at, as `spans` does."""
    out = []
    k = max(bisect_right(starts, lo) - 1, 0) if ordered else 0
    while k < len(starts):
        if ordered and starts[k] >= hi:
            break
        first = max(lo, starts[k])
        end = min(hi, starts[k + 1] if k + 1 < len(starts) else last_end)
        if first < end:
            out.append((first, end, thresholds[k]))
        k += 1
    return out


def unsized_before(has_trade_sizes: BoolArray) -> IntArray:
    """How many bars before each bar (and before the end) have no trade sizes: the bars [first, end) all have
    sizes exactly when `unsized[end] == unsized[first]`, two lookups instead of a pass over the window."""
    missing = ~np.asarray(has_trade_sizes, dtype=np.bool_)
    return np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(missing, dtype=np.int64)))
