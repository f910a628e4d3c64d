"""Properties over generated positions, markets and bars (hypothesis): the invariants of section 4."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pos_helpers import CONFIG, at, bar, cluster, context, open_position, plan, wall

from bigalpha.domain import Bar, Side
from bigalpha.positions import ExitKind, HoldState, evaluate_exits, ladder_targets, wall_adjusted_targets
from bigalpha.positions._common import validate_bar

D = Decimal
sides = st.sampled_from([Side.LONG, Side.SHORT])
prices = st.floats(min_value=90.0, max_value=110.0, allow_nan=False, allow_infinity=False)


@st.composite
def bars_at(draw: st.DrawFn, minute: float) -> Bar:
    o, c = draw(prices), draw(prices)
    up = draw(st.floats(min_value=0.0, max_value=3.0))
    down = draw(st.floats(min_value=0.0, max_value=3.0))
    return bar(minute, o, max(o, c) + up, min(o, c) - down, c)


@st.composite
def trend_contexts(draw: st.DrawFn) -> dict[str, object]:
    """Entry contexts of TRUE TREND positions with every hold level reachable."""
    return {
        "max_pain": draw(st.none() | st.floats(min_value=90.0, max_value=110.0)),
        "short_clusters": [cluster(draw(st.floats(min_value=100.1, max_value=104.0)))],
        "long_clusters": [cluster(draw(st.floats(min_value=96.0, max_value=99.9)))],
    }


@settings(max_examples=150, deadline=None)
@given(side=sides, ctx=trend_contexts(), minute=st.floats(min_value=0.0, max_value=89.0), data=st.data())
def test_stop_is_never_blocked_by_any_hold(
    side: Side, ctx: dict[str, object], minute: float, data: st.DataObject
) -> None:
    """P-STOP-1: whatever the hold (45/75/90, active or not), a bar touching the stop closes everything at the
    stop or worse, and an emergency flatten closes everything."""
    position, state = open_position(plan(side, context(**ctx)))  # type: ignore[arg-type]
    stop = float(position.stop_price)
    o = data.draw(st.floats(min_value=stop - 2.0, max_value=stop + 2.0) if side is Side.LONG else prices)
    if side is Side.LONG:
        b = bar(minute, o, max(o, 100.0) + 0.5, min(o, stop) - 0.01, max(o, stop))
    else:
        b = bar(minute, o, max(o, stop) + 0.01, min(o, 100.0) - 0.5, min(o, stop))
    market = context(b.close, short_clusters=ctx["short_clusters"], long_clusters=ctx["long_clusters"])  # type: ignore[arg-type]
    decision = evaluate_exits(position, market, b, at(minute), CONFIG, state)
    [action] = decision.actions
    assert action.kind is ExitKind.STOP
    assert action.quantity == position.quantity
    assert side.sign * (action.trigger_price - position.stop_price) <= 0  # at the stop or worse, never better
    assert decision.closes_position
    flatten = evaluate_exits(position, market, b, at(minute), CONFIG, state, emergency="kill switch")
    assert [(a.kind, a.quantity) for a in flatten.actions] == [(ExitKind.EMERGENCY, position.quantity)]


@settings(max_examples=150, deadline=None)
@given(
    side=sides,
    trend=st.booleans(),
    open_share=st.integers(min_value=1, max_value=1000),
    tiers_done=st.integers(min_value=0, max_value=3),
    data=st.data(),
)
def test_ladder_never_closes_more_than_is_open(
    side: Side, trend: bool, open_share: int, tiers_done: int, data: st.DataObject
) -> None:
    """P-LADDER-1: over any bar sequence, each decision closes at most what is open, every action closes a
    positive quantity, and tiers advance in order."""
    position, state = open_position(plan(side, context(hurst=0.7 if trend else 0.5), quantity="3.7"))
    position = replace(position, quantity=D("3.7") * open_share / 1000, tiers_done=tiers_done)
    for step in range(data.draw(st.integers(min_value=1, max_value=6))):
        minute = 10.0 * step + data.draw(st.floats(min_value=0.0, max_value=9.0))
        b = data.draw(bars_at(minute))
        decision = evaluate_exits(position, context(b.close), b, at(minute), CONFIG, state)
        closed = sum((a.quantity for a in decision.actions), D(0))
        assert all(a.quantity > 0 for a in decision.actions)
        assert closed <= position.quantity
        assert decision.remaining_quantity == position.quantity - closed >= 0
        tiers = [a.tier for a in decision.actions if a.tier is not None]
        assert tiers == sorted(tiers)
        assert all(t > position.tiers_done for t in tiers)
        assert decision.tiers_done >= position.tiers_done
        if decision.closes_position:
            break
        position = replace(position, quantity=decision.remaining_quantity, tiers_done=decision.tiers_done)
        state = decision.hold_state


@settings(max_examples=300, deadline=None)
@given(
    side=sides,
    entry=st.decimals(min_value=D("0.01"), max_value=D("100000"), places=4),
    steps=st.lists(st.floats(min_value=0.0005, max_value=0.01), min_size=1, max_size=6),
    walls=st.lists(
        st.tuples(st.floats(min_value=-0.06, max_value=0.06), st.floats(min_value=1e6, max_value=1e8)), max_size=4
    ),
)
def test_targets_stay_ordered_after_wall_adjustment(
    side: Side, entry: Decimal, steps: list[float], walls: list[tuple[float, float]]
) -> None:
    """P-WALL-1 + P-LADDER-1: after any walls, targets stay ordered beyond the entry, only ever move toward it,
    and a moved top target sits in front of an institutional wall."""
    pct = [sum(steps[: i + 1]) for i in range(len(steps))]
    base = ladder_targets(side, entry, pct, CONFIG)
    book = [wall(float(entry) * (1 + offset), usd, float(entry)) for offset, usd in walls]
    targets, moves = wall_adjusted_targets(side, entry, base, book, CONFIG)
    sign = side.sign
    assert len(targets) == len(base)
    assert sign * (targets[0] - entry) > 0
    assert all(sign * (later - earlier) >= 0 for earlier, later in pairwise(targets))
    assert all(sign * (new - old) <= 0 for new, old in zip(targets, base, strict=True))
    if moves:
        top = moves[0]
        assert top.top_tier
        assert top.wall_usd > CONFIG.institutional_wall_usd
        assert sign * (D(repr(top.wall_price)) - targets[-1]) > 0  # in front of the wall
    else:
        assert targets == base


@settings(max_examples=100, deadline=None)
@given(
    closes=st.lists(st.floats(min_value=0.01, max_value=1e6), max_size=5),
    minutes=st.integers(min_value=0, max_value=500),
    released=st.booleans(),
    max_hold=st.none() | st.floats(min_value=0.001, max_value=1e6),
    hit=st.booleans(),
    notices=st.lists(st.sampled_from(["tier-1@45", "tier-2@90", "max-hold@75"]), unique=True),
)
def test_hold_state_json_round_trip(
    closes: list[float], minutes: int, released: bool, max_hold: float | None, hit: bool, notices: list[str]
) -> None:
    """I-PERSIST-1: any hold state survives JSON unchanged."""
    state = HoldState(
        closes=tuple(closes),
        last_bar_ts=at(minutes),
        required_minutes=minutes,
        released=released,
        released_at=at(minutes) if released else None,
        max_hold_s=max_hold,
        max_pain_hit=hit,
        max_pain_hit_at=at(minutes) if hit else None,
        blocked_notices=tuple(notices),
    )
    assert HoldState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def _bar_problem(o: float, h: float, low: float, c: float) -> str | None:
    """What `validate_bar` must refuse in a bar, checked one price at a time (None: a valid bar)."""
    for name, value in {"open": o, "high": h, "low": low, "close": c}.items():
        if not math.isfinite(value) or value <= 0:
            return f"bar.{name} must be a positive finite number, got {value!r}"
    if not low <= min(o, c) <= max(o, c) <= h:
        return "is inconsistent"
    return None


special = st.sampled_from([0.0, -0.0, -1.0, math.inf, -math.inf, math.nan]) | st.floats(min_value=-1.0, max_value=300.0)


@st.composite
def maybe_bad_prices(draw: st.DrawFn) -> tuple[float, float, float, float]:
    """Open, high, low, close of a valid bar, some of them then spoiled (non-finite, not positive, out of order)."""
    low = draw(st.floats(min_value=1.0, max_value=100.0))
    high = draw(st.floats(min_value=low, max_value=200.0))
    prices = [draw(st.floats(min_value=low, max_value=high)), high, low, draw(st.floats(min_value=low, max_value=high))]
    for index in draw(st.sets(st.integers(0, 3))):
        prices[index] = draw(special)
    return prices[0], prices[1], prices[2], prices[3]


@settings(max_examples=500, deadline=None)
@given(prices=maybe_bad_prices())
def test_validate_bar_refuses_exactly_the_bad_bars_and_names_the_problem(
    prices: tuple[float, float, float, float],
) -> None:
    """The comparisons tried first accept a bar exactly when every separate check would."""
    o, h, low, c = prices
    problem = _bar_problem(o, h, low, c)
    if problem is None:
        validate_bar(bar(0, o, h, low, c))
    else:
        with pytest.raises(ValueError, match=re.escape(problem)):
            validate_bar(bar(0, o, h, low, c))
