"""Which bars a tactical setup must be shown in a backtest, and how it catches up on the others.

A setup is a state machine fed by every bar of its symbol (`bigalpha.strategies.setups`). A bar may be left
out only if the setup cannot signal on it *and* leaving it out leaves the setup in the state it would have had
(its `last_ts` aside, which only orders the bars it is shown). Per setup:

- S-BTC-L with a configured band: its state changes only on a flush, an expiry or a signal. Its own state
  machine (`LowerBandLong.step`) is run over the symbol's arrays from the setup's current state; the bars
  where it signals or changes its state are shown, and on every other bar it does nothing.
- S-BTC-S with a configured band: idle, its state is the same after any bar but a fail-break (a high above
  the band, a close back at or below it); the fail-break and the `confirm_bars + 1` bars after it, over which
  the confirmation is judged, are shown.
- S-XRP-SQ: it can signal only on a dip (a close `dip_bps` below the highest high of the lookback); the bars
  where the dip, measured from the highest high of at least the lookback, can reach that are shown. Its
  window of highs changes on every bar: before a bar is shown, the bars left out since the last one shown are
  handed to it (`XrpSqueezeSetup.remember`), so it judges the bar on the same window.
- S-SOL-FADE: its phase (idle, spiking, spent, with the spike's peak and baseline) changes only on some bars; its
  own step (`SolFeeFadeSetup.step`) is run over the symbol's arrays (each bar's priority fee as its snapshot
  carries it, `Lane.fees`, typical price, volume, close) from the setup's current state, and the bars where it
  signals or changes its phase are shown. Its windows of fees, Jito tips and VWAP bars change on every bar: the
  bars left out are handed to it (`SolFeeFadeSetup.remember`) before the next one shown. Without fees (a history
  feed) it never signals and only its VWAP window moves.
- A band read from positioning data (None in config), and S-SOL-FADE on a lane that cannot say which fees its
  snapshots carry, have no filter: every bar of their symbol is shown.

Each filtered setup is shown the last bar of its lane, so that the state it saves at the end of a run is the
state after every bar.

Every comparison with a level is made with `TOLERANCE` in the direction that shows more bars, so a bar is
never left out by rounding; the setup itself decides on the bars it is shown. Tests prove the runs equal those
showing every bar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from bigalpha.backtest.market import Lane
from bigalpha.domain import Symbol
from bigalpha.indicators.flow import FlowInputs
from bigalpha.strategies.base import Strategy
from bigalpha.strategies.setups import LowerBandLong, SolFeeFadeSetup, UpperBandShort, XrpSqueezeSetup
from bigalpha.strategies.setups._common import BPS

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# Relative: a level is widened by this much in the direction that shows more bars, far more than the rounding
# of a dip measured from a higher high (a few ulps) and than the setups' own 1e-9 at their boundaries.
TOLERANCE = 1e-7
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def bar_time(ns: int) -> datetime:
    """A bar's instant as the snapshot carries it (aware UTC, microseconds), from integer nanoseconds."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


@dataclass
class SetupFilter:
    """The bars (of its symbol's lane) a setup must be shown, and how it catches up on those it is not."""

    symbol: Symbol
    shown: BoolArray  # per lane bar
    catch_up: Callable[[int, int], None] | None = None  # hands the setup the lane bars [first, end) left out
    next_bar: int = 0  # the first lane bar the setup has not taken in (after a warm-up: the first bar traded)

    def before_shown(self, bar: int) -> None:
        """Lane bar `bar` is about to be shown: first hand the setup the bars left out since the last one."""
        if self.catch_up is not None and bar > self.next_bar:
            self.catch_up(self.next_bar, bar)
        self.next_bar = bar + 1


def _widen(level: float) -> float:
    return TOLERANCE * max(1.0, abs(level))


def _lower_band_filter(
    setup: LowerBandLong, lane: Lane, bar_ns: IntArray, flow: FlowInputs, start: int
) -> SetupFilter | None:
    cfg = setup.config
    level = cfg.band
    if level is None:
        return None
    twin = LowerBandLong(cfg)
    twin.load_state_dict(setup.state_dict())
    taker_buy, volume = flow.taker_buy.tolist(), flow.volume.tolist()
    low, close = lane.low.tolist(), lane.close.tolist()

    def band() -> float | None:
        return level

    shown = np.zeros(len(low), dtype=np.bool_)
    times = bar_ns.tolist()
    for j in range(start, len(times)):
        ns = times[j]
        before = twin.memory
        buy = taker_buy[j]  # the bar's delta as `bar_delta` computes it: buys minus (volume - buys)
        if twin.step(bar_time(ns), low[j], close[j], buy - (volume[j] - buy), band) or twin.memory != before:
            shown[j] = True
    return SetupFilter(lane.symbol, shown)


def _upper_band_filter(setup: UpperBandShort, lane: Lane, start: int) -> SetupFilter | None:
    cfg = setup.config
    level = cfg.band_high
    if level is None:
        return None
    slack = _widen(level)
    fail_break = (lane.high > level - slack) & (lane.close <= level + slack)
    fail_break[:start] = False  # a warm-up's bars are never shown to the setup
    if not setup.idle:  # a fail-break from before the history is still being confirmed
        fail_break[start : start + 1] = True
    shown = fail_break.copy()
    for k in range(1, cfg.confirm_bars + 2):  # the bars over which a fail-break is confirmed or dropped
        shown[k:] |= fail_break[:-k]
    return SetupFilter(lane.symbol, shown)


def _squeeze_filter(setup: XrpSqueezeSetup, lane: Lane, bar_ns: IntArray, start: int) -> SetupFilter:
    cfg = setup.config
    lookback_ns = cfg.dip_lookback_minutes * 60 * 1_000_000_000
    n = bar_ns.shape[0]
    # The most bars any lookback holds: the highest high over that many bars is at least the lookback's, so
    # the dip measured from it is at least the setup's.
    first = np.searchsorted(bar_ns, bar_ns - lookback_ns, side="right")
    span = int((np.arange(n) - first).max()) + 1 if n else 1
    high = lane.high.copy()
    for k in range(1, span):
        high[k:] = np.maximum(high[k:], lane.high[:-k])
    with np.errstate(invalid="ignore", divide="ignore"):
        dip = (high - lane.close) / high * BPS
    # A warm-up's highs count here but are never handed to the setup: its dip is at most this one (still a superset).
    shown: BoolArray = ~(dip < cfg.dip_bps - _widen(cfg.dip_bps))  # NaN: shown
    shown[:start] = False
    if setup.remembers_highs:  # highs from before the history are in the first bars' lookback
        shown[start : start + span] = True
    highs, times = lane.high.tolist(), bar_ns.tolist()

    def catch_up(first_bar: int, end: int) -> None:
        # Only the left-out bars inside the next shown bar's lookback can reach its window (a second more is
        # handed over so that no rounding of the instants matters: the setup prunes what is older itself).
        since = times[end] - lookback_ns - 1_000_000_000
        start = max(first_bar, int(np.searchsorted(bar_ns, since, side="left")))
        for j in range(start, end):
            setup.remember(bar_time(times[j]), highs[j])

    return SetupFilter(lane.symbol, shown, catch_up)


def _fee_fade_filter(setup: SolFeeFadeSetup, lane: Lane, bar_ns: IntArray, start: int) -> SetupFilter | None:
    if lane.fees is None or lane.volume is None:
        return None
    cfg = setup.config
    fees = lane.fees()
    known = fees.known.tolist()
    fee = [p50 if k else None for k, p50 in zip(known, fees.p50.tolist(), strict=True)]
    tip = [value if k else None for k, value in zip(known, fees.jito_tip.tolist(), strict=True)]
    # The snapshot's typical price, (high + low + close) / 3 in the same order: the same float per bar.
    typical = ((lane.high + lane.low + lane.close) / 3.0).tolist()
    volume, close, times = lane.volume.tolist(), lane.close.tolist(), bar_ns.tolist()
    twin = SolFeeFadeSetup(cfg)
    twin.load_state_dict(setup.state_dict())
    step = twin.step
    shown = np.zeros(len(times), dtype=np.bool_)
    for j in range(start, len(times)):
        ns = times[j]
        before = twin.memory
        if step(bar_time(ns), fee[j], typical[j], volume[j], close[j]) is not None or twin.memory != before:
            shown[j] = True
    # A left-out bar older than the longest window of the next bar shown is pruned there: it need not be handed
    # over (a second more is, so that no rounding of the instants matters).
    reach_ns = max(cfg.baseline_minutes, cfg.vwap_minutes) * 60 * 1_000_000_000 + 1_000_000_000

    def catch_up(first_bar: int, end: int) -> None:
        start = max(first_bar, int(np.searchsorted(bar_ns, times[end] - reach_ns, side="left")))
        remember = setup.remember
        for j in range(start, end):
            remember(bar_time(times[j]), fee[j], tip[j], typical[j], volume[j])

    return SetupFilter(lane.symbol, shown, catch_up)


def setup_filters(
    strategies: Sequence[Strategy],
    lanes: Mapping[Symbol, Lane],
    bar_ns: Mapping[Symbol, IntArray],
    flows: Mapping[Symbol, FlowInputs],
    first_bars: Mapping[Symbol, int] | None = None,
) -> dict[str, SetupFilter | None]:
    """Per tactical setup among `strategies` (by name) whose symbol has a lane, its filter; None when every bar
    of its symbol must be shown. `bar_ns` holds each lane's bar instants, `flows` its indicator inputs, `first_bars`
    the first bar of each lane traded (default 0: those before it are a warm-up, which a setup never sees)."""
    out: dict[str, SetupFilter | None] = {}
    for strategy in strategies:
        if not isinstance(strategy, LowerBandLong | UpperBandShort | XrpSqueezeSetup | SolFeeFadeSetup):
            continue
        symbol = Symbol(strategy.config.symbol)
        lane = lanes.get(symbol)
        if lane is None:
            continue
        start = (first_bars or {}).get(symbol, 0)
        if not strategy.config.enabled:  # it ignores every bar
            out[strategy.name] = SetupFilter(symbol, np.zeros(lane.close.shape[0], dtype=np.bool_))
        elif isinstance(strategy, LowerBandLong):
            out[strategy.name] = _lower_band_filter(strategy, lane, bar_ns[symbol], flows[symbol], start)
        elif isinstance(strategy, UpperBandShort):
            out[strategy.name] = _upper_band_filter(strategy, lane, start)
        elif isinstance(strategy, SolFeeFadeSetup):
            out[strategy.name] = _fee_fade_filter(strategy, lane, bar_ns[symbol], start)
        else:
            out[strategy.name] = _squeeze_filter(strategy, lane, bar_ns[symbol], start)
        chosen = out[strategy.name]
        if chosen is not None:
            chosen.next_bar = start
            if strategy.config.enabled:
                chosen.shown[-1:] = True
    return out
