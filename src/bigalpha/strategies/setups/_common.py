"""What the tactical setups share: building their signals, reading their saved state, bar and book facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from bigalpha.domain import MarketSnapshot, Side, Signal, StrategyName
from bigalpha.indicators.context import MarketContext
from bigalpha.strategies.base import signal_id

BPS = 10_000.0
# Boundaries ("at least 30 bps", "decays ≥ 40%") are judged to a relative 1e-9, so a level placed exactly on
# the boundary is not lost to binary rounding (2.5 → 2.4925 is 29.999999… bps in floating point).
_REL_TOL = 1e-9


def at_least(value: float, limit: float) -> bool:
    return value >= limit - _REL_TOL * max(1.0, abs(limit))


StateT = TypeVar("StateT", bound="SetupState")


class SetupState(BaseModel):
    """Base of each setup's saved state: strict, so a damaged state is refused with the field's name."""

    model_config = ConfigDict(extra="forbid")

    last_ts: datetime | None = None
    last_signal_at: datetime | None = None


def load_state(model: type[StateT], name: str, data: Mapping[str, Any]) -> StateT:
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in detail['loc']) or '(root)'}: {detail['msg']}"
            for detail in error.errors(include_url=False)
        )
        raise ValueError(f"{name} state: {problems}") from None


def check_input(name: str, state: SetupState, snapshot: MarketSnapshot, context: MarketContext) -> None:
    """Snapshot and context must describe the same symbol and instant, after the last one seen."""
    if snapshot.symbol != context.symbol or snapshot.ts != context.ts:
        raise ValueError(
            f"{name}: snapshot ({snapshot.symbol} at {snapshot.ts.isoformat()}) and context "
            f"({context.symbol} at {context.ts.isoformat()}) differ"
        )
    if state.last_ts is not None and context.ts <= state.last_ts:
        raise ValueError(
            f"{name}: {context.symbol} at {context.ts.isoformat()} is not after the last instant seen "
            f"({state.last_ts.isoformat()})"
        )


def cooling_down(state: SetupState, now: datetime, cooldown: timedelta) -> bool:
    return state.last_signal_at is not None and now - state.last_signal_at < cooldown


def bar_delta(snapshot: MarketSnapshot) -> float:
    """The bar's volume delta: taker buys minus taker sells (base units)."""
    bar = snapshot.bar
    return bar.taker_buy_volume - bar.taker_sell_volume


def bid_depth_usd(snapshot: MarketSnapshot, range_pct: float) -> float | None:
    """Resting bid notional from price down to `range_pct` below it; None without an order book."""
    if snapshot.book is None:
        return None
    floor = snapshot.price * (1.0 - range_pct)
    return sum(level.notional for level in snapshot.book.value.bids if level.price >= floor)


def make_signal(
    name: str,
    context: MarketContext,
    side: Side,
    *,
    size_multiplier: float,
    stop_bps: float,
    targets_bps: Sequence[float],
) -> Signal:
    """A setup's signal: its own size, stop and ladder, and the first target as the expected move (G-FEE-1
    then judges the most conservative of its targets)."""
    return Signal(
        id=signal_id(name, context.symbol, context.ts),
        ts=context.ts,
        symbol=context.symbol,
        side=side,
        strategy=StrategyName(name),
        price=context.price,
        size_multiplier=size_multiplier,
        stop_pct=stop_bps / BPS,
        targets_pct=tuple(target / BPS for target in targets_bps),
        expected_move_bps=targets_bps[0],
    )
