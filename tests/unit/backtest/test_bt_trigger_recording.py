"""The backtest's exit policy writes the trigger prices of a real position's exits for the broker, and none of a
shadow trade's (never sent as orders, they would never be taken out of the book); the plan is the inner one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bigalpha.backtest.broker import TriggerBook, TriggerRecordingExitPolicy
from bigalpha.domain import AccountName, Bar, Position, PositionId, Side, Symbol
from bigalpha.engine.policies import ExitAction, ExitPlan
from bigalpha.indicators.context import MarketContext
from bigalpha.learning.shadow import SHADOW_ACCOUNT, is_shadow

T0 = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
PLAN = ExitPlan((ExitAction(Decimal("0.5"), "tier-1", Decimal("102")), ExitAction(Decimal("0.5"), "stop")), (), {})


def _inner(position: Position, context: MarketContext, bar: Bar, now: datetime, state: Mapping[str, Any]) -> ExitPlan:
    return PLAN


def _position(position_id: str, account: str) -> Position:
    return Position(
        id=PositionId(position_id),
        symbol=Symbol("ETH"),
        side=Side.LONG,
        account=AccountName(account),
        opened_at=T0,
        entry_price=Decimal("100"),
        quantity=Decimal("1"),
        initial_quantity=Decimal("1"),
        leverage=1,
        margin=Decimal("100"),
        stop_price=Decimal("95"),
        targets=(Decimal("102"),),
    )


def test_only_a_real_positions_triggers_are_written() -> None:
    triggers = TriggerBook()
    policy = TriggerRecordingExitPolicy(_inner, triggers)
    bar = Bar(ts=T0, open=100.0, high=103.0, low=99.0, close=101.0, volume=1.0, taker_buy_volume=0.5)
    context = MarketContext(symbol=Symbol("ETH"), ts=T0, price=101.0)
    shadow = _position("shd-sig-1", SHADOW_ACCOUNT)
    assert policy(shadow, context, bar, T0, {}) is PLAN
    assert triggers == {}
    real = _position("pos-1", "hot")
    assert policy(real, context, bar, T0, {}) is PLAN
    assert triggers == {("pos-1", "tier-1"): Decimal("102")}


def test_a_shadow_is_known_by_its_account_and_its_id() -> None:
    shadow = _position("shd-sig-1", SHADOW_ACCOUNT)
    assert is_shadow(shadow)
    assert not is_shadow(replace(shadow, account=AccountName("hot")))
    # a trading account configured as "shadow" does not make a real position a shadow
    assert not is_shadow(replace(shadow, id=PositionId("pos-1")))
