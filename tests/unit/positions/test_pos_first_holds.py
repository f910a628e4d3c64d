"""A new position's first hold state: one shared instance per distinct state (`initial_hold_state`), whose dump
the engine's planner remembers and its exit policy recognises on the first bar. Both give the dicts, states and
plans that dumping and parsing afresh give (engine/adapters.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from pos_helpers import CONFIG, T0, bar, cluster, context, signal

from bigalpha.config import Settings
from bigalpha.domain import AccountName, PositionId, Side, StrategyName, Verdict
from bigalpha.engine.adapters import PositionEntryPlanner, PositionExitPolicy
from bigalpha.engine.policies import ExitAction
from bigalpha.positions import HoldState, evaluate_exits, initial_hold_state, plan_entry
from bigalpha.strategies.setups import XrpSqueezeSetup, hold_window

SETTINGS = Settings()


@given(
    trend=st.booleans(),
    entry=st.floats(min_value=50.0, max_value=150.0),
    max_pain=st.none() | st.floats(min_value=90.0, max_value=110.0),
    max_hold_s=st.none() | st.integers(min_value=1, max_value=3600),
)
def test_one_shared_first_state_per_distinct_state(
    trend: bool, entry: float, max_pain: float | None, max_hold_s: int | None
) -> None:
    max_hold = None if max_hold_s is None else timedelta(seconds=max_hold_s)
    first = initial_hold_state(trend, entry, max_pain, CONFIG, max_hold)
    assert initial_hold_state(trend, entry, max_pain, CONFIG, max_hold) is first
    assert first == HoldState(required_minutes=first.required_minutes, reason=first.reason, max_hold_s=first.max_hold_s)
    assert first.max_hold_s is None or type(first.max_hold_s) is float  # 60 s and 60.0 s are the same state


@settings(max_examples=150, deadline=None)
@given(
    side=st.sampled_from([Side.LONG, Side.SHORT]),
    trend=st.booleans(),
    max_pain=st.none() | st.floats(min_value=95.0, max_value=105.0),
    squeeze=st.booleans(),
    move=st.floats(min_value=-1.5, max_value=1.5),
)
def test_planned_and_first_judged_states_are_the_plain_ones(
    side: Side, trend: bool, max_pain: float | None, squeeze: bool, move: float
) -> None:
    ctx = context(hurst=0.62 if trend else 0.5, max_pain=max_pain, short_clusters=[cluster(101.5)])
    sig = signal(side)
    if squeeze:  # a setup with its own max hold
        sig = replace(sig, strategy=StrategyName(XrpSqueezeSetup.NAME))
    verdict = Verdict(signal_id=sig.id, allowed=True, size_multiplier=1.0, outcomes=())
    planner = PositionEntryPlanner(SETTINGS)
    planned = planner(sig, verdict, ctx, Decimal(100), Decimal(1), T0)
    again = planner(sig, verdict, ctx, Decimal(100), Decimal(1), T0)
    window = hold_window(sig.strategy, SETTINGS)
    max_hold = None if window is None else timedelta(seconds=window.max_s)
    plain = plan_entry(sig, ctx, Decimal(100), Decimal(1), CONFIG, T0, verdict=verdict, max_hold=max_hold)
    assert dict(planned.state) == plain.hold_state.to_dict()
    assert planned.state["closes"] is not again.state["closes"]  # each plan's dump is its own

    position = plain.open_position(PositionId("pos-1"), AccountName("hot"), T0, 1, Decimal(100))
    close = 100.0 + move
    b = bar(1, 100.0, max(100.0, close) + 0.1, min(100.0, close) - 0.1, close)
    market = context(close, short_clusters=[cluster(101.5, close)])
    judged = PositionExitPolicy(SETTINGS)(position, market, b, b.ts, dict(planned.state))
    fresh = evaluate_exits(position, market, b, b.ts, CONFIG, HoldState.from_dict(plain.hold_state.to_dict()))
    assert judged.actions == tuple(ExitAction(a.quantity, a.tag, a.trigger_price) for a in fresh.actions)
    assert judged.events == fresh.events
    assert dict(judged.state) == fresh.hold_state.to_dict()
