"""The TRUE TREND hold (P-HOLD-1) of a held shadow judged from arrays: the first bar a backtest must show for it.

While a shadow's hold is not released, `update_hold` re-judges it on every bar: 90 minutes while price moves toward a
liquidation cluster ahead, else the shorter level fixed at entry. A bar changes nothing observable of the shadow but
its closes memory unless the hold may be released on it, or it reaches a blocked tier whose notice (P-HOLD-2,
"tier-1@90") is not yet in the state at that bar's level; the stop, the last tier, the max pain, the max hold and
the lane's last bar are found by `wakeups.first_touch` and bound the search.

`held_wake` runs that judgement as a twin over the bars, with the liquidation clusters each bar's context would carry
(`LaneClusters`: the bar's heatmap through the builder's own `concentrated_levels` / `clusters_around`, and the
policy's own `cluster_ahead_of` / `approaching`), and the closes memory the engine would hold had it seen every bar.
The first such bar k is where something can happen; the engine is shown bars from `toward_cluster_bars` before it,
so that its memory at k is the every-bar one. On those lead-in bars the engine's memory is still partly the one it
holds now: each is judged again with that memory, and where that could release the hold or add a notice, the
lead-in starts earlier (that bar becomes the one the memory must be right on). Every comparison errs on the side of
showing: a level within `_SLACK` of a price counts as reached, and a time within `_EARLY_NS` of a level as served.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from bigalpha.backtest.market import HeatmapRows
from bigalpha.config.indicators import IndicatorsConfig
from bigalpha.config.positions import PositionsConfig
from bigalpha.domain import Side
from bigalpha.indicators.liquidity import Cluster, ConcentratedLevels, clusters_around, concentrated_levels
from bigalpha.positions.holds import approaching, cluster_ahead_of

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_SLACK = 1e-9  # relative, as `wakeups.first_touch`: a target this close to a price counts as reached
_EARLY_NS = 1_000_000  # a hold level this close to being served counts as served
_MINUTE_NS = 60_000_000_000
_MEMO = 4096  # entries a lane's memos keep (a held shadow looks at most a hold's length of bars ahead)
Clusters = tuple[tuple[Cluster, ...], tuple[Cluster, ...]]
K = TypeVar("K")
V = TypeVar("V")


class LaneClusters:
    """The liquidation clusters the context of each bar of one lane carries (`ContextBuilder._per_snapshot`)."""

    def __init__(self, rows: HeatmapRows, config: IndicatorsConfig) -> None:
        self._rows = rows
        self._config = config
        self._levels: dict[int, ConcentratedLevels | None] = {}  # by heatmap refresh
        self._clusters: dict[int, Clusters | None] = {}  # by bar

    def around(self, bar: int, price: float) -> Clusters | None:
        """(short-liquidation clusters, long-liquidation clusters) of bar `bar` at its close `price`; None without."""
        if bar in self._clusters:
            return self._clusters[bar]
        refresh = int(self._rows.refresh[bar])
        if refresh in self._levels:
            levels = self._levels[refresh]
        else:
            pairs = self._rows.pairs(bar)
            cfg = self._config
            levels = (
                None
                if pairs is None
                else concentrated_levels(pairs, concentration_multiple=cfg.liq_concentration_multiple)
            )
            _remember(self._levels, refresh, levels)
        found: Clusters | None = None
        if levels is not None and levels.levels:  # most heatmaps have no concentrated level: no cluster anywhere
            cfg = self._config
            found = clusters_around(levels, price, merge_pct=cfg.liq_merge_pct, max_per_side=cfg.liq_max_clusters)
        _remember(self._clusters, bar, found)
        return found


def _remember(memo: dict[K, V], key: K, value: V) -> None:
    if len(memo) >= _MEMO:
        memo.clear()
    memo[key] = value


@dataclass(frozen=True, slots=True)
class HeldShadow:
    """What the twin reads of a TRUE TREND shadow whose hold is not released, as the engine holds it now."""

    side: Side
    entry: float
    opened_ns: int
    first_bar: int  # the first bar of the lane it is judged on (the first after its opening tick)
    targets: Sequence[float]
    tiers_done: int
    notices: frozenset[str]  # blocked exits already reported
    closes: Sequence[float]  # the hold's closes memory after the last bar the engine judged it on
    far: bool  # entered more than max_pain_far_pct from max pain: the level when not moving toward a cluster


@dataclass(frozen=True, slots=True)
class Bars:
    """One lane's bars as the twin reads them, with each bar's tick instant."""

    high: FloatArray
    low: FloatArray
    close: FloatArray
    bar_ns: IntArray
    clusters: LaneClusters


def held_wake(bars: Bars, shadow: HeldShadow, start: int, end: int, config: PositionsConfig) -> int:
    """The first bar in [start, end] the engine must be shown for `shadow`; `end` is a bar where something happens
    whatever the hold (a stop, the last tier or the max pain reached, the max hold run out, the lane's last bar)."""
    n_bars = config.hold.toward_cluster_bars
    k = end
    for bar in range(start, end):
        reference = float(bars.close[bar - n_bars]) if bar - n_bars >= shadow.first_bar else shadow.entry
        if _may_change(bars, shadow, bar, reference, config):
            k = bar
            break
    while True:
        lead = max(start, k - n_bars)
        memory = list(shadow.closes)
        for bar in range(lead, k):
            memory = [*memory, float(bars.close[bar])][-(n_bars + 1) :]
            reference = memory[0] if len(memory) > n_bars else shadow.entry
            if _may_change(bars, shadow, bar, reference, config):
                k = bar  # judged with the memory the engine would then hold, this bar could change the shadow
                break
        else:
            return lead


def _may_change(bars: Bars, shadow: HeldShadow, bar: int, reference: float, config: PositionsConfig) -> bool:
    """Whether judging `bar` with the closes memory whose oldest close is `reference` may release the hold or report
    a blocked tier not yet reported at the bar's level (`update_hold`, `exits._ladder`)."""
    hold = config.hold
    elapsed_ns = int(bars.bar_ns[bar]) - shadow.opened_ns
    other = hold.far_from_max_pain_minutes if shadow.far else hold.base_minutes
    sign = shadow.side.sign
    favourable = float(bars.high[bar] if sign > 0 else bars.low[bar])
    reached: list[int] = []  # the blocked tiers (all but the last) the bar may reach, in ladder order
    for index in range(shadow.tiers_done, len(shadow.targets) - 1):
        target = shadow.targets[index]
        if sign * (target - favourable) > abs(target) * _SLACK:
            break
        reached.append(index + 1)
    if not reached and elapsed_ns < _MINUTE_NS * min(other, hold.toward_cluster_minutes) - _EARLY_NS:
        return False
    close = float(bars.close[bar])
    around = bars.clusters.around(bar, close)
    toward = False
    if around is not None:
        cluster = cluster_ahead_of(shadow.side, close, around[0], around[1], config)
        toward = cluster is not None and approaching(shadow.side, reference, close, cluster.price)
    minutes = hold.toward_cluster_minutes if toward else other
    if elapsed_ns >= _MINUTE_NS * minutes - _EARLY_NS:
        return True
    return any(f"tier-{tier}@{minutes}" not in shadow.notices for tier in reached)
