"""The next bar on which an open shadow trade (L-SHADOW-1) can change: the bars a backtest must show for it.

`evaluate_exits` changes a shadow only on a bar where one of these happens (every other bar leaves its
actions empty and its state equal, which `tests/unit/backtest/test_bt_sparse.py` proves run against run):

- the bar opens beyond or reaches the stop (P-STOP-1);
- the bar reaches the next pending target of the ladder (P-LADDER-1: targets are ordered, so a bar that
  misses the next one misses them all), or the ladder is complete with a remainder open;
- the bar reaches the max pain at entry, not yet hit (L-MP-1 records the first hit);
- the setup's max hold has run out;
- the position is TRUE TREND, its hold is not yet served (P-HOLD-1) and the hold may be released on the bar, or the
  bar reaches a blocked tier not yet reported at the bar's hold level (P-HOLD-2); where a lane's heatmaps are not
  known from arrays (history files), every bar once the shortest hold level has run out.

A TRUE TREND hold keeps the closes of its last `toward_cluster_bars` + 1 bars (whether price is moving toward a
cluster). Until the shortest hold level has run out nothing can be released, and a bar that touches no level
changes only those closes; so a held shadow is shown from `toward_cluster_bars` bars *before* the first bar where
something can happen, or its symbol's last bar (where the end of data closes it), and its closes on that bar are
the ones it would hold had it seen every bar.

Where the lane's heatmaps are known, `hold_twin.held_wake` judges the hold from arrays bar by bar, with the clusters
each bar's context carries, to find the first bar where it can change the shadow, and says from which bar on the
engine must see the bars for its closes to be the every-bar ones there.

So the backtest scans a shadow's bars once, in machine code, for the first bar where any of these can happen,
and shows the engine that bar. The scan errs on the side of showing: a level compared within `_SLACK` of a
price counts as reached (a bar shown for nothing costs time, a bar missed would change the result).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import numba
import numpy as np
import numpy.typing as npt

from bigalpha.backtest.contexts import epoch_ns
from bigalpha.backtest.hold_twin import Bars, HeldShadow, LaneClusters, held_wake
from bigalpha.backtest.market import Lane
from bigalpha.config.indicators import IndicatorsConfig
from bigalpha.config.positions import PositionsConfig
from bigalpha.domain import Position, Side, Symbol
from bigalpha.learning.shadow import Shadow, as_position
from bigalpha.positions.holds import far_from_max_pain

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_SLACK = 1e-9  # relative: a level this close to a price counts as touched
_NONE = np.nan
_EARLY_NS = 1_000_000  # time limits are looked up a millisecond early: err on showing


@numba.njit(cache=True)
def first_touch(
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    start: int,
    end: int,
    sign: int,
    stop: float,
    target: float,
    pain: float,
    pain_above: bool,
) -> int:
    """The first bar in [start, end) that reaches `stop`, `target` or `pain` (NaN: no such level); `end` if none."""
    has_target = not math.isnan(target)
    has_pain = not math.isnan(pain)
    stop_slack = abs(stop) * _SLACK
    target_slack = abs(target) * _SLACK if has_target else 0.0
    pain_slack = abs(pain) * _SLACK if has_pain else 0.0
    found = end
    for j in range(start, end):
        # distances in the winning direction: at or below the slack means the level is reached
        adverse, favourable = (low[j], high[j]) if sign > 0 else (high[j], low[j])
        stop_hit = sign * (open_[j] - stop) <= stop_slack or sign * (adverse - stop) <= stop_slack
        target_hit = has_target and sign * (target - favourable) <= target_slack
        pain_hit = has_pain and ((high[j] - pain >= -pain_slack) if pain_above else (pain - low[j] >= -pain_slack))
        if stop_hit or target_hit or pain_hit:
            found = j
            break
    return found


class _Entry(NamedTuple):
    """What a shadow's next wake-up was computed from, and the answer (a global tick index)."""

    key: tuple[object, ...]
    wake: int


class _Meta(NamedTuple):
    """What a shadow's wake-up reads of it that never changes while it is open."""

    true_trend: bool  # TRUE TREND at entry
    pain: float  # max pain at entry, NaN when unknown
    shortest_hold_ns: int  # the shortest hold it can be released after
    opened_ns: int
    sign: int  # +1 long, -1 short
    far: bool  # more than max_pain_far_pct from max pain at entry (P-HOLD-1)
    entry: float


class Held(NamedTuple):
    """What a wake-up reads of an open shadow or position, as the engine holds it now."""

    id: str
    symbol: Symbol
    stop: float  # its stop, or a nearer level whose reach must be shown too (a position's R-K-1 level)
    targets: Sequence[float]
    tiers_done: int
    hold: Mapping[str, Any]  # its exit state (`HoldState` as JSON data)
    meta: _Meta


class Waker:
    """The first bar at which an open shadow or position (a `Held`) can change: what `ShadowWakeups` and
    `PositionWakeups` share, with the lanes' heatmaps read once for both."""

    def __init__(
        self,
        lanes: Mapping[Symbol, Lane],
        tick_ns: IntArray,
        never: int,
        config: PositionsConfig,
        indicators: IndicatorsConfig | None = None,
    ) -> None:
        """`indicators` (the clusters' settings) lets a held trade's hold be judged from the lanes' heatmaps;
        without it, or for a lane without known heatmaps, a held trade is shown every bar it may be released on."""
        self.lanes = lanes
        self.never = never
        self._config = config
        self._indicators = indicators
        self._bars: dict[Symbol, Bars | None] = {}  # by symbol, made when a held trade first needs them
        self._hold_bars = config.hold.toward_cluster_bars
        self._bar_ns = {s: tick_ns[lane.tick] for s, lane in lanes.items()}

    def meta(self, true_trend: bool, pain: float | None, entry: float, opened_ns: int, sign: int) -> _Meta:
        """What a wake-up reads of a trade that never changes while it is open."""
        hold = self._config.hold
        # P-HOLD-1's levels by priority: moving toward a cluster, else far from max pain (fixed at entry), else
        # the base; the shorter of the two this trade can be held at is the earliest release.
        far = far_from_max_pain(entry, pain, self._config)
        other = hold.far_from_max_pain_minutes if far else hold.base_minutes
        return _Meta(
            true_trend=true_trend,
            pain=_NONE if pain is None else float(pain),
            shortest_hold_ns=60_000_000_000 * min(hold.toward_cluster_minutes, other),
            opened_ns=opened_ns,
            sign=sign,
            far=far,
            entry=entry,
        )

    def wake(self, i: int, held: Held) -> int:
        """The first tick after tick `i` at which `held` must be shown (`never` when none)."""
        lane = self.lanes[held.symbol]
        start = int(lane.tick.searchsorted(i, side="right"))
        end = len(lane.tick)
        if start >= end:
            return self.never
        meta = held.meta
        hold = held.hold
        targets = held.targets
        if held.tiers_done >= len(targets):
            return int(lane.tick[start])  # a remainder to close now
        bar_ns = self._bar_ns[held.symbol]
        max_hold_s = hold.get("max_hold_s")
        if max_hold_s is not None:
            limit = meta.opened_ns + int(float(max_hold_s) * 1e9) - _EARLY_NS
            end = max(start, min(end, int(bar_ns.searchsorted(limit, side="left"))))
        holding = meta.true_trend and not hold.get("released", False)
        pain = _NONE if hold.get("max_pain_hit", False) else meta.pain
        if holding:
            bars = self._bars_of(lane)
            if bars is not None:
                return int(lane.tick[self._held(lane, bars, start, end, held, pain)])
            release = int(bar_ns.searchsorted(meta.opened_ns + meta.shortest_hold_ns - _EARLY_NS, side="left"))
            end = max(start, min(end, release))
        j = _first_touch(lane, start, end, held, targets[held.tiers_done], pain)
        if holding:
            # The hold's closes of the bars before, as if it saw every bar; the lane's last bar counts as a bar where
            # something happens (the end of data closes the trade with the closes it then holds).
            j = max(start, min(j, len(lane.tick) - 1) - self._hold_bars)
        if j >= len(lane.tick):
            return self.never
        return int(lane.tick[j])

    def _held(self, lane: Lane, bars: Bars, start: int, end: int, held: Held, pain: float) -> int:
        """The first bar to show a held trade (`hold_twin`): before the bar where it can change, by its closes."""
        hold = held.hold
        meta = held.meta
        # Whatever the hold: the stop, the last tier (never blocked), the max pain, the max hold, the last bar.
        found = _first_touch(lane, start, end, held, held.targets[-1], pain)
        twin = HeldShadow(
            side=Side.LONG if meta.sign > 0 else Side.SHORT,
            entry=meta.entry,
            opened_ns=meta.opened_ns,
            first_bar=int(bars.bar_ns.searchsorted(meta.opened_ns, side="right")),
            targets=held.targets,
            tiers_done=held.tiers_done,
            notices=frozenset(hold.get("blocked_notices", ())),
            closes=[float(c) for c in hold.get("closes", ())],
            far=meta.far,
        )
        return held_wake(bars, twin, start, min(found, len(lane.tick) - 1), self._config)

    def _bars_of(self, lane: Lane) -> Bars | None:
        if lane.symbol not in self._bars:
            bars = None
            if self._indicators is not None and lane.heatmaps is not None:
                clusters = LaneClusters(lane.heatmaps(), self._indicators)
                bars = Bars(lane.high, lane.low, lane.close, self._bar_ns[lane.symbol], clusters)
            self._bars[lane.symbol] = bars
        return self._bars[lane.symbol]


class ShadowWakeups:
    """Per symbol, the tick index at which each open shadow must next be shown to the engine."""

    def __init__(self, waker: Waker) -> None:
        self.waker = waker
        lanes = waker.lanes
        self._entries: dict[Symbol, dict[str, _Entry]] = {s: {} for s in lanes}
        self._earliest: dict[Symbol, int] = dict.fromkeys(lanes, waker.never)
        self._meta: dict[str, _Meta] = {}  # by shadow id

    def earliest(self) -> int:
        """The first tick at which some shadow must be shown (`never` when none)."""
        return min(self._earliest.values(), default=self.waker.never)

    def due(self, i: int) -> set[Symbol]:
        """The symbols whose shadows must be shown at tick `i`."""
        return {s for s, wake in self._earliest.items() if wake <= i}

    def due_ids(self, i: int) -> set[str]:
        """The shadows that tick `i` can change (the engine need judge no other)."""
        return {
            shadow_id
            for symbol, wake in self._earliest.items()
            if wake <= i
            for shadow_id, entry in self._entries[symbol].items()
            if entry.wake <= i
        }

    def after_tick(
        self,
        i: int,
        symbols: Iterable[Symbol],
        open_shadows: Mapping[str, Shadow],
        judged: Collection[str] | None = None,
    ) -> None:
        """Recompute the wake-ups of the shadows on `symbols`, whose bar of tick `i` the engine just saw.

        `judged` are the shadows the engine was told it may change (`process_tick(…, due_shadows=judged)`; None: it
        judged every shadow of the tick's symbols). A shadow it was not told of is unchanged and not yet due, so
        its wake-up stands as computed; only the judged ones and those opened on this tick are looked at."""
        by_symbol: dict[str, list[Shadow]] = {s: [] for s in symbols}
        for shadow in open_shadows.values():
            group = by_symbol.get(shadow.symbol)
            if group is not None:
                group.append(shadow)
        never = self.waker.never
        for name, shadows in by_symbol.items():
            symbol = Symbol(name)
            old = self._entries.get(symbol, {})
            entries: dict[str, _Entry] = {}
            earliest = never
            for shadow in shadows:
                entry = old.get(shadow.id)
                if entry is not None and judged is not None and shadow.id not in judged:
                    entries[shadow.id] = entry
                    earliest = min(earliest, entry.wake)
                    continue
                key = _key(shadow)
                if entry is None or entry.wake <= i or entry.key != key:
                    entry = _Entry(key, self.waker.wake(i, self._view(shadow)))
                entries[shadow.id] = entry
                earliest = min(earliest, entry.wake)
            for gone in old.keys() - entries.keys():
                self._meta.pop(gone, None)
            self._entries[symbol] = entries
            self._earliest[symbol] = earliest

    def _view(self, shadow: Shadow) -> Held:
        state = shadow.state
        return Held(
            id=shadow.id,
            symbol=Symbol(shadow.symbol),
            stop=shadow.stop_price,
            targets=shadow.targets,
            tiers_done=int(state.get("tiers_done", 0)),
            hold=state.get("exit_state", {}),
            meta=self._meta_of(shadow),
        )

    def _meta_of(self, shadow: Shadow) -> _Meta:
        cached = self._meta.get(shadow.id)
        if cached is None:
            # The shadow's position view parses its metadata once and is kept on the shadow: the engine's next
            # judgement of the shadow reuses it (`as_position`).
            meta = as_position(shadow).meta
            cached = self.waker.meta(
                true_trend=meta is not None and meta.true_trend,
                pain=None if meta is None else meta.max_pain_at_entry,
                entry=shadow.entry_price,
                opened_ns=epoch_ns(shadow.opened_at),
                sign=1 if shadow.side == "LONG" else -1,
            )
            self._meta[shadow.id] = cached
        return cached


class PositionWakeups:
    """The tick index at which each open position must next be shown to the engine, and judged by its exit policy.

    A position changes on the bars `evaluate_exits` changes a shadow on (the module docstring), judged by the same
    policy; and the account's kill switch can trip on its mark (R-K-1: the session drawdown). That drawdown is the
    open positions' total unrealized P&L falling below the account's floor (`RiskPolicy.unrealized_floor`). When the
    total of k positions is below the floor, at least one of them is below a k-th of it; so each position is also
    shown from the first bar that reaches the price at which its own P&L is a k-th of the floor, found as a nearer
    stop. The floor changes only where the account does: on a close, a reset, or a new day or session, all shown."""

    def __init__(self, waker: Waker) -> None:
        self.waker = waker
        self._entries: dict[str, _Entry] = {}
        self._symbols: dict[str, Symbol] = {}
        self._meta: dict[str, _Meta] = {}  # by position id

    def earliest(self) -> int:
        """The first tick at which some position must be shown (`never` when none)."""
        return min((entry.wake for entry in self._entries.values()), default=self.waker.never)

    def due(self, i: int) -> set[Symbol]:
        """The symbols whose positions must be shown at tick `i`."""
        return {self._symbols[pid] for pid, entry in self._entries.items() if entry.wake <= i}

    def quiet(self, i: int, pending: Collection[str]) -> set[str]:
        """The open positions tick `i` cannot change: not due, and no order of theirs waiting for a fill (a position
        met for the first time is judged, as on every bar)."""
        return {pid for pid, entry in self._entries.items() if entry.wake > i and pid not in pending}

    def after_tick(
        self,
        i: int,
        positions: Iterable[Position],
        exit_states: Mapping[str, Mapping[str, Any]],
        floor: Decimal | None,
        quiet: Collection[str],
    ) -> None:
        """Recompute the wake-ups after tick `i`: the positions the engine judged (not `quiet`), the new ones, and
        those whose quantity, tiers or R-K-1 level has changed since their wake-up was computed."""
        held = [p for p in positions if p.quantity > 0]
        entries: dict[str, _Entry] = {}
        for position in held:
            stop = _drawdown_stop(position, floor, len(held))
            key = (position.quantity, position.tiers_done, stop)
            entry = self._entries.get(position.id)
            if entry is None or position.id not in quiet or entry.wake <= i or entry.key != key:
                view = self._view(position, stop, exit_states.get(position.id, {}))
                entry = _Entry(key, self.waker.wake(i, view))
            entries[position.id] = entry
            self._symbols[position.id] = position.symbol
        for gone in self._entries.keys() - entries.keys():
            self._meta.pop(gone, None)
            self._symbols.pop(gone, None)
        self._entries = entries

    def _view(self, position: Position, stop: float, hold: Mapping[str, Any]) -> Held:
        meta = self._meta.get(position.id)
        if meta is None:
            facts = position.meta
            meta = self._meta[position.id] = self.waker.meta(
                true_trend=facts is not None and facts.true_trend,
                pain=None if facts is None else facts.max_pain_at_entry,
                entry=float(position.entry_price),
                opened_ns=epoch_ns(position.opened_at),
                sign=position.side.sign,
            )
        return Held(
            id=position.id,
            symbol=position.symbol,
            stop=stop,
            targets=[float(target) for target in position.targets],
            tiers_done=position.tiers_done,
            hold=hold,
            meta=meta,
        )


def _drawdown_stop(position: Position, floor: Decimal | None, count: int) -> float:
    """The position's stop, or the price at which its unrealized P&L is `floor / count` when that comes first."""
    stop = float(position.stop_price)
    if floor is None:
        return stop
    sign = position.side.sign
    level = float(position.entry_price + sign * floor / (count * position.quantity))
    return max(stop, level) if sign > 0 else min(stop, level)


def _first_touch(lane: Lane, start: int, end: int, held: Held, target: float, pain: float) -> int:
    """The first bar in [start, end) that reaches the trade's stop, `target` or `pain` (`first_touch`); `end` if
    none does."""
    meta = held.meta
    return int(
        first_touch(
            lane.open,
            lane.high,
            lane.low,
            start,
            end,
            meta.sign,
            held.stop,
            target,
            pain,
            bool(pain >= meta.entry),
        )
    )


def _key(shadow: Shadow) -> tuple[object, ...]:
    state = shadow.state
    hold = state.get("exit_state", {})
    return (state.get("tiers_done", 0), state.get("closed"), hold.get("released"), hold.get("max_pain_hit"))
