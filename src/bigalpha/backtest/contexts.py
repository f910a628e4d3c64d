"""Market contexts from whole-history indicator columns: the backtest's `ContextBuilder`.

The live `ContextBuilder` runs the rolling indicators (`bigalpha.indicators.flow`, `hurst`, `positioning`) over
its trailing buffer at every snapshot and keeps the last element. Over a history, the same functions run once
over every bar (`flow_columns`, `oi_velocity`); `ColumnContextBuilder.update` then reads bar
i's values, so a context costs a few lookups plus the per-snapshot parts (clusters, walls, max pain …), which
the inherited builder code computes from the snapshot as live. Nothing is read ahead: bar i's value is a
function of bars ≤ i, exactly the builder's buffer at that instant.

The Hurst exponent is estimated at the bar that needs it, the float of the builder's own call on the same window
(`hurst_with_error`, through `WindowEstimates`, which batches only the steps before the one-window product), since
the batched `rolling_hurst` differs from it in the 14th digit. Deferred, it and the order-book walls are made only for
the contexts a decision reads (`complete`). Two values depend on
the snapshot itself and are completed here, as the builder does: the order-book half of
OFI (A-OFI-1 blends the taker imbalance of the window with the top-of-book imbalance of the current snapshot),
and the open-interest fields, present only when the snapshot carries an observation. Equality with the live
builder, bar by bar, is a test (tests/unit/backtest/test_bt_contexts.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from bigalpha.config.indicators import IndicatorsConfig
from bigalpha.domain import MarketSnapshot, OrderBook, Symbol
from bigalpha.indicators.builder import (
    HURST_DEFERRED,
    WALLS_DEFERRED,
    WALLS_KEY,
    ContextBuilder,
    _check_snapshot,
    complete_deferred,
    fill_flow,
    fill_hurst_oi,
)
from bigalpha.indicators.columns import SnapshotArrays, book_top_quantities
from bigalpha.indicators.context import MarketContext
from bigalpha.indicators.flow import FlowColumns, flow_columns
from bigalpha.indicators.hurst import WindowEstimates
from bigalpha.indicators.positioning import OiVelocity, oi_velocity

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Windows whose returns and periodograms are made together when a deferred Hurst estimate is first asked for in them
# (about 0.2 ms a block). A backtest's signals come every few dozen bars, so a block serves many: measured on the
# simulator's ETH and four symbols, a signal's completion costs 121 µs window by window, 89 µs with blocks of 256,
# 75-77 µs with 1024 (and no less with 2048 or 4096).
_HURST_BLOCK = 1024


class ColumnsError(ValueError):
    """A snapshot the precomputed columns do not cover (or a changed whale threshold)."""


@dataclass(frozen=True, slots=True)
class SymbolColumns:
    """One symbol's rolling indicators at each of its bars, keyed by the snapshot time (ns) of each bar."""

    tick_ns: IntArray  # sorted: the instant each bar's snapshot describes
    flow: FlowColumns  # with `ofi` = the taker half only (computed with ofi_taker_weight = 1)
    close: FloatArray  # Hurst is estimated at the bars a decision needs, on the builder's exact window
    oi: OiVelocity
    whale_threshold_usd: float
    # Bars a fixed step apart (a simulator's minutes) are found by arithmetic instead of a search: (first instant,
    # step, count), with a step of 0 when the instants are not evenly spaced.
    _grid: tuple[int, int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ticks = self.tick_ns
        n = int(ticks.shape[0])
        step = int(ticks[1] - ticks[0]) if n >= 2 else 0
        even = step > 0 and bool(np.all(np.diff(ticks) == step))
        object.__setattr__(self, "_grid", (int(ticks[0]) if n else 0, step if even else 0, n))

    def index(self, ts_ns: int) -> int:
        first, step, n = self._grid
        if step:
            i, off = divmod(ts_ns - first, step)
            if off or not 0 <= i < n:
                raise ColumnsError(f"no precomputed bar at {ts_ns} ns")
            return i
        i = int(np.searchsorted(self.tick_ns, ts_ns))
        if i >= self.tick_ns.shape[0] or int(self.tick_ns[i]) != ts_ns:
            raise ColumnsError(f"no precomputed bar at {ts_ns} ns")
        return i


def symbol_columns(
    arrays: SnapshotArrays, tick_ns: IntArray, cfg: IndicatorsConfig, whale_threshold_usd: float
) -> SymbolColumns:
    """Every rolling indicator of one symbol's history (the same functions the live builder calls)."""
    taker_only = cfg.model_copy(update={"ofi_taker_weight": 1.0})
    flow = flow_columns(arrays.flow, taker_only)
    oi = oi_velocity(
        arrays.oi_as_of_s, arrays.oi_usd, minutes=cfg.oi_velocity_minutes, tolerance_s=cfg.oi_velocity_tolerance_s
    )
    return SymbolColumns(tick_ns, flow, arrays.flow.close, oi, whale_threshold_usd)


def _finite(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else float(value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ns(moment: datetime) -> int:
    """An aware instant as integer nanoseconds since the epoch (exact: no float seconds in between)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def blended_ofi(taker_imbalance: float, bid: float, ask: float, weight: float) -> float:
    """A-OFI-1's blend for one bar, the scalar form of `flow_columns`' last step (NaN when unknown)."""
    if weight >= 1.0:
        return taker_imbalance
    total = bid + ask
    book = (bid - ask) / total if total != 0 and not math.isnan(total) else math.nan
    value = weight * taker_imbalance + (1.0 - weight) * book
    return value if math.isnan(value) else min(max(value, -1.0), 1.0)


def blended_ofi_columns(taker_imbalance: FloatArray, bid: FloatArray, ask: FloatArray, weight: float) -> FloatArray:
    """`blended_ofi` over whole columns: the same operations, element by element (so the same floats)."""
    if weight >= 1.0:
        return taker_imbalance.copy()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        total = bid + ask
        book = np.where((total != 0) & ~np.isnan(total), (bid - ask) / total, np.nan)
        value: FloatArray = np.clip(weight * taker_imbalance + (1.0 - weight) * book, -1.0, 1.0)
    return value


class ThresholdEras:
    """Which whale threshold each bar is observed at, as the live builder and probe see it.

    Live, a bar's whale flow is computed once, when its tick is processed, at the threshold then in force
    (`ContextBuilder.update`, `WhaleProbe.observe`). The threshold changes only when L-OPT-1 adopts a new one,
    at the end of a processed tick; so every bar later than the last tick observed under the old threshold
    belongs to the new one, whether or not a sparse backtest shows it to the engine."""

    def __init__(self) -> None:
        self.eras: list[tuple[int, float]] = []  # (bars later than this instant in ns, threshold), oldest first
        self._last_ns: int | None = None

    def observe(self, ts_ns: int, threshold_usd: float) -> bool:
        """Note a bar observed at `threshold_usd`; True when that starts a new era."""
        changed = not self.eras or self.eras[-1][1] != threshold_usd
        if changed:
            self.eras.append((-(2**62) if self._last_ns is None else self._last_ns, threshold_usd))
        self._last_ns = ts_ns
        return changed

    def spans(self, bar_ns: IntArray, lo: int, hi: int) -> list[tuple[int, int, float]]:
        """(first, end, threshold) for the bars [lo, hi) of a symbol whose bar instants are `bar_ns`."""
        out = []
        for k, (since, threshold) in enumerate(self.eras):
            until = self.eras[k + 1][0] if k + 1 < len(self.eras) else 2**62
            first = max(lo, int(np.searchsorted(bar_ns, since, side="right")))
            end = min(hi, int(np.searchsorted(bar_ns, until, side="right")))
            if first < end:
                out.append((first, end, threshold))
        return out


def era_arrays(arrays: Callable[[float], SnapshotArrays], bar_ns: IntArray, eras: ThresholdEras) -> SnapshotArrays:
    """One symbol's indicator inputs with each bar's whale flow at the threshold of its era."""
    spans = eras.spans(bar_ns, 0, int(bar_ns.shape[0]))
    base = arrays(spans[0][2] if spans else eras.eras[-1][1])
    if len(spans) <= 1:
        return base
    buy = base.flow.trade_whale_buy_usd.copy()
    sell = base.flow.trade_whale_sell_usd.copy()
    for first, end, threshold in spans[1:]:
        flow = arrays(threshold).flow
        buy[first:end] = flow.trade_whale_buy_usd[first:end]
        sell[first:end] = flow.trade_whale_sell_usd[first:end]
    return replace(base, flow=replace(base.flow, trade_whale_buy_usd=buy, trade_whale_sell_usd=sell))


class ColumnContextBuilder(ContextBuilder):
    """A `ContextBuilder` whose rolling part is read from `SymbolColumns` instead of a trailing buffer.

    When L-OPT-1 adopts a new whale threshold, `rebuild` computes the columns again with each bar's whale flow
    at the threshold of its era (`ThresholdEras`), as the live builder's buffer holds them; without `rebuild` a
    changed threshold is an error."""

    def __init__(
        self,
        cfg: IndicatorsConfig,
        columns: dict[Symbol, SymbolColumns],
        rebuild: Callable[[ThresholdEras], dict[Symbol, SymbolColumns]] | None = None,
    ) -> None:
        super().__init__(cfg)
        self._columns = columns
        self._rebuild = rebuild
        self._eras = ThresholdEras()
        self._last: dict[Symbol, Any] = {}
        # Set by a backtest whose strategies read no Hurst estimate: it is then made only for the contexts a
        # decision reads it from (`complete`), the same estimate, instead of on every bar shown.
        self.defer_hurst = False
        # Likewise for the order-book walls (read by the entry plan alone): per symbol, the last snapshot's instant,
        # book and price, from which `complete` ranks them for the context of that snapshot.
        self.defer_walls = False
        self._books: dict[Symbol, tuple[datetime, OrderBook, float]] = {}
        # Per symbol, the deferred estimates' windows (`WindowEstimates`: the same floats, part of the work batched).
        self._estimates: dict[Symbol, WindowEstimates] = {}

    def update(self, snapshot: MarketSnapshot, *, whale_threshold_usd: float) -> MarketContext:
        columns = self._columns.get(snapshot.symbol)
        if columns is None:
            raise ColumnsError(f"no indicator columns for {snapshot.symbol}")
        ts_ns = epoch_ns(snapshot.ts)
        if self._eras.observe(ts_ns, whale_threshold_usd) and len(self._eras.eras) > 1:
            if self._rebuild is None:
                raise ColumnsError(
                    f"the whale threshold changed to {whale_threshold_usd} (columns use {columns.whale_threshold_usd})"
                )
            self._columns = self._rebuild(self._eras)
            columns = self._columns[snapshot.symbol]
        if whale_threshold_usd != columns.whale_threshold_usd:
            raise ColumnsError(
                f"the whale threshold is {whale_threshold_usd} but the columns use {columns.whale_threshold_usd}"
            )
        _check_snapshot(snapshot, self._last.get(snapshot.symbol))
        self._last[snapshot.symbol] = snapshot.ts
        i = columns.index(ts_ns)
        unavailable = {kind.value: reason for kind, reason in snapshot.unavailable}
        fields: dict[str, Any] = {}
        self._flow_at(columns, i, snapshot, fields, unavailable)
        self._hurst_oi_at(columns, i, snapshot, fields, unavailable)
        self._per_snapshot(snapshot, fields, unavailable)
        fields["whale_threshold_usd"] = whale_threshold_usd
        return MarketContext(
            symbol=snapshot.symbol,
            ts=snapshot.ts,
            price=snapshot.price,
            ages_s=self._ages(snapshot),
            unavailable=unavailable,
            **fields,
        )

    def _flow_at(
        self, c: SymbolColumns, i: int, snapshot: MarketSnapshot, out: dict[str, Any], unavailable: dict[str, str]
    ) -> None:
        cfg = self._cfg
        f = c.flow  # `.item(i)`: a Python float at once, not a NumPy scalar to convert
        n = min(i + 1, self.capacity)  # what the live buffer would hold
        bid, ask = book_top_quantities(snapshot.book.value if snapshot.book else None, cfg.ofi_book_levels)
        fill_flow(
            cfg,
            out,
            unavailable,
            have=n,
            bid=bid,
            cvd=_finite(f.cvd_usd.item(i)),
            whale=_finite(f.whale_cvd_usd.item(i)),
            intent=_finite(f.whale_intent_cvd_usd.item(i)),
            retail=_finite(f.retail_cvd_usd.item(i)),
            intensity=_finite(f.whale_intensity.item(i)),
            ofi=_finite(blended_ofi(f.ofi.item(i), bid, ask, cfg.ofi_taker_weight)),
            taker=_finite(f.taker_ratio.item(i)),
        )

    def complete(self, context: MarketContext) -> MarketContext:
        reasons = context.unavailable
        hurst = reasons.get("hurst") == HURST_DEFERRED
        walls = reasons.get(WALLS_KEY) == WALLS_DEFERRED
        if not (hurst or walls):
            return context
        estimate = None
        if hurst:
            columns = self._columns.get(context.symbol)
            if columns is None:
                raise ColumnsError(f"no indicator columns for {context.symbol}")
            i = columns.index(epoch_ns(context.ts))
            if self._closes(columns, i) is None:  # never deferred: a window too short has its reason at once
                raise ColumnsError(f"{context.symbol} at {context.ts.isoformat()}: no Hurst window to complete")
            estimates = self._estimates.get(context.symbol)
            if estimates is None or estimates.prices is not columns.close:
                estimates = WindowEstimates(columns.close, self._cfg.hurst_window, _HURST_BLOCK)
                self._estimates[context.symbol] = estimates
            estimate = estimates.at(i)
        ranked = None
        if walls:
            ts, book, price = self._books.get(context.symbol, (None, None, math.nan))
            if ts != context.ts or book is None:  # only the last snapshot's book is kept
                raise ColumnsError(f"{context.symbol} at {context.ts.isoformat()}: not the last book, no walls to rank")
            ranked = self.ranked_walls(book, price)
        return complete_deferred(self._cfg, context, estimate=estimate, walls=ranked)

    def _walls(
        self, snapshot: MarketSnapshot, book: OrderBook, out: dict[str, Any], unavailable: dict[str, str]
    ) -> None:
        if not self.defer_walls:
            super()._walls(snapshot, book, out, unavailable)
            return
        self._books[snapshot.symbol] = (snapshot.ts, book, snapshot.price)
        unavailable[WALLS_KEY] = WALLS_DEFERRED

    def _closes(self, c: SymbolColumns, i: int) -> FloatArray | None:
        window = self._cfg.hurst_window
        # The builder's call on the builder's window: a batched rolling estimate differs in the 14th digit.
        return c.close[i - window + 1 : i + 1] if i + 1 >= window else None

    def _hurst_oi_at(
        self, c: SymbolColumns, i: int, snapshot: MarketSnapshot, out: dict[str, Any], unavailable: dict[str, str]
    ) -> None:
        closes = self._closes(c, i)
        observed = snapshot.open_interest_usd
        oi = None
        if observed is not None and math.isfinite(observed.value):
            oi = (
                _finite(c.oi.open_interest_usd.item(i)),
                _finite(c.oi.delta_usd.item(i)),
                _finite(c.oi.change_pct.item(i)),
            )
        fill_hurst_oi(
            self._cfg, out, unavailable, closes=closes, have=min(i + 1, self.capacity), oi=oi, defer=self.defer_hurst
        )
