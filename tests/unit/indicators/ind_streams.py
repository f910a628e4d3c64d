"""Synthetic snapshot streams for the indicator tests: seeded, one snapshot per minute (imported as `ind_streams`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from bigalpha.config.data import DataKind
from bigalpha.domain import (
    Bar,
    BookLevel,
    LiquidationLevel,
    LongShort,
    MarketSnapshot,
    Observed,
    OrderBook,
    OrderSide,
    Symbol,
    Trade,
)

START = datetime(2025, 12, 25, 9, 0, tzinfo=UTC)


def make_stream(
    n: int,
    *,
    seed: int = 1,
    symbol: str = "BTC",
    trades_every: int = 1,
    book_every: int = 1,
    oi_every: int = 1,
    spike_every: int = 0,
) -> list[MarketSnapshot]:
    """`n` snapshots; trades are present on bars whose index is a multiple of `trades_every` (0: never),
    likewise the book and OI; every `spike_every`-th bar has 5× volume."""
    rng = np.random.default_rng(seed)
    price = 100_000.0
    oi = 8.0e9
    out = []
    for i in range(n):
        ts = START + timedelta(minutes=i)
        price *= float(np.exp(rng.normal(0.0, 0.001)))
        volume = float(rng.uniform(50, 150)) * (5.0 if spike_every and i % spike_every == 0 else 1.0)
        buy = volume * float(rng.uniform(0.3, 0.7))
        trades: tuple[Trade, ...] = ()
        if trades_every and i % trades_every == 0:
            sizes = rng.choice([0.05, 0.5, 1.2, 2.5], size=12)
            sides = rng.random(12) < 0.5
            trades = tuple(
                Trade(ts=ts, price=price, quantity=float(q), side=OrderSide.BUY if s else OrderSide.SELL)
                for q, s in zip(sizes, sides, strict=True)
            )
        book = None
        if book_every and i % book_every == 0:
            book = Observed(
                OrderBook(
                    bids=tuple(BookLevel(price * (1 - 0.001 * k), float(rng.uniform(1, 400))) for k in range(1, 6)),
                    asks=tuple(BookLevel(price * (1 + 0.001 * k), float(rng.uniform(1, 400))) for k in range(1, 6)),
                ),
                ts,
                "test",
            )
        oi *= float(np.exp(rng.normal(0.0, 0.002)))
        oi_obs = Observed(oi, ts, "test") if oi_every and i % oi_every == 0 else None
        heat = tuple(
            LiquidationLevel(price * (1 + 0.0025 * k), float(rng.uniform(1e6, 3e6)) * (8 if k in (2, -3) else 1))
            for k in range(-8, 9)
            if k
        )
        unavailable = () if trades else ((DataKind.TRADES, "feed sends no trade sizes"),)
        out.append(
            MarketSnapshot(
                symbol=Symbol(symbol),
                ts=ts + timedelta(minutes=1),
                bar=Bar(
                    ts=ts,
                    open=price,
                    high=price * 1.001,
                    low=price * 0.999,
                    close=price,
                    volume=volume,
                    taker_buy_volume=buy,
                ),
                trades=trades,
                book=book,
                open_interest_usd=oi_obs,
                long_short=Observed(LongShort(1.5, 0.4), ts, "test"),
                liquidation_heatmap=Observed(heat, ts, "test"),
                max_pain=Observed(price * 0.97, ts, "test"),
                fear_greed=Observed(55.0, ts, "test"),
                funding=Observed((("binanceusdm", 0.00029), ("okx", -0.00007)), ts, "test"),
                unavailable=unavailable,
            )
        )
    return out
