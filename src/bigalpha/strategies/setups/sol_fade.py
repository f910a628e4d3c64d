"""S-SOL-FADE: fade a Solana priority-fee shock back to VWAP.

The baseline is the median p50 priority fee over the last `baseline_minutes` (at least
`baseline_min_samples` observations, the current one excluded). A spike starts when the fee exceeds
`spike_multiple` × baseline; its peak is the highest fee since. The fade triggers when the fee falls to
(1 − `decay_pct`) × peak or lower within `decay_window_s` of the peak. Until that window closes, the setup
fades price back to the VWAP of the last `vwap_minutes` bars on the first tick where price is at least
`min_vwap_distance_bps` away from it: short above it, long below it; the target is the VWAP itself. After
a fade, or once the window has closed, the spike is spent, and nothing re-arms until the fee is back under
the spike threshold.
Size 0.6×, halved while Jito tips stay elevated (above `jito_elevated_multiple` × their own median);
stop 35 bps, 45 while elevated. An unknown Jito level counts as elevated (the smaller size).
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, Literal

from pydantic import Field

from bigalpha.config.setups import SolFeeFade
from bigalpha.domain import MarketSnapshot, Side, Signal, StrategyName
from bigalpha.indicators.context import MarketContext
from bigalpha.strategies.setups._common import (
    BPS,
    SetupState,
    at_least,
    check_input,
    cooling_down,
    load_state,
    make_signal,
)
from bigalpha.strategies.setups._window import TimedWindow


class _FadeState(SetupState):
    phase: Literal["idle", "spiking", "spent"] = "idle"
    fees: list[tuple[datetime, float]] = Field(default_factory=list)
    tips: list[tuple[datetime, float]] = Field(default_factory=list)
    bars: list[tuple[datetime, float, float]] = Field(default_factory=list)  # (time, typical price, volume)
    peak: float | None = None
    peak_at: datetime | None = None
    spike_baseline: float | None = None


class SolFeeFadeSetup:
    """S-SOL-FADE as a `Strategy`.

    The three rolling windows (fees, Jito tips, VWAP bars) live outside `_FadeState` while the setup runs, as
    windows pruned from their oldest end (the fee median kept sorted, `TimedWindow`), so a bar costs the same
    whatever the windows hold; `state_dict` writes them back into the state's lists, in the same order."""

    NAME = "s-sol-fade"

    def __init__(self, config: SolFeeFade) -> None:
        self._cfg = config
        self._baseline_span = timedelta(minutes=config.baseline_minutes)
        self._vwap_span = timedelta(minutes=config.vwap_minutes)
        self._decay_window = timedelta(seconds=config.decay_window_s)
        self._cooldown = timedelta(minutes=config.cooldown_minutes)
        self._load(_FadeState())

    def _load(self, state: _FadeState) -> None:
        self._fees = TimedWindow(state.fees)
        self._tips = TimedWindow(state.tips)
        self._bars: deque[tuple[datetime, float, float]] = deque(state.bars)
        self._state = state.model_copy(update={"fees": [], "tips": [], "bars": []})

    @property
    def name(self) -> StrategyName:
        return StrategyName(self.NAME)

    def _vwap(self) -> float | None:
        volume = sum(v for _, _, v in self._bars)
        if volume <= 0:
            return None
        return sum(p * v for _, p, v in self._bars) / volume

    def _tip_baseline(self, count: int) -> float | None:
        """The median of the first `count` tips of the window (those seen before this bar)."""
        if count < self._cfg.baseline_min_samples:
            return None
        return statistics.median(value for _, value in islice(self._tips.items, count))

    def _remember(self, snapshot: MarketSnapshot, context: MarketContext) -> None:
        bar, now = snapshot.bar, context.ts
        if context.priority_fee_p50 is not None:
            self._fees.append(now, context.priority_fee_p50)
        if context.jito_tip is not None:
            self._tips.append(now, context.jito_tip)
        vwap_since, bars = now - self._vwap_span, self._bars
        while bars and bars[0][0] <= vwap_since:
            bars.popleft()
        bars.append((now, (bar.high + bar.low + bar.close) / 3.0, bar.volume))

    def _triggered(  # noqa: PLR0911 - one exit per state transition
        self, fee: float | None, baseline: float | None, now: datetime
    ) -> bool:
        cfg, state = self._cfg, self._state
        if fee is None:
            return False
        if state.phase == "spent":
            limit = state.spike_baseline if baseline is None else baseline
            if limit is None or fee <= cfg.spike_multiple * limit:
                state.phase, state.peak, state.peak_at, state.spike_baseline = "idle", None, None, None
            return False
        if state.phase == "idle":
            if baseline is not None and fee > cfg.spike_multiple * baseline:
                state.phase, state.peak, state.peak_at, state.spike_baseline = "spiking", fee, now, baseline
            return False
        if state.peak is None or state.peak_at is None:
            state.phase = "idle"
            return False
        if fee > state.peak:
            state.peak, state.peak_at = fee, now
            return False
        if now - state.peak_at > self._decay_window:
            state.phase = "spent"
            return False
        # Decayed within the window: fade-ready for as long as the window lasts (price may dislocate a bar later).
        return at_least(1.0 - fee / state.peak, cfg.decay_pct)

    def on_market(self, snapshot: MarketSnapshot, context: MarketContext) -> Sequence[Signal]:
        cfg, state = self._cfg, self._state
        if not cfg.enabled or context.symbol != cfg.symbol:
            return ()
        check_input(self.NAME, state, snapshot, context)
        now = context.ts
        state.last_ts = now
        since = now - self._baseline_span
        self._fees.prune(since)
        self._tips.prune(since)
        fee_baseline = self._fees.median() if len(self._fees) >= cfg.baseline_min_samples else None
        tips_before = len(self._tips)  # the tip baseline excludes this bar's tip, as the fee baseline its fee
        fire = self._triggered(context.priority_fee_p50, fee_baseline, now)
        self._remember(snapshot, context)
        if not fire or cooling_down(state, now, self._cooldown):
            return ()
        vwap = self._vwap()
        if vwap is None:
            return ()
        distance_bps = abs(context.price - vwap) / context.price * BPS
        if distance_bps < cfg.min_vwap_distance_bps or distance_bps <= 0:
            return ()
        tip = context.jito_tip
        tip_baseline = self._tip_baseline(tips_before)
        elevated = tip is None or tip_baseline is None or tip > cfg.jito_elevated_multiple * tip_baseline
        state.phase, state.last_signal_at = "spent", now
        return (
            make_signal(
                self.NAME,
                context,
                Side.SHORT if context.price > vwap else Side.LONG,
                size_multiplier=cfg.size_multiplier * (cfg.jito_size_factor if elevated else 1.0),
                stop_bps=cfg.jito_stop_bps if elevated else cfg.stop_bps,
                targets_bps=[distance_bps],
            ),
        )

    def state_dict(self) -> dict[str, Any]:
        windows = {"fees": list(self._fees.items), "tips": list(self._tips.items), "bars": list(self._bars)}
        return self._state.model_copy(update=windows).model_dump(mode="json")

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._load(load_state(_FadeState, self.NAME, state))
