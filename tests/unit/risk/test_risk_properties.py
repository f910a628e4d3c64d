"""Property tests of the limits (10,000 examples each): whatever arrives, no accepted entry breaches a limit;
a tripped kill switch lets nothing through; a read-only account never reaches the broker.

Marked slow (about 2.5 minutes together) but part of the suite. Coverage does not trace them (`no_cover`): the
other risk tests reach every line they reach but one, and tracing 30,000 examples doubled their time."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from risk_factories import FEEDS, T0, account, context, minutes, position, settings, signal
from test_risk_modes_ledger import RecordingBroker, order

from bigalpha.domain import Mode, Side
from bigalpha.risk import (
    KillCause,
    KillSwitchState,
    LedgerRefusal,
    ReadOnlyLedgerBroker,
    evaluate_kill_switch,
    evaluate_risk,
    on_entry,
    on_position_closed,
    roll,
    with_kill_switch,
)

CFG = settings()
RISK = CFG.risk
SYMBOLS = ("BTC", "ETH", "SOL", "XRP")

money = st.decimals(min_value=0, max_value=2000, places=2)
signals = st.tuples(
    st.just("signal"),
    st.sampled_from(SYMBOLS),
    st.sampled_from(Side),
    money,
    st.floats(0.0005, 0.06),  # stop
    st.floats(0.3, 0.7),  # short share
    st.floats(0.0, 1.0),  # funding divergence (bps)
    st.floats(-0.08, 0.08),  # OI change
    st.floats(1.8, 3.5),  # health factor
)
closes = st.tuples(st.just("close"), st.integers(0, 5), st.decimals(min_value=-60, max_value=40, places=2))
advances = st.tuples(st.just("advance"), st.integers(0, 600))
steps = st.lists(st.one_of(signals, signals, closes, advances), min_size=1, max_size=25)


@pytest.mark.slow
@pytest.mark.no_cover
@hsettings(max_examples=10_000, deadline=None)
@given(mode=st.sampled_from([Mode.PAPER, Mode.TEST]), program=steps)
def test_no_accepted_entry_breaches_a_limit(mode: Mode, program: list[tuple[object, ...]]) -> None:
    """R-G-1, R-G-3, R-G-4, R-M-2, R-MODE-1 (and R-K-*, R-M-3): over any sequence of signals, fills, closes and
    time, every entry the gate accepts fits every limit given the account at that moment."""
    acct = account(mode)
    now = T0
    opened: list[tuple[str, str, Decimal]] = []
    for n, step in enumerate(program):
        kind = step[0]
        if kind == "advance":
            now += minutes(int(step[1]))  # type: ignore[call-overload]
            acct = roll(acct, now, CFG)
        elif kind == "close" and opened:
            pid, symbol, notional = opened.pop(int(step[1]) % len(opened))  # type: ignore[call-overload]
            closed = position(pid, symbol=symbol, pnl=str(step[2]), quantity=str(notional / 100000), closed_at=now)
            acct = on_position_closed(acct, closed, now, CFG)
            verdict = evaluate_kill_switch(acct, {"BTC": context(ts=now)}, RISK, now)
            if verdict.trip is not None:  # the engine latches a trip
                trip = KillSwitchState(tripped=True, cause=verdict.trip, reason="property", at=now, by="engine")
                acct = with_kill_switch(acct, trip)
        elif kind == "signal":
            _, symbol, side, requested, stop, share, divergence, oi, hf = step
            ctx = context(
                str(symbol),
                ts=now,
                short_share=share,
                funding_divergence_bps=divergence,
                oi_change_pct=oi,
                health_factor=hf,
            )
            sig = signal(str(symbol), side, ts=now, stop_pct=stop)  # type: ignore[arg-type]
            decision = evaluate_risk(sig, ctx, acct, requested, CFG, mode, now)  # type: ignore[arg-type]
            if not decision.approved:
                continue
            before = roll(acct, now, CFG)
            notional = decision.notional_usd
            assert RISK.min_order_usd <= notional <= requested  # type: ignore[operator]
            assert before.notional_by_symbol().get(str(symbol), Decimal(0)) + notional <= RISK.max_position_usd
            assert len(before.open_positions) + 1 <= RISK.max_concurrent_positions
            assert before.trades_today + 1 <= RISK.max_trades_per_day
            assert before.loss_today_usd + notional * Decimal(str(stop)) <= RISK.daily_loss_limit_usd
            assert not before.kill_switch.tripped
            assert not before.paused
            assert float(hf) >= RISK.health_factor_min_entry  # type: ignore[arg-type]
            if mode is Mode.TEST:
                caps = RISK.test_mode
                assert before.open_notional_usd + notional <= caps.max_total_exposure_usd
                assert before.session_trades + 1 <= caps.max_trades_per_session
                assert before.session_loss_usd + notional * Decimal(str(stop)) <= caps.session_loss_limit_usd
            pid = f"p{n}"
            acct = on_entry(acct, position_id=pid, symbol=str(symbol), notional=notional, now=now, config=CFG)
            opened.append((pid, str(symbol), notional))


@pytest.mark.slow
@pytest.mark.no_cover
@hsettings(max_examples=10_000, deadline=None)
@given(
    cause=st.sampled_from(KillCause),
    side=st.sampled_from(Side),
    symbol=st.sampled_from(SYMBOLS),
    requested=money,
    stop=st.floats(0.0001, 0.05),
    share=st.floats(0.0, 1.0),
    divergence=st.floats(0.0, 0.25),
    oi=st.floats(-0.1, 0.1),
    hf=st.floats(1.0, 10.0),
    trades=st.integers(0, 6),
    equity=st.decimals(min_value=1, max_value=100_000, places=2),
)
def test_a_tripped_kill_switch_never_lets_an_entry_through(
    cause: KillCause,
    side: Side,
    symbol: str,
    requested: Decimal,
    stop: float,
    share: float,
    divergence: float,
    oi: float,
    hf: float,
    trades: int,
    equity: Decimal,
) -> None:
    """R-K-4: whatever the market and the account say, a latched switch refuses every entry."""
    switch = KillSwitchState(tripped=True, cause=cause, reason="property", at=T0, by="test")
    acct = replace(account(), kill_switch=switch, trades_today=trades, equity_usd=equity)
    ctx = context(
        symbol,
        short_share=share,
        funding_divergence_bps=divergence,
        oi_change_pct=oi,
        health_factor=hf,
        ages_s=dict.fromkeys(FEEDS, 0.0),
    )
    decision = evaluate_risk(signal(symbol, side, stop_pct=stop), ctx, acct, requested, CFG, Mode.PAPER, T0)
    assert not decision.approved
    assert decision.notional_usd == 0


read_only_spellings = st.builds(
    lambda word, left, right: left + word + right,
    st.sampled_from(["cold", "COLD", "Cold", "cOlD"]),
    st.sampled_from(["", " ", "\t", "  "]),
    st.sampled_from(["", " ", "\n"]),
)
account_names = st.one_of(read_only_spellings, st.text(min_size=1, max_size=8), st.just("hot"))


@pytest.mark.slow
@pytest.mark.no_cover
@hsettings(max_examples=10_000, deadline=None)
@given(names=st.lists(account_names, min_size=1, max_size=10))
def test_a_read_only_account_never_reaches_the_wrapped_broker(names: list[str]) -> None:
    """R-LEDGER-1: across any sequence of orders on any accounts, the broker never sees the cold ledger."""
    inner = RecordingBroker(False)
    broker = ReadOnlyLedgerBroker.from_config(inner, RISK)
    for n, name in enumerate(names):
        read_only = name.strip().casefold() == "cold"
        if read_only:
            with pytest.raises(LedgerRefusal):
                broker.submit(order(name, n))
        else:
            broker.submit(order(name, n))
    assert all(o.account.strip().casefold() != "cold" for o in inner.received)
    assert len(inner.received) == sum(1 for name in names if name.strip().casefold() != "cold")
