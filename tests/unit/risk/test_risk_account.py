"""Account counters: day and session boundaries, transitions, JSON round-trip, sizing (R-SIZE-1), events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from risk_factories import T0, account, minutes, position, settings, signal

from bigalpha.domain import DenyReason, EventType, Mode, RiskDecision, RiskLayer, TradingState, evidence
from bigalpha.risk import (
    AccountState,
    KillCause,
    KillSwitchState,
    RiskStateError,
    base_notional,
    condition_factors,
    day_start,
    net_pnl,
    on_entry,
    on_entry_failed,
    on_mark,
    on_position_closed,
    requested_notional,
    risk_events,
    roll,
    session_start,
)

CFG = settings()


def test_day_starts_at_the_configured_utc_hour() -> None:
    """R-G-3 / R-M-2: a day starts at risk.day_start_utc_hour."""
    assert day_start(T0, 0) == datetime(2025, 6, 2, tzinfo=UTC)
    assert day_start(datetime(2025, 6, 2, 5, tzinfo=UTC), 6) == datetime(2025, 6, 1, 6, tzinfo=UTC)
    assert day_start(datetime(2025, 6, 2, 6, tzinfo=UTC), 6) == datetime(2025, 6, 2, 6, tzinfo=UTC)


def test_sessions_tile_the_day_from_its_start() -> None:
    """S-SESSION (decided): 8-hour sessions from the day's start; a last short session when hours do not divide 24."""
    assert session_start(T0, 0, 8) == datetime(2025, 6, 2, 8, tzinfo=UTC)
    assert session_start(datetime(2025, 6, 2, 23, 59, tzinfo=UTC), 0, 10) == datetime(2025, 6, 2, 20, tzinfo=UTC)
    assert session_start(datetime(2025, 6, 3, 0, 30, tzinfo=UTC), 0, 10) == datetime(2025, 6, 3, tzinfo=UTC)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        day_start(datetime(2025, 6, 2, 10), 0)  # noqa: DTZ001 - the point of the test


def test_entries_count_trades_and_exposure_and_a_failed_entry_is_taken_back() -> None:
    acct = on_entry(account(), position_id="p1", symbol="BTC", notional=Decimal(100), now=T0, config=CFG)
    acct = on_entry(acct, position_id="p2", symbol="BTC", notional=Decimal(50), now=T0, config=CFG)
    assert (acct.trades_today, acct.session_trades) == (2, 2)
    assert acct.notional_by_symbol() == {"BTC": Decimal(150)}
    acct = on_entry_failed(acct, "p2")
    assert (acct.trades_today, acct.open_notional_usd) == (1, Decimal(100))
    with pytest.raises(ValueError, match="already open"):
        on_entry(acct, position_id="p1", symbol="BTC", notional=Decimal(1), now=T0, config=CFG)
    with pytest.raises(ValueError, match="positive amount"):
        on_entry(acct, position_id="p3", symbol="BTC", notional=Decimal(0), now=T0, config=CFG)


def test_close_moves_equity_by_net_pnl_and_frees_exposure() -> None:
    """Net P&L = realized − fees − funding; equity, day and session follow it."""
    acct = on_entry(account(), position_id="p1", symbol="BTC", notional=Decimal(100), now=T0, config=CFG)
    closed = position("p1", pnl="2.00", fees="0.50", closed_at=T0 + minutes(3))
    assert net_pnl(closed) == Decimal("1.50")
    acct = on_position_closed(acct, closed, T0 + minutes(3), CFG)
    assert acct.equity_usd == Decimal("1661.50")
    assert acct.realized_pnl_today_usd == Decimal("1.50")
    assert acct.session_net_r == pytest.approx(5.0)  # 1.50 / 0.30
    assert acct.open_positions == ()
    with pytest.raises(ValueError, match="still open"):
        on_position_closed(acct, position("p9"), T0, CFG)


def test_new_session_rebases_equity_and_clears_session_counters_but_not_the_streak() -> None:
    acct = on_position_closed(account(), position("l", pnl="-5", closed_at=T0), T0, CFG)
    later = roll(acct, T0.replace(hour=16), CFG)
    assert later.equity_at_session_start_usd == Decimal(1655)
    assert (later.session_trades, later.session_net_pnl_usd, later.session_stopped) == (0, 0, False)
    assert later.consecutive_losses == 1
    assert later.realized_pnl_today_usd == Decimal(-5)  # same day
    assert roll(later, T0, CFG) is later  # time never rolls back


def test_trading_state_reports_the_latches() -> None:
    switch = KillSwitchState(tripped=True, cause=KillCause.MANUAL, reason="x", at=T0, by="me")
    assert account().trading_state is TradingState.ACTIVE
    assert account(kill_switch=switch).trading_state is TradingState.HALTED


def test_state_round_trips_through_json() -> None:
    acct = on_entry(account(Mode.TEST), position_id="p1", symbol="SOL", notional=Decimal("12.34"), now=T0, config=CFG)
    acct = on_position_closed(acct, position("p0", pnl="-1", closed_at=T0), T0, CFG)
    acct = on_mark(acct, None)
    assert AccountState.from_dict(acct.to_dict()) == acct
    assert acct.to_dict()["trading_state"] == "ACTIVE"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("trades_today", -1, "account.trades_today: expected a count"),
        ("equity_usd", "lots", "account.equity_usd"),
        ("mode", "yolo", "account.mode"),
        ("session_start", "yesterday", "account.session_start"),
    ],
)
def test_bad_state_names_the_field(field: str, value: object, message: str) -> None:
    data = account().to_dict()
    data[field] = value
    with pytest.raises(RiskStateError, match=message):
        AccountState.from_dict(data)


def test_base_unit_maps_condition_onto_both_ranges() -> None:
    """R-SIZE-1: condition 0 → 2% × 0.3, 1 → 3% × 0.6 of the $1,660 hot wallet, linear between; cents."""
    assert condition_factors(0.0, CFG.risk) == (0.02, 0.3)
    assert condition_factors(1.0, CFG.risk) == pytest.approx((0.03, 0.6))
    assert base_notional(account(), CFG.risk, 0.0) == Decimal("9.96")
    assert base_notional(account(), CFG.risk, 1.0) == Decimal("29.88")
    assert base_notional(account(), CFG.risk, 0.5) == Decimal("18.67")  # 1660 × 2.5% × 0.45 = 18.675, rounded down
    with pytest.raises(ValueError, match=r"condition must be a number in \[0, 1\]"):
        base_notional(account(), CFG.risk, 1.5)


def test_requested_notional_multiplies_setup_conviction_and_verdict() -> None:
    """R-SIZE-1: base × size multiplier × conviction × the gate's multiplier; an API amount replaces the base."""
    sig = signal(size_multiplier=0.7, conviction=1.2)
    assert requested_notional(account(), sig, 0.5, CFG.risk, 1.0) == Decimal("12.54")  # 29.88 × 0.42
    api = signal(requested_notional_usd=Decimal(50))
    assert requested_notional(account(), api, 0.6, CFG.risk, 0.0) == Decimal("30.00")
    with pytest.raises(ValueError, match="verdict_multiplier"):
        requested_notional(account(), sig, float("nan"), CFG.risk, 1.0)
    assert base_notional(replace(account(), equity_usd=Decimal(-5)), CFG.risk, 1.0) == 0


def test_risk_events_for_refusal_resize_and_plain_approval() -> None:
    """G-BUS-1: a refusal is RISK_DENIED from risk_gate with layer, reason and evidence; a cut is RISK_RESIZE."""
    sig = signal()
    denied = RiskDecision(
        approved=False,
        notional_usd=Decimal(0),
        layer=RiskLayer.MACRO,
        reason=DenyReason.HEALTH_FACTOR_LOW,
        message="R-M-1: low",
        evidence=evidence(rule="R-M-1", health_factor=2.1),
    )
    (event,) = risk_events(sig, denied, T0)
    assert (event.type, event.source, event.symbol, event.side) == (EventType.RISK_DENIED, "risk_gate", "BTC", sig.side)
    assert event.data["layer"] == "MACRO"
    assert event.data["reason"] == "HEALTH_FACTOR_LOW"
    assert event.data["evidence"]["health_factor"] == 2.1
    resized = RiskDecision(approved=True, notional_usd=Decimal(80), multiplier=0.8, evidence=evidence(capped_by=None))
    assert risk_events(sig, resized, T0)[0].type is EventType.RISK_RESIZE
    plain = RiskDecision(approved=True, notional_usd=Decimal(80), evidence=evidence(capped_by=None))
    assert risk_events(sig, plain, T0) == []
