"""Exits on a bar: the stop first (P-STOP-1), ladder tiers (P-LADDER-1), the TRUE TREND hold (P-HOLD-2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from pos_helpers import CONFIG, SYMBOL, T0, at, bar, cluster, context, open_position, plan, signal, wall

from bigalpha.domain import Bar, EventType, Position, Side, Symbol
from bigalpha.indicators.context import MarketContext
from bigalpha.positions import ExitDecision, ExitKind, HoldReason, HoldState, evaluate_exits, plan_entry

D = Decimal


def _trend_long(**ctx: object) -> tuple[Position, HoldState]:
    """TRUE TREND long at 100, 4 units, stop 99, ladder 100.5 / 101 / 101.5 / 102, 45-minute hold."""
    return open_position(plan(Side.LONG, context(**ctx)))  # type: ignore[arg-type]


def _plain_long() -> tuple[Position, HoldState]:
    return open_position(plan(Side.LONG, context(hurst=0.5)))


def _run(position: Position, state: HoldState, b: Bar, ctx: MarketContext | None = None) -> ExitDecision:
    return evaluate_exits(position, ctx or context(b.close), b, b.ts, CONFIG, state)


def _apply(position: Position, decision: ExitDecision) -> Position:
    """What the engine does with a decision once its orders filled."""
    closed_at = position.opened_at if decision.closes_position else None
    return replace(position, quantity=decision.remaining_quantity, tiers_done=decision.tiers_done, closed_at=closed_at)


# --- acceptance: TRUE TREND hold vs Tier 1 and the stop ----------------------------------------


def test_true_trend_long_touching_half_percent_at_minute_10_is_not_exited_at_tier1() -> None:
    """P-HOLD-2: during the 45-minute hold a Tier-1 touch (+0.5%) is blocked, with an EXIT_BLOCKED_BY_HOLD event."""
    position, state = _trend_long()
    decision = _run(position, state, bar(10, 100.3, 100.6, 100.2, 100.4))
    assert decision.actions == ()
    assert decision.remaining_quantity == D("4")
    assert decision.tiers_done == 0
    assert decision.hold.active
    [event] = decision.events
    assert event.type is EventType.EXIT_BLOCKED_BY_HOLD
    assert event.data["rule"] == "P-HOLD-2"
    assert (event.data["tier"], event.data["target"], event.data["hold_minutes"]) == (1, D("100.5"), 45)
    assert event.data["elapsed_minutes"] == 10.0
    assert event.data["hold_reason"] == HoldReason.BASE.value


def test_same_true_trend_long_hitting_its_stop_at_minute_10_is_exited() -> None:
    """P-STOP-1: the stop is never blocked by the hold; everything closes at the stop price."""
    position, state = _trend_long()
    decision = _run(position, state, bar(10, 99.6, 99.7, 98.9, 99.1))
    [action] = decision.actions
    assert (action.kind, action.quantity, action.trigger_price, action.rule) == (
        ExitKind.STOP,
        D("4"),
        D("99"),
        "P-STOP-1",
    )
    assert decision.hold.active  # the hold was running, and did not matter
    assert decision.closes_position


def test_bar_touching_both_stop_and_target_exits_at_the_stop() -> None:
    """P-STOP-1 intrabar order (pessimistic): high reaches Tier 2, low reaches the stop → the stop wins."""
    position, state = _plain_long()
    decision = _run(position, state, bar(10, 100.0, 101.2, 98.8, 100.9))
    assert [(a.kind, a.quantity, a.trigger_price) for a in decision.actions] == [(ExitKind.STOP, D("4"), D("99"))]


def test_bar_opening_beyond_the_stop_fills_at_the_open() -> None:
    """P-STOP-1: a gap through the stop fills at the (worse) open, not at the stop."""
    position, state = _plain_long()
    [action] = _run(position, state, bar(10, 98.5, 98.7, 98.2, 98.6)).actions
    assert (action.kind, action.trigger_price) == (ExitKind.STOP, D("98.5"))


def test_short_stop_is_above_and_triggers_on_the_high() -> None:
    """P-STOP-1 mirrored: a short's stop at 101 triggers when the bar's high reaches it; exactly at it counts."""
    position, state = open_position(plan(Side.SHORT, context(hurst=0.5)))
    assert _run(position, state, bar(5, 100.5, 100.99, 100.2, 100.6)).actions == ()
    [action] = _run(position, state, bar(5, 100.5, 101.0, 100.2, 100.6)).actions
    assert (action.kind, action.trigger_price, action.quantity) == (ExitKind.STOP, D("101"), D("4"))


# --- P-LADDER-1 -------------------------------------------------------------------------------


def test_tier1_closes_a_quarter_of_the_initial_quantity_at_the_target() -> None:
    """P-LADDER-1: Tier 1 at +0.5% closes 25% of the initial quantity; touching exactly the target counts."""
    position, state = _plain_long()
    [action] = _run(position, state, bar(5, 100.2, 100.5, 100.1, 100.4)).actions
    assert (action.kind, action.tier, action.quantity, action.trigger_price) == (ExitKind.TIER, 1, D("1"), D("100.5"))
    assert action.tag == "tier-1"
    assert _run(position, state, bar(5, 100.2, 100.49, 100.1, 100.4)).actions == ()


def test_several_tiers_in_one_bar_and_the_last_closes_the_rest() -> None:
    """P-LADDER-1: a bar reaching +2.0% takes Tiers 1–4 in order; quantities sum to the open quantity."""
    position, state = _plain_long()
    decision = _run(position, state, bar(5, 100.2, 102.3, 100.1, 102.0))
    assert [(a.tier, a.quantity, a.trigger_price) for a in decision.actions] == [
        (1, D("1"), D("100.5")),
        (2, D("1"), D("101")),
        (3, D("1"), D("101.5")),
        (4, D("1"), D("102")),
    ]
    assert (decision.tiers_done, decision.remaining_quantity, decision.closes_position) == (4, D("0"), True)
    assert decision.closed_quantity == D("4")


def test_bar_gapping_over_a_target_fills_at_the_open() -> None:
    """P-LADDER-1: a target passed at the open fills at the (better) open."""
    position, state = _plain_long()
    actions = _run(position, state, bar(5, 100.8, 100.9, 100.7, 100.8)).actions
    assert [(a.tier, a.trigger_price) for a in actions] == [(1, D("100.8"))]


def test_ladder_never_closes_more_than_is_open() -> None:
    """P-LADDER-1: after a manual partial close leaves 0.5 of 4, Tier 2 closes 0.5, not 1."""
    position, state = _plain_long()
    position = replace(position, quantity=D("0.5"), tiers_done=1)
    decision = _run(position, state, bar(5, 100.8, 101.1, 100.7, 101.0))
    assert [(a.tier, a.quantity) for a in decision.actions] == [(2, D("0.5"))]
    assert decision.remaining_quantity == 0


def test_remainder_left_after_the_last_tier_closes_at_the_close() -> None:
    """P-LADDER-1: the last tier closes all that is open; a remainder the broker's rounding left is closed."""
    position, state = _plain_long()
    position = replace(position, quantity=D("0.001"), tiers_done=4)
    [action] = _run(position, state, bar(5, 101.0, 101.2, 100.9, 101.1)).actions
    assert (action.kind, action.tier, action.quantity, action.trigger_price) == (
        ExitKind.TIER,
        4,
        D("0.001"),
        D("101.1"),
    )


def test_ladder_progresses_over_bars_and_tiers_done_skips_taken_tiers() -> None:
    """P-LADDER-1: a taken tier is not taken again on the next bar."""
    position, state = _plain_long()
    first = _run(position, state, bar(5, 100.2, 100.6, 100.1, 100.5))
    position = _apply(position, first)
    second = evaluate_exits(
        position, context(100.6), bar(6, 100.5, 101.0, 100.4, 100.9), at(6), CONFIG, first.hold_state
    )
    assert [a.tier for a in second.actions] == [2]
    assert second.tiers_done == 2
    assert second.remaining_quantity == D("2")


def test_setup_ladder_splits_equally_and_the_top_tier_takes_the_remainder() -> None:
    """P-LADDER-1 (decided): S-BTC-L's three targets close a third each; the last closes exactly what is left."""
    position, state = open_position(plan(Side.LONG, context(hurst=0.5), targets_pct=(0.0025, 0.005, 0.009)))
    decision = _run(position, state, bar(5, 100.2, 101.0, 100.1, 100.9))
    assert [a.tier for a in decision.actions] == [1, 2, 3]
    assert sum(a.quantity for a in decision.actions) == D("4")
    assert decision.actions[0].quantity == D("4") / 3


# --- P-HOLD-2 -----------------------------------------------------------------------------------


def test_tiers_2_and_3_are_blocked_during_the_hold_too() -> None:
    """P-HOLD-2 ("only Tier 4 or an emergency stop"): a bar reaching +1.5% during the hold takes nothing."""
    position, state = _trend_long()
    decision = _run(position, state, bar(20, 100.5, 101.6, 100.4, 101.4))
    assert decision.actions == ()
    assert [e.data["tier"] for e in decision.events] == [1, 2, 3]


def test_tier4_closes_everything_during_the_hold() -> None:
    """P-HOLD-2: Tier 4 may close the position during the hold; it closes all that is open."""
    position, state = _trend_long()
    decision = _run(position, state, bar(20, 100.5, 102.1, 100.4, 101.9))
    [action] = decision.actions
    assert (action.tier, action.quantity, action.trigger_price) == (4, D("4"), D("102"))
    assert decision.closes_position
    assert decision.tiers_done == 4


def test_wall_adjusted_tier4_is_the_one_allowed_during_the_hold() -> None:
    """P-HOLD-2 with P-WALL-1: Tier 3 moved onto the new Tier 4 fills with it (Tier 4 closes everything)."""
    position, state = open_position(plan(Side.LONG, context(ask_walls=[wall(101.5, 30e6)])))
    decision = _run(position, state, bar(20, 100.5, 101.4, 100.4, 101.3))
    assert [(a.tier, a.quantity, a.trigger_price) for a in decision.actions] == [(4, D("4"), D("101.3985"))]


def test_blocked_tier_is_reported_once_per_hold_level() -> None:
    """P-HOLD-2: the same blocked tier on the next bar adds no second event (one per tier and hold level)."""
    position, state = _trend_long()
    first = _run(position, state, bar(10, 100.3, 100.6, 100.2, 100.4))
    second = evaluate_exits(
        position, context(100.4), bar(11, 100.4, 100.6, 100.3, 100.4), at(11), CONFIG, first.hold_state
    )
    assert len(first.events) == 1
    assert second.events == ()
    assert second.actions == ()


def test_tier1_is_taken_once_the_hold_is_served() -> None:
    """P-HOLD-2 boundary: at 45:00 the hold is served and the blocked Tier 1 is taken when reached."""
    position, state = _trend_long()
    blocked = _run(position, state, bar(44, 100.3, 100.6, 100.2, 100.4))
    assert blocked.actions == ()
    taken = evaluate_exits(
        position, context(100.4), bar(45, 100.4, 100.6, 100.3, 100.4), at(45), CONFIG, blocked.hold_state
    )
    assert [(a.tier, a.quantity) for a in taken.actions] == [(1, D("1"))]


def test_tier1_blocked_under_90_minutes_exits_when_price_turns_away_after_75() -> None:
    """P-HOLD-1 + P-HOLD-2: TRUE TREND long far from max pain (75) rising toward a cluster (90). At minute 79 a
    Tier-1 touch is blocked by the 90-minute hold; at minute 80 price turns away from the cluster, the hold
    drops to 75, which has been served, and Tier 1 is taken."""
    position, state = _trend_long(max_pain=97.0)
    ctx_cluster = [cluster(101.8, 100.3)]
    decision = None
    for minute in range(1, 80):
        close = 100.0 + 0.005 * minute
        high = 100.55 if minute == 79 else close + 0.01
        ctx = context(close, short_clusters=ctx_cluster)
        decision = evaluate_exits(
            position, ctx, bar(minute, close - 0.005, high, close - 0.01, close), at(minute), CONFIG, state
        )
        state = decision.hold_state
        assert decision.actions == ()
    assert decision is not None
    assert decision.hold.required_minutes == 90
    assert [e.data["hold_minutes"] for e in decision.events] == [90]
    turned = bar(80, 100.5, 100.52, 100.3, 100.31)  # close below the close 3 bars back (100.385)
    after = evaluate_exits(position, context(100.31, short_clusters=ctx_cluster), turned, at(80), CONFIG, state)
    assert (after.hold.required_minutes, after.hold.reason, after.hold.active) == (
        75,
        HoldReason.FAR_FROM_MAX_PAIN,
        False,
    )
    assert [(a.tier, a.trigger_price) for a in after.actions] == [(1, D("100.5"))]


# --- emergency flatten and max hold ----------------------------------------------------------------


def test_emergency_flatten_closes_everything_at_the_close_during_the_hold() -> None:
    """P-STOP-1: an emergency (kill switch, manual flatten) is never blocked by any hold."""
    position, state = _trend_long()
    decision = evaluate_exits(
        position, context(100.4), bar(3, 100.3, 100.6, 100.2, 100.4), at(3), CONFIG, state, emergency="R-K-4 manual"
    )
    [action] = decision.actions
    assert (action.kind, action.quantity, action.trigger_price, action.tag) == (
        ExitKind.EMERGENCY,
        D("4"),
        D("100.4"),
        "emergency",
    )
    with pytest.raises(ValueError, match="reason"):
        evaluate_exits(position, context(100.4), bar(3, 100, 100, 100, 100), at(3), CONFIG, state, emergency=" ")


def test_setup_max_hold_closes_the_rest_at_the_close() -> None:
    """Setup max hold (S-XRP-SQ's 45–60 s): after 60 s what is open closes at the bar's close."""
    sig_plan = plan_entry(signal(), context(hurst=0.5), D("100"), D("4"), CONFIG, T0, max_hold=timedelta(seconds=60))
    position, state = open_position(sig_plan)
    assert _run(position, state, bar(0.5, 100, 100.1, 99.9, 100.05)).actions == ()
    [action] = evaluate_exits(position, context(100.05), bar(1, 100, 100.1, 99.9, 100.05), at(1), CONFIG, state).actions
    assert (action.kind, action.quantity, action.trigger_price, action.tag) == (
        ExitKind.MAX_HOLD,
        D("4"),
        D("100.05"),
        "max-hold",
    )


def test_max_hold_is_blocked_during_a_true_trend_hold() -> None:
    """P-HOLD-2: only Tier 4 or a stop closes a TRUE TREND position during its hold, so a max hold waits."""
    sig_plan = plan_entry(signal(), context(), D("100"), D("4"), CONFIG, T0, max_hold=timedelta(seconds=60))
    position, state = open_position(sig_plan)
    decision = evaluate_exits(position, context(100.05), bar(2, 100, 100.1, 99.9, 100.05), at(2), CONFIG, state)
    assert decision.actions == ()
    assert [e.data["exit"] for e in decision.events] == ["max-hold"]


# --- bad input ---------------------------------------------------------------------------------------


def test_exits_refuse_bad_inputs_with_clear_errors() -> None:
    """Bad input → clear error, never a silent decision."""
    position, state = _plain_long()
    good = bar(5, 100, 100.2, 99.8, 100.1)
    with pytest.raises(ValueError, match="inconsistent"):
        _run(position, state, bar(5, 100, 99.0, 99.8, 100.1))
    with pytest.raises(ValueError, match="positive finite"):
        _run(position, state, bar(5, float("nan"), 100.2, 99.8, 100.1))
    with pytest.raises(ValueError, match="context is for"):
        evaluate_exits(position, replace(context(), symbol=Symbol("ETHUSDT")), good, at(5), CONFIG, state)
    with pytest.raises(ValueError, match="before the position opened"):
        evaluate_exits(position, context(), good, T0 - timedelta(minutes=1), CONFIG, state)
    with pytest.raises(ValueError, match="closed"):
        _run(replace(position, closed_at=at(1)), state, good)
    with pytest.raises(ValueError, match="exceeds its initial"):
        _run(replace(position, quantity=D("5")), state, good)
    with pytest.raises(ValueError, match="losing side"):
        _run(replace(position, stop_price=D("100.1")), state, good)
    with pytest.raises(ValueError, match="out of order"):
        _run(replace(position, targets=(D("101"), D("100.5"))), state, good)
    assert position.symbol == SYMBOL
