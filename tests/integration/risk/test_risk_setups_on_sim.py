"""The tactical setups on the simulator's scripted scenarios, through the real `ContextBuilder` (D-SIM-1):
flush_reclaim → S-BTC-L, fail_break → S-BTC-S, fee_spike → S-SOL-FADE, squeeze → S-XRP-SQ and its risk side."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache

import pytest

from bigalpha.config import Settings, load_settings
from bigalpha.data.sim import SimParams, build_scenario, generate
from bigalpha.data.sim.feed import SimFeed
from bigalpha.domain import DenyReason, Mode, Side, Signal, SignalId, StrategyName, Symbol
from bigalpha.indicators.builder import ContextBuilder
from bigalpha.indicators.context import MarketContext
from bigalpha.risk import evaluate_risk, new_account
from bigalpha.strategies.setups import build_setups

SETTINGS: Settings = load_settings(env={})
WHALE_USD = 100_000.0


@cache
def _run(scenario: str, symbol: str) -> tuple[tuple[Signal, ...], tuple[MarketContext, ...]]:
    """Every signal of every setup over the scenario's day for `symbol`, and every context built for it."""
    dataset = generate(SimParams(seed=7), 1, build_scenario(scenario, SETTINGS))
    builder = ContextBuilder(SETTINGS.indicators)
    setups = build_setups(SETTINGS)
    signals: list[Signal] = []
    contexts: list[MarketContext] = []
    for tick in SimFeed(dataset).ticks():
        for snapshot in tick:
            if snapshot.symbol != symbol:
                continue
            context = builder.update(snapshot, whale_threshold_usd=WHALE_USD)
            contexts.append(context)
            for setup in setups:
                signals.extend(setup.on_market(snapshot, context))
    return tuple(signals), tuple(contexts)


def _between(signals: tuple[Signal, ...], strategy: str, hour: int, until_minute: int) -> list[Signal]:
    return [s for s in signals if s.strategy == strategy and s.ts.hour == hour and s.ts.minute <= until_minute]


def test_flush_reclaim_gives_the_lower_band_long() -> None:
    """S-BTC-L on `flush_reclaim`: a LONG 0.7× with a 28 or 35 bps stop and +25/+50/+90 bps, right after 11:00."""
    signals, _ = _run("flush_reclaim", "BTC")
    [long] = _between(signals, "s-btc-l", 11, 15)
    assert long.side is Side.LONG
    assert long.size_multiplier == 0.7
    assert long.stop_pct in (pytest.approx(0.0028), pytest.approx(0.0035))
    assert long.targets_pct == pytest.approx((0.0025, 0.0050, 0.0090))


def test_fail_break_gives_the_upper_band_short() -> None:
    """S-BTC-S on `fail_break`: a SHORT 0.5× with a 30 bps stop after the 13:02 wick, the lower high and the
    narrowing funding spread."""
    signals, _ = _run("fail_break", "BTC")
    [short] = _between(signals, "s-btc-s", 13, 10)
    assert short.side is Side.SHORT
    assert short.size_multiplier == 0.5
    assert short.stop_pct == pytest.approx(0.0030)
    assert short.targets_pct == pytest.approx((0.0025, 0.0045, 0.0080))


def test_fee_spike_gives_the_sol_fade_back_to_vwap() -> None:
    """S-SOL-FADE on `fee_spike`: SOL popped above VWAP, the fee decays ≥ 40% within 2 minutes while Jito stays
    elevated → a SHORT at half of 0.6× with the 45 bps stop."""
    signals, _ = _run("fee_spike", "SOL")
    [fade] = _between(signals, "s-sol-fade", 12, 5)
    assert fade.side is Side.SHORT
    assert fade.size_multiplier == pytest.approx(0.3)
    assert fade.stop_pct == pytest.approx(0.0045)


def test_squeeze_never_shorts_xrp_and_the_gate_refuses_shorts() -> None:
    """S-XRP-SQ on `squeeze`: the setup emits no XRP short, and while shorts are ≥ 53% the risk gate refuses
    an XRP short from any source."""
    signals, contexts = _run("squeeze", "XRP")
    assert all(s.side is Side.LONG for s in signals if s.symbol == "XRP")
    crowded = next(c for c in contexts if c.ts.hour == 11 and c.short_share is not None and c.short_share >= 0.53)
    now: datetime = crowded.ts
    short = Signal(
        SignalId("sig-api"), now, Symbol("XRP"), Side.SHORT, StrategyName("api"), crowded.price, stop_pct=0.003
    )
    account = new_account(Mode.PAPER, SETTINGS, now, Decimal(1660))
    decision = evaluate_risk(short, crowded, account, Decimal(50), SETTINGS, Mode.PAPER, now)
    assert decision.reason is DenyReason.SHORT_SHARE_TOO_HIGH
