"""Hand-built market sequences for the setup tests: one snapshot and its context per minute."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bigalpha.config import Settings, load_settings
from bigalpha.domain import Bar, BookLevel, MarketSnapshot, Observed, OrderBook, Signal, Symbol
from bigalpha.indicators.context import MarketContext
from bigalpha.strategies.base import Strategy

T0 = datetime(2025, 10, 19, 9, 0, tzinfo=UTC)
SETTINGS: Settings = load_settings(env={})


def minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def bar_step(
    n: int,
    symbol: str,
    *,
    high: float,
    low: float,
    close: float,
    buy: float = 5.0,
    sell: float = 5.0,
    bid_depth_usd: float | None = 5_000_000.0,
    **context_fields: Any,
) -> tuple[MarketSnapshot, MarketContext]:
    """Minute `n`: a bar (open = close of a flat market unless told), taker flow, an optional book whose bids
    within 0.1% of price hold `bid_depth_usd`, and the context fields given."""
    ts = minute(n)
    bar = Bar(ts=ts, open=close, high=high, low=low, close=close, volume=buy + sell, taker_buy_volume=buy)
    book = None
    if bid_depth_usd is not None:
        bid = BookLevel(price=close * 0.999, quantity=bid_depth_usd / (close * 0.999))
        ask = BookLevel(price=close * 1.001, quantity=1.0)
        book = Observed(OrderBook(bids=(bid,), asks=(ask,)), ts, "test")
    snapshot = MarketSnapshot(symbol=Symbol(symbol), ts=ts, bar=bar, book=book)
    context = MarketContext(symbol=Symbol(symbol), ts=ts, price=close, **context_fields)
    return snapshot, context


def run(strategy: Strategy, steps: Sequence[tuple[MarketSnapshot, MarketContext]]) -> list[tuple[int, Signal]]:
    """Feed every step; the signals with the index of the step that produced them."""
    out = []
    for n, (snapshot, context) in enumerate(steps):
        out.extend((n, sig) for sig in strategy.on_market(snapshot, context))
    return out
