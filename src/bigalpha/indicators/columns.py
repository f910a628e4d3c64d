"""Whole-history indicator columns for the backtester: the rolling indicators of `MarketContext` at every bar.

`indicator_columns` runs the same functions as the live `ContextBuilder` (which applies them to its trailing
buffer and keeps the last element), so a backtest sees, bar for bar, the numbers the live bot would have
seen. `arrays_from_snapshots` turns a recorded or simulated series of snapshots into the input arrays; a
backtester reading columnar history files can build `SnapshotArrays` directly instead.

Per-snapshot parts (clusters, walls, max pain, long/short, fear & greed, funding) are not rolling: the
builder computes them with the functions of `liquidity` and `positioning` for each snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bigalpha.config.indicators import IndicatorsConfig
from bigalpha.domain import MarketSnapshot, OrderBook, OrderSide, PairedOrderBook, Regime
from bigalpha.indicators.flow import FlowInputs, aggregate_whale_trades, flow_columns
from bigalpha.indicators.hurst import classify_regime, hurst_stderr, rolling_hurst
from bigalpha.indicators.positioning import oi_velocity, true_trend

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SnapshotArrays:
    """Per-bar inputs of every rolling indicator, oldest first."""

    flow: FlowInputs
    oi_as_of_s: FloatArray  # epoch seconds of each bar's OI observation; NaN when unavailable
    oi_usd: FloatArray


@dataclass(frozen=True, slots=True)
class IndicatorColumns:
    """Every rolling indicator at every bar; NaN (or None for the three-valued TRUE TREND) where unknown."""

    cvd_usd: FloatArray
    whale_cvd_usd: FloatArray
    whale_intent_cvd_usd: FloatArray
    retail_cvd_usd: FloatArray
    whale_intensity: FloatArray
    ofi: FloatArray
    taker_ratio: FloatArray
    open_interest_usd: FloatArray
    oi_delta_5m_usd: FloatArray
    oi_change_pct: FloatArray
    hurst: FloatArray
    hurst_stderr: FloatArray
    regime: tuple[Regime, ...]
    true_trend: tuple[bool | None, ...]


def book_top_quantities(book: OrderBook | None, levels: int) -> tuple[float, float]:
    """(bid quantity, ask quantity) summed over the best `levels` of each side; NaN without a book."""
    if isinstance(book, PairedOrderBook):  # the same quantities, without making the book's level objects
        bids, asks = book.bid_pairs, book.ask_pairs
        if not bids or not asks:
            return math.nan, math.nan
        return math.fsum(level[1] for level in bids[:levels]), math.fsum(level[1] for level in asks[:levels])
    if book is None or not book.bids or not book.asks:
        return math.nan, math.nan
    return (
        math.fsum(level.quantity for level in book.bids[:levels]),
        math.fsum(level.quantity for level in book.asks[:levels]),
    )


def has_trade_sizes(snapshot: MarketSnapshot) -> bool:
    """A-WHALE-1: a bar's trade sizes exist when its trades came with it (a bar that did not trade needs none)."""
    return len(snapshot.trades) > 0 or snapshot.bar.volume == 0


def arrays_from_snapshots(
    snapshots: Sequence[MarketSnapshot], *, whale_threshold_usd: float, book_levels: int
) -> SnapshotArrays:
    """The input arrays of one symbol's snapshots (in time order), with whale trades at the given threshold."""
    n = len(snapshots)
    close = np.array([s.bar.close for s in snapshots], dtype=np.float64)
    volume = np.array([s.bar.volume for s in snapshots], dtype=np.float64)
    taker_buy = np.array([s.bar.taker_buy_volume for s in snapshots], dtype=np.float64)
    sizes = np.array([has_trade_sizes(s) for s in snapshots], dtype=np.bool_)
    trades = [(i, t) for i, s in enumerate(snapshots) for t in s.trades]
    whale_buy, whale_sell = aggregate_whale_trades(
        notional_usd=[t.price * t.quantity for _, t in trades],
        is_buy=[t.side is OrderSide.BUY for _, t in trades],
        bar_index=[i for i, _ in trades],
        n_bars=n,
        threshold_usd=whale_threshold_usd,
    )
    book = np.array([book_top_quantities(s.book.value if s.book else None, book_levels) for s in snapshots])
    book = book.reshape(n, 2)
    oi_t = np.array(
        [s.open_interest_usd.as_of.timestamp() if s.open_interest_usd else math.nan for s in snapshots],
        dtype=np.float64,
    )
    oi_v = np.array([s.open_interest_usd.value if s.open_interest_usd else math.nan for s in snapshots])
    flow = FlowInputs(
        close=close,
        volume=volume,
        taker_buy=taker_buy,
        has_trade_sizes=sizes,
        trade_whale_buy_usd=np.where(sizes, whale_buy, 0.0),
        trade_whale_sell_usd=np.where(sizes, whale_sell, 0.0),
        book_bid_qty=book[:, 0].astype(np.float64),
        book_ask_qty=book[:, 1].astype(np.float64),
    )
    return SnapshotArrays(flow=flow, oi_as_of_s=oi_t, oi_usd=oi_v.astype(np.float64))


def indicator_columns(arrays: SnapshotArrays, cfg: IndicatorsConfig) -> IndicatorColumns:
    """Every rolling indicator over a whole history (A-CVD-1 … A-TAKER-1, A-OI-1, A-HURST-1/2, P-TREND-1)."""
    flow = flow_columns(arrays.flow, cfg)
    oi = oi_velocity(
        arrays.oi_as_of_s, arrays.oi_usd, minutes=cfg.oi_velocity_minutes, tolerance_s=cfg.oi_velocity_tolerance_s
    )
    hurst = rolling_hurst(arrays.flow.close, cfg.hurst_window)
    stderr = np.array([hurst_stderr(float(h), window=cfg.hurst_window) for h in hurst], dtype=np.float64)
    regime = tuple(
        Regime(
            classify_regime(float(h), trending_above=cfg.hurst_trending_above, noise_below=cfg.hurst_noise_below).value
        )
        for h in hurst
    )
    trend = tuple(
        true_trend(float(h), float(d), trending_above=cfg.hurst_trending_above)
        for h, d in zip(hurst, oi.delta_usd, strict=True)
    )
    return IndicatorColumns(
        cvd_usd=flow.cvd_usd,
        whale_cvd_usd=flow.whale_cvd_usd,
        whale_intent_cvd_usd=flow.whale_intent_cvd_usd,
        retail_cvd_usd=flow.retail_cvd_usd,
        whale_intensity=flow.whale_intensity,
        ofi=flow.ofi,
        taker_ratio=flow.taker_ratio,
        open_interest_usd=oi.open_interest_usd,
        oi_delta_5m_usd=oi.delta_usd,
        oi_change_pct=oi.change_pct,
        hurst=hurst,
        hurst_stderr=stderr,
        regime=regime,
        true_trend=trend,
    )
