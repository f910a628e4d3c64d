"""The tactical setups' backtest filters after a warm-up (`setup_filters(..., first_bars=...)`): the bars before the
first traded bar feed the indicator columns alone, so a setup is never handed one of them, neither shown nor by a
filter's catch-up. Each case is built so that a warm-up bar handed over would change what the setup does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from bigalpha.backtest.market import BarFees, Lane
from bigalpha.backtest.setup_filters import SetupFilter, bar_time, setup_filters
from bigalpha.config.setups import SolFeeFade, XrpSqueeze
from bigalpha.domain import Bar, MarketSnapshot, Signal, Symbol
from bigalpha.indicators.columns import SnapshotArrays
from bigalpha.indicators.context import MarketContext
from bigalpha.strategies.base import Strategy
from bigalpha.strategies.setups import SolFeeFadeSetup, XrpSqueezeSetup

_T0_NS = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000_000
_MINUTE_NS = 60 * 1_000_000_000
_WARM = 10  # bars of warm-up before the first traded bar
_BARS = 40


def _no_arrays(threshold: float) -> SnapshotArrays:
    raise AssertionError(f"a setup filter reads no indicator inputs ({threshold})")


def _times() -> npt.NDArray[np.int64]:
    return _T0_NS + _MINUTE_NS * np.arange(1, _BARS + 1, dtype=np.int64)


def _inputs(lane: Lane, times: npt.NDArray[np.int64], j: int, **context: float) -> tuple[MarketSnapshot, MarketContext]:
    now = bar_time(int(times[j]))
    close = float(lane.close[j])
    volume = 0.0 if lane.volume is None else float(lane.volume[j])
    bar = Bar(
        now - timedelta(minutes=1), float(lane.open[j]), float(lane.high[j]), float(lane.low[j]), close, volume, 0.0
    )
    return (
        MarketSnapshot(symbol=lane.symbol, ts=now, bar=bar),
        MarketContext(symbol=lane.symbol, ts=now, price=close, **context),
    )


def _run(
    strategy: Strategy, chosen: SetupFilter, lane: Lane, times: npt.NDArray[np.int64], **context: float
) -> list[tuple[int, str]]:
    """The setup shown the filter's bars from the first traded one on, each after the filter's catch-up."""
    signals: list[tuple[int, str]] = []
    for j in range(_WARM, _BARS):
        if chosen.shown[j]:
            chosen.before_shown(j)
            signals += [(j, repr(s)) for s in strategy.on_market(*_inputs(lane, times, j, **context))]
    return signals


def _every_bar(strategy: Strategy, lane: Lane, times: npt.NDArray[np.int64], **context: float) -> list[tuple[int, str]]:
    signals: list[tuple[int, str]] = []
    for j in range(_WARM, _BARS):
        signals += [(j, repr(s)) for s in strategy.on_market(*_inputs(lane, times, j, **context))]
    return signals


def test_a_squeeze_is_never_handed_a_warm_up_high() -> None:
    """S-XRP-SQ: a spike high in the warm-up, then flat bars. Handed over, the spike would make the first traded
    bars deep dips (and signals); the setup shown from the first traded bar sees no dip at all."""
    cfg = XrpSqueeze.model_validate({"dip_lookback_minutes": 10, "cooldown_s": 0.0})
    xrp = Symbol(cfg.symbol)
    close = np.full(_BARS, 100.0)
    high = close.copy()
    high[_WARM - 2] = 120.0  # inside the first traded bar's lookback
    times = _times()
    lane = Lane(xrp, np.arange(_BARS, dtype=np.int64), close.copy(), high, np.minimum(close, 100.0), close, _no_arrays)
    filtered, dense = XrpSqueezeSetup(cfg), XrpSqueezeSetup(cfg)
    chosen = setup_filters([filtered], {xrp: lane}, {xrp: times}, {}, first_bars={xrp: _WARM})[filtered.name]
    assert chosen is not None
    assert not chosen.shown[:_WARM].any()

    got = _run(filtered, chosen, lane, times, short_share=0.6)
    expected = _every_bar(dense, lane, times, short_share=0.6)

    assert expected == []  # from the first traded bar on, the bars are flat: no dip
    assert got == expected
    assert filtered.state_dict() == dense.state_dict()
    assert min(datetime.fromisoformat(at) for at, _ in filtered.state_dict()["highs"]) > bar_time(int(times[_WARM - 1]))


def test_a_fee_fade_is_never_handed_a_warm_up_bar() -> None:
    """S-SOL-FADE: the warm-up's bars carry priority fees, then the fees stop. Handed over, the warm-up's fees
    would fill the setup's baseline window; the setup shown from the first traded bar has none."""
    cfg = SolFeeFade.model_validate({"baseline_minutes": 30, "baseline_min_samples": 3, "vwap_minutes": 30})
    sol = Symbol(cfg.symbol)
    close = np.full(_BARS, 100.0)
    known = np.arange(_BARS) < _WARM
    fees = BarFees(known, np.where(known, 100.0, np.nan), np.where(known, 1000.0, np.nan))
    times = _times()
    lane = Lane(
        sol,
        np.arange(_BARS, dtype=np.int64),
        close.copy(),
        close + 0.1,
        close - 0.1,
        close,
        _no_arrays,
        volume=np.full(_BARS, 5.0),
        fees=lambda: fees,
    )
    filtered, dense = SolFeeFadeSetup(cfg), SolFeeFadeSetup(cfg)
    chosen = setup_filters([filtered], {sol: lane}, {sol: times}, {}, first_bars={sol: _WARM})[filtered.name]
    assert chosen is not None
    handed: list[datetime] = []
    remember = filtered.remember

    def spy(now: datetime, fee: float | None, tip: float | None, typical: float, volume: float) -> None:
        handed.append(now)
        remember(now, fee, tip, typical, volume)

    filtered.remember = spy  # type: ignore[method-assign]

    got: list[tuple[int, Signal]] = []
    for j in range(_WARM, _BARS):
        if chosen.shown[j]:
            chosen.before_shown(j)
            got += [(j, s) for s in filtered.on_market(*_inputs(lane, times, j))]
    for j in range(_WARM, _BARS):
        dense.on_market(*_inputs(lane, times, j))

    assert all(at >= bar_time(int(times[_WARM])) for at in handed)
    assert got == []
    assert filtered.state_dict() == dense.state_dict()
