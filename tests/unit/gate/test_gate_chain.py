"""The chain: order, first block wins, size rules multiply, fail-open never blocks (G-*, D-FAILOPEN)."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import pytest
from gate_factories import CONFIG, LEARNED, PRICE, cluster, config_with, make_context, make_signal
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.config.gate import GuardSwitches
from bigalpha.domain import Decision, GuardName, Regime, Side, Symbol
from bigalpha.gate import BLOCK_ORDER, GATE_ORDER, SIZE_ORDER, evaluate
from bigalpha.gate.learned import GateLearnedState
from bigalpha.indicators.context import MarketContext
from bigalpha.indicators.flow import FlowDirection
from bigalpha.indicators.liquidity import ClusterSide

DAY = datetime(2025, 12, 26, tzinfo=UTC)
SWITCHES = list(GuardSwitches.model_fields)


def maybe(strategy):
    return st.none() | strategy


@st.composite
def contexts(draw) -> MarketContext:
    """Any market context, every part possibly unavailable."""
    directions = maybe(st.sampled_from(FlowDirection))
    distances = st.lists(st.floats(0.0, 0.05), max_size=3)
    shorts = draw(maybe(distances))
    longs = draw(maybe(distances))
    hurst = draw(maybe(st.floats(0.0, 1.0)))
    regime = draw(st.sampled_from(Regime)) if hurst is not None else Regime.UNKNOWN
    return MarketContext(
        symbol=Symbol("BTC"),
        ts=DAY,
        price=PRICE,
        whale_direction=draw(directions),
        whale_intent_direction=draw(directions),
        whale_threshold_usd=draw(st.sampled_from([None, 100_000.0, 80_000.0])),
        ofi=draw(maybe(st.floats(-1.0, 1.0))),
        taker_ratio_5m=draw(maybe(st.floats(0.0, 3.0))),
        hurst=hurst,
        regime=regime,
        long_short_ratio=draw(maybe(st.floats(0.0, 4.0))),
        fear_greed=draw(maybe(st.floats(0.0, 100.0))),
        short_clusters=None
        if shorts is None
        else tuple(cluster(PRICE * (1 + d), ClusterSide.SHORT_LIQ) for d in shorts),
        long_clusters=None if longs is None else tuple(cluster(PRICE * (1 - d), ClusterSide.LONG_LIQ) for d in longs),
    )


signals = st.builds(
    make_signal,
    side=st.sampled_from(Side),
    ts=st.integers(0, 24 * 3600 - 1).map(lambda s: DAY + timedelta(seconds=s)),
    expected_move_bps=maybe(st.floats(0.0, 100.0)),
)
learned_states = st.builds(
    GateLearnedState,
    probation=st.sampled_from([frozenset(), frozenset({"BTC"})]),
    slippage_bps=st.sampled_from([{}, {"BTC": 8.0}]),
    whale_threshold_usd=st.sampled_from([100_000.0, 80_000.0]),
)
configs = st.fixed_dictionaries({name: st.booleans() for name in SWITCHES}).map(lambda g: config_with(guards=g))


@settings(max_examples=300)
@given(signal=signals, context=contexts(), learned=learned_states, config=configs)
def test_chain_invariants(signal, context, learned, config):
    """G-* chain: SPEC order; stops at the first block (no outcome after it); only ULTRA increases size;
    resize rules only multiply; fail-open outcomes never block."""
    verdict = evaluate(signal, context, config, learned)
    guards = [o.guard for o in verdict.outcomes]
    assert guards == list(GATE_ORDER[: len(guards)])
    blocks = [o for o in verdict.outcomes if o.decision is Decision.BLOCK]
    if verdict.allowed:
        assert not blocks
        assert guards == list(GATE_ORDER)
        size = [o for o in verdict.outcomes if o.guard in SIZE_ORDER]
        product = math.prod(o.multiplier for o in size)
        assert verdict.size_multiplier == pytest.approx(product) or verdict.size_multiplier == pytest.approx(
            config.probation_cap
        )
        assert verdict.size_multiplier <= product * (1 + 1e-12)
    else:
        assert blocks == [verdict.outcomes[-1]]
        assert verdict.blocked_by is verdict.outcomes[-1].guard
        assert verdict.reason is verdict.outcomes[-1].reason
        assert verdict.blocked_by in BLOCK_ORDER
        assert verdict.size_multiplier == 0.0
    for outcome in verdict.outcomes:
        if outcome.guard is not GuardName.ULTRA_CONVICTION:
            assert outcome.multiplier <= 1.0
        assert outcome.multiplier >= 0.0
        if outcome.decision is Decision.RESIZE:
            assert outcome.multiplier > 0.0
        if outcome.data_unavailable is not None:
            assert outcome.decision is Decision.ALLOW
            assert outcome.multiplier == 1.0


@settings(max_examples=200)
@given(signal=signals, context=contexts(), learned=learned_states)
def test_final_multiplier_does_not_depend_on_the_order_of_size_rules(signal, context, learned):
    """G-WHALE-2 / G-FG-1 / G-HURST-1 / G-PROB-1: any order of the size rules gives the same multiplier."""
    results = {
        evaluate(signal, context, CONFIG, learned, size_order=order).size_multiplier
        for order in itertools.permutations(SIZE_ORDER)
    }
    assert len(results) == 1


@settings(max_examples=200)
@given(
    side=st.sampled_from(Side),
    seconds=st.integers(9 * 3600, 16 * 3600 - 1),
    learned=learned_states,
    config=configs,
)
def test_fail_open_never_blocks(side, seconds, learned, config):
    """D-FAILOPEN: with every market input unavailable (and no expected move), no guard blocks."""
    empty = MarketContext(symbol=Symbol("BTC"), ts=DAY, price=PRICE)
    signal = make_signal(side=side, ts=DAY + timedelta(seconds=seconds), expected_move_bps=None)
    verdict = evaluate(signal, empty, config, learned)
    assert verdict.allowed
    assert verdict.size_multiplier == (
        config.probation_cap if learned.on_probation("BTC") and config.guards.probation else 1.0
    )


def test_first_block_stops_the_chain():
    """G-* order: a signal failing every blocking guard is blocked by the first, WHALE_CONFLICT, alone."""
    ctx = make_context(
        whale_direction=FlowDirection.SELL,
        short_clusters=(cluster(PRICE * 1.001, ClusterSide.SHORT_LIQ),),
        long_short_ratio=3.0,
        taker_ratio_5m=0.9,
        whale_intent_direction=FlowDirection.SELL,
    )
    signal = make_signal(ts=DAY + timedelta(hours=20), expected_move_bps=1.0)
    verdict = evaluate(signal, ctx, CONFIG, LEARNED)
    assert [o.guard for o in verdict.outcomes] == [GuardName.WHALE_CONFLICT]
    expected = [
        GuardName.WHALE_CONFLICT,
        GuardName.LIQ_WALL,
        GuardName.LONG_TRAP,
        GuardName.TAKER_AGGRESSION,
        GuardName.WHALE_INTENT,
        GuardName.GOLDEN_HOUR,
        GuardName.FEE_AWARE,
    ]
    # switching each blocking guard off in turn reveals the next one in order
    switched: dict[str, bool] = {}
    names = ["whale_conflict", "liq_wall", "long_trap", "taker_aggression", "whale_intent", "golden_hour", "fee_aware"]
    for guard, name in zip(expected, names, strict=True):
        verdict = evaluate(signal, ctx, config_with(guards=switched), LEARNED)
        assert verdict.blocked_by is guard
        switched[name] = False
    assert evaluate(signal, ctx, config_with(guards=switched), LEARNED).allowed


def test_clean_signal_is_allowed_at_full_size_with_every_outcome_listed():
    """G-* chain: a clean LONG passes every guard; each guard reports, in order."""
    verdict = evaluate(make_signal(), make_context(), CONFIG, LEARNED)
    assert verdict.allowed
    assert verdict.size_multiplier == 1.0
    assert [o.guard for o in verdict.outcomes] == list(GATE_ORDER)
    assert all(o.decision is Decision.ALLOW and o.data_unavailable is None for o in verdict.outcomes)


def test_size_rules_multiply():
    """G-WHALE-2 × G-FG-1 × G-HURST-1: 2.5 × 0.6 × 0.5 = 0.75."""
    ctx = make_context(ofi=0.5, fear_greed=85.0, hurst=0.5, regime=Regime.RANDOM_WALK)
    assert evaluate(make_signal(), ctx, CONFIG, LEARNED).size_multiplier == pytest.approx(0.75)


def test_a_disabled_guard_is_listed_as_an_explicit_allow():
    """Config switches: a switched-off guard allows with evidence disabled=True and never blocks."""
    ctx = make_context(long_short_ratio=3.0)
    verdict = evaluate(make_signal(), ctx, config_with(guards={"long_trap": False}), LEARNED)
    assert verdict.allowed
    trap = next(o for o in verdict.outcomes if o.guard is GuardName.LONG_TRAP)
    assert trap.evidence["disabled"] is True
    assert "gate.guards.long_trap" in trap.message


def test_a_disabled_size_rule_does_not_resize():
    """G-FG-1 switch: off means × 1 even in extreme greed."""
    ctx = make_context(fear_greed=95.0)
    assert evaluate(make_signal(), ctx, config_with(guards={"fear_greed": False}), LEARNED).size_multiplier == 1.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ts": datetime(2025, 12, 26, 12, 0)}, "no timezone"),  # noqa: DTZ001 - the naive time is the point
        ({"price": 0.0}, "price must be a positive number"),
        ({"symbol": Symbol("ETH")}, "does not match"),
        ({"expected_move_bps": math.nan}, "expected_move_bps must be finite"),
    ],
)
def test_bad_signals_are_refused_with_the_field_named(change, message):
    """Bad input gets a clear error naming the field."""
    with pytest.raises(ValueError, match=message):
        evaluate(make_signal(**change), make_context(), CONFIG, LEARNED)


def test_size_order_must_be_a_permutation_of_the_size_rules():
    with pytest.raises(ValueError, match="permutation"):
        evaluate(make_signal(), make_context(), CONFIG, LEARNED, size_order=[GuardName.FEAR_GREED])


def test_learned_state_round_trips_through_json():
    """I-PERSIST-1: the gate's learned state is JSON both ways."""
    import json

    state = GateLearnedState(
        probation=frozenset({"SOL", "BTC"}), slippage_bps={"BTC": 4.0}, whale_threshold_usd=90_000.0
    )
    data = json.loads(json.dumps(state.to_dict()))
    assert data["probation"] == ["BTC", "SOL"]
    assert GateLearnedState.from_dict(data) == state


def test_learned_state_errors_name_the_field():
    from bigalpha.indicators.context import ContextError

    with pytest.raises(ContextError, match=r"learned\.whale_threshold_usd"):
        GateLearnedState.from_dict({"whale_threshold_usd": -5})


def test_initial_learned_state_takes_the_configured_whale_threshold():
    """A-WHALE-1 / L-OPT-1: the learned threshold starts at indicators.whale_trade_usd."""
    from bigalpha.config import Settings

    assert GateLearnedState.initial(Settings()).whale_threshold_usd == 100_000.0
