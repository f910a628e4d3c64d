"""Builders of the risk gate's inputs for the unit tests: a fresh, everything-fine case unless told otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from bigalpha.config import Settings, load_settings
from bigalpha.domain import AccountName, Mode, Position, PositionId, Side, Signal, SignalId, StrategyName, Symbol
from bigalpha.indicators.context import MarketContext
from bigalpha.risk import AccountState, new_account

T0 = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC: mid-session, mid-day
FEEDS = ("funding", "open_interest", "long_short_ratio", "health_factor")


@lru_cache(maxsize=8)
def _settings(items: tuple[tuple[str, str], ...]) -> Settings:
    return load_settings(env=dict(items))


def settings(**env: str) -> Settings:
    """Settings from defaults plus `BIGALPHA__…` overrides given as keyword arguments (RISK__MAX_POSITION_USD=…)."""
    return _settings(tuple(sorted((f"BIGALPHA__{key}", value) for key, value in env.items())))


def context(symbol: str = "BTC", ts: datetime = T0, **fields: Any) -> MarketContext:
    values: dict[str, Any] = {
        "price": 100_000.0,
        "short_share": 0.50,
        "funding_divergence_bps": 0.10,
        "oi_change_pct": 0.01,
        "health_factor": 3.0,
        "ages_s": dict.fromkeys(FEEDS, 0.0),
    }
    values.update(fields)
    return MarketContext(symbol=Symbol(symbol), ts=ts, **values)


def signal(symbol: str = "BTC", side: Side = Side.LONG, ts: datetime = T0, **fields: Any) -> Signal:
    values: dict[str, Any] = {"price": 100_000.0, "stop_pct": 0.003}
    values.update(fields)
    return Signal(
        id=SignalId(f"sig-test-{symbol}-{side.value}"),
        ts=ts,
        symbol=Symbol(symbol),
        side=side,
        strategy=StrategyName("test"),
        **values,
    )


def account(mode: Mode = Mode.PAPER, cfg: Settings | None = None, at: datetime = T0, **fields: Any) -> AccountState:
    state = new_account(mode, cfg or settings(), at, Decimal(1660))
    return replace(state, **fields) if fields else state


def position(
    pid: str,
    *,
    pnl: str = "0",
    symbol: str = "BTC",
    side: Side = Side.LONG,
    entry: str = "100000",
    quantity: str = "0.001",
    stop: str = "99700",
    opened_at: datetime = T0,
    closed_at: datetime | None = None,
    fees: str = "0",
) -> Position:
    """A position of 100 USD notional (0.001 at 100,000) with a 0.3% stop: 1R = 0.30 USD."""
    return Position(
        id=PositionId(pid),
        symbol=Symbol(symbol),
        side=side,
        account=AccountName("hot"),
        opened_at=opened_at,
        entry_price=Decimal(entry),
        quantity=Decimal(0) if closed_at is not None else Decimal(quantity),
        initial_quantity=Decimal(quantity),
        leverage=5,
        margin=Decimal(20),
        stop_price=Decimal(stop),
        targets=(),
        realized_pnl=Decimal(pnl),
        fees_paid=Decimal(fees),
        closed_at=closed_at,
        exit_reason=None if closed_at is None else "test",
    )


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
