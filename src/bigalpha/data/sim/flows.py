"""Order flow: the informed signal, large (whale) trades, retail trades, volume and taker flow.

Whale trades are drawn before prices, from an informed signal that also moves the next minutes'
returns (`whale_lead`), so whale net flow leads price a little, as it does in real markets. Volume
and the retail taker split are drawn after prices: busier and more one-sided when price moves.

Storage (docs/simulator.md): every trade at or above `large_trade_usd` is kept one by one, plus
`retail_sample_per_min` small trades per minute; everything else exists only in the per-minute
aggregates (volume, taker buy volume). The whale aggregates (≥ `whale_trade_usd`) are sums over the
stored trades, so a snapshot's `Trade` objects match them exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bigalpha.data.sim.params import SimParams, SymbolParams

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_NOTIONAL_CAP = 400.0  # the largest trade is 400 × large_trade_usd ($20M by default)


@dataclass(frozen=True, slots=True)
class LargeTrades:
    """Large trades of one chunk, sorted by (minute, second)."""

    minute: IntArray  # minute index within the chunk
    second: IntArray  # 0-59
    notional: FloatArray  # USD
    is_buy: BoolArray


def large_trades(
    rng: np.random.Generator, params: SimParams, sym: SymbolParams, activity: FloatArray, informed: FloatArray
) -> LargeTrades:
    """Counts Poisson in activity, notionals Pareto, sides tilted by the informed signal."""
    n = activity.size
    counts = np.minimum(rng.poisson(sym.large_trades_per_min * activity), params.large_trade_cap_per_min)
    minute = np.repeat(np.arange(n, dtype=np.int64), counts)
    total = minute.size
    uniform = rng.random(total)
    notional = params.large_trade_usd * (1.0 - uniform) ** (-1.0 / params.large_trade_alpha)
    notional = np.minimum(notional, _NOTIONAL_CAP * params.large_trade_usd)
    p_buy = 0.5 + params.whale_side_bias * np.tanh(informed[minute])
    is_buy = rng.random(total) < p_buy
    second = rng.integers(0, 60, total).astype(np.int64)
    order = np.lexsort((second, minute))
    return LargeTrades(minute=minute[order], second=second[order], notional=notional[order], is_buy=is_buy[order])


def expected_whale_gross(params: SimParams, sym: SymbolParams, activity: FloatArray) -> FloatArray:
    """Expected whale notional (buys + sells) per minute, used to normalise whale net flow."""
    alpha = params.large_trade_alpha
    share = (params.whale_trade_usd / params.large_trade_usd) ** -alpha
    mean_size = params.whale_trade_usd * alpha / (alpha - 1.0)
    gross: FloatArray = sym.large_trades_per_min * activity * share * mean_size
    return gross


def per_minute(minute: IntArray, weights: npt.NDArray[np.float64] | BoolArray, n: int) -> FloatArray:
    """Sum of `weights` per minute index, for minutes 0 … n − 1."""
    return np.bincount(minute, weights=weights, minlength=n).astype(np.float64)


def whale_net(trades: LargeTrades, n: int, whale_usd: float) -> FloatArray:
    whale = trades.notional >= whale_usd
    signed = np.where(trades.is_buy, trades.notional, -trades.notional) * whale
    return per_minute(trades.minute, signed, n)


LEAD_KERNEL = (1.0, 0.5)
"""Weights of a minute's whale flow in the returns of the next 1 and 2 minutes (× `whale_lead`)."""


def whale_lead_term(
    net: FloatArray, gross: FloatArray, previous: tuple[float, ...], lead: float, impact: float
) -> tuple[FloatArray, tuple[float, ...]]:
    """Return impulse, in σ units, of whale net flow: `impact` in its own minute, then `lead` spread over
    the next minutes by LEAD_KERNEL. `previous` holds the last normalised flows of the chunk before."""
    normalised = np.clip(net / np.maximum(gross, 1e-9), -3.0, 3.0)
    depth = len(LEAD_KERNEL)
    history = np.concatenate([np.asarray(previous, dtype=np.float64), normalised])
    n = normalised.size
    impulse = impact * normalised
    for k, weight in enumerate(LEAD_KERNEL, start=1):
        impulse = impulse + lead * weight * history[depth - k : depth - k + n]
    return impulse, tuple(float(x) for x in history[-depth:])


@dataclass(frozen=True, slots=True)
class MinuteFlow:
    """Per-minute flow aggregates of one symbol and chunk."""

    volume: FloatArray  # base units
    taker_buy_volume: FloatArray  # base units
    whale_buy_usd: FloatArray
    whale_sell_usd: FloatArray
    whale_buy_count: npt.NDArray[np.int32]
    whale_sell_count: npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class TradeRows:
    """Stored trades of one symbol and chunk, time-ordered."""

    minute: IntArray
    second: IntArray
    price: FloatArray
    quantity: FloatArray
    is_buy: BoolArray


def retail_buy_share(rng: np.random.Generator, params: SimParams, returns: FloatArray, sigma: FloatArray) -> FloatArray:
    noise = rng.normal(0.0, 0.04, returns.size)
    share: FloatArray = np.clip(0.5 + params.taker_sensitivity * np.tanh(returns / (2.0 * sigma)) + noise, 0.05, 0.95)
    return share


def trade_prices(
    rng: np.random.Generator,
    minute: IntArray,
    second: IntArray,
    bars: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
) -> FloatArray:
    """A price inside each trade's bar, near the open-to-close path at that second."""
    open_, high, low, close = (b[minute] for b in bars)
    path = open_ + (close - open_) * (second / 59.0)
    jitter = (high - low) * 0.3 * (rng.random(minute.size) - 0.5)
    price: FloatArray = np.clip(path + jitter, low, high)
    return price


def minute_flow(
    rng: np.random.Generator,
    params: SimParams,
    sym: SymbolParams,
    bars: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    sigma: FloatArray,
    activity: FloatArray,
    large: LargeTrades,
    liquidations: tuple[FloatArray, FloatArray],
    share_override: FloatArray,
) -> tuple[MinuteFlow, TradeRows]:
    """Volume and taker split coherent with the bar, the large trades and the liquidations."""
    open_, high, low, close = bars
    n = close.size
    returns = np.log(close / open_)
    typical = (high + low + close) / 3.0
    liq_long, liq_short = liquidations

    noise = np.exp(rng.normal(-0.5 * params.volume_noise**2, params.volume_noise, n))
    retail_usd = (
        sym.volume_usd_per_min
        * activity
        * (1.0 + params.volume_return_factor * np.abs(returns) / sigma)
        / (1.0 + params.volume_return_factor * math.sqrt(2.0 / math.pi))
        * noise
    )
    buy_share = retail_buy_share(rng, params, returns, sigma)
    buy_share = np.where(np.isnan(share_override), buy_share, share_override)

    k = params.retail_sample_per_min
    r_minute = np.repeat(np.arange(n, dtype=np.int64), k)
    r_second = rng.integers(0, 60, r_minute.size).astype(np.int64)
    r_notional = np.minimum(np.exp(rng.normal(math.log(3000.0), 1.2, r_minute.size)), 0.9 * params.large_trade_usd)
    r_buy = rng.random(r_minute.size) < buy_share[r_minute]

    minute = np.concatenate([large.minute, r_minute])
    second = np.concatenate([large.second, r_second])
    notional = np.concatenate([large.notional, r_notional])
    is_buy = np.concatenate([large.is_buy, r_buy])
    order = np.lexsort((second, minute))
    minute, second, notional, is_buy = minute[order], second[order], notional[order], is_buy[order]
    price = trade_prices(rng, minute, second, bars)
    quantity = notional / price
    # Stored trades are part of the minute's flow on top of the unsampled retail flow, so the
    # taker buy volume always covers the stored buys.
    buy_qty = per_minute(minute, quantity * is_buy, n)
    sell_qty = per_minute(minute, quantity * ~is_buy, n)

    # Liquidations are market orders: a long liquidated is a taker sell, a short a taker buy.
    volume = (retail_usd + liq_long + liq_short) / typical + buy_qty + sell_qty
    taker_buy = (retail_usd * buy_share + liq_short) / typical + buy_qty

    whale = notional >= params.whale_trade_usd
    wb = whale & is_buy
    ws = whale & ~is_buy
    flow = MinuteFlow(
        volume=volume,
        taker_buy_volume=taker_buy,
        whale_buy_usd=per_minute(minute, notional * wb, n),
        whale_sell_usd=per_minute(minute, notional * ws, n),
        whale_buy_count=per_minute(minute, wb, n).astype(np.int32),
        whale_sell_count=per_minute(minute, ws, n).astype(np.int32),
    )
    rows = TradeRows(minute=minute, second=second, price=price, quantity=quantity, is_buy=is_buy)
    return flow, rows
