"""`TimedWindow` keeps exactly what the setups' lists kept, and its median is `statistics.median`'s value."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bigalpha.strategies.setups._window import TimedWindow

_T0 = datetime(2025, 1, 1, tzinfo=UTC)
_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1.0, 2.0]), st.integers(0, 3)
).map(float)


@given(st.lists(st.tuples(st.integers(0, 5), _values), max_size=60), st.integers(1, 20))
def test_window_median_equals_statistics_median(steps: list[tuple[int, float]], span: int) -> None:
    window, plain = TimedWindow(), []
    now = _T0
    for gap, value in steps:
        now += timedelta(seconds=gap + 1)
        since = now - timedelta(seconds=span)
        window.prune(since)
        plain = [item for item in plain if item[0] >= since]
        assert list(window.items) == plain
        if plain:
            expected, got = statistics.median(v for _, v in plain), window.median()
            assert repr(got) == repr(expected)
        window.append(now, value)
        plain.append((now, value))
    assert repr(list(TimedWindow(plain).items)) == repr(plain)
