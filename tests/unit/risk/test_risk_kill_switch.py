"""Layer 4: the kill switch (R-K-1, R-K-2, R-K-3, R-K-4) and stand-down on stale data (R-STALE-1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from risk_factories import T0, account, context, minutes, position, settings, signal

from bigalpha.bus import SignalBus
from bigalpha.config import load_settings
from bigalpha.domain import DenyReason, EventType, Mode, RiskDecision, RiskLayer
from bigalpha.risk import (
    KILL_SWITCH_KEY,
    AccountState,
    KillCause,
    KillSwitchState,
    RiskStateError,
    evaluate_kill_switch,
    evaluate_risk,
    kill_switch_verdict,
    load_kill_switch,
    on_position_closed,
    on_resume,
    pending_flatten,
    request_flatten,
    reset_kill_switch,
    trip_kill_switch,
    unrealized_floor,
    with_kill_switch,
)
from bigalpha.store import Store

CFG = settings()
RISK = CFG.risk


def _eval(acct: AccountState | None = None, **ctx_fields: object) -> RiskDecision:
    return evaluate_risk(signal(), context(**ctx_fields), acct or account(), Decimal(100), CFG, Mode.PAPER, T0)


def _with_equity_now(drawdown: str) -> AccountState:
    """An account whose open positions have lost `drawdown` USD since the session began ($1,660)."""
    return account(unrealized_pnl_usd=-Decimal(drawdown))


def test_session_drawdown_of_exactly_12_percent_does_not_trip() -> None:
    """R-K-1: drawdown above 1.2% of the session-start equity trips; exactly 1.2% ($19.92 of $1,660) does not."""
    decision = evaluate_kill_switch(_with_equity_now("19.92"), {"BTC": context()}, RISK, T0)
    assert not decision.block_entries
    assert decision.trip is None


def test_session_drawdown_above_12_percent_trips_and_refuses() -> None:
    """R-K-1: $19.93 down trips the switch (to be latched) and the gate refuses at the kill-switch layer."""
    decision = evaluate_kill_switch(_with_equity_now("19.93"), {"BTC": context()}, RISK, T0)
    assert decision.block_entries
    assert decision.trip is KillCause.SESSION_DRAWDOWN
    refused = _eval(_with_equity_now("19.93"))
    assert (refused.layer, refused.reason) == (RiskLayer.KILL_SWITCH, DenyReason.KILL_SWITCH_TRIPPED)
    assert refused.evidence["rule"] == "R-K-1"


def test_unknown_pnl_blocks_entries_without_latching() -> None:
    """R-K-1 fails closed: open positions not yet marked (unrealized unknown) → no entries, but no trip."""
    decision = evaluate_kill_switch(account(unrealized_pnl_usd=None), {"BTC": context()}, RISK, T0)
    assert decision.block_entries
    assert decision.trip is None
    assert decision.reason is DenyReason.INPUT_UNAVAILABLE
    assert _eval(account(unrealized_pnl_usd=None)).reason is DenyReason.INPUT_UNAVAILABLE


def _losses(n: int) -> AccountState:
    acct = account()
    for i in range(n):
        at = T0 + minutes(i)
        acct = on_resume(on_position_closed(acct, position(f"l{i}", pnl="-0.01", closed_at=at), at, CFG), at, "t")
    return acct


def test_fifth_consecutive_loss_trips_and_fourth_does_not() -> None:
    """R-K-2: 4 consecutive losses do not trip the switch; the 5th does."""
    assert evaluate_kill_switch(_losses(4), {"BTC": context()}, RISK, T0 + minutes(9)).trip is None
    decision = evaluate_kill_switch(_losses(5), {"BTC": context()}, RISK, T0 + minutes(9))
    assert decision.trip is KillCause.CONSECUTIVE_LOSSES
    assert decision.evidence["consecutive_losses"] == 5


def test_after_a_reset_the_same_streak_does_not_trip_again_but_the_next_loss_does() -> None:
    """R-K-2 / R-K-4: a person's reset acknowledges the streak; one more loss after it trips again."""
    acct = _losses(5)
    tripped = KillSwitchState(tripped=True, cause=KillCause.CONSECUTIVE_LOSSES, reason="5", at=T0 + minutes(5))
    reset = replace(tripped, tripped=False, reset_at=T0 + minutes(6), reset_by="person")
    acct = with_kill_switch(acct, reset)
    assert evaluate_kill_switch(acct, {"BTC": context()}, RISK, T0 + minutes(7)).trip is None
    at = T0 + minutes(8)
    acct = on_position_closed(acct, position("l6", pnl="-0.01", closed_at=at), at, CFG)
    assert evaluate_kill_switch(acct, {"BTC": context()}, RISK, at).trip is KillCause.CONSECUTIVE_LOSSES


def test_health_factor_of_exactly_200_does_not_flatten_but_below_does() -> None:
    """R-K-3: HF below 2.00 trips and flattens all; exactly 2.00 does not (R-M-1 still refuses the entry)."""
    at_limit = evaluate_kill_switch(account(), {"BTC": context(health_factor=2.00)}, RISK, T0)
    assert not at_limit.flatten
    assert at_limit.trip is None
    assert _eval(health_factor=2.00).reason is DenyReason.HEALTH_FACTOR_LOW
    below = evaluate_kill_switch(account(), {"BTC": context(health_factor=1.999)}, RISK, T0)
    assert below.flatten
    assert below.trip is KillCause.HEALTH_FACTOR_CRITICAL


def test_lowest_health_factor_across_contexts_counts() -> None:
    """R-K-3: the health factor is one per account; the lowest fresh reading wins."""
    contexts = {"BTC": context(health_factor=3.0), "ETH": context("ETH", health_factor=1.9)}
    assert evaluate_kill_switch(account(), contexts, RISK, T0).flatten


def test_tripped_switch_refuses_every_entry_and_names_who_and_why() -> None:
    """R-K-4: a latched switch refuses at the kill-switch layer, whatever the market says."""
    switch = KillSwitchState(tripped=True, cause=KillCause.MANUAL, reason="operator", at=T0, by="cli:alice")
    decision = _eval(account(kill_switch=switch))
    assert (decision.layer, decision.reason) == (RiskLayer.KILL_SWITCH, DenyReason.KILL_SWITCH_TRIPPED)
    assert decision.evidence["by"] == "cli:alice"


def test_data_exactly_10_minutes_old_is_used_and_older_stands_down() -> None:
    """R-STALE-1: funding 600 s old still trades; 601 s stands down, naming the feed and its age."""
    assert _eval(
        ages_s={"funding": 600.0, "open_interest": 0.0, "long_short_ratio": 0.0, "health_factor": 0.0}
    ).approved
    decision = _eval(ages_s={"funding": 601.0, "open_interest": 0.0, "long_short_ratio": 0.0, "health_factor": 0.0})
    assert (decision.layer, decision.reason) == (RiskLayer.KILL_SWITCH, DenyReason.STALE_DATA)
    assert decision.evidence["feed"] == "funding"
    assert decision.evidence["age_s"] == 601.0
    assert "funding of BTC is 601 s old" in decision.message


def test_age_counts_the_time_since_the_context_was_built() -> None:
    """R-STALE-1: a 5-minute-old reading in a context judged 6 minutes later is 11 minutes old."""
    later = T0 + minutes(6)
    decision = evaluate_risk(
        signal(), context(ages_s=dict.fromkeys(("funding", "open_interest", "long_short_ratio", "health_factor"), 300.0)),
        account(), Decimal(100), CFG, Mode.PAPER, later,
    )  # fmt: skip
    assert decision.reason is DenyReason.STALE_DATA
    assert decision.evidence["age_s"] == 660.0


def test_missing_feed_age_refuses_fail_closed() -> None:
    """R-STALE-1: a required feed without an age cannot be judged fresh: refused."""
    decision = _eval(ages_s={"open_interest": 0.0, "long_short_ratio": 0.0, "health_factor": 0.0})
    assert (decision.layer, decision.reason) == (RiskLayer.KILL_SWITCH, DenyReason.INPUT_UNAVAILABLE)
    assert decision.evidence["input"] == "funding"


def test_stale_market_context_stands_down() -> None:
    """R-STALE-1: the context itself older than 10 minutes stands down."""
    now = T0 + timedelta(seconds=601)
    decision = evaluate_risk(signal(), context(), account(), Decimal(100), CFG, Mode.PAPER, now)
    assert decision.reason is DenyReason.STALE_DATA
    assert decision.evidence["feed"] == "market_context"


# -- persistence --------------------------------------------------------------------------------------


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[SignalBus]:
    store = Store.open(load_settings(env={"BIGALPHA__STORE__DATA_DIR": str(tmp_path)}))
    yield SignalBus(store)
    store.close()


def test_trip_is_latched_in_the_store_and_published(bus: SignalBus) -> None:
    """R-K-4: a trip is written under risk.kill_switch with cause, time and who, and published."""
    seen: list[str] = []
    bus.subscribe(lambda event: seen.append(event.type.value))
    state = trip_kill_switch(bus, KillCause.SESSION_DRAWDOWN, "R-K-1: 20 USD", "engine", T0)
    assert load_kill_switch(bus.store) == state
    assert state.tripped
    assert seen == [EventType.KILL_SWITCH_TRIPPED.value]
    again = trip_kill_switch(bus, KillCause.MANUAL, "second", "cli", T0 + minutes(1))
    assert again.cause is KillCause.SESSION_DRAWDOWN  # the first cause is kept
    assert seen == [EventType.KILL_SWITCH_TRIPPED.value]


def test_reset_by_a_person_clears_it_and_keeps_the_record(bus: SignalBus) -> None:
    """R-K-4: only a reset clears the switch; who reset it and why are kept with the last trip."""
    trip_kill_switch(bus, KillCause.MANUAL, "stop", "cli:alice", T0)
    state = reset_kill_switch(bus, "cli:bob", "reviewed", T0 + minutes(5))
    assert not state.tripped
    assert (state.cause, state.reset_by, state.reset_reason) == (KillCause.MANUAL, "cli:bob", "reviewed")
    assert load_kill_switch(bus.store) == state


def test_flatten_request_trips_and_stays_pending(bus: SignalBus) -> None:
    """R-K-4: a flatten request trips the switch and waits for the engine."""
    request, switch = request_flatten(bus, "cli:alice", "exchange trouble", T0)
    assert switch.tripped
    assert switch.cause is KillCause.FLATTEN
    assert pending_flatten(bus.store) == request


def test_damaged_record_is_a_clear_error_and_reset_rewrites_it(bus: SignalBus) -> None:
    """Fail closed: a damaged kill-switch record refuses to load (the engine does not start) until reset."""
    bus.store.set_state(KILL_SWITCH_KEY, {"tripped": "maybe"}, T0)
    with pytest.raises(RiskStateError, match=r"risk\.kill_switch\.tripped"):
        load_kill_switch(bus.store)
    reset_kill_switch(bus, "cli", "repair", T0)
    assert not load_kill_switch(bus.store).tripped


@hsettings(max_examples=300, deadline=None)
@given(
    equity=st.decimals(Decimal(1000), Decimal(2000), places=2),
    base=st.decimals(Decimal(1000), Decimal(2000), places=2),
    unrealized=st.decimals(Decimal(-100), Decimal(100), places=4),
    pct=st.sampled_from([0.012, 0.001, 0.00001]),
)
def test_the_unrealized_floor_is_where_the_session_drawdown_trips(
    equity: Decimal, base: Decimal, unrealized: Decimal, pct: float
) -> None:
    """R-K-1 as a price level: an account trips on its marks exactly when the open positions' unrealized P&L is
    below `unrealized_floor` (a backtest shows a position from the bar whose close could take it there)."""
    cfg = RISK.model_copy(update={"kill_drawdown_pct": pct})
    acct = account(equity_usd=equity, drawdown_base_usd=base, unrealized_pnl_usd=unrealized)
    floor = unrealized_floor(acct, cfg)
    assert floor is not None
    decision = kill_switch_verdict(acct, None, None, cfg)
    assert (decision.trip is KillCause.SESSION_DRAWDOWN) == (unrealized < floor)


def test_no_mark_trips_a_tripped_switch_or_an_account_without_session_equity() -> None:
    tripped = with_kill_switch(account(), KillSwitchState(tripped=True, cause=KillCause.MANUAL, reason="test"))
    assert unrealized_floor(tripped, RISK) is None
    assert unrealized_floor(account(equity_at_session_start_usd=Decimal(0)), RISK) is None
