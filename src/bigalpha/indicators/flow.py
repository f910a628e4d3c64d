"""Order-flow indicators over 1-minute bars: CVD, whale CVD, whale intent, whale intensity, retail OFI, taker ratio.

Rules: A-CVD-1, A-WHALE-1, A-WHALE-2, A-OFI-1, A-TAKER-1 (and the whale-intent input of G-WHALE-3).

Every function takes whole arrays (one element per bar, oldest first) and returns one value per bar, NaN
where the value is unknown. A backtest calls them once over its history; the live `ContextBuilder` calls
the very same functions over its trailing buffer and keeps the last element, so both see the same number.

Definitions (all flow in USD: base volume × the bar's close, or the trade's own notional):

- per-bar delta = taker buy − taker sell; CVD = the sum of the deltas over `cvd_window` bars (A-CVD-1);
- whale flow of a bar (A-WHALE-1): where trade sizes exist, the trades whose notional is at least the whale
  threshold; otherwise the whole bar when its volume exceeds `whale_volume_multiple` × the average volume
  of the `whale_volume_lookback` bars before it (a bar without sizes and without that history is unjudged);
- whale CVD = the sum of whale deltas over `cvd_window` bars, known only when every bar of the window is judged;
- whale intent CVD = the sum of trade-based whale deltas over `whale_intent_window` bars, known only when
  every bar of that window has trade sizes (G-WHALE-3 never reads the volume-spike proxy);
- retail flow of a bar = its taker flow minus its whale flow, floored at zero per side; retail CVD sums it;
- whale intensity (A-WHALE-2), 0–100 = 100 × (w × min(1, share / share_full) + (1 − w) × spike) where
  share = whale gross flow / gross flow over the CVD window and spike = clip((recent / average − 1) /
  (whale_volume_multiple − 1), 0, 1), recent being the mean volume of the last `whale_intensity_recent_bars`;
- retail OFI (A-OFI-1), in [−1, 1] = w × (retail buy − retail sell) / (retail buy + retail sell) over
  `ofi_window_minutes` + (1 − w) × (bid − ask) / (bid + ask) over the top `ofi_book_levels` book levels
  of the current snapshot; unknown without a book (unless w = 1);
- taker ratio (A-TAKER-1) = taker buy volume / taker sell volume over `taker_window_minutes` bars;
  unknown when no taker sell volume traded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from bigalpha.config.indicators import IndicatorsConfig
from bigalpha.domain import OrderSide, Trade

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


class FlowDirection(StrEnum):
    """Which way a CVD points."""

    BUY = "BUY"
    SELL = "SELL"
    NEUTRAL = "NEUTRAL"


class IntensityBand(StrEnum):
    """Whale-intensity bands (A-WHALE-2): green, yellow, red on the dashboard."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class FlowInputs:
    """Per-bar inputs of the flow indicators, oldest first; all arrays have the same length.

    `trade_whale_buy_usd` / `trade_whale_sell_usd` are 0 where `has_trade_sizes` is false; `book_bid_qty` /
    `book_ask_qty` are NaN where the order book was unavailable.
    """

    close: FloatArray
    volume: FloatArray
    taker_buy: FloatArray
    has_trade_sizes: BoolArray
    trade_whale_buy_usd: FloatArray
    trade_whale_sell_usd: FloatArray
    book_bid_qty: FloatArray
    book_ask_qty: FloatArray

    def __post_init__(self) -> None:
        n = self.close.shape[0]
        for name in ("volume", "taker_buy", "has_trade_sizes", "trade_whale_buy_usd", "trade_whale_sell_usd"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"FlowInputs.{name} has shape {getattr(self, name).shape}, expected ({n},)")
        for name in ("book_bid_qty", "book_ask_qty"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"FlowInputs.{name} has shape {getattr(self, name).shape}, expected ({n},)")

    def __len__(self) -> int:
        return int(self.close.shape[0])


@dataclass(frozen=True, slots=True)
class FlowColumns:
    """One value per bar of every flow indicator; NaN where unknown."""

    cvd_usd: FloatArray
    whale_cvd_usd: FloatArray
    whale_intent_cvd_usd: FloatArray
    retail_cvd_usd: FloatArray
    whale_intensity: FloatArray
    ofi: FloatArray
    taker_ratio: FloatArray


def rolling_sum(values: npt.ArrayLike, window: int, *, last: int | None = None) -> FloatArray:
    """Sum of each trailing run of `window` values (per column, for a 2-D array of columns); NaN for the first
    `window − 1` elements. With `last`, only the final `last` sums are computed (the others are NaN): the live
    builder needs one row, a backtest needs them all, and each computed sum is the same number either way.

    Each sum is computed from its own window, never as a difference of running totals, so a sum that is
    exactly zero stays exactly zero (a neutral whale CVD must not turn into ±1e-9 of rounding).
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    x = np.asarray(values, dtype=np.float64)
    n = x.shape[0]
    out = np.full(x.shape, np.nan)
    rows = n - window + 1 if last is None else min(last, n - window + 1)
    if rows <= 0:
        return out
    tail = x[n - rows - window + 1 :]
    if x.ndim == 1:
        out[n - rows :] = _window_sums(tail, rows, window)
        return out
    # A column at a time: a sum depends on its own column only, and a whole history of several columns then costs
    # one column's copy instead of two copies of them all (a million bars × 6 columns: ~100 MB less at the peak).
    for j in range(x.shape[1]):
        out[n - rows :, j] = _window_sums(tail[:, j], rows, window)
    return out


def _window_sums(column: FloatArray, rows: int, window: int) -> FloatArray:
    # Windows along a contiguous axis, so every window is reduced the same way whatever `last` is.
    contiguous = np.ascontiguousarray(column)
    stride = contiguous.strides[0]
    windows = np.lib.stride_tricks.as_strided(
        contiguous, shape=(rows, window), strides=(stride, stride), writeable=False
    )
    sums: FloatArray = windows.sum(axis=-1)
    return sums


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """numerator / denominator, NaN where the denominator is zero or either is NaN."""
    out = np.full(numerator.shape[0], np.nan)
    # A subnormal denominator may overflow to inf; every caller bounds or clips the result.
    with np.errstate(over="ignore", invalid="ignore"):
        np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def whale_trade_flow(trades: Iterable[Trade], threshold_usd: float) -> tuple[float, float]:
    """(taker-buy, taker-sell) notional of the trades at or above the whale threshold (A-WHALE-1)."""
    buy = 0.0
    sell = 0.0
    for trade in trades:
        notional = trade.price * trade.quantity
        if notional >= threshold_usd:
            if trade.side is OrderSide.BUY:
                buy += notional
            else:
                sell += notional
    return buy, sell


def aggregate_whale_trades(
    notional_usd: npt.ArrayLike,
    is_buy: npt.ArrayLike,
    bar_index: npt.ArrayLike,
    n_bars: int,
    threshold_usd: float,
) -> tuple[FloatArray, FloatArray]:
    """Vectorized `whale_trade_flow` for a whole history of trades, each tagged with its bar's index."""
    notional = np.asarray(notional_usd, dtype=np.float64)
    buys = np.asarray(is_buy, dtype=np.bool_)
    # The bar indices keep their integer type (a history's trades table is the largest array of a backtest: no
    # widened copy of it); only the whale rows picked out are converted, by `bincount` itself.
    bars = np.asarray(bar_index)
    if not np.issubdtype(bars.dtype, np.integer):
        bars = bars.astype(np.int64)  # an empty list comes as floats
    whale = notional >= threshold_usd
    whale_buy = whale & buys
    whale_sell = np.logical_and(whale, ~buys, out=whale)
    # Weighted counts are float64 already: `copy=False` makes no history-long copy of them.
    buy = np.bincount(bars[whale_buy], weights=notional[whale_buy], minlength=n_bars).astype(np.float64, copy=False)
    sell = np.bincount(bars[whale_sell], weights=notional[whale_sell], minlength=n_bars).astype(np.float64, copy=False)
    return buy[:n_bars], sell[:n_bars]


def _prior_average(volume: FloatArray, lookback: int) -> FloatArray:
    """Average volume of the `lookback` bars before each bar; NaN without that much history."""
    out = np.full(volume.shape[0], np.nan)
    out[1:] = rolling_sum(volume[:-1], lookback) / lookback
    return out


def _volume_spikes(volume: FloatArray, cfg: IndicatorsConfig) -> BoolArray:
    """A-WHALE-1's proxy test: volume above `whale_volume_multiple` × the average of the bars before."""
    prior = _prior_average(volume, cfg.whale_volume_lookback)
    with np.errstate(invalid="ignore"):
        spike: BoolArray = volume > cfg.whale_volume_multiple * prior  # NaN history compares False
    return spike


def _intent_columns(inputs: FlowInputs, cfg: IndicatorsConfig, last: int | None) -> FloatArray:
    """Whale intent CVD: trade-based whale deltas over `whale_intent_window`, where every bar has trade sizes."""
    sizes = inputs.has_trade_sizes
    window = cfg.whale_intent_window
    delta = np.where(sizes, inputs.trade_whale_buy_usd - inputs.trade_whale_sell_usd, 0.0)
    total = rolling_sum(delta, window, last=last)
    del delta
    intent: FloatArray = np.where(rolling_sum(sizes, window, last=last) == window, total, np.nan)
    return intent


def _intensity_columns(
    inputs: FlowInputs, cfg: IndicatorsConfig, whale_gross: FloatArray, whale_cvd: FloatArray, last: int | None
) -> FloatArray:
    """A-WHALE-2: share of gross flow that is whale flow, and how far recent volume runs above average."""
    window = cfg.cvd_window
    volume_usd = inputs.volume * inputs.close
    gross = rolling_sum(volume_usd, window, last=last)
    share = np.where(gross > 0, _ratio(whale_gross, gross), 0.0)
    average = gross / window
    del gross
    recent = rolling_sum(volume_usd, cfg.whale_intensity_recent_bars, last=last) / cfg.whale_intensity_recent_bars
    del volume_usd
    volume_ratio = np.where(average > 0, _ratio(recent, average), 0.0)
    del average, recent
    spike_score = np.clip((volume_ratio - 1.0) / (cfg.whale_volume_multiple - 1.0), 0.0, 1.0)
    share_score = np.minimum(share / cfg.whale_share_full_scale, 1.0)
    del volume_ratio, share
    weight = cfg.whale_intensity_share_weight
    intensity = 100.0 * (weight * share_score + (1.0 - weight) * spike_score)
    out: FloatArray = np.where(np.isnan(whale_cvd), np.nan, np.clip(intensity, 0.0, 100.0))
    return out


def flow_columns(inputs: FlowInputs, cfg: IndicatorsConfig, *, last: int | None = None) -> FlowColumns:
    """Every flow indicator at every bar (see the module docstring for the definitions); with `last`, only
    the final `last` bars are computed (the live builder asks for one) and the rest are NaN."""
    # Over a whole history every array here is a column of the run's length: each window sum is taken on its own
    # (`rolling_sum` sums a column at a time anyway, so the floats are those of summing them stacked) and each
    # intermediate is released after its last use, so that a few such columns, not a dozen, are alive at once (at a
    # million bars stacking them cost ~140 MB at the backtest's peak).
    n = len(inputs)
    close = inputs.close
    window = cfg.cvd_window
    buy_usd = inputs.taker_buy * close
    sell_usd = (inputs.volume - inputs.taker_buy) * close

    # A-WHALE-1: trade sizes where they exist, else the volume-spike proxy.
    sizes = inputs.has_trade_sizes
    judged = sizes | (np.arange(n) >= cfg.whale_volume_lookback)
    proxy = judged & ~sizes & _volume_spikes(inputs.volume, cfg)
    whale_buy = np.where(sizes, inputs.trade_whale_buy_usd, np.where(proxy, buy_usd, 0.0))
    whale_sell = np.where(sizes, inputs.trade_whale_sell_usd, np.where(proxy, sell_usd, 0.0))
    del proxy
    cvd = rolling_sum(buy_usd - sell_usd, window, last=last)
    retail_buy = np.maximum(buy_usd - whale_buy, 0.0)
    retail_sell = np.maximum(sell_usd - whale_sell, 0.0)
    del buy_usd, sell_usd
    judged_full = rolling_sum(judged, window, last=last) == window
    whale_cvd = np.where(judged_full, rolling_sum(whale_buy - whale_sell, window, last=last), np.nan)
    whale_gross = rolling_sum(whale_buy + whale_sell, window, last=last)
    del whale_buy, whale_sell
    retail_cvd = np.where(judged_full, rolling_sum(retail_buy - retail_sell, window, last=last), np.nan)
    del judged_full
    intent = _intent_columns(inputs, cfg, last)
    intensity = _intensity_columns(inputs, cfg, whale_gross, whale_cvd, last)
    del whale_gross

    # A-OFI-1: retail taker imbalance blended with top-of-book imbalance.
    ofi_window = cfg.ofi_window_minutes
    r_buy = rolling_sum(retail_buy, ofi_window, last=last)
    del retail_buy
    r_sell = rolling_sum(retail_sell, ofi_window, last=last)
    del retail_sell
    ofi_judged = rolling_sum(judged, ofi_window, last=last) == ofi_window
    taker_imbalance = np.where(ofi_judged, _ratio(r_buy - r_sell, r_buy + r_sell), np.nan)
    del r_buy, r_sell, ofi_judged
    w = cfg.ofi_taker_weight
    if w >= 1.0:
        ofi = taker_imbalance
    else:
        bid, ask = inputs.book_bid_qty, inputs.book_ask_qty
        book_imbalance = _ratio(bid - ask, bid + ask)
        ofi = w * taker_imbalance + (1.0 - w) * book_imbalance
    ofi = np.clip(ofi, -1.0, 1.0)

    # A-TAKER-1: base-volume ratio over the taker window.
    taker_window = cfg.taker_window_minutes
    taker_buy = rolling_sum(inputs.taker_buy, taker_window, last=last)
    taker_ratio = _ratio(taker_buy, rolling_sum(inputs.volume - inputs.taker_buy, taker_window, last=last))
    return FlowColumns(
        cvd_usd=cvd,
        whale_cvd_usd=whale_cvd,
        whale_intent_cvd_usd=intent,
        retail_cvd_usd=retail_cvd,
        whale_intensity=intensity,
        ofi=ofi,
        taker_ratio=taker_ratio,
    )


def flow_direction(cvd_usd: float | None, neutral_within_usd: float) -> FlowDirection | None:
    """BUY above +neutral_within_usd, SELL below −neutral_within_usd, else NEUTRAL; None when unknown."""
    if cvd_usd is None or math.isnan(cvd_usd):
        return None
    if cvd_usd > neutral_within_usd:
        return FlowDirection.BUY
    if cvd_usd < -neutral_within_usd:
        return FlowDirection.SELL
    return FlowDirection.NEUTRAL


def intensity_band(intensity: float | None, *, high: float, moderate: float) -> IntensityBand | None:
    """A-WHALE-2: high at or above `high`, moderate at or above `moderate`, else low; None when unknown."""
    if intensity is None or math.isnan(intensity):
        return None
    if intensity >= high:
        return IntensityBand.HIGH
    if intensity >= moderate:
        return IntensityBand.MODERATE
    return IntensityBand.LOW
