"""The column probe reads a window at every candidate threshold in one slice: its candidates are the plain ones
(each span and multiplier's deltas summed left to right, `None` when a bar of the window has no trade sizes at
some threshold), across threshold eras and with trade sizes that differ between thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.backtest.contexts import ThresholdEras, epoch_ns
from bigalpha.backtest.market import Lane
from bigalpha.backtest.probe import ColumnWhaleProbe
from bigalpha.config import Settings
from bigalpha.domain import Bar, MarketSnapshot, Symbol
from bigalpha.indicators.columns import SnapshotArrays
from bigalpha.indicators.flow import FlowInputs

SETTINGS = Settings()
ETH = Symbol("ETH")
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _lane(deltas: list[float], unsized: set[int], unsized_above: set[int]) -> Lane:
    """A lane whose whale delta at threshold t is the bar's delta scaled by t, and whose bars in `unsized_above`
    lose their trade sizes above a threshold of 100 000 (sizes that depend on the threshold)."""
    n = len(deltas)
    base = np.array(deltas, dtype=np.float64)
    ones = np.ones(n)

    def arrays(threshold: float) -> SnapshotArrays:
        sizes = np.array([k not in unsized and (threshold <= 100_000 or k not in unsized_above) for k in range(n)])
        buy = np.where(sizes, base * (threshold / 1e5), 0.0)
        flow = FlowInputs(ones, ones, ones, sizes, buy, np.zeros(n), ones, ones)
        return SnapshotArrays(flow=flow, oi_as_of_s=ones, oi_usd=ones)

    return Lane(ETH, np.arange(n, dtype=np.int64), ones, ones, ones, ones, arrays)


def _plain(lane: Lane, eras: ThresholdEras, bar_ns: np.ndarray, i: int, window: int) -> dict[str, float] | None:
    if i + 1 < window:
        return None
    multipliers = SETTINGS.learning.optimize_multipliers
    columns: list[list[float]] = [[] for _ in multipliers]
    for first, end, threshold in eras.spans(bar_ns, i + 1 - window, i + 1):
        for m, multiplier in enumerate(multipliers):
            flow = lane.arrays(threshold * multiplier).flow
            if not flow.has_trade_sizes[first:end].all():
                return None
            columns[m].extend((flow.trade_whale_buy_usd - flow.trade_whale_sell_usd)[first:end].tolist())
    return {repr(m): sum(values) for m, values in zip(multipliers, columns, strict=True)}


@settings(max_examples=60, deadline=None)
@given(
    deltas=st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=20, max_size=60),
    data=st.data(),
)
def test_candidates_are_the_plain_sums(deltas: list[float], data: st.DataObject) -> None:
    n = len(deltas)
    unsized = data.draw(st.sets(st.integers(min_value=0, max_value=n - 1), max_size=2))
    unsized_above = data.draw(st.sets(st.integers(min_value=0, max_value=n - 1), max_size=3))
    lane = _lane(deltas, unsized, unsized_above)
    bar_ns = np.array([epoch_ns(T0 + timedelta(minutes=k + 1)) for k in range(n)], dtype=np.int64)
    probe = ColumnWhaleProbe(SETTINGS, {ETH: lane}, bar_ns)
    eras = ThresholdEras()
    threshold = 90_000.0
    for k in sorted(data.draw(st.sets(st.integers(min_value=0, max_value=n - 1), min_size=1))):
        ts = T0 + timedelta(minutes=k + 1)
        bar = Bar(ts=ts, open=1.0, high=1.0, low=1.0, close=1.0, volume=1.0, taker_buy_volume=0.5)
        probe.observe(MarketSnapshot(symbol=ETH, ts=ts, bar=bar), threshold)
        eras.observe(epoch_ns(ts), threshold)
        assert probe.candidates(ETH) == _plain(lane, eras, bar_ns, k, SETTINGS.indicators.whale_intent_window)
        if data.draw(st.booleans()):  # L-OPT-1 adopts another threshold after this tick
            threshold *= data.draw(st.sampled_from([0.9, 1.1, 1.2]))
