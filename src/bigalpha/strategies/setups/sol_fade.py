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

    @property
    def config(self) -> SolFeeFade:
        return self._cfg

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

    def _take_tip(self, now: datetime, tip: float | None) -> int:
        """Prune the tip window to the baseline span, take in this bar's tip; the count of tips seen before."""
        self._tips.prune(now - self._baseline_span)
        before = len(self._tips)
        if tip is not None:
            self._tips.append(now, tip)
        return before

    def _take_bar(self, now: datetime, typical: float, volume: float) -> None:
        vwap_since, bars = now - self._vwap_span, self._bars
        while bars and bars[0][0] <= vwap_since:
            bars.popleft()
        bars.append((now, typical, volume))

    @property
    def memory(self) -> tuple[str, float | None, datetime | None, float | None, datetime | None]:
        """What a bar can change of the state besides its windows and `last_ts`: phase, peak, peak time,
        spike baseline, last signal time."""
        state = self._state
        return state.phase, state.peak, state.peak_at, state.spike_baseline, state.last_signal_at

    def remember(self, now: datetime, fee: float | None, tip: float | None, typical: float, volume: float) -> None:
        """Take in a bar (its fee, tip, typical price and volume) without judging it: `on_market` on a bar that
        changes nothing but the windows, for a backtest that shows this setup only the bars where it can signal
        or change its phase (`bigalpha.backtest.setup_filters`)."""
        self._state.last_ts = now
        self._take_tip(now, tip)
        self._fees.prune(now - self._baseline_span)
        if fee is not None:
            self._fees.append(now, fee)
        self._take_bar(now, typical, volume)

    def step(
        self, now: datetime, fee: float | None, typical: float, volume: float, price: float
    ) -> tuple[float, float] | None:
        """The phase machine and the fade on one bar's facts (Jito tips aside, which only size the signal): the
        VWAP faded back to and the distance to it (bps) when the bar signals (the state then spent and cooling
        down), else None. Pure in the facts, so a backtest can run it over a symbol's arrays to find the bars where
        the state changes."""
        cfg, state = self._cfg, self._state
        state.last_ts = now
        self._fees.prune(now - self._baseline_span)
        fee_baseline = self._fees.median() if len(self._fees) >= cfg.baseline_min_samples else None
        fire = self._triggered(fee, fee_baseline, now)
        if fee is not None:
            self._fees.append(now, fee)
        self._take_bar(now, typical, volume)
        if not fire or cooling_down(state, now, self._cooldown):
            return None
        vwap = self._vwap()
        if vwap is None:
            return None
        distance_bps = abs(price - vwap) / price * BPS
        if distance_bps < cfg.min_vwap_distance_bps or distance_bps <= 0:
            return None
        state.phase, state.last_signal_at = "spent", now
        return vwap, distance_bps

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
        cfg = self._cfg
        if not cfg.enabled or context.symbol != cfg.symbol:
            return ()
        check_input(self.NAME, self._state, snapshot, context)
        now, bar, tip = context.ts, snapshot.bar, context.jito_tip
        tips_before = self._take_tip(now, tip)  # the tip baseline excludes this bar's tip, as the fee baseline its fee
        price = context.price
        fade = self.step(now, context.priority_fee_p50, (bar.high + bar.low + bar.close) / 3.0, bar.volume, price)
        if fade is None:
            return ()
        vwap, distance_bps = fade
        tip_baseline = self._tip_baseline(tips_before)
        elevated = tip is None or tip_baseline is None or tip > cfg.jito_elevated_multiple * tip_baseline
        return (
            make_signal(
                self.NAME,
                context,
                Side.SHORT if price > vwap else Side.LONG,
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
