"""Shadow trades (L-SHADOW-1): the one-unit position a shadow is judged as, bar after bar.

`as_position` keeps the position it built and rebuilds only what changed; a shadow advanced that way must stay
identical, field for field and in every Decimal's digits, to one whose position is built afresh on every bar.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.config import Settings
from bigalpha.domain import (
    Bar,
    Position,
    PositionId,
    Regime,
    Side,
    Signal,
    SignalId,
    StrategyName,
    Symbol,
    Verdict,
)
from bigalpha.engine.adapters import PositionEntryPlanner, PositionExitPolicy
from bigalpha.engine.policies import ExitPlan
from bigalpha.indicators.context import MarketContext
from bigalpha.learning.shadow import COLUMNS, SHADOW_ACCOUNT, UNIT, Shadow, advance_shadow, as_position, open_shadow
from bigalpha.store.mapping import meta_from_json

T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
SYMBOL = Symbol("ETH")
SETTINGS = Settings()


def _plain_position(shadow: Shadow) -> Position:
    """The position as read straight from the shadow's fields, nothing kept."""
    state = shadow.state
    entry = Decimal(repr(shadow.entry_price))
    return Position(
        id=PositionId(shadow.id),
        symbol=Symbol(shadow.symbol),
        side=Side(shadow.side),
        account=SHADOW_ACCOUNT,
        opened_at=shadow.opened_at,
        entry_price=entry,
        quantity=UNIT - Decimal(state.get("closed", "0")),
        initial_quantity=UNIT,
        leverage=1,
        margin=entry,
        stop_price=Decimal(repr(shadow.stop_price)),
        targets=tuple(Decimal(repr(t)) for t in shadow.targets),
        signal_id=SignalId(shadow.signal_id),
        strategy=shadow.strategy,
        meta=meta_from_json(state.get("meta")),
        tiers_done=int(state.get("tiers_done", 0)),
    )


def _context(price: float, minute: int, *, trend: bool, max_pain: float | None) -> MarketContext:
    return MarketContext(
        symbol=SYMBOL,
        ts=T0 + timedelta(minutes=minute),
        price=price,
        hurst=0.62 if trend else 0.5,
        regime=Regime.TRENDING if trend else Regime.RANDOM_WALK,
        oi_delta_5m_usd=2e6,
        max_pain=max_pain,
        short_clusters=(),
        long_clusters=(),
    )


def _shadow(side: Side, *, trend: bool, max_pain: float | None) -> Shadow:
    signal = Signal(
        id=SignalId("sig-shadow-1"),
        ts=T0,
        symbol=SYMBOL,
        side=side,
        strategy=StrategyName("test"),
        price=100.0,
        targets_pct=(0.002, 0.004, 0.006, 0.008),
    )
    verdict = Verdict(signal_id=signal.id, allowed=True, size_multiplier=1.0, outcomes=())
    context = _context(100.0, 0, trend=trend, max_pain=max_pain)
    plan = PositionEntryPlanner(SETTINGS)(signal, verdict, context, Decimal("100.0"), Decimal(1), T0)
    return open_shadow(signal, plan, blocked_by=None, position_id=None)


class _Checked:
    """The exit policy, asserting first that the position it is given is the one read afresh from the shadow."""

    def __init__(self, shadow: Shadow) -> None:
        self.shadow = shadow
        self.inner = PositionExitPolicy(SETTINGS)

    def __call__(
        self, position: Position, context: MarketContext, bar: Bar, now: datetime, state: Mapping[str, Any]
    ) -> ExitPlan:
        assert repr(position) == repr(_plain_position(self.shadow))
        return self.inner(position, context, bar, now, state)


def _fresh(shadow: Shadow) -> Shadow:
    """A copy that shares nothing with `shadow`, with no position kept."""
    return Shadow(**{name: copy.deepcopy(getattr(shadow, name)) for name in COLUMNS})


@settings(max_examples=60, deadline=None)
@given(
    side=st.sampled_from(Side),
    trend=st.booleans(),
    max_pain=st.none() | st.floats(95.0, 105.0),
    moves=st.lists(st.floats(-0.004, 0.004), min_size=1, max_size=120),
)
def test_a_kept_position_judges_like_a_fresh_one(
    side: Side, trend: bool, max_pain: float | None, moves: list[float]
) -> None:
    """Every bar, the exit policy gets exactly the position the shadow's fields give, and a shadow advanced with
    kept positions ends as one whose position was rebuilt every bar (same exits, state and return)."""
    kept = _shadow(side, trend=trend, max_pain=max_pain)
    rebuilt = _fresh(kept)
    price = 100.0
    for minute, move in enumerate(moves, start=1):
        close = round(price * (1 + move), 4)
        bar = Bar(
            T0 + timedelta(minutes=minute - 1),
            price,
            max(price, close) * 1.0005,
            min(price, close) * 0.9995,
            close,
            1.0,
            0.5,
        )
        context = _context(close, minute, trend=trend, max_pain=max_pain)
        now = T0 + timedelta(minutes=minute)
        closed = advance_shadow(kept, _Checked(kept), context, bar, now)
        rebuilt = _fresh(rebuilt)
        assert advance_shadow(rebuilt, PositionExitPolicy(SETTINGS), context, bar, now) == closed
        assert kept == rebuilt
        price = close
        if closed:
            break


def test_a_changed_field_is_read_again() -> None:
    """A shadow's fields are read again when they change, whichever it is."""
    shadow = _shadow(Side.LONG, trend=True, max_pain=None)
    first = as_position(shadow)
    assert as_position(shadow) is first  # nothing changed
    shadow.state["closed"] = "0.25"
    shadow.state["tiers_done"] = 1
    assert repr(as_position(shadow)) == repr(_plain_position(shadow))
    shadow.stop_price = 98.5
    shadow.targets = [101.0, 102.0]
    assert repr(as_position(shadow)) == repr(_plain_position(shadow))
    shadow.state["meta"] = {**shadow.state["meta"], "true_trend": False}
    assert as_position(shadow).meta == replace(first.meta, true_trend=False)  # type: ignore[type-var]
    assert repr(as_position(shadow)) == repr(_plain_position(shadow))


def test_the_kept_position_is_no_column() -> None:
    shadow = _shadow(Side.SHORT, trend=False, max_pain=101.0)
    as_position(shadow)
    assert "_judged" not in shadow.to_dict()
    assert Shadow.from_dict(shadow.to_dict()) == shadow
    assert set(shadow.to_row().__table__.columns.keys()) >= set(COLUMNS)
