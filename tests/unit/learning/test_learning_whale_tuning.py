"""L-OPT-1: the whale threshold tuned over the last 50 trades at ×0.8 … ×1.2, adopted only past $50."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.config import Settings, load_settings
from bigalpha.domain import Bar, MarketSnapshot, OrderSide, Symbol, Trade
from bigalpha.gate.learned import GateLearnedState
from bigalpha.learning import whale_tuning
from bigalpha.learning.shadow import Shadow
from bigalpha.learning.whale_tuning import (
    CANDIDATES_KEY,
    WhaleIntentAnswers,
    WhaleProbe,
    adopt,
    tune_whale_threshold,
)

SETTINGS = load_settings(env={})
T0 = datetime(2025, 1, 1, 10, tzinfo=UTC)


def _shadow(n: int, side: str, ret: float, candidates: dict[str, float], *, taken: bool = True) -> Shadow:
    return Shadow(
        id=f"shd-{n}",
        signal_id=f"sig-{n}",
        symbol="BTC",
        side=side,
        strategy="alpha_ofi",
        blocked_by=None if taken else "WHALE_INTENT",
        taken=taken,
        position_id=None,
        opened_at=T0 + timedelta(minutes=n),
        entry_price=100_000.0,
        stop_price=99_000.0,
        targets=[101_000.0],
        closed_at=T0 + timedelta(minutes=n + 30),
        exit_price=100_000.0 * (1 + ret),
        return_pct=ret,
        exit_reason="tier-1",
        state={CANDIDATES_KEY: candidates},
    )


def _flat(value: float) -> dict[str, float]:
    return {repr(m): value for m in SETTINGS.learning.optimize_multipliers}


def test_a_better_threshold_is_adopted_only_past_50_usd() -> None:
    """L-OPT-1: a LONG losing $60 that whale selling at ×1.0 would not block, but ×1.2 (fewer, larger whale
    trades: the selling shows) would, makes ×1.2 better by $60 > $50: adopted."""
    loser = {**_flat(0.0), repr(1.2): -5_000_000.0, repr(1.1): -5_000_000.0}
    shadows = [_shadow(1, "LONG", -0.06, loser)]
    run = tune_whale_threshold(shadows, {"sig-1": Decimal(1000)}, GateLearnedState(), SETTINGS)
    assert run.pnl_by_multiplier[repr(1.0)] == pytest.approx(-60.0)
    assert run.pnl_by_multiplier[repr(1.2)] == 0.0
    assert run.best_multiplier in (1.1, 1.2)
    assert run.adopted_threshold_usd == pytest.approx(100_000.0 * run.best_multiplier)
    assert adopt(GateLearnedState(), run).whale_threshold_usd == run.adopted_threshold_usd


def test_exactly_50_usd_better_is_not_adopted() -> None:
    """L-OPT-1 boundary: "more than $50" — an improvement of exactly $50 keeps the current threshold."""
    loser = {**_flat(0.0), repr(1.2): -5_000_000.0, repr(1.1): -5_000_000.0}
    run = tune_whale_threshold(
        [_shadow(1, "LONG", -0.05, loser)], {"sig-1": Decimal(1000)}, GateLearnedState(), SETTINGS
    )
    assert run.pnl_by_multiplier[repr(1.0)] == pytest.approx(-50.0)
    assert run.adopted_threshold_usd is None
    assert adopt(GateLearnedState(), run) == GateLearnedState()


def test_only_the_last_50_trades_count() -> None:
    """L-OPT-1: the look-back is the last 50 trades."""
    shadows = [_shadow(n, "LONG", 0.01, _flat(1e6)) for n in range(70)]
    run = tune_whale_threshold(shadows, {}, GateLearnedState(), SETTINGS)
    assert run.trades == SETTINGS.learning.optimize_lookback_trades


def _snapshot(minute: int, trades: tuple[Trade, ...]) -> MarketSnapshot:
    ts = T0 + timedelta(minutes=minute)
    return MarketSnapshot(symbol=Symbol("BTC"), ts=ts, bar=Bar(ts, 1, 1, 1, 1, 10, 5), trades=trades)


def test_probe_sums_whale_flow_per_candidate_threshold_over_the_window() -> None:
    """L-OPT-1's inputs: a $95k buy is whale flow at ×0.8 and ×0.9 of a $100k threshold, not at ×1.0."""
    probe = WhaleProbe(SETTINGS)
    buy = Trade(T0, 95_000.0, 1.0, OrderSide.BUY)
    for minute in range(SETTINGS.indicators.whale_intent_window):
        assert probe.candidates(Symbol("BTC")) is None  # A-HURST-1-like strictness: a full window or nothing
        probe.observe(_snapshot(minute, (buy,)), 100_000.0)
    candidates = probe.candidates(Symbol("BTC"))
    assert candidates is not None
    window = SETTINGS.indicators.whale_intent_window
    assert candidates[repr(0.8)] == pytest.approx(95_000.0 * window)
    assert candidates[repr(1.0)] == 0.0
    restored = WhaleProbe(SETTINGS)
    restored.load_state_dict(probe.state_dict())
    assert restored.candidates(Symbol("BTC")) == candidates


# Whale-intent CVDs of both signs, on the direction band's edges and past them, and no intent at some thresholds.
_BAND = SETTINGS.indicators.whale_direction_min_usd
_INTENTS = st.one_of(
    st.none(),
    st.sampled_from((0.0, -0.0, _BAND, -_BAND, _BAND + 1.0, -_BAND - 1.0, 3e6, -3e6)),
    st.floats(min_value=-5e6, max_value=5e6, allow_nan=False),
)
# Few signals, so that shadows of one signal alike but for their side, return or whale intent are common: to the
# memo those are different questions.
_POOL = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=1),
        st.sampled_from(("LONG", "SHORT")),
        st.tuples(st.booleans(), st.floats(min_value=0.001, max_value=0.2)).map(lambda r: -r[1] if r[0] else r[1]),
        st.fixed_dictionaries({repr(m): _INTENTS for m in SETTINGS.learning.optimize_multipliers}),
        st.booleans(),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(
    pool=_POOL,
    runs=st.lists(
        st.tuples(st.integers(min_value=0, max_value=11), st.integers(min_value=1, max_value=12)),
        min_size=1,
        max_size=6,
    ),
    thresholds=st.lists(st.sampled_from((100_000.0, 120_000.0, 80_000.0)), min_size=6, max_size=6),
    notional=st.decimals(min_value=1, max_value=10_000, places=2),
)
def test_remembered_answers_give_every_run_the_result_of_asking_the_guard_anew(
    pool: list[tuple[int, str, float, dict[str, float | None], bool]],
    runs: list[tuple[int, int]],
    thresholds: list[float],
    notional: Decimal,
) -> None:
    """Runs over overlapping windows of shadows, with the learned threshold changing between them: one set of
    answers carried through every run gives each run exactly the result of a run that asks the guard everything."""
    shadows = [
        _shadow(signal, side, ret, {k: v for k, v in candidates.items() if v is not None}, taken=taken)
        for signal, side, ret, candidates, taken in pool
    ]
    notionals = {s.signal_id: notional * (1 + n % 3) for n, s in enumerate(shadows) if s.taken}
    answers = WhaleIntentAnswers(SETTINGS)
    for (start, length), threshold in zip(runs, thresholds, strict=False):
        window = shadows[start : start + length]
        learned = GateLearnedState(whale_threshold_usd=threshold)
        remembered = tune_whale_threshold(window, notionals, learned, SETTINGS, answers)
        assert remembered == tune_whale_threshold(window, notionals, learned, SETTINGS)


def test_the_guard_is_asked_each_question_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second run over the same shadows asks nothing; thresholds all new are new questions for every shadow."""
    asked: list[float] = []

    def counting(shadow: Shadow, intent_cvd: float, threshold: float, settings: Settings) -> bool:
        asked.append(threshold)
        return allowed_at(shadow, intent_cvd, threshold, settings)

    allowed_at = whale_tuning._allowed_at
    monkeypatch.setattr(whale_tuning, "_allowed_at", counting)
    shadows = [_shadow(n, "LONG", 0.01, _flat(-5_000_000.0 * n)) for n in range(3)]
    multipliers = len(SETTINGS.learning.optimize_multipliers)
    answers = WhaleIntentAnswers(SETTINGS)
    first = tune_whale_threshold(shadows, {}, GateLearnedState(), SETTINGS, answers)
    assert len(asked) == 3 * multipliers
    assert tune_whale_threshold(shadows, {}, GateLearnedState(), SETTINGS, answers) == first
    assert len(asked) == 3 * multipliers
    tune_whale_threshold(shadows, {}, GateLearnedState(whale_threshold_usd=130_000.0), SETTINGS, answers)
    assert len(asked) == 2 * 3 * multipliers


def test_answers_are_not_reused_under_other_settings() -> None:
    other = load_settings(env={"BIGALPHA__INDICATORS__WHALE_DIRECTION_MIN_USD": "1"})
    with pytest.raises(ValueError, match="other settings"):
        tune_whale_threshold([], {}, GateLearnedState(), other, WhaleIntentAnswers(SETTINGS))
