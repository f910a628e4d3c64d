"""Each guard of the intelligence gate on its own: the rule, its boundaries and its fail-open (G-*, D-FAILOPEN)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from gate_factories import CONFIG, LEARNED, PRICE, cluster, config_with, make_context, make_signal
from hypothesis import given
from hypothesis import strategies as st

from bigalpha.domain import Decision, DenyReason, GuardName, Regime, Side
from bigalpha.gate import evaluate
from bigalpha.gate.learned import GateLearnedState
from bigalpha.gate.liquidity import liq_wall
from bigalpha.gate.positioning import long_trap, taker_aggression
from bigalpha.gate.sizing import fear_greed, random_regime
from bigalpha.gate.timing import fee_aware, golden_hour
from bigalpha.gate.whale import ultra_conviction, whale_conflict, whale_intent
from bigalpha.indicators.flow import FlowDirection
from bigalpha.indicators.hurst import classify_regime
from bigalpha.indicators.liquidity import ClusterSide


def at(hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2025, 12, 26, hour, minute, second, micro, tzinfo=UTC)


def outcome_of(verdict, guard):
    return next(o for o in verdict.outcomes if o.guard is guard)


# --- G-WHALE-1 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("side", "whale"), [(Side.LONG, FlowDirection.SELL), (Side.SHORT, FlowDirection.BUY)])
def test_whale_conflict_blocks_a_signal_against_whale_cvd(side, whale):
    """G-WHALE-1: whale CVD direction diverging from the signal blocks with WHALE_CONFLICT."""
    out = whale_conflict(make_signal(side=side), make_context(whale_direction=whale), CONFIG, LEARNED)
    assert out.decision is Decision.BLOCK
    assert out.reason is DenyReason.WHALE_CONFLICT
    assert out.evidence["whale_direction"] == whale.value


@pytest.mark.parametrize("whale", [FlowDirection.BUY, FlowDirection.NEUTRAL])
def test_whale_conflict_allows_aligned_or_neutral_whales(whale):
    """G-WHALE-1: only a diverging direction blocks; a neutral whale CVD does not."""
    out = whale_conflict(make_signal(), make_context(whale_direction=whale), CONFIG, LEARNED)
    assert out.decision is Decision.ALLOW
    assert out.data_unavailable is None


def test_whale_conflict_fails_open_without_whale_cvd():
    """G-WHALE-1 + D-FAILOPEN: no whale CVD → allow, naming the data and why."""
    ctx = make_context(whale_direction=None, whale_cvd_usd=None, unavailable={"whale_cvd": "needs 60 bars, has 3"})
    out = whale_conflict(make_signal(), ctx, CONFIG, LEARNED)
    assert out.decision is Decision.ALLOW
    assert out.data_unavailable is not None
    assert "whale CVD" in out.data_unavailable
    assert "needs 60 bars" in out.data_unavailable


# --- G-LIQ-1 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("price", "cluster_price"), [(100.0, 100.5), (100_000.0, 100_500.0), (3_000.0, 3_015.0)])
def test_long_exactly_half_a_percent_below_a_short_cluster_is_blocked(price, cluster_price):
    """G-LIQ-1: "within 0.5%" includes exactly 0.5% → LIQ_WALL_CONFLICT."""
    ctx = make_context(price=price, short_clusters=(cluster(cluster_price, ClusterSide.SHORT_LIQ, ref=price),))
    out = liq_wall(make_signal(price=price), ctx, CONFIG, LEARNED)
    assert out.decision is Decision.BLOCK
    assert out.reason is DenyReason.LIQ_WALL_CONFLICT
    assert out.evidence["cluster_price"] == cluster_price


def test_long_just_beyond_half_a_percent_is_allowed():
    """G-LIQ-1: 0.51% from the nearest short-liquidation cluster is clear."""
    ctx = make_context(short_clusters=(cluster(100_510.0, ClusterSide.SHORT_LIQ),))
    assert liq_wall(make_signal(), ctx, CONFIG, LEARNED).decision is Decision.ALLOW


@given(distance=st.floats(0.0, 0.005), price=st.floats(1.0, 1e6))
def test_long_within_half_a_percent_of_any_short_cluster_is_blocked(distance, price):
    """G-LIQ-1 (property): any distance up to 0.5% blocks a LONG, at any price level."""
    ctx = make_context(price=price, short_clusters=(cluster(price * (1 + distance), ClusterSide.SHORT_LIQ, ref=price),))
    assert liq_wall(make_signal(price=price), ctx, CONFIG, LEARNED).decision is Decision.BLOCK


@given(distance=st.floats(0.00501, 0.2))
def test_long_beyond_half_a_percent_of_every_short_cluster_is_allowed(distance):
    """G-LIQ-1 (property): beyond 0.5% of every short-liquidation cluster, the LONG passes this guard."""
    ctx = make_context(short_clusters=(cluster(PRICE * (1 + distance), ClusterSide.SHORT_LIQ),))
    assert liq_wall(make_signal(), ctx, CONFIG, LEARNED).decision is Decision.ALLOW


def test_a_long_liquidation_cluster_below_does_not_block_a_long():
    """G-LIQ-1: only short-liquidation clusters (above price) block a LONG."""
    ctx = make_context(short_clusters=(), long_clusters=(cluster(PRICE * 0.998, ClusterSide.LONG_LIQ),))
    assert liq_wall(make_signal(), ctx, CONFIG, LEARNED).decision is Decision.ALLOW


def test_mirrored_short_rule_is_off_by_default_and_blocks_when_on():
    """G-LIQ-1 (decided): a SHORT near a long-liquidation cluster passes by default, is blocked with the mirror on."""
    signal = make_signal(side=Side.SHORT, expected_move_bps=50.0)
    ctx = make_context(
        whale_direction=FlowDirection.SELL,
        whale_intent_direction=FlowDirection.SELL,
        long_clusters=(cluster(PRICE * 0.997, ClusterSide.LONG_LIQ),),
    )
    default = outcome_of(evaluate(signal, ctx, CONFIG, LEARNED), GuardName.LIQ_WALL)
    assert default.decision is Decision.ALLOW
    assert default.evidence["disabled"] is True
    mirrored = evaluate(signal, ctx, config_with(guards={"liq_wall_short_mirror": True}), LEARNED)
    assert mirrored.blocked_by is GuardName.LIQ_WALL
    assert mirrored.reason is DenyReason.LIQ_WALL_CONFLICT


def test_liq_wall_fails_open_without_a_heatmap():
    """G-LIQ-1 + D-FAILOPEN: no heatmap → allow, naming the heatmap."""
    ctx = make_context(short_clusters=None, unavailable={"liquidation_heatmap": "plan does not serve it"})
    out = liq_wall(make_signal(), ctx, CONFIG, LEARNED)
    assert out.decision is Decision.ALLOW
    assert out.data_unavailable is not None
    assert "heatmap" in out.data_unavailable


# --- G-TRAP-1 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "blocked"), [(2.0, False), (1.99, False), (2.0000001, True), (2.01, True), (5.0, True)]
)
def test_long_trap_blocks_only_above_two(ratio, blocked):
    """G-TRAP-1: L/S "above 2.0" blocks a LONG; exactly 2.0 is allowed."""
    out = long_trap(make_signal(), make_context(long_short_ratio=ratio), CONFIG, LEARNED)
    assert (out.decision is Decision.BLOCK) is blocked
    if blocked:
        assert out.reason is DenyReason.LONG_TRAP_DETECTED


def test_long_trap_ignores_shorts():
    """G-TRAP-1: the rule is for LONG signals only."""
    out = long_trap(make_signal(side=Side.SHORT), make_context(long_short_ratio=4.0), CONFIG, LEARNED)
    assert out.decision is Decision.ALLOW
    assert out.data_unavailable is None


def test_long_trap_fails_open_without_the_ratio():
    """G-TRAP-1 + D-FAILOPEN."""
    out = long_trap(make_signal(), make_context(long_short_ratio=None), CONFIG, LEARNED)
    assert out.decision is Decision.ALLOW
    assert out.data_unavailable is not None


# --- G-TAKER-1 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "blocked"), [(1.10, True), (1.0, True), (0.0, True), (1.1000001, False), (1.5, False)]
)
def test_taker_aggression_blocks_at_or_below_one_point_ten(ratio, blocked):
    """G-TAKER-1: a 5-minute taker ratio "≤ 1.10" blocks a LONG; exactly 1.10 is blocked."""
    out = taker_aggression(make_signal(), make_context(taker_ratio_5m=ratio), CONFIG, LEARNED)
    assert (out.decision is Decision.BLOCK) is blocked
    if blocked:
        assert out.reason is DenyReason.TAKER_AGGRESSION_BLOCK


def test_taker_aggression_ignores_shorts_and_fails_open():
    """G-TAKER-1: LONG only; D-FAILOPEN without the ratio."""
    short = taker_aggression(make_signal(side=Side.SHORT), make_context(taker_ratio_5m=0.5), CONFIG, LEARNED)
    assert short.decision is Decision.ALLOW
    missing = taker_aggression(make_signal(), make_context(taker_ratio_5m=None), CONFIG, LEARNED)
    assert missing.decision is Decision.ALLOW
    assert missing.data_unavailable is not None


# --- G-WHALE-3 ---------------------------------------------------------------------------------------


def test_whale_intent_blocks_a_long_against_recent_whale_trades():
    """G-WHALE-3: whale CVD from trades above the threshold diverging from the signal → WHALE_INTENT_FILTER."""
    ctx = make_context(whale_intent_direction=FlowDirection.SELL, whale_intent_cvd_usd=-4e5)
    out = whale_intent(make_signal(), ctx, CONFIG, LEARNED)
    assert out.decision is Decision.BLOCK
    assert out.reason is DenyReason.WHALE_INTENT_FILTER
    assert out.evidence["threshold_usd"] == LEARNED.whale_threshold_usd


def test_whale_intent_uses_the_learned_threshold():
    """G-WHALE-3: a context computed at another threshold than the learned one cannot be judged: fail-open."""
    ctx = make_context(whale_intent_direction=FlowDirection.SELL, whale_threshold_usd=100_000.0)
    tuned = GateLearnedState(whale_threshold_usd=120_000.0)
    out = whale_intent(make_signal(), ctx, CONFIG, tuned)
    assert out.decision is Decision.ALLOW
    assert out.data_unavailable is not None
    assert "120,000" in out.data_unavailable
    at_tuned = make_context(whale_intent_direction=FlowDirection.SELL, whale_threshold_usd=120_000.0)
    assert whale_intent(make_signal(), at_tuned, CONFIG, tuned).decision is Decision.BLOCK


def test_whale_intent_runs_after_taker_aggression():
    """G-WHALE-3: evaluated after the taker aggression guard, so a signal failing both is blocked by TAKER."""
    ctx = make_context(taker_ratio_5m=1.0, whale_intent_direction=FlowDirection.SELL)
    verdict = evaluate(make_signal(), ctx, CONFIG, LEARNED)
    assert verdict.blocked_by is GuardName.TAKER_AGGRESSION
    assert GuardName.WHALE_INTENT not in [o.guard for o in verdict.outcomes]


def test_whale_intent_fails_open_without_trade_sizes():
    """G-WHALE-3 + D-FAILOPEN: no trade-based whale CVD → allow."""
    out = whale_intent(make_signal(), make_context(whale_intent_direction=None), CONFIG, LEARNED)
    assert out.decision is Decision.ALLOW
    assert out.data_unavailable is not None


# --- G-WHALE-2 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "whale", "ofi"), [(Side.LONG, FlowDirection.BUY, 0.3), (Side.SHORT, FlowDirection.SELL, -0.3)]
)
def test_ultra_when_whales_and_retail_ofi_both_align(side, whale, ofi):
    """G-WHALE-2: whale CVD and retail OFI both aligned → size × 2.5."""
    out = ultra_conviction(make_signal(side=side), make_context(whale_direction=whale, ofi=ofi), CONFIG, LEARNED)
    assert out.decision is Decision.RESIZE
    assert out.multiplier == 2.5


@pytest.mark.parametrize(
    ("whale", "ofi"), [(FlowDirection.BUY, 0.0), (FlowDirection.BUY, -0.2), (FlowDirection.NEUTRAL, 0.5)]
)
def test_no_ultra_unless_both_align(whale, ofi):
    """G-WHALE-2: one of the two not aligned → normal conviction (× 1)."""
    out = ultra_conviction(make_signal(), make_context(whale_direction=whale, ofi=ofi), CONFIG, LEARNED)
    assert out.decision is Decision.ALLOW
    assert out.multiplier == 1.0


def test_ultra_fails_open_without_ofi():
    """G-WHALE-2 + D-FAILOPEN: no OFI → no ULTRA, and the outcome says why."""
    out = ultra_conviction(make_signal(), make_context(ofi=None), CONFIG, LEARNED)
    assert out.multiplier == 1.0
    assert out.data_unavailable is not None
    assert "OFI" in out.data_unavailable


# --- G-FG-1 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "multiplier"), [(80.0, 1.0), (79.0, 1.0), (80.5, 0.6), (81.0, 0.6), (100.0, 0.6)])
def test_fear_greed_above_eighty_cuts_size(value, multiplier):
    """G-FG-1: F&G "above 80" → × 0.6; exactly 80 is not resized; it never blocks."""
    out = fear_greed(make_signal(), make_context(fear_greed=value), CONFIG, LEARNED)
    assert out.multiplier == multiplier
    assert out.decision is not Decision.BLOCK


def test_fear_greed_fails_open():
    """G-FG-1 + D-FAILOPEN."""
    out = fear_greed(make_signal(), make_context(fear_greed=None), CONFIG, LEARNED)
    assert (out.decision, out.multiplier) == (Decision.ALLOW, 1.0)
    assert out.data_unavailable is not None


# --- G-HURST-1 (with A-HURST-2's boundaries) ---------------------------------------------------------


@pytest.mark.parametrize(("h", "multiplier"), [(0.45, 0.5), (0.55, 0.5), (0.5, 0.5), (0.5501, 1.0), (0.4499, 1.0)])
def test_random_walk_regime_halves_size(h, multiplier):
    """G-HURST-1 / A-HURST-2: 0.45 ≤ H ≤ 0.55 (both ends) is a random walk → × 0.5; outside, no cut."""
    regime = classify_regime(h, trending_above=0.55, noise_below=0.45)
    ctx = make_context(hurst=h, regime=Regime(regime.value))
    assert random_regime(make_signal(), ctx, CONFIG, LEARNED).multiplier == multiplier


def test_random_regime_fails_open_when_hurst_is_unknown():
    """G-HURST-1 + D-FAILOPEN: UNKNOWN regime (fewer than 100 closes) → allow, naming Hurst."""
    ctx = make_context(hurst=None, regime=Regime.UNKNOWN, unavailable={"hurst": "needs 100 closes, has 42"})
    out = random_regime(make_signal(), ctx, CONFIG, LEARNED)
    assert out.multiplier == 1.0
    assert out.data_unavailable is not None
    assert "has 42" in out.data_unavailable


# --- G-GOLDEN-1 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (at(9), True),
        (at(8, 59, 59, 999_999), False),
        (at(15, 59, 59, 999_999), True),
        (at(16), False),
        (at(23, 30), False),
        (at(0), False),
        (datetime(2025, 12, 26, 10, 0, tzinfo=timezone(timedelta(hours=2))), False),  # 08:00 UTC
        (datetime(2025, 12, 26, 8, 0, tzinfo=timezone(timedelta(hours=-2))), True),  # 10:00 UTC
    ],
)
def test_golden_hour_window_is_nine_inclusive_to_sixteen_exclusive_utc(moment, inside):
    """G-GOLDEN-1: entries only 09:00 ≤ t < 16:00 UTC, by the signal's own timestamp (16:00 is outside)."""
    out = golden_hour(make_signal(ts=moment), make_context(), CONFIG, LEARNED)
    assert (out.decision is Decision.ALLOW) is inside
    if not inside:
        assert out.reason is DenyReason.OUTSIDE_GOLDEN_HOUR


def test_golden_hour_window_is_configurable():
    """G-GOLDEN-1: the window comes from config."""
    out = golden_hour(make_signal(ts=at(20)), make_context(), config_with(golden_hour_end_utc=24), LEARNED)
    assert out.decision is Decision.ALLOW


# --- G-FEE-1 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "blocked"), [(12.0, True), (11.0, True), (0.0, True), (12.01, False), (40.0, False)]
)
def test_expected_move_must_exceed_fees_plus_slippage(expected, blocked):
    """G-FEE-1: expected move must exceed round-trip fees (10 bps) + slippage buffer (2 bps); equal blocks."""
    out = fee_aware(make_signal(expected_move_bps=expected), make_context(), CONFIG, LEARNED)
    assert (out.decision is Decision.BLOCK) is blocked
    if blocked:
        assert out.reason is DenyReason.FEES_EXCEED_EXPECTED_MOVE
    assert out.evidence["cost_bps"] == 12.0


def test_fee_gate_reads_the_learned_slippage_buffer_of_the_symbol():
    """G-FEE-1 / L-SHADOW-1: a raised slippage buffer for the symbol raises the bar."""
    raised = GateLearnedState(slippage_bps={"BTC": 6.0})
    assert fee_aware(make_signal(expected_move_bps=15.0), make_context(), CONFIG, raised).decision is Decision.BLOCK
    other = GateLearnedState(slippage_bps={"ETH": 60.0})
    assert fee_aware(make_signal(expected_move_bps=15.0), make_context(), CONFIG, other).decision is Decision.ALLOW


def test_fee_gate_fails_open_without_an_expected_move():
    """G-FEE-1 + D-FAILOPEN: a signal without expected_move_bps is allowed, and the outcome names the field."""
    out = fee_aware(make_signal(expected_move_bps=None), make_context(), CONFIG, LEARNED)
    assert out.decision is Decision.ALLOW
    assert out.data_unavailable is not None
    assert "expected_move_bps" in out.data_unavailable


# --- G-PROB-1 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"ofi": 0.4}, 0.2),  # ULTRA 2.5 → capped at 0.2
        ({}, 0.2),  # 1.0 → 0.2
        ({"fear_greed": 90.0, "regime": Regime.RANDOM_WALK, "hurst": 0.5}, 0.2),  # 0.3 → 0.2
    ],
)
def test_probation_caps_the_final_multiplier_at_point_two(changes, expected):
    """G-PROB-1: a symbol on probation has its size multiplier capped at 0.2 (final = min(product, cap))."""
    verdict = evaluate(make_signal(), make_context(**changes), CONFIG, GateLearnedState(probation=frozenset({"BTC"})))
    assert verdict.allowed
    assert verdict.size_multiplier == pytest.approx(expected)


def test_probation_is_a_cap_not_a_multiplier():
    """G-PROB-1: a product already below the cap is left alone (0.3 × 0.6 = 0.18 < 0.2)."""
    ctx = make_context(fear_greed=90.0, regime=Regime.RANDOM_WALK, hurst=0.5)
    verdict = evaluate(
        make_signal(), ctx, config_with(random_regime_multiplier=0.3), GateLearnedState(probation=frozenset({"BTC"}))
    )
    assert verdict.size_multiplier == pytest.approx(0.18)
    assert outcome_of(verdict, GuardName.PROBATION).decision is Decision.ALLOW


def test_other_symbols_are_not_capped():
    """G-PROB-1: probation is per symbol."""
    verdict = evaluate(make_signal(), make_context(ofi=0.4), CONFIG, GateLearnedState(probation=frozenset({"ETH"})))
    assert verdict.size_multiplier == 2.5
