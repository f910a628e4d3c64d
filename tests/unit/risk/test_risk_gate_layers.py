"""Layers 2 and 3 of the risk gate: R-T-1/2/3, S-XRP-SQ's risk side, R-M-1/2/3 and S-SESSION."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from risk_factories import T0, account, context, minutes, position, settings, signal

from bigalpha.domain import DenyReason, Mode, RiskDecision, RiskLayer, Side
from bigalpha.indicators.context import MarketContext
from bigalpha.risk import AccountState, evaluate_risk, on_position_closed, on_resume

CFG = settings()


def _eval(
    side: Side = Side.LONG, symbol: str = "BTC", acct: AccountState | None = None, **ctx_fields: object
) -> RiskDecision:
    ctx: MarketContext = context(symbol, **ctx_fields)
    return evaluate_risk(signal(symbol, side), ctx, acct or account(), Decimal(100), CFG, Mode.PAPER, T0)


# -- tactical ---------------------------------------------------------------------------------------------


def test_short_share_of_exactly_54_percent_allows_a_btc_short() -> None:
    """R-T-1: "above 54%" refuses; exactly 54% is allowed."""
    assert _eval(Side.SHORT, short_share=0.54).approved


def test_short_share_above_54_percent_refuses_a_btc_short_not_a_long() -> None:
    """R-T-1: 54.01% shorts refuses a BTC short; a long is not concerned."""
    decision = _eval(Side.SHORT, short_share=0.5401)
    assert (decision.layer, decision.reason) == (RiskLayer.TACTICAL, DenyReason.SHORT_SHARE_TOO_HIGH)
    assert decision.evidence == {**decision.evidence, "rule": "R-T-1", "short_share": 0.5401, "limit": 0.54}
    assert _eval(Side.LONG, short_share=0.90).approved


def test_sol_limit_is_53_percent_per_symbol() -> None:
    """R-T-1: SOL's limit is 53%: exactly 53% allowed, 53.01% refused."""
    assert _eval(Side.SHORT, "SOL", short_share=0.53).approved
    assert _eval(Side.SHORT, "SOL", short_share=0.5301).reason is DenyReason.SHORT_SHARE_TOO_HIGH


def test_xrp_short_at_exactly_53_percent_is_refused_by_the_squeeze_guard() -> None:
    """S-XRP-SQ (risk side): no XRP shorts while shorts ≥ 53%, stricter than R-T-1's > 53%; both apply."""
    decision = _eval(Side.SHORT, "XRP", short_share=0.53)
    assert (decision.layer, decision.reason) == (RiskLayer.TACTICAL, DenyReason.SHORT_SHARE_TOO_HIGH)
    assert decision.evidence["rule"] == "S-XRP-SQ"
    assert _eval(Side.SHORT, "XRP", short_share=0.5299).approved
    assert _eval(Side.SHORT, "XRP", short_share=0.5301).evidence["rule"] == "R-T-1"


def test_missing_short_share_refuses_a_short_fail_closed() -> None:
    """R-T-1 / fail closed: no short share, no short; the reason names the input and why it is missing."""
    decision = _eval(Side.SHORT, short_share=None, unavailable={"long_short_ratio": "provider down"})
    assert (decision.layer, decision.reason) == (RiskLayer.TACTICAL, DenyReason.INPUT_UNAVAILABLE)
    assert decision.evidence["input"] == "short_share"
    assert decision.evidence["unavailable"] == "provider down"


def test_funding_divergence_of_exactly_025_bps_allows_shorts_and_above_refuses() -> None:
    """R-T-2: divergence above 0.25 bps refuses shorts (long bias); exactly 0.25 is allowed; longs pass."""
    assert _eval(Side.SHORT, funding_divergence_bps=0.25).approved
    decision = _eval(Side.SHORT, funding_divergence_bps=0.2501)
    assert (decision.layer, decision.reason) == (RiskLayer.TACTICAL, DenyReason.FUNDING_DIVERGENCE_LONG_BIAS)
    assert _eval(Side.LONG, funding_divergence_bps=3.6).approved


def test_oi_change_of_exactly_3_percent_keeps_size_and_above_cuts_20_percent() -> None:
    """R-T-3: OI change above 3% (either direction, decided) multiplies size by 0.8; exactly 3% does not."""
    assert _eval(oi_change_pct=0.03).notional_usd == Decimal("100.00")
    up = _eval(oi_change_pct=0.0301)
    assert up.approved
    assert up.multiplier == pytest.approx(0.8)
    assert up.notional_usd == Decimal("80.00")
    assert _eval(oi_change_pct=-0.05).notional_usd == Decimal("80.00")


def test_missing_oi_change_refuses() -> None:
    """R-T-3 / fail closed: an unknown OI change cannot be sized, so the entry is refused."""
    assert _eval(oi_change_pct=None).reason is DenyReason.INPUT_UNAVAILABLE
    assert _eval(oi_change_pct=float("nan")).reason is DenyReason.INPUT_UNAVAILABLE


@pytest.mark.parametrize(
    ("unavailable", "why"),
    [
        ({"open_interest": "not in history file"}, "not in history file"),  # no open interest at all
        ({"oi_delta_5m": "no open-interest observation 5 minutes back", "open_interest": "x"}, "no open-interest"),
        ({}, "missing from the market context"),
    ],
)
def test_a_missing_oi_change_says_why_from_the_nearest_data_it_is_made_from(
    unavailable: dict[str, str], why: str
) -> None:
    """R-T-3 / fail closed: the refusal gives the reason of the 5-minute delta, else of the open interest itself."""
    decision = _eval(oi_change_pct=None, unavailable=unavailable)
    assert (decision.evidence["rule"], decision.evidence["input"]) == ("R-T-3", "oi_change_pct")
    assert str(decision.evidence["unavailable"]).startswith(why)
    assert f"({why}" in decision.message


# -- macro ------------------------------------------------------------------------------------------------


def test_health_factor_of_exactly_220_allows_entries_and_below_refuses() -> None:
    """R-M-1: HF below 2.20 refuses new entries; exactly 2.20 is allowed."""
    assert _eval(health_factor=2.20).approved
    decision = _eval(health_factor=2.1999)
    assert (decision.layer, decision.reason) == (RiskLayer.MACRO, DenyReason.HEALTH_FACTOR_LOW)
    assert decision.evidence["health_factor"] == 2.1999


def test_missing_health_factor_refuses_unless_not_required() -> None:
    """R-M-1: fail closed without a health factor; with no Aave loan (`health_factor_required` false) it is skipped."""
    assert _eval(health_factor=None).reason is DenyReason.INPUT_UNAVAILABLE
    cfg = settings(RISK__HEALTH_FACTOR_REQUIRED="false")
    ctx = context(health_factor=None, ages_s={"funding": 0.0, "open_interest": 0.0, "long_short_ratio": 0.0})
    assert evaluate_risk(signal(), ctx, account(cfg=cfg), Decimal(100), cfg, Mode.PAPER, T0).approved


def test_sixth_trade_of_the_day_passes_and_seventh_is_refused() -> None:
    """R-M-2: 5 trades taken → the 6th passes; 6 taken → the 7th is refused."""
    assert _eval(acct=account(trades_today=5, session_trades=0)).approved
    decision = _eval(acct=account(trades_today=6))
    assert (decision.layer, decision.reason) == (RiskLayer.MACRO, DenyReason.MAX_TRADES_PER_DAY)


def test_day_counter_resets_at_the_day_boundary() -> None:
    """R-M-2: the day starts at risk.day_start_utc_hour (00:00 UTC): yesterday's 6 trades do not count today."""
    yesterday = T0 - minutes(60 * 24)
    acct = account(at=yesterday, trades_today=6)
    assert evaluate_risk(signal(), context(), acct, Decimal(100), CFG, Mode.PAPER, T0).approved


def _lose(acct: AccountState, n: int, start_minute: int = 0) -> AccountState:
    for i in range(n):
        at = T0 + minutes(start_minute + i)
        acct = on_position_closed(acct, position(f"p{start_minute}-{i}", pnl="-1", closed_at=at), at, CFG)
    return acct


def test_second_consecutive_loss_pauses_until_a_person_resumes() -> None:
    """R-M-3: one loss still trades; the 2nd consecutive loss pauses (PAUSED_AFTER_LOSSES) until resumed."""
    one = _lose(account(), 1)
    assert _eval(acct=one).approved
    two = _lose(account(), 2)
    decision = _eval(acct=two)
    assert (decision.layer, decision.reason) == (RiskLayer.MACRO, DenyReason.PAUSED_AFTER_LOSSES)
    resumed = on_resume(two, T0 + minutes(5), "tester")
    # a resume ends the pause but not S-SESSION's stop after the 2nd loss in the same session
    assert _eval(acct=resumed).reason is DenyReason.SESSION_STOPPED


def test_a_win_between_losses_breaks_the_streak() -> None:
    """R-M-3: loss, win, loss is not two consecutive losses."""
    acct = _lose(account(), 1)
    win_at = T0 + minutes(2)
    acct = on_position_closed(acct, position("w", pnl="1", closed_at=win_at), win_at, CFG)
    acct = _lose(acct, 1, start_minute=3)
    assert acct.consecutive_losses == 1
    assert not acct.paused
    assert _eval(acct=acct).approved


def test_session_stops_at_plus_1r_net() -> None:
    """S-SESSION: +1R net stops the session; +0.99R does not. 1R of the test position is $0.30."""
    at = T0 + minutes(1)
    below = on_position_closed(account(), position("a", pnl="0.297", closed_at=at), at, CFG)
    assert below.session_net_r == pytest.approx(0.99)
    assert _eval(acct=below).approved
    at_1r = on_position_closed(account(), position("b", pnl="0.30", closed_at=at), at, CFG)
    decision = _eval(acct=at_1r)
    assert (decision.layer, decision.reason) == (RiskLayer.MACRO, DenyReason.SESSION_STOPPED)


def test_session_stop_after_second_loss_clears_in_the_next_session() -> None:
    """S-SESSION: a session stopped by its 2nd consecutive loss; the next session (08:00 tiles) trades again once
    R-M-3's pause is resumed by a person."""
    acct = on_resume(_lose(account(), 2), T0 + minutes(3), "tester")
    assert acct.session_stopped
    next_session = T0.replace(hour=16)
    decision = evaluate_risk(
        signal(ts=next_session), context(ts=next_session), acct, Decimal(100), CFG, Mode.PAPER, next_session
    )
    assert decision.approved


def test_session_max_trades_stops_the_session() -> None:
    """S-SESSION: at most 6 trades a session (4–6 planned)."""
    decision = _eval(acct=account(session_trades=6, trades_today=0))
    assert decision.reason is DenyReason.SESSION_STOPPED
    assert _eval(acct=replace(account(), session_trades=5)).approved
