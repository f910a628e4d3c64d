"""Entry plan: the stop (P-STOP-1), the ladder (P-LADDER-1), wall-adjusted targets (P-WALL-1), metadata (P-META-1)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pos_helpers import CONFIG, SYMBOL, T0, cluster, context, open_position, plan, signal, wall

from bigalpha.config.positions import PositionsConfig
from bigalpha.domain import (
    Decision,
    EventType,
    GuardName,
    GuardOutcome,
    Regime,
    Side,
    SignalId,
    Symbol,
    Verdict,
    evidence,
)
from bigalpha.positions import HoldReason, plan_entry

D = Decimal

# --- P-STOP-1: every position has a stop at entry -----------------------------------------------


def test_long_without_stop_pct_gets_the_configured_default_stop() -> None:
    """P-STOP-1: a signal with no stop_pct is given positions.default_stop_pct (1%) below entry."""
    assert plan(Side.LONG).stop_price == D("99")


def test_short_stop_sits_above_entry_at_the_signals_own_distance() -> None:
    """P-STOP-1: a setup's stop_pct (S-BTC-S 30 bps) wins over the default; a short's stop is above entry."""
    p = plan(Side.SHORT, stop_pct=0.003)
    assert p.stop_price == D("100.3")
    assert p.stop_pct == 0.003


def test_every_opened_position_carries_its_stop() -> None:
    """P-STOP-1: the Position built from the plan has the plan's stop."""
    position, _ = open_position(plan(Side.LONG, stop_pct=0.0028))
    assert position.stop_price == D("99.72")


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.01, 1.5])
def test_a_stop_outside_zero_one_is_refused(bad: float) -> None:
    """P-STOP-1: a stop of 0 (none) or ≥ 100% is bad input, never a position without a stop."""
    with pytest.raises(ValueError, match="stop_pct"):
        plan(Side.LONG, stop_pct=bad)


def test_a_stop_that_rounds_onto_the_entry_is_refused() -> None:
    """P-STOP-1: a stop that 10 significant digits cannot tell from the entry is no stop."""
    with pytest.raises(ValueError, match="rounds to the entry"):
        plan(Side.LONG, stop_pct=1e-12)


def test_stop_is_rounded_toward_entry_never_wider() -> None:
    """P-STOP-1 (decided rounding): an inexact stop rounds toward the entry, so R-G-2's 5% still holds."""
    p = plan(Side.LONG, entry="0.512371", stop_pct=0.0333337)
    exact = D("0.512371") * (1 - D("0.0333337"))
    assert exact < p.stop_price < D("0.512371")
    assert p.stop_price - exact < D("1e-10")
    short = plan(Side.SHORT, entry="0.512371", stop_pct=0.0333337)
    assert D("0.512371") < short.stop_price < D("0.512371") * (1 + D("0.0333337"))


# --- P-LADDER-1: the ladder -------------------------------------------------------------------


def test_default_long_ladder_is_half_one_one_and_a_half_and_two_percent() -> None:
    """P-LADDER-1: Tier 1 +0.5%, Tier 2 +1.0%, Tier 3 +1.5%, Tier 4 +2.0% with 25% each."""
    p = plan(Side.LONG)
    assert p.targets == (D("100.5"), D("101"), D("101.5"), D("102"))
    assert p.fractions == (D("0.25"),) * 4


def test_default_short_ladder_mirrors_below_entry() -> None:
    """P-LADDER-1: a short's targets are below its entry."""
    assert plan(Side.SHORT).targets == (D("99.5"), D("99"), D("98.5"), D("98"))


def test_a_setups_own_targets_replace_the_ladder_with_equal_shares() -> None:
    """P-LADDER-1 (decided): S-BTC-L's +25/+50/+90 bps, a third of the quantity each."""
    p = plan(Side.LONG, targets_pct=(0.0025, 0.005, 0.009))
    assert p.targets == (D("100.25"), D("100.5"), D("100.9"))
    assert p.fractions == (D(1) / 3,) * 3


def test_configured_fractions_are_used_for_the_configured_ladder() -> None:
    """P-LADDER-1: "each closing a configurable fraction"."""
    cfg = PositionsConfig.model_validate({"ladder": {"fractions": [0.4, 0.3, 0.2, 0.1]}})
    assert plan(Side.LONG, config=cfg).fractions == (D("0.4"), D("0.3"), D("0.2"), D("0.1"))


@pytest.mark.parametrize("targets", [(), (0.01, 0.005), (0.005, 0.005), (0.0,), (1.2,)])
def test_a_setup_ladder_out_of_order_or_out_of_range_is_refused(targets: tuple[float, ...]) -> None:
    """P-LADDER-1: a ladder must climb away from entry."""
    with pytest.raises(ValueError, match="target"):
        plan(Side.LONG, targets_pct=targets)


# --- P-WALL-1: wall-adjusted Tier-4 target ---------------------------------------------------


def test_30m_ask_wall_at_one_and_a_half_percent_moves_tier4_to_wall_times_0999() -> None:
    """P-WALL-1: Tier 4 of +2.0% with a $30M ask wall at +1.5% becomes 101.5 × 0.999 = 101.3985."""
    p = plan(Side.LONG, context(ask_walls=[wall(101.5, 30e6)]))
    assert p.targets[3] == D("101.5") * D("0.999") == D("101.3985")
    top = p.events[0]
    assert top.type is EventType.TARGET_ADJUSTED
    assert top.data["rule"] == "P-WALL-1"
    assert (top.data["tier"], top.data["old_target"], top.data["new_target"]) == (4, D("102"), D("101.3985"))
    assert (top.data["wall_price"], top.data["wall_usd"]) == (101.5, 30e6)


def test_lower_tiers_beyond_the_new_tier4_are_moved_onto_it() -> None:
    """P-WALL-1 (decided): Tier 3 at 101.5 would sit past the new Tier 4; it moves onto it, Tier 2 stays."""
    p = plan(Side.LONG, context(ask_walls=[wall(101.5, 30e6)]))
    assert p.targets == (D("100.5"), D("101"), D("101.3985"), D("101.3985"))
    assert [(m.tier, m.top_tier) for m in p.target_moves] == [(4, True), (3, False)]
    assert [e.data["tier"] for e in p.events] == [4, 3]
    assert p.ladder_targets == (D("100.5"), D("101"), D("101.5"), D("102"))


def test_20m_ask_wall_does_not_move_the_target() -> None:
    """P-WALL-1: a $20M wall is not institutional (> $25M): the target stays at +2.0%, no event."""
    p = plan(Side.LONG, context(ask_walls=[wall(101.5, 20e6)]))
    assert p.targets[3] == D("102")
    assert p.events == ()


def test_exactly_25m_is_not_institutional_but_a_dollar_more_is() -> None:
    """P-WALL-1 boundary: "> $25M" — exactly $25M leaves the target, $25,000,001 moves it."""
    assert plan(Side.LONG, context(ask_walls=[wall(101.5, 25e6)])).targets[3] == D("102")
    assert plan(Side.LONG, context(ask_walls=[wall(101.5, 25e6 + 1)])).targets[3] == D("101.3985")


def test_short_mirrors_with_a_bid_wall_one_tenth_percent_above() -> None:
    """P-WALL-1 (decided mirror): a short's Tier 4 at -2.0% with a $30M bid wall at -1.5% → 98.5 × 1.001."""
    p = plan(Side.SHORT, context(bid_walls=[wall(98.5, 30e6)], ask_walls=[wall(101.0, 90e6)]))
    assert p.targets == (D("99.5"), D("99"), D("98.5985"), D("98.5985"))
    assert p.targets[3] == D("98.5") * D("1.001")


def test_short_ignores_ask_walls_and_long_ignores_bid_walls() -> None:
    """P-WALL-1: the wall in the way is on the side price travels through (asks for a long, bids for a short)."""
    assert plan(Side.LONG, context(bid_walls=[wall(101.5, 90e6)])).targets[3] == D("102")
    assert plan(Side.SHORT, context(ask_walls=[wall(98.5, 90e6)])).targets[3] == D("98")


def test_wall_beyond_tier4_does_not_move_it_but_a_wall_on_it_does() -> None:
    """P-WALL-1: only a wall below the target counts; one sitting exactly on it (decided) counts too."""
    assert plan(Side.LONG, context(ask_walls=[wall(102.5, 90e6)])).targets[3] == D("102")
    assert plan(Side.LONG, context(ask_walls=[wall(102.0, 90e6)])).targets[3] == D("101.898")


def test_nearest_institutional_wall_wins() -> None:
    """P-WALL-1: with two qualifying walls, price meets the nearer one first."""
    p = plan(Side.LONG, context(ask_walls=[wall(101.8, 80e6), wall(101.2, 30e6), wall(100.9, 10e6)]))
    assert p.targets[3] == D("101.2") * D("0.999")
    assert p.targets == (D("100.5"), D("101"), D("101.0988"), D("101.0988"))


def test_wall_too_close_to_entry_to_leave_a_profit_is_ignored() -> None:
    """P-WALL-1 (decided): a wall within 0.1% above entry would put the target below entry: ignored."""
    p = plan(Side.LONG, context(ask_walls=[wall(100.05, 90e6)]))
    assert p.targets[3] == D("102")
    assert p.events == ()


def test_walls_unavailable_leave_the_ladder() -> None:
    """P-WALL-1: no wall data (None) moves nothing."""
    assert plan(Side.LONG, context(ask_walls=None)).targets[3] == D("102")


# --- P-META-1: what the position remembers of its entry -----------------------------------


def test_meta_stores_hurst_regime_oi_delta_max_pain_cluster_and_verdict() -> None:
    """P-META-1: every field comes from the context at entry; the verdict's evidence is kept, guard by guard."""
    ctx = context(hurst=0.63, oi_delta=1.5e6, max_pain=97.0, short_clusters=[cluster(101.2, usd=8e7)])
    outcome = GuardOutcome(
        guard=GuardName.TAKER_AGGRESSION, decision=Decision.ALLOW, evidence=evidence(ratio=1.32, threshold=1.1)
    )
    verdict = Verdict(SignalId("sig-test-1"), True, 1.2, (outcome,))
    p = plan_entry(signal(), ctx, D("100"), D("4"), CONFIG, T0, verdict=verdict)
    meta = p.meta
    assert (meta.hurst, meta.regime, meta.true_trend) == (0.63, Regime.TRENDING, True)
    assert (meta.oi_delta_5m_at_entry, meta.max_pain_at_entry) == (1.5e6, 97.0)
    assert (meta.nearest_cluster_price, meta.nearest_cluster_usd) == (101.2, 8e7)
    pairs = dict(meta.verdict_evidence)
    assert pairs["allowed"] == "True"
    assert pairs["size_multiplier"] == "1.2"
    assert pairs["TAKER_AGGRESSION.decision"] == "ALLOW"
    assert pairs["TAKER_AGGRESSION.ratio"] == "1.32"
    position, _ = open_position(p)
    assert position.meta == meta


def test_meta_keeps_unknowns_as_none() -> None:
    """P-META-1: unavailable inputs stay None, never a made-up value; unknown Hurst is not TRUE TREND."""
    meta = plan(Side.LONG, context(hurst=None, oi_delta=None)).meta
    assert (meta.hurst, meta.regime, meta.true_trend, meta.oi_delta_5m_at_entry) == (None, Regime.UNKNOWN, False, None)
    assert (meta.max_pain_at_entry, meta.nearest_cluster_price, meta.verdict_evidence) == (None, None, ())


def test_first_hold_state_follows_max_pain_distance_at_entry() -> None:
    """P-HOLD-1: at entry no bar has moved toward a cluster; far from max pain → 75, else 45."""
    assert plan(Side.LONG, context(max_pain=97.0)).hold_state.required_minutes == 75
    assert plan(Side.LONG, context(max_pain=99.0)).hold_state.reason is HoldReason.BASE
    assert plan(Side.LONG, context(hurst=0.5)).hold_state.reason is HoldReason.NOT_TRUE_TREND


# --- bad input ----------------------------------------------------------------------------


def test_entry_refuses_mismatched_or_bad_inputs() -> None:
    """Bad input is a clear error."""
    ctx = context()
    with pytest.raises(ValueError, match="entry_price"):
        plan_entry(signal(), ctx, D("0"), D("1"), CONFIG, T0)
    with pytest.raises(ValueError, match="quantity"):
        plan_entry(signal(), ctx, D("100"), D("-1"), CONFIG, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_entry(signal(), ctx, D("100"), D("1"), CONFIG, T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="later than now"):
        plan_entry(signal(), ctx, D("100"), D("1"), CONFIG, T0 - timedelta(seconds=1))
    other = Verdict(SignalId("sig-other"), True, 1.0, ())
    with pytest.raises(ValueError, match="verdict is for signal"):
        plan_entry(signal(), ctx, D("100"), D("1"), CONFIG, T0, verdict=other)
    with pytest.raises(ValueError, match="max_hold"):
        plan_entry(signal(), ctx, D("100"), D("1"), CONFIG, T0, max_hold=timedelta(0))
    wrong = plan_entry(signal(), ctx, D("100"), D("1"), CONFIG, T0)
    assert wrong.symbol == SYMBOL
    from dataclasses import replace

    with pytest.raises(ValueError, match="context is for"):
        plan_entry(replace(signal(), symbol=Symbol("ETHUSDT")), ctx, D("100"), D("1"), CONFIG, T0)
