"""The BTC range setups around the liquidation bands: S-BTC-L (lower-band long) and S-BTC-S (upper-band short).

Bands come from config (`setups.btc_lower_band_long.band`, `setups.btc_upper_band_short.band_low/high`); a
band set to None is read from positioning data instead: the nearest long-liquidation cluster below price
for the lower band, the nearest short-liquidation cluster above price for the upper band. A band read from
data is latched when the setup arms, so price crossing the cluster does not move the level under it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from bigalpha.config.setups import BtcLowerBandLong, BtcUpperBandShort
from bigalpha.domain import MarketSnapshot, Side, Signal, StrategyName
from bigalpha.indicators.context import MarketContext
from bigalpha.strategies.setups._common import (
    BPS,
    SetupState,
    bar_delta,
    bid_depth_usd,
    check_input,
    cooling_down,
    load_state,
    make_signal,
)


class _LongState(SetupState):
    phase: Literal["idle", "flushed"] = "idle"
    band: float | None = None
    flushed_at: datetime | None = None


class LowerBandLong:
    """S-BTC-L: after a flush below the band, go long on the reclaim above it with positive delta.

    A flush is a bar trading at least `flush_depth_bps` below the band; the reclaim is a later bar (or the
    same one) closing above the band with more taker buying than selling. Stop 28 bps, or 35 when the bid
    depth within `thin_book_range_pct` below price is under `thin_book_depth_usd` (or no book is known);
    targets +25 / +50 / +90 bps; size 0.7×.
    """

    NAME = "s-btc-l"

    def __init__(self, config: BtcLowerBandLong) -> None:
        self._cfg = config
        self._expiry = timedelta(minutes=config.flush_expiry_minutes)
        self._cooldown = timedelta(minutes=config.cooldown_minutes)
        self._state = _LongState()

    @property
    def name(self) -> StrategyName:
        return StrategyName(self.NAME)

    @property
    def config(self) -> BtcLowerBandLong:
        return self._cfg

    @property
    def memory(self) -> tuple[str, float | None, datetime | None, datetime | None]:
        """What a bar can change of the state, `last_ts` aside: phase, band, flush time, last signal time."""
        state = self._state
        return state.phase, state.band, state.flushed_at, state.last_signal_at

    def _band(self, context: MarketContext) -> float | None:
        if self._cfg.band is not None:
            return self._cfg.band
        below = [c.price for c in context.long_clusters or () if c.price < context.price]
        return max(below) if below else None

    def on_market(self, snapshot: MarketSnapshot, context: MarketContext) -> Sequence[Signal]:
        cfg, state = self._cfg, self._state
        if not cfg.enabled or context.symbol != cfg.symbol:
            return ()
        check_input(self.NAME, state, snapshot, context)
        bar = snapshot.bar
        if not self.step(context.ts, bar.low, bar.close, bar_delta(snapshot), lambda: self._band(context)):
            return ()
        depth = bid_depth_usd(snapshot, cfg.thin_book_range_pct)
        thin = depth is None or depth < cfg.thin_book_depth_usd
        return (
            make_signal(
                self.NAME,
                context,
                Side.LONG,
                size_multiplier=cfg.size_multiplier,
                stop_bps=cfg.thin_book_stop_bps if thin else cfg.stop_bps,
                targets_bps=cfg.targets_bps,
            ),
        )

    def step(self, now: datetime, low: float, close: float, delta: float, band: Callable[[], float | None]) -> bool:
        """The flush/reclaim state machine on one bar's facts (`band` is asked only when a flush may arm);
        True when the bar signals, the state then back to idle and cooling down. Pure in the facts, so a
        backtest can run it over a symbol's arrays to find the bars where the state changes."""
        cfg, state = self._cfg, self._state
        state.last_ts = now
        expired = state.flushed_at is not None and now - state.flushed_at > self._expiry
        if state.phase == "flushed" and expired:
            state.phase, state.band, state.flushed_at = "idle", None, None
        if state.phase == "idle":
            if cooling_down(state, now, self._cooldown):
                return False
            level = band()
            if level is None or low > level * (1.0 - cfg.flush_depth_bps / BPS):
                return False
            state.phase, state.band, state.flushed_at = "flushed", level, now
        level = state.band
        if level is None or close <= level or delta <= 0:
            return False
        state.phase, state.band, state.flushed_at, state.last_signal_at = "idle", None, None, now
        return True

    def state_dict(self) -> dict[str, Any]:
        return self._state.model_dump(mode="json")

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._state = load_state(_LongState, self.NAME, state)


class _ShortState(SetupState):
    phase: Literal["idle", "failed_break"] = "idle"
    band_high: float | None = None
    break_high: float | None = None
    bars_since_break: int = 0
    divergence_at_break: float | None = None


class UpperBandShort:
    """S-BTC-S: short a confirmed fail-break of the upper band.

    Fail-break: a bar whose high is above the band's upper edge and whose close is back at or below it.
    Confirmation: within `confirm_bars` later bars, one prints a lower high (below the fail-break's high,
    and back up into the band: at or above `band_low` when that is set) and closes inside; a close above the band first cancels it (the breakout held), a higher high that again
    closes inside becomes the new fail-break. The short is taken only if the short share is below
    `max_short_share` and the funding spread between exchanges has narrowed since the fail-break; either
    input unknown means no signal. Stop 30 bps; targets +25 / +45 / +80 bps; size 0.5×.
    """

    NAME = "s-btc-s"

    def __init__(self, config: BtcUpperBandShort) -> None:
        self._cfg = config
        self._cooldown = timedelta(minutes=config.cooldown_minutes)
        self._state = _ShortState()

    @property
    def name(self) -> StrategyName:
        return StrategyName(self.NAME)

    @property
    def config(self) -> BtcUpperBandShort:
        return self._cfg

    @property
    def idle(self) -> bool:
        """No fail-break is being confirmed: a bar that is not one leaves the state as it is (`last_ts` aside)."""
        return self._state.phase == "idle"

    def _band_high(self, context: MarketContext) -> float | None:
        if self._cfg.band_high is not None:
            return self._cfg.band_high
        above = [c.price for c in context.short_clusters or () if c.price > context.price]
        return min(above) if above else None

    def _arm(self, snapshot: MarketSnapshot, context: MarketContext, band_high: float | None) -> None:
        state, bar = self._state, snapshot.bar
        if band_high is not None and bar.high > band_high and bar.close <= band_high:
            state.phase, state.band_high, state.break_high = "failed_break", band_high, bar.high
            state.bars_since_break, state.divergence_at_break = 0, context.funding_divergence_bps
        else:
            state.phase, state.band_high, state.break_high = "idle", None, None
            state.bars_since_break, state.divergence_at_break = 0, None

    def _filters_pass(self, context: MarketContext) -> bool:
        cfg, state = self._cfg, self._state
        share, now_div, then_div = context.short_share, context.funding_divergence_bps, state.divergence_at_break
        if share is None or now_div is None or then_div is None:
            return False
        return share < cfg.max_short_share and now_div < then_div - cfg.funding_narrowing_bps

    def on_market(  # noqa: PLR0911 - one exit per state transition
        self, snapshot: MarketSnapshot, context: MarketContext
    ) -> Sequence[Signal]:
        cfg, state = self._cfg, self._state
        if not cfg.enabled or context.symbol != cfg.symbol:
            return ()
        check_input(self.NAME, state, snapshot, context)
        now, bar = context.ts, snapshot.bar
        state.last_ts = now
        if state.phase == "idle":
            if not cooling_down(state, now, self._cooldown):
                self._arm(snapshot, context, self._band_high(context))
            return ()
        band_high, break_high = state.band_high, state.break_high
        if band_high is None or break_high is None or bar.close > band_high:
            self._arm(snapshot, context, None)  # the breakout held: no fail-break
            return ()
        if bar.high >= break_high:
            self._arm(snapshot, context, band_high)  # a higher high closing inside is the new fail-break
            return ()
        state.bars_since_break += 1
        if state.bars_since_break > cfg.confirm_bars:
            self._arm(snapshot, context, None)
            return ()
        retest = cfg.band_low is None or bar.high >= cfg.band_low
        if not (retest and self._filters_pass(context)):
            return ()
        self._arm(snapshot, context, None)
        state.last_signal_at = now
        return (
            make_signal(
                self.NAME,
                context,
                Side.SHORT,
                size_multiplier=cfg.size_multiplier,
                stop_bps=cfg.stop_bps,
                targets_bps=cfg.targets_bps,
            ),
        )

    def state_dict(self) -> dict[str, Any]:
        return self._state.model_dump(mode="json")

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._state = load_state(_ShortState, self.NAME, state)
