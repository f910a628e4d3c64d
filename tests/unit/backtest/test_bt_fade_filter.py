"""S-SOL-FADE's backtest filter (`setup_filters`): a setup shown only the bars its filter keeps (and any others a
backtest shows it for its own reasons), the bars left out handed over by the filter's catch-up, signals on the same
bars with the same signals and ends in the same state as the setup shown every bar, whatever its state before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bigalpha.backtest.market import BarFees, Lane
from bigalpha.backtest.setup_filters import bar_time, setup_filters
from bigalpha.config.setups import SolFeeFade
from bigalpha.domain import Bar, MarketSnapshot, Signal, Symbol
from bigalpha.indicators.columns import SnapshotArrays
from bigalpha.indicators.context import MarketContext
from bigalpha.strategies.setups import SolFeeFadeSetup

SOL = Symbol("SOL")
_T0_NS = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000_000
_MINUTE_NS = 60 * 1_000_000_000
# Short windows and a low spike multiple: spikes, decays, fades, spent spikes and re-arms within a few dozen bars.
_CFG = SolFeeFade.model_validate(
    {
        "spike_multiple": 1.5,
        "decay_pct": 0.3,
        "decay_window_s": 150.0,
        "baseline_minutes": 8,
        "baseline_min_samples": 3,
        "vwap_minutes": 5,
        "min_vwap_distance_bps": 5.0,
        "cooldown_minutes": 3.0,
    }
)

# (minutes since the previous bar, p50 fee or None, Jito tip, close, high above close, low below close, volume)
_Bar = tuple[int, float | None, float, float, float, float, float]
_bars = st.tuples(
    st.integers(1, 3),
    st.one_of(st.none(), st.sampled_from([100.0, 90.0, 110.0, 100.0, 170.0, 260.0, 400.0, 240.0, 150.0, 30.0])),
    st.sampled_from([1000.0, 1200.0, 2500.0, 900.0]),
    st.floats(97.0, 103.0),
    st.sampled_from([0.0, 0.1, 0.5]),
    st.sampled_from([0.0, 0.2, 0.6]),
    st.sampled_from([0.0, 1.0, 5.0, 20.0]),
)


def _no_arrays(threshold: float) -> SnapshotArrays:
    raise AssertionError(f"the fee filter reads no indicator inputs ({threshold})")


def _lane(rows: list[_Bar], times: list[int]) -> Lane:
    close = np.array([r[3] for r in rows])
    fees = BarFees(
        np.array([r[1] is not None for r in rows], dtype=np.bool_),
        np.array([np.nan if r[1] is None else r[1] for r in rows]),
        np.array([np.nan if r[1] is None else r[2] for r in rows]),
    )
    return Lane(
        symbol=SOL,
        tick=np.arange(len(rows), dtype=np.int64),
        open=close.copy(),
        high=close + np.array([r[4] for r in rows]),
        low=close - np.array([r[5] for r in rows]),
        close=close,
        arrays=_no_arrays,
        volume=np.array([r[6] for r in rows]),
        fees=lambda: fees,
    )


def _inputs(lane: Lane, times: list[int], j: int) -> tuple[MarketSnapshot, MarketContext]:
    """Bar j's snapshot and context as a backtest builds them from the lane (its fees as the snapshot carries them)."""
    assert lane.volume is not None
    assert lane.fees is not None
    fees = lane.fees()
    now = bar_time(times[j])
    close = float(lane.close[j])
    bar = Bar(
        now - timedelta(minutes=1), close, float(lane.high[j]), float(lane.low[j]), close, float(lane.volume[j]), 0.0
    )
    known = bool(fees.known[j])
    context = MarketContext(
        symbol=SOL,
        ts=now,
        price=close,
        priority_fee_p50=float(fees.p50[j]) if known else None,
        jito_tip=float(fees.jito_tip[j]) if known else None,
    )
    return MarketSnapshot(symbol=SOL, ts=now, bar=bar), context


def _compare(rows: list[_Bar], warm: int, extra: list[bool]) -> tuple[list[tuple[int, Signal]], int]:
    """Run the setup on every bar and filtered (after `warm` bars shown to both); assert the same signals and end
    state. The signals and the number of bars the filter shows."""
    times, at = [], _T0_NS
    for row in rows:
        at += row[0] * _MINUTE_NS
        times.append(at)
    lane = _lane(rows, times)
    dense, filtered = SolFeeFadeSetup(_CFG), SolFeeFadeSetup(_CFG)
    every: list[tuple[int, Signal]] = []
    for j in range(len(rows)):
        every += [(j, s) for s in dense.on_market(*_inputs(lane, times, j))]
    some: list[tuple[int, Signal]] = []
    for j in range(warm):
        some += [(j, s) for s in filtered.on_market(*_inputs(lane, times, j))]
    rest = _lane(rows[warm:], times[warm:])
    chosen = setup_filters([filtered], {SOL: rest}, {SOL: np.array(times[warm:], dtype=np.int64)}, {})[filtered.name]
    assert chosen is not None
    for k in range(len(rows) - warm):
        if chosen.shown[k] or (k < len(extra) and extra[k]):
            chosen.before_shown(k)
            some += [(warm + k, s) for s in filtered.on_market(*_inputs(rest, times[warm:], k))]
    assert [(j, repr(s)) for j, s in some] == [(j, repr(s)) for j, s in every]
    assert filtered.state_dict() == dense.state_dict()
    return every, int(chosen.shown.sum())


@settings(max_examples=150, deadline=None)
@given(st.lists(_bars, min_size=1, max_size=80), st.integers(0, 30), st.lists(st.booleans(), max_size=80))
@example(
    [(1, 100.0, 1000.0, 100.0, 0.1, 0.2, 5.0)] * 5
    + [(1, 400.0, 2500.0, 101.0, 0.5, 0.0, 5.0), (1, 240.0, 2500.0, 101.0, 0.5, 0.0, 5.0)]
    + [(1, 100.0, 1000.0, 100.0, 0.1, 0.2, 5.0)] * 5,
    0,
    [],
)
def test_filtered_fade_equals_every_bar(rows: list[_Bar], warm: int, extra: list[bool]) -> None:
    _compare(rows, min(warm, len(rows) - 1), extra)


def test_a_fade_tape_signals_on_fewer_bars_shown() -> None:
    """Quiet fees, a spike that decays by 40% a minute later with price off its VWAP, quiet again, twice: both
    fades signal, and the filter shows a handful of the bars."""
    quiet: list[_Bar] = [(1, 100.0, 1000.0, 100.0, 0.1, 0.2, 5.0)] * 20
    spike: list[_Bar] = [(1, 400.0, 2500.0, 101.0, 0.5, 0.0, 5.0), (1, 240.0, 2500.0, 101.0, 0.5, 0.0, 5.0)]
    signals, shown = _compare(quiet + spike + quiet + spike + quiet, 0, [])
    assert [j for j, _ in signals] == [21, 43]
    assert shown < 10


@pytest.mark.parametrize("enabled", [True, False])
def test_without_fees_only_the_last_bar_is_shown(enabled: bool) -> None:
    """A lane whose snapshots carry no fees (a history feed): the setup never signals; its VWAP window still ends
    as after every bar, handed over before the last bar."""
    rows: list[_Bar] = [(1, None, 0.0, 100.0 + k % 3, 0.1, 0.2, 1.0 + k % 4) for k in range(30)]
    times = [_T0_NS + (k + 1) * _MINUTE_NS for k in range(30)]
    cfg = _CFG.model_copy(update={"enabled": enabled})
    setup = SolFeeFadeSetup(cfg)
    chosen = setup_filters([setup], {SOL: _lane(rows, times)}, {SOL: np.array(times, dtype=np.int64)}, {})[setup.name]
    assert chosen is not None
    assert np.flatnonzero(chosen.shown).tolist() == ([29] if enabled else [])
    if enabled:
        assert _compare(rows, 0, []) == ([], 1)
