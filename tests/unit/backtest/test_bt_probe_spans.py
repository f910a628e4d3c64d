"""The column probe's shortcuts equal the plain computations: `window_spans` (eras as lane indices, only the
eras a window overlaps) is `ThresholdEras.spans`, and `unsized_before` tells a fully sized window as `.all()` does."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.backtest.contexts import ThresholdEras
from bigalpha.backtest.probe import era_end, unsized_before, window_spans


@st.composite
def histories(draw: st.DrawFn) -> tuple[np.ndarray, ThresholdEras]:
    """Bar instants of one symbol, and the eras of thresholds observed over some of those bars (in time order,
    sometimes at instants between the bars, as another symbol's ticks would be)."""
    gaps = draw(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=40))
    bar_ns = np.cumsum(np.array(gaps, dtype=np.int64)) * 10
    moments = sorted(draw(st.sets(st.integers(min_value=0, max_value=int(bar_ns[-1]) + 20), max_size=15)))
    eras = ThresholdEras()
    threshold = 100_000.0
    for moment in moments:
        if draw(st.booleans()):
            threshold *= draw(st.sampled_from([0.8, 0.9, 1.1, 1.2]))
        eras.observe(moment, threshold)
    return bar_ns, eras


@settings(max_examples=400, deadline=None)
@given(history=histories(), data=st.data())
def test_window_spans_are_the_eras_spans(history: tuple[np.ndarray, ThresholdEras], data: st.DataObject) -> None:
    bar_ns, eras = history
    starts = [int(np.searchsorted(bar_ns, since, side="right")) for since, _ in eras.eras]
    thresholds = [threshold for _, threshold in eras.eras]
    n = int(bar_ns.shape[0])
    lo = data.draw(st.integers(min_value=0, max_value=n))
    hi = data.draw(st.integers(min_value=lo, max_value=n))
    expected = eras.spans(bar_ns, lo, hi)
    assert window_spans(starts, thresholds, era_end(bar_ns), lo, hi, ordered=True) == expected
    assert window_spans(starts, thresholds, era_end(bar_ns), lo, hi, ordered=False) == expected


@settings(max_examples=300, deadline=None)
@given(sized=st.lists(st.booleans(), min_size=1, max_size=60), data=st.data())
def test_unsized_before_tells_a_fully_sized_window(sized: list[bool], data: st.DataObject) -> None:
    has_sizes = np.array(sized, dtype=np.bool_)
    unsized = unsized_before(has_sizes)
    first = data.draw(st.integers(min_value=0, max_value=len(sized)))
    end = data.draw(st.integers(min_value=first, max_value=len(sized)))
    assert bool(unsized[end] == unsized[first]) == bool(has_sizes[first:end].all())
