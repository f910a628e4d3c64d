"""Walk-forward folds (`bigalpha optimize --walk-forward`): how a history's span is cut, what each fold's study is
named, and how the tested segments add up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bigalpha.backtest.optimize import TrialRow
from bigalpha.backtest.walk_forward import Fold, FoldOutcome, Span, WalkForwardError, plan_folds, totals
from bigalpha.backtest.window import Window

T0 = datetime(2025, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_three_days_in_two_folds_search_one_day_and_test_the_next() -> None:
    folds = plan_folds(Span(T0, T0 + timedelta(days=3), MINUTE), 2)
    day = [T0 + timedelta(days=k) for k in range(4)]
    assert folds == (Fold(1, Window(day[0], day[1]), Window(day[1], day[2])),
                     Fold(2, Window(day[1], day[2]), Window(day[2], day[3])))  # fmt: skip
    assert folds[0].study("eth") == "eth-wf-20250101T0000-20250102T0000"


@given(
    bars=st.integers(2, 5_000),
    folds=st.integers(1, 20),
    bar_minutes=st.sampled_from([1, 5, 15, 60, 240]),
)
def test_segments_are_whole_bars_tile_the_span_and_each_test_follows_its_search(
    bars: int, folds: int, bar_minutes: int
) -> None:
    """Every boundary is a whole number of bars after the first open; the segments tile the span with nothing left
    out or seen twice; fold k tests the segment right after the one it searched; the segments are equal but for
    the last, which takes the bars left over."""
    bar = timedelta(minutes=bar_minutes)
    span = Span(T0, T0 + bar * bars, bar)
    if bars < folds + 1:
        with pytest.raises(WalkForwardError, match=f"{bars} bars of .* cannot make {folds + 1} segments"):
            plan_folds(span, folds)
        return
    plan = plan_folds(span, folds)
    assert [fold.number for fold in plan] == list(range(1, folds + 1))
    segments = [plan[0].searched] + [fold.tested for fold in plan]
    assert segments[0].start == T0
    assert segments[-1].end == span.last_close
    for before, after in pairwise(segments):
        assert before.end == after.start
    for fold in plan[1:]:
        assert fold.searched == plan[fold.number - 2].tested
    lengths = [(s.end - s.start) / bar for s in segments]  # type: ignore[operator]
    assert all(length == int(length) for length in lengths)
    assert set(lengths[:-1]) == {bars // (folds + 1)}
    assert lengths[-1] == bars - (bars // (folds + 1)) * folds


@given(bars=st.integers(2, 5_000), folds=st.integers(1, 20))
def test_anchored_folds_search_from_the_first_bar_and_test_where_rolling_ones_do(bars: int, folds: int) -> None:
    span = Span(T0, T0 + MINUTE * bars, MINUTE)
    if bars < folds + 1:
        return  # refused alike (above)
    rolling, anchored = plan_folds(span, folds), plan_folds(span, folds, anchored=True)
    assert [f.tested for f in anchored] == [f.tested for f in rolling]
    assert [f.searched for f in anchored] == [Window(T0, f.tested.start) for f in rolling]


def test_no_fold_is_refused() -> None:
    with pytest.raises(WalkForwardError, match="give at least 1 fold"):
        plan_folds(Span(T0, T0 + timedelta(days=3), MINUTE), 0)


def _figures(objective: float | None, net_pnl: float, trades: int) -> dict[str, object]:
    return {"sharpe": objective, "net_pnl": net_pnl, "trades": trades}


def test_the_tested_segments_add_up_and_an_undefined_objective_is_never_ahead() -> None:
    folds = plan_folds(Span(T0, T0 + timedelta(days=4), MINUTE), 3)
    best = TrialRow(0, "COMPLETE", 1.0, {"gate.taker_min_ratio": 1.2}, {})
    outcomes = [
        FoldOutcome(folds[0], "s1", 2, 2, best, _figures(0.5, -1.0, 3), _figures(0.8, 2.0, 4)),  # ahead
        FoldOutcome(folds[1], "s2", 2, 2, best, _figures(None, 0.0, 0), _figures(0.1, 0.5, 1)),  # ahead of undefined
        FoldOutcome(folds[2], "s3", 2, 2, None, _figures(None, 0.0, 0), _figures(None, 0.0, 0)),  # kept current
    ]
    assert totals(outcomes, "sharpe") == {
        "folds": 3,
        "chosen": {"net_pnl": 2.5, "trades": 5},
        "current": {"net_pnl": -1.0, "trades": 3},
        "folds_chosen_ahead": 2,
        "folds_without_best": 1,
    }
    assert outcomes[2].to_dict()["best"] is None
    assert outcomes[0].to_dict()["tested"] == folds[0].tested.to_dict()
