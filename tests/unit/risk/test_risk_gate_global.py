"""Layer 1 of the risk gate: R-G-1 notional, R-G-2 stop, R-G-3 daily loss, R-G-4 concurrency; layer order."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from risk_factories import T0, account, context, settings, signal

from bigalpha.domain import DenyReason, Mode, RiskLayer, Side
from bigalpha.risk import OpenExposure, evaluate_risk

CFG = settings()


def _eval(requested: str = "100", **kwargs: object) -> object:
    return evaluate_risk(
        kwargs.pop("sig", signal()),  # type: ignore[arg-type]
        kwargs.pop("ctx", context()),  # type: ignore[arg-type]
        kwargs.pop("acct", account()),  # type: ignore[arg-type]
        Decimal(requested),
        CFG,
        Mode.PAPER,
        T0,
    )


def _open(n: int, symbol: str = "ETH", notional: str = "50") -> tuple[OpenExposure, ...]:
    return tuple(OpenExposure(f"pos-{i}", symbol, Decimal(notional), T0) for i in range(n))


def test_notional_of_exactly_415_passes_uncapped() -> None:
    """R-G-1: exactly $415 is allowed as it is."""
    decision = _eval("415")
    assert decision.approved
    assert decision.notional_usd == Decimal("415.00")
    assert decision.evidence["capped_by"] is None


def test_notional_above_415_is_capped_to_415_not_refused() -> None:
    """R-G-1: one cent above the limit is cut down to the limit (decided: cap, refuse only when nothing is left)."""
    decision = _eval("415.01")
    assert decision.approved
    assert decision.notional_usd == Decimal("415.00")
    assert decision.evidence["capped_by"] == "R-G-1"
    assert "capped by R-G-1" in decision.message


def test_notional_cap_counts_what_the_symbol_already_holds() -> None:
    """R-G-1: with $400 of BTC open, a BTC entry gets at most the $15 left."""
    acct = account(open_positions=_open(1, "BTC", "400"))
    decision = _eval("100", acct=acct)
    assert decision.approved
    assert decision.notional_usd == Decimal("15.00")


def test_notional_cap_that_leaves_less_than_the_minimum_refuses() -> None:
    """R-G-1: $414.50 of BTC open leaves $0.50, below the $1 minimum order: refused, not sent as dust."""
    acct = account(open_positions=_open(1, "BTC", "414.50"))
    decision = _eval("100", acct=acct)
    assert not decision.approved
    assert (decision.layer, decision.reason) == (RiskLayer.GLOBAL, DenyReason.NOTIONAL_EXCEEDS_MAX)
    assert decision.notional_usd == 0


def test_stop_of_exactly_5_percent_passes_and_wider_is_refused() -> None:
    """R-G-2: stop distance 5% exactly is allowed; 5.01% is refused with the numbers."""
    assert _eval(sig=signal(stop_pct=0.05)).approved
    decision = _eval(sig=signal(stop_pct=0.0501))
    assert (decision.layer, decision.reason) == (RiskLayer.GLOBAL, DenyReason.STOP_TOO_WIDE)
    assert decision.evidence["stop_pct"] == 0.0501
    assert decision.evidence["limit"] == 0.05


@pytest.mark.parametrize("stop", [0.0, -0.01, float("nan")])
def test_unusable_stop_is_refused(stop: float) -> None:
    """R-G-2 / P-STOP-1: a zero, negative or NaN stop is MISSING_STOP."""
    decision = _eval(sig=signal(stop_pct=stop))
    assert decision.reason is DenyReason.MISSING_STOP


def test_signal_without_stop_takes_the_configured_default() -> None:
    """R-G-2: stop None takes positions.default_stop_pct (1%), within the limit."""
    decision = _eval(sig=signal(stop_pct=None))
    assert decision.approved
    assert decision.evidence["stop_pct"] == CFG.positions.default_stop_pct


def test_daily_loss_just_under_the_limit_passes_and_at_the_limit_refuses() -> None:
    """R-G-3: $99.99 lost today still trades (capped); exactly $100 lost refuses."""
    acct = account(realized_pnl_today_usd=Decimal("-99.99"))
    decision = _eval("100", acct=acct, sig=signal(stop_pct=0.001))
    assert decision.approved
    # the loss at the stop must fit the $0.01 left: 0.01 / 0.001 = $10
    assert decision.notional_usd == Decimal("10.00")
    assert decision.evidence["capped_by"] == "R-G-3"
    refused = _eval(acct=account(realized_pnl_today_usd=Decimal("-100")))
    assert (refused.layer, refused.reason) == (RiskLayer.GLOBAL, DenyReason.DAILY_LOSS_LIMIT)
    assert refused.evidence["loss_today_usd"] == 100.0


def test_daily_profit_does_not_consume_the_loss_budget() -> None:
    """R-G-3: a positive day leaves the full $100 budget."""
    decision = _eval("415", acct=account(realized_pnl_today_usd=Decimal("50")), sig=signal(stop_pct=0.05))
    assert decision.notional_usd == Decimal("415.00")


def test_third_concurrent_position_passes_and_fourth_is_refused() -> None:
    """R-G-4: with 2 open the 3rd passes; with 3 open the 4th is refused."""
    assert _eval(acct=account(open_positions=_open(2))).approved
    decision = _eval(acct=account(open_positions=_open(3)))
    assert (decision.layer, decision.reason) == (RiskLayer.GLOBAL, DenyReason.MAX_CONCURRENT_POSITIONS)
    assert decision.evidence["open_positions"] == 3


def test_first_refusal_wins_in_layer_order() -> None:
    """Layers run global → tactical → macro → kill switch: a signal failing all four reports the global refusal."""
    acct = account(open_positions=_open(3), trades_today=6)
    ctx = context(short_share=0.9, health_factor=1.5)
    decision = _eval(acct=acct, ctx=ctx, sig=signal(side=Side.SHORT))
    assert decision.layer is RiskLayer.GLOBAL
    without_global = _eval(acct=replace(acct, open_positions=()), ctx=ctx, sig=signal(side=Side.SHORT))
    assert without_global.layer is RiskLayer.TACTICAL


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="is for BTC, the context for ETH"):
        _eval(ctx=context("ETH"))
    with pytest.raises(ValueError, match="requested_notional"):
        _eval("-1")
    with pytest.raises(ValueError, match="built for test"):
        _eval(acct=account(Mode.TEST))


def test_zero_request_is_refused_not_sent() -> None:
    """A request of $0 (e.g. a wallet with no equity) is refused below the minimum order."""
    decision = _eval("0")
    assert not decision.approved
    assert decision.reason is DenyReason.NOTIONAL_BELOW_MINIMUM
