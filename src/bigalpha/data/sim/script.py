"""Turn a scenario's events into the per-minute arrays one chunk of one symbol consumes.

NaN in an array means "no script here": the simulator draws that minute freely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bigalpha.data.sim.book import WallPlan
from bigalpha.data.sim.chain import FeeSpike
from bigalpha.data.sim.params import MINUTES_PER_DAY
from bigalpha.data.sim.scenarios import (
    Drift,
    FeeSpikeEvent,
    FundingSpread,
    LiquidationCluster,
    PricePath,
    Scenario,
    ShortShare,
    Wall,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _nans(n: int) -> FloatArray:
    return np.full(n, np.nan)


@dataclass(slots=True)
class SymbolScript:
    """Scripted inputs of one symbol over one chunk of n minutes."""

    n: int
    close: FloatArray = field(init=False)
    high: FloatArray = field(init=False)
    low: FloatArray = field(init=False)
    relative: npt.NDArray[np.bool_] = field(init=False)
    bridge_target: FloatArray = field(init=False)  # log price to reach
    bridge_left: FloatArray = field(init=False)  # minutes left to reach it
    taker_share: FloatArray = field(init=False)
    informed: FloatArray = field(init=False)
    drift: FloatArray = field(init=False)
    short_level: FloatArray = field(init=False)
    short_weight: FloatArray = field(init=False)
    spread: FloatArray = field(init=False)  # fraction per 8 h
    injections: list[tuple[int, int, float, float]] = field(default_factory=list)  # minute, side, rel, usd
    walls: list[WallPlan] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = self.n
        self.close, self.high, self.low = _nans(n), _nans(n), _nans(n)
        self.relative = np.zeros(n, dtype=bool)
        self.bridge_target, self.bridge_left = _nans(n), _nans(n)
        self.taker_share, self.informed = _nans(n), _nans(n)
        self.drift = np.zeros(n)
        self.short_level, self.short_weight = _nans(n), np.zeros(n)
        self.spread = _nans(n)

    def matrix(self) -> FloatArray:
        """Rows in `core`'s SC_* order: close, high, low, bridge target, bridge minutes left."""
        return np.ascontiguousarray(np.vstack([self.close, self.high, self.low, self.bridge_target, self.bridge_left]))

    def injection_arrays(self) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
        rows = sorted(self.injections)
        return (
            np.array([r[0] for r in rows], dtype=np.int64),
            np.array([r[1] for r in rows], dtype=np.int64),
            np.array([r[2] for r in rows], dtype=np.float64),
            np.array([r[3] for r in rows], dtype=np.float64),
        )


def _window(first: int, n: int, start: int, stop: int) -> tuple[int, int] | None:
    """[start, stop) in absolute minutes, clipped to the chunk, as chunk-local indices."""
    a, b = max(start, first), min(stop, first + n)
    return (a - first, b - first) if a < b else None


def _apply_path(script: SymbolScript, event: PricePath, first: int) -> None:
    n = script.n
    points = sorted(event.waypoints, key=lambda w: w.minute)
    minutes = np.array([event.at_minute + w.minute for w in points])
    closes = np.log(np.array([w.close for w in points]))
    span = _window(first, n, int(minutes[0]), int(minutes[-1]) + 1)
    if span is not None:
        local = np.arange(span[0], span[1])
        script.close[local] = np.exp(np.interp(local + first, minutes, closes))
        script.relative[local] = event.relative
    for w, m in zip(points, minutes.tolist(), strict=True):
        i = m - first
        if not 0 <= i < n:
            continue
        if w.high is not None:
            script.high[i] = w.high
        if w.low is not None:
            script.low[i] = w.low
        if w.taker_buy_share is not None:
            script.taker_share[i] = w.taker_buy_share
        if w.informed is not None:
            script.informed[i] = w.informed
    if event.approach_minutes > 0 and not event.relative:
        target = event.at_minute
        approach = _window(first, n, target - event.approach_minutes, target)
        if approach is not None:
            local = np.arange(approach[0], approach[1])
            script.bridge_target[local] = math.log(points[0].close)
            script.bridge_left[local] = target - (local + first)


def _apply_short_share(script: SymbolScript, event: ShortShare, first: int) -> None:
    span = _window(first, script.n, event.at_minute, event.at_minute + event.duration_minutes)
    if span is None:
        return
    local = np.arange(span[0], span[1])
    elapsed = local + first - event.at_minute
    remaining = event.at_minute + event.duration_minutes - (local + first)
    ramp = max(event.ramp_minutes, 1)
    # Ramp in, hold, ramp out: the scripted level blends with the free one at both ends.
    weight = np.clip(np.minimum(elapsed / ramp, remaining / ramp), 0.0, 1.0)
    script.short_level[local] = event.level
    script.short_weight[local] = weight


def _apply_spread(script: SymbolScript, event: FundingSpread, first: int) -> None:
    span = _window(first, script.n, event.at_minute, event.at_minute + event.duration_minutes)
    if span is None:
        return
    local = np.arange(span[0], span[1])
    frac = (local + first - event.at_minute) / max(event.duration_minutes - 1, 1)
    script.spread[local] = (event.start_bps + (event.end_bps - event.start_bps) * frac) * 1e-4


def symbol_script(scenario: Scenario | None, symbol: str, first: int, n: int) -> SymbolScript:
    """Everything `scenario` scripts for `symbol` in minutes [first, first + n)."""
    script = SymbolScript(n)
    if scenario is None:
        return script
    for event in scenario.events:
        if isinstance(event, FeeSpikeEvent) or event.symbol != symbol:
            continue
        if isinstance(event, PricePath):
            _apply_path(script, event, first)
        elif isinstance(event, ShortShare):
            _apply_short_share(script, event, first)
        elif isinstance(event, FundingSpread):
            _apply_spread(script, event, first)
        elif isinstance(event, Drift):
            span = _window(first, n, event.at_minute, event.at_minute + event.duration_minutes)
            if span is not None:
                script.drift[span[0] : span[1]] += event.per_day / MINUTES_PER_DAY
        elif isinstance(event, LiquidationCluster):
            if first <= event.at_minute < first + n:
                side = 1 if event.side == "short" else -1
                script.injections.append((event.at_minute - first, side, event.offset, event.notional_usd))
        elif isinstance(event, Wall) and first <= event.at_minute < first + n:
            script.walls.append(
                WallPlan(
                    minute=event.at_minute - first,
                    is_ask=event.side == "ask",
                    offset=event.offset,
                    notional_usd=event.notional_usd,
                    duration_minutes=event.duration_minutes,
                )
            )
    return script


def fee_spikes(scenario: Scenario | None, first: int, n: int) -> list[FeeSpike]:
    if scenario is None:
        return []
    return [
        FeeSpike(e.at_minute - first, e.multiple, e.half_life_minutes, e.jito_multiple)
        for e in scenario.events
        if isinstance(e, FeeSpikeEvent) and first <= e.at_minute < first + n
    ]
