"""TRUE TREND (P-TREND-1) and the minimum hold with its re-evaluation (P-HOLD-1); the persisted HoldState."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from pos_helpers import CONFIG, at, bar, cluster, context, flat_bar, open_position, plan

from bigalpha.config.positions import PositionsConfig
from bigalpha.domain import Side
from bigalpha.indicators.context import MarketContext
from bigalpha.positions import HoldReason, HoldState, HoldStatus, is_true_trend, update_hold

# --- P-TREND-1 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hurst", "oi_delta", "expected"),
    [
        (0.56, 1.0, True),  # both strictly above their thresholds
        (0.55, 1e9, False),  # boundary: exactly 0.55 is not trending
        (0.5500001, 1e9, True),  # just above 0.55
        (0.9, 0.0, False),  # boundary: a zero OI delta is not positive
        (0.9, -5.0, False),
        (0.4, 1e9, False),
        (None, 1e9, False),  # unknown Hurst (window not full) is not TRUE TREND
        (0.7, None, False),  # unknown OI delta is not TRUE TREND
        (float("nan"), 1.0, False),
    ],
)
def test_true_trend_needs_hurst_above_055_and_positive_oi_delta(
    hurst: float | None, oi_delta: float | None, expected: bool
) -> None:
    """P-TREND-1: H > 0.55 AND 5-minute OI delta > 0; exactly 0.55 or exactly 0 → not TRUE TREND."""
    assert is_true_trend(hurst, oi_delta, CONFIG) is expected


def test_true_trend_threshold_comes_from_config() -> None:
    """P-TREND-1: the Hurst threshold is configuration, not a literal."""
    stricter = PositionsConfig(true_trend_hurst_above=0.6)
    assert is_true_trend(0.58, 1.0, CONFIG)
    assert not is_true_trend(0.58, 1.0, stricter)


def test_position_entered_in_true_trend_records_it() -> None:
    """P-TREND-1 + P-META-1: TRUE TREND is judged at entry and stored in the metadata."""
    assert plan(Side.LONG, context(hurst=0.6, oi_delta=1.0)).meta.true_trend
    assert not plan(Side.LONG, context(hurst=0.55, oi_delta=1.0)).meta.true_trend
    assert not plan(Side.LONG, context(hurst=0.6, oi_delta=0.0)).meta.true_trend


# --- P-HOLD-1: levels and priority ------------------------------------------------------------


def _hold_after(
    side: Side, entry_ctx: dict[str, Any], bars: Sequence[tuple[float, float]], ctx_now: MarketContext
) -> tuple[HoldState, HoldStatus]:
    """Open a position in the context built from `entry_ctx`, then feed flat bars at (minute, close)."""
    position, state = open_position(plan(side, context(**entry_ctx)))
    status = None
    for minute, close in bars:
        state, status = update_hold(position, ctx_now, flat_bar(minute, close), at(minute), CONFIG, state)
    assert status is not None
    return state, status


def test_hold_is_45_minutes_near_max_pain_without_a_cluster() -> None:
    """P-HOLD-1: TRUE TREND, max pain 1% away (not far), no cluster → 45 min."""
    _, status = _hold_after(Side.LONG, {"max_pain": 101.0}, [(1, 100.2)], context(100.2))
    assert (status.required_minutes, status.reason, status.active) == (45, HoldReason.BASE, True)


def test_hold_is_75_minutes_when_entry_was_more_than_2pct_from_max_pain() -> None:
    """P-HOLD-1: entry 2.5% from max pain → 75 min."""
    _, status = _hold_after(Side.LONG, {"max_pain": 97.5}, [(1, 100.2)], context(100.2))
    assert (status.required_minutes, status.reason) == (75, HoldReason.FAR_FROM_MAX_PAIN)


def test_exactly_2pct_from_max_pain_is_not_far() -> None:
    """P-HOLD-1 boundary: "more than 2%" — exactly 2% from max pain keeps 45 min."""
    _, status = _hold_after(Side.LONG, {"max_pain": 98.0}, [(1, 100.0)], context(100.0))
    assert status.required_minutes == 45


def test_hold_is_90_minutes_while_price_moves_toward_a_cluster_and_outranks_max_pain() -> None:
    """P-HOLD-1: moving toward a short-liquidation cluster above a long → 90, priority over the 75."""
    ctx = context(100.3, short_clusters=[cluster(101.5, 100.3)])
    _, status = _hold_after(Side.LONG, {"max_pain": 97.0}, [(1, 100.1), (2, 100.2), (3, 100.3)], ctx)
    assert (status.required_minutes, status.reason, status.toward_cluster) == (90, HoldReason.TOWARD_CLUSTER, True)
    assert status.cluster_price == 101.5


def test_short_moving_down_toward_a_long_liquidation_cluster_holds_90() -> None:
    """P-HOLD-1 mirrored: a short falling toward a long-liquidation cluster below."""
    ctx = context(99.7, long_clusters=[cluster(98.8, 99.7)])
    _, status = _hold_after(Side.SHORT, {}, [(1, 99.9), (2, 99.7)], ctx)
    assert status.required_minutes == 90


def test_a_cluster_behind_price_or_too_far_is_no_magnet() -> None:
    """P-HOLD-1 (decided reading): the cluster must be ahead, within hold.cluster_max_pct (3%)."""
    behind = context(100.3, long_clusters=[cluster(99.0, 100.3)])
    assert _hold_after(Side.LONG, {}, [(1, 100.3)], behind)[1].required_minutes == 45
    far = context(100.3, short_clusters=[cluster(104.0, 100.3)])
    assert _hold_after(Side.LONG, {}, [(1, 100.3)], far)[1].required_minutes == 45
    unavailable = context(100.3, short_clusters=None)
    assert _hold_after(Side.LONG, {}, [(1, 100.3)], unavailable)[1].required_minutes == 45


def test_flat_price_is_not_moving_toward_the_cluster() -> None:
    """P-HOLD-1 (decided reading): distance must shrink strictly; an unchanged close is not moving."""
    ctx = context(100.0, short_clusters=[cluster(101.0)])
    assert _hold_after(Side.LONG, {}, [(1, 100.0)], ctx)[1].required_minutes == 45


def test_90_minute_hold_drops_to_75_when_price_turns_away_from_the_cluster() -> None:
    """P-HOLD-1 re-evaluation: closes rising toward the cluster hold 90; a close below the close 3 bars
    earlier means price turned away, and the hold falls to the next level (75: entry far from max pain)."""
    ctx = context(100.3, short_clusters=[cluster(101.5, 100.3)])
    rising = [(1, 100.1), (2, 100.2), (3, 100.3), (4, 100.35)]
    state, status = _hold_after(Side.LONG, {"max_pain": 97.0}, rising, ctx)
    assert status.required_minutes == 90
    position, _ = open_position(plan(Side.LONG, context(max_pain=97.0)))
    state, status = update_hold(position, ctx, flat_bar(5, 100.15), at(5), CONFIG, state)
    assert (status.required_minutes, status.reason) == (75, HoldReason.FAR_FROM_MAX_PAIN)
    assert status.reference_price == 100.2  # the close 3 bars before (minute 2)
    state, status = update_hold(position, ctx, flat_bar(6, 100.4), at(6), CONFIG, state)
    assert status.required_minutes == 90  # resumed toward the cluster: back to 90 while the hold runs


def test_hold_is_measured_from_opened_at_with_the_given_now_and_released_at_the_level() -> None:
    """P-HOLD-1: 45 min from opened_at; at 44:59 it holds, at 45:00 it is served (boundary: ≥ releases)."""
    position, state = open_position(plan(Side.LONG, context()))
    ctx = context(100.1)
    state, status = update_hold(position, ctx, flat_bar(44, 100.1), at(44) + timedelta(seconds=59), CONFIG, state)
    assert status.active
    assert status.remaining_s == pytest.approx(1.0)
    state, status = update_hold(position, ctx, flat_bar(45, 100.1), at(45), CONFIG, state)
    assert not status.active
    assert state.released
    assert state.released_at == at(45)


def test_a_served_hold_is_not_reimposed_by_a_later_swing_toward_a_cluster() -> None:
    """P-HOLD-1 (decided): once served (elapsed ≥ level), the hold stays released even if price then swings
    toward a cluster (which would ask for 90 minutes), and the state is final from then on."""
    position, state = open_position(plan(Side.LONG, context()))
    state, status = update_hold(position, context(100.0), flat_bar(50, 100.0), at(50), CONFIG, state)
    assert state.released
    released = state
    ctx = context(100.4, short_clusters=[cluster(101.0, 100.4)])
    state, status = update_hold(position, ctx, flat_bar(51, 100.4), at(51), CONFIG, state)
    assert not status.active
    assert status.required_minutes == released.required_minutes == 45
    assert state == released


def test_a_position_without_a_hold_keeps_a_constant_state() -> None:
    """P-HOLD-1: a position that was not TRUE TREND never holds, so no bar changes its hold state (which lets a
    backtest skip the bars that touch none of its levels)."""
    position, state = open_position(plan(Side.LONG, context(hurst=0.5)))
    after = state
    for minute in range(1, 5):
        after, status = update_hold(position, context(100.1), flat_bar(minute, 100.1), at(minute), CONFIG, after)
        assert not status.active
    assert after == state


def test_a_position_not_in_true_trend_has_no_hold() -> None:
    """P-HOLD-1: the hold is for TRUE TREND positions only."""
    position, state = open_position(plan(Side.LONG, context(hurst=0.5)))
    _, status = update_hold(position, context(100.1), flat_bar(1, 100.1), at(1), CONFIG, state)
    assert (status.active, status.required_minutes, status.reason) == (False, 0, HoldReason.NOT_TRUE_TREND)


def test_hold_minutes_come_from_config() -> None:
    """P-HOLD-1: the 45/75/90 are configuration."""
    cfg = PositionsConfig.model_validate({"hold": {"base_minutes": 30}})
    position, state = open_position(plan(Side.LONG, context(), config=cfg))
    _, status = update_hold(position, context(100.1), flat_bar(1, 100.1), at(1), cfg, state)
    assert status.required_minutes == 30


# --- HoldState persistence and input checks ------------------------------------------------


def test_hold_state_round_trips_through_json() -> None:
    """I-PERSIST-1: what the engine stores restores to an equal state."""
    ctx = context(100.3, short_clusters=[cluster(101.5, 100.3)])
    state, _ = _hold_after(Side.LONG, {"max_pain": 97.0}, [(1, 100.1), (2, 100.3)], ctx)
    state = replace(state, max_hold_s=60.0, max_pain_hit=True, max_pain_hit_at=at(2), blocked_notices=("tier-1@90",))
    restored = HoldState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state


def test_bad_hold_state_is_refused_with_the_field_named() -> None:
    """Bad input → clear error."""
    good = HoldState().to_dict()
    with pytest.raises(ValueError, match="required_minutes"):
        HoldState.from_dict({**good, "required_minutes": -1})
    with pytest.raises(ValueError, match="surprise"):
        HoldState.from_dict({**good, "surprise": 1})
    with pytest.raises(ValueError, match="version"):
        HoldState.from_dict({**good, "version": 99})


def test_replaying_the_same_bar_is_idempotent_and_an_older_bar_is_refused() -> None:
    """A bar seen twice (restart) leaves the same state; going back in time is an error."""
    position, state = open_position(plan(Side.LONG, context()))
    ctx = context(100.2)
    once, _ = update_hold(position, ctx, flat_bar(1, 100.2), at(1), CONFIG, state)
    twice, _ = update_hold(position, ctx, flat_bar(1, 100.2), at(1), CONFIG, once)
    assert once == twice
    with pytest.raises(ValueError, match="older than the last bar"):
        update_hold(position, ctx, bar(0, 100, 100, 100, 100), at(1), CONFIG, once)
