"""The exit policy's remembered hold state (engine/adapters.py) decides exactly as parsing the state every bar."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pos_helpers import bar, cluster, context, open_position, plan

from bigalpha.config import Settings
from bigalpha.domain import Bar, Side
from bigalpha.engine.adapters import PositionExitPolicy
from bigalpha.engine.policies import ExitPlan

SETTINGS = Settings()
sides = st.sampled_from([Side.LONG, Side.SHORT])


@st.composite
def bar_paths(draw: st.DrawFn) -> list[Bar]:
    """A minute-by-minute path near the entry (100), wide enough to reach stops, tiers and max pain."""
    bars, price = [], 100.0
    for minute in range(1, draw(st.integers(min_value=1, max_value=40)) + 1):
        close = min(max(price + draw(st.floats(min_value=-1.2, max_value=1.2)), 80.0), 120.0)
        high = max(price, close) + draw(st.floats(min_value=0.0, max_value=0.8))
        low = min(price, close) - draw(st.floats(min_value=0.0, max_value=0.8))
        bars.append(bar(minute, price, high, low, close))
        price = close
    return bars


def _plain(state: dict[str, Any], *args: Any) -> ExitPlan:
    """A fresh policy for every bar: the state is parsed from its dict and dumped again, as before the memo."""
    return PositionExitPolicy(SETTINGS)(*args, state)


@settings(max_examples=120, deadline=None)
@given(
    side=sides,
    trend=st.booleans(),
    max_pain=st.none() | st.floats(min_value=95.0, max_value=105.0),
    max_hold_min=st.none() | st.integers(min_value=1, max_value=30),
    path=bar_paths(),
    replay=st.booleans(),
)
def test_remembered_hold_state_gives_the_plans_of_a_fresh_parse(
    side: Side, trend: bool, max_pain: float | None, max_hold_min: int | None, path: list[Bar], replay: bool
) -> None:
    ctx = context(
        max_pain=max_pain,
        short_clusters=[cluster(101.5)],
        long_clusters=[cluster(98.5)],
        hurst=0.62 if trend else 0.5,
    )
    position, hold = open_position(plan(side, ctx))
    if max_hold_min is not None:
        hold = type(hold)(max_hold_s=60.0 * max_hold_min, required_minutes=hold.required_minutes, reason=hold.reason)
    remembered = PositionExitPolicy(SETTINGS)
    state_a: dict[str, Any] = hold.to_dict()
    state_b: dict[str, Any] = hold.to_dict()
    for b in path:
        now: datetime = b.ts
        market = context(b.close, short_clusters=[cluster(101.5, b.close)], long_clusters=[cluster(98.5, b.close)])
        for _ in range(2 if replay else 1):  # the same bar twice: a replay after a crash
            fast = remembered(position, market, b, now, state_a)
            slow = _plain(state_b, position, market, b, now)
            assert fast == slow
            assert dict(fast.state) == dict(slow.state)
            state_a, state_b = dict(fast.state), dict(slow.state)
        if fast.actions:
            break


def test_a_state_changed_by_someone_else_is_parsed_again() -> None:
    position, hold = open_position(plan(Side.LONG, context(hurst=0.5)))  # not TRUE TREND: no hold blocks max hold
    policy = PositionExitPolicy(SETTINGS)
    b = bar(1, 100.0, 100.2, 99.9, 100.1)
    first = policy(position, context(100.1), b, b.ts, hold.to_dict())
    edited = {**first.state, "max_hold_s": 1.0}  # a one-second max hold, written in by hand
    later = bar(2, 100.1, 100.2, 100.0, 100.1)
    assert policy(position, context(100.1), later, later.ts, edited) == _plain(
        edited, position, context(100.1), later, later.ts
    )
    assert [a.reason for a in policy(position, context(100.1), later, later.ts, edited).actions] == ["max-hold"]
