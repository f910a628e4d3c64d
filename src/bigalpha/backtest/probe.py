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

from collections.abc import Mapping
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


class ColumnWhaleProbe(WhaleProbe):
    """A `WhaleProbe` whose per-bar whale deltas come from whole-history columns (see the module docstring)."""

    def __init__(self, settings: Settings, lanes: Mapping[Symbol, Lane], tick_ns: IntArray) -> None:
        super().__init__(settings)
        self._lanes = lanes
        self._bar_ns = {s: tick_ns[lane.tick] for s, lane in lanes.items()}
        self._deltas: dict[tuple[Symbol, float], tuple[FloatArray, BoolArray]] = {}
        self._at: dict[Symbol, int] = {}  # lane index of each symbol's last observed bar
        self._eras = ThresholdEras()

    def observe(self, snapshot: MarketSnapshot, threshold_usd: float) -> None:
        ns = epoch_ns(snapshot.ts)
        self._eras.observe(ns, threshold_usd)
        bar_ns = self._bar_ns[snapshot.symbol]
        i = int(np.searchsorted(bar_ns, ns))
        if i >= bar_ns.shape[0] or int(bar_ns[i]) != ns:
            raise ValueError(f"{snapshot.symbol}: no bar of the history at {snapshot.ts.isoformat()}")
        self._at[snapshot.symbol] = i

    def candidates(self, symbol: Symbol) -> dict[str, float] | None:
        i = self._at.get(symbol)
        if i is None or i + 1 < self.window:
            return None
        columns: list[list[float]] = [[] for _ in self.multipliers]
        for first, end, threshold in self._eras.spans(self._bar_ns[symbol], i + 1 - self.window, i + 1):
            for m, multiplier in enumerate(self.multipliers):
                delta, sized = self._delta(symbol, threshold * multiplier)
                if not bool(sized[first:end].all()):
                    return None  # a bar without trade sizes: intent unknown at every threshold, as live
                columns[m].extend(delta[first:end].tolist())
        return {repr(m): sum(values) for m, values in zip(self.multipliers, columns, strict=True)}

    def _delta(self, symbol: Symbol, threshold_usd: float) -> tuple[FloatArray, BoolArray]:
        key = (symbol, threshold_usd)
        cached = self._deltas.get(key)
        if cached is None:
            flow = self._lanes[symbol].arrays(threshold_usd).flow
            cached = (flow.trade_whale_buy_usd - flow.trade_whale_sell_usd, flow.has_trade_sizes)
            self._deltas[key] = cached
        return cached

    def state_dict(self) -> dict[str, Any]:
        return {}  # a backtest is re-run, never resumed: its probe is rebuilt from the history
