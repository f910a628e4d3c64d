"""The generator: one UTC day (a chunk) at a time, every symbol, every data kind.

State (volatility, informed flow, cohorts, positioning, chain levels…) carries from one chunk to
the next, and each chunk's random numbers come from streams keyed by (seed, chunk, symbol,
component), so the stream is deterministic and unbounded: a dataset of N days is exactly the first
N chunks, and a paper session on the simulator can run for as long as it likes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bigalpha.data.sim import core
from bigalpha.data.sim.book import BookState, depth_ladder, place_walls, random_walls
from bigalpha.data.sim.chain import ChainState, health_factor, priority_fees, random_spikes
from bigalpha.data.sim.flows import expected_whale_gross, large_trades, minute_flow, whale_lead_term, whale_net
from bigalpha.data.sim.params import CHUNK_MINUTES, SimParams, SymbolParams, stream
from bigalpha.data.sim.positioning import FearGreedState, PositioningState, fear_greed, positioning
from bigalpha.data.sim.price import (
    Bursts,
    VolState,
    ar1_draw,
    intraday_profile,
    jumps,
    mix_factor,
    regime_noise,
    volatility,
)
from bigalpha.data.sim.scenarios import Scenario
from bigalpha.data.sim.schema import Frame
from bigalpha.data.sim.script import SymbolScript, fee_spikes, symbol_script

FloatArray = npt.NDArray[np.float64]

# Random-stream components (the last key of `stream`); never renumber, or every dataset changes.
K_COMMON, K_VOL, K_NOISE, K_INFORMED, K_LARGE, K_WICKS, K_OPENS, K_FLOW = range(8)
K_POS, K_BOOK, K_WALLS, K_FG, K_FEES, K_HF, K_INIT, K_JUMPS = range(8, 16)

MS_PER_MINUTE = 60_000
EPOCH_FIRST_EXPIRY_MINUTE = 1440 + 8 * 60  # Friday 1970-01-02 08:00 UTC: weekly options expire then
MINUTES_PER_WEEK = 7 * 1440
_WARM_ENTRIES = 600


@dataclass(slots=True)
class SymbolState:
    vol: VolState
    informed: float
    oi_flow: float
    whale_prev: tuple[float, ...]
    core: FloatArray
    long_b: FloatArray
    short_b: FloatArray
    positioning: PositioningState = field(default_factory=PositioningState)
    book: BookState = field(default_factory=BookState)


@dataclass(slots=True)
class MarketState:
    chunk: int
    symbols: list[SymbolState]
    fear_greed: FearGreedState = field(default_factory=FearGreedState)
    chain: ChainState = field(default_factory=ChainState)
    factor_day_return: float | None = None


def _decays(params: SimParams) -> tuple[float, float]:
    """Per-minute closing rates of all open interest and of the mapped leveraged cohorts."""
    return 1.0 / (params.position_hold_days * 1440.0), 1.0 / (params.leveraged_hold_days * 1440.0)


def _lev_distance(params: SimParams) -> tuple[FloatArray, FloatArray]:
    distance = 1.0 / np.asarray(params.leverages) - params.maintenance_margin
    weights = np.asarray(params.leverage_weights)
    return distance, weights / weights.sum()


def _initial_symbol(params: SimParams, index: int, sym: SymbolParams) -> SymbolState:
    """A market already in progress: cohorts opened around the start price over the past days."""
    rng = stream(params.seed, 0, index + 1, K_INIT)
    oi_decay, lev_decay = _decays(params)
    size = core.grid_size(params.heatmap_bucket)
    long_b, short_b = np.zeros(size), np.zeros(size)
    total = sym.open_interest_usd * oi_decay * params.leveraged_share / lev_decay
    origin = math.log(sym.start_price)
    entries = origin + rng.normal(0.0, 2.0 * sym.vol_1m * math.sqrt(1440.0), _WARM_ENTRIES)
    distance, weights = _lev_distance(params)
    amount = total / _WARM_ENTRIES
    for dist, weight in zip(distance, weights, strict=True):
        long_liq = entries + math.log(1.0 - dist)
        short_liq = entries + math.log(1.0 + dist)
        # A cohort the start price has already crossed would have been liquidated.
        for liq, book, keep in ((long_liq, long_b, long_liq < origin), (short_liq, short_b, short_liq > origin)):
            idx = np.clip(
                np.floor((liq[keep] - origin) / params.heatmap_bucket).astype(np.int64) + size // 2, 0, size - 1
            )
            np.add.at(book, idx, amount * weight)
    state = np.zeros(core.STATE_SIZE)
    state[core.S_LOGP] = origin
    state[core.S_SCALE] = 1.0
    state[core.S_OI] = sym.open_interest_usd
    state[core.S_MAX_PAIN] = max(round(sym.start_price / sym.strike_step), 1) * sym.strike_step
    state[core.S_MP_EMA] = sym.start_price
    return SymbolState(
        vol=VolState(), informed=0.0, oi_flow=0.0, whale_prev=(0.0, 0.0), core=state, long_b=long_b, short_b=short_b
    )


def initial_state(params: SimParams) -> MarketState:
    return MarketState(chunk=0, symbols=[_initial_symbol(params, i, s) for i, s in enumerate(params.symbols)])


@dataclass(frozen=True, slots=True)
class _SymbolChunk:
    frames: dict[str, Frame]
    close: FloatArray
    open_: FloatArray


def _minutes_to_expiry(first_epoch_minute: int, n: int) -> FloatArray:
    minutes = first_epoch_minute + np.arange(n)
    to_expiry: FloatArray = ((EPOCH_FIRST_EXPIRY_MINUTE - minutes) % MINUTES_PER_WEEK).astype(np.float64)
    return to_expiry


def _symbol_chunk(
    params: SimParams,
    index: int,
    sym: SymbolParams,
    st: SymbolState,
    chunk: int,
    common: FloatArray,
    script: SymbolScript,
) -> _SymbolChunk:
    n = CHUNK_MINUTES
    first = chunk * n
    seed, key = params.seed, index + 1
    start_epoch_minute = int(params.start.timestamp()) // 60
    season = intraday_profile(np.arange(n), params.intraday_amplitude)
    hurst, drift = params.regime_arrays(first, n)

    sigma = volatility(
        stream(seed, chunk, key, K_VOL), n, sym.vol_1m, season, st.vol,
        fast_minutes=params.vol_fast_minutes, fast_std=params.vol_fast_std,
        slow_minutes=params.vol_slow_minutes, slow_std=params.vol_slow_std,
        bursts=Bursts(params.bursts_per_day, params.burst_excess, params.burst_minutes),
    )  # fmt: skip
    activity = (sigma / sym.vol_1m) ** params.volume_vol_elasticity
    informed = ar1_draw(stream(seed, chunk, key, K_INFORMED), n, params.informed_minutes, 1.0, st.informed)
    st.informed = float(informed[-1])
    informed = np.where(np.isnan(script.informed), informed, script.informed)
    large = large_trades(stream(seed, chunk, key, K_LARGE), params, sym, activity, informed)
    gross = expected_whale_gross(params, sym, activity)
    lead, st.whale_prev = whale_lead_term(
        whale_net(large, n, params.whale_trade_usd), gross, st.whale_prev, params.whale_lead, params.whale_impact
    )
    own = regime_noise(stream(seed, chunk, key, K_NOISE), hurst)
    jump = jumps(stream(seed, chunk, key, K_JUMPS), n, params.jumps_per_day, params.jump_scale)
    base_r = sigma * (mix_factor(common, own, params.correlation) + lead + jump) + drift + script.drift

    wicks = stream(seed, chunk, key, K_WICKS).exponential(1.0, (2, n))
    oi_decay, lev_decay = _decays(params)
    flow_level = ar1_draw(stream(seed, chunk, key, K_OPENS), n, params.oi_flow_minutes, params.oi_flow_std, st.oi_flow)
    st.oi_flow = float(flow_level[-1])
    opens = sym.open_interest_usd * oi_decay * season * np.exp(flow_level - 0.5 * params.oi_flow_std**2)
    refresh = (first + np.arange(n)) % params.slow_refresh_minutes == 0
    distance, weights = _lev_distance(params)
    scalars = np.array([
        math.log(sym.start_price), params.heatmap_bucket, params.leveraged_share, lev_decay, oi_decay,
        params.cascade_impact, params.magnet_strength, params.max_pain_pull, params.heatmap_range, sym.strike_step,
        params.realized_share,
    ])  # fmt: skip
    inj = script.injection_arrays()
    out, heat_p, heat_u, mp = core.run_core(
        base_r, sigma, sym.volume_usd_per_min * activity, opens, wicks,
        _minutes_to_expiry(start_epoch_minute + first, n), refresh, script.matrix(), script.relative,
        inj[0], inj[1], inj[2], inj[3], distance, weights, scalars, st.long_b, st.short_b, st.core,
        params.heatmap_levels_per_side,
    )  # fmt: skip
    o, h, lo, c = out[core.OPEN], out[core.HIGH], out[core.LOW], out[core.CLOSE]
    liq_l, liq_s, oi = out[core.LIQ_LONG], out[core.LIQ_SHORT], out[core.OI]

    bars = (o, h, lo, c)
    flow, trades = minute_flow(
        stream(seed, chunk, key, K_FLOW), params, sym, bars, sigma, activity, large, (liq_l, liq_s), script.taker_share
    )
    pos = positioning(
        stream(seed, chunk, key, K_POS), params, sym, np.log(c / o), first, st.positioning,
        script.short_level, script.short_weight, script.spread,
    )  # fmt: skip
    ref_idx = np.flatnonzero(refresh)
    bids, asks = depth_ladder(stream(seed, chunk, key, K_BOOK), sym, sigma[ref_idx], st.book)
    walls = place_walls(random_walls(stream(seed, chunk, key, K_WALLS), sym, n) + script.walls, sym, h, lo, c)

    start_ms = int(params.start.timestamp() * 1000) + first * MS_PER_MINUTE
    bar_ts = start_ms + np.arange(n, dtype=np.int64) * MS_PER_MINUTE
    close_ts = bar_ts + MS_PER_MINUTE
    code = np.int16(index)
    frames: dict[str, Frame] = {
        "bars": {
            "symbol": np.full(n, code), "ts": bar_ts, "open": o, "high": h, "low": lo, "close": c,
            "volume": flow.volume, "taker_buy_volume": flow.taker_buy_volume,
            "whale_buy_usd": flow.whale_buy_usd, "whale_sell_usd": flow.whale_sell_usd,
            "whale_buy_count": flow.whale_buy_count, "whale_sell_count": flow.whale_sell_count,
            "liquidated_long_usd": liq_l, "liquidated_short_usd": liq_s, "regime_hurst": hurst,
        },
        "trades": {
            "symbol": np.full(trades.minute.size, code),
            "ts": bar_ts[trades.minute] + trades.second * 1000,
            "price": trades.price, "quantity": trades.quantity, "side": trades.is_buy.astype(np.int8),
        },
        "open_interest": {"symbol": np.full(n, code), "ts": close_ts, "open_interest_usd": oi},
        "funding": {
            "symbol": np.full(n, code), "ts": close_ts,
            "as_of": int(params.start.timestamp() * 1000) + (pos.funding_as_of + 1) * MS_PER_MINUTE,
            "binanceusdm": pos.funding[0], "okx": pos.funding[1],
        },
        "long_short": {
            "symbol": np.full(ref_idx.size, code), "ts": close_ts[ref_idx],
            "long_short_ratio": (1.0 - pos.short_share[ref_idx]) / pos.short_share[ref_idx],
            "short_share": pos.short_share[ref_idx],
        },
        "max_pain": {
            "symbol": np.full(ref_idx.size, code), "ts": close_ts[ref_idx], "max_pain": mp,
            "expiry": close_ts[ref_idx] + (_minutes_to_expiry(start_epoch_minute + first, n)[ref_idx] - 1).astype(np.int64)
            * MS_PER_MINUTE,
        },
        "liquidation_heatmap": _heatmap_frame(code, close_ts[ref_idx], heat_p, heat_u, params.heatmap_levels_per_side),
        "book_depth": _book_frame(code, close_ts[ref_idx], bids, asks),
        "book_walls": {
            "symbol": np.full(walls.price.size, code), "side": walls.is_ask.astype(np.int8), "price": walls.price,
            "notional_usd": walls.notional_usd, "start": bar_ts[walls.start_minute],
            "end": start_ms + walls.end_minute * MS_PER_MINUTE,
        },
    }  # fmt: skip
    return _SymbolChunk(frames=frames, close=c, open_=o)


def _heatmap_frame(code: np.int16, ts: npt.NDArray[np.int64], price: FloatArray, usd: FloatArray, k: int) -> Frame:
    side = np.broadcast_to(np.repeat(np.array([0, 1], dtype=np.int8), k), price.shape)
    stamp = np.broadcast_to(ts[:, None], price.shape)
    keep = usd > 0.0
    # Within a refresh, levels go up in price: long cohorts (below) first, then short cohorts.
    frame: Frame = {
        "symbol": np.full(int(keep.sum()), code),
        "ts": stamp[keep],
        "side": side[keep],
        "price": price[keep],
        "liquidation_usd": usd[keep],
    }
    order = np.lexsort((frame["price"], frame["ts"]))
    return {name: col[order] for name, col in frame.items()}


def _book_frame(
    code: np.int16, ts: npt.NDArray[np.int64], bids: npt.NDArray[np.float32], asks: npt.NDArray[np.float32]
) -> Frame:
    frame: Frame = {"symbol": np.full(ts.size, code), "ts": ts}
    for i in range(bids.shape[1]):
        frame[f"bid_usd_{i}"] = np.ascontiguousarray(bids[:, i])
    for i in range(asks.shape[1]):
        frame[f"ask_usd_{i}"] = np.ascontiguousarray(asks[:, i])
    return frame


def _factor_index(params: SimParams, preferred: str) -> int:
    names = params.symbol_names()
    return names.index(preferred) if preferred in names else 0


def generate_chunk(params: SimParams, scenario: Scenario | None, state: MarketState) -> dict[str, Frame]:
    """The next day of market data (`state.chunk`), as frames sorted by (symbol, ts); advances `state`."""
    chunk = state.chunk
    n = CHUNK_MINUTES
    first = chunk * n
    hurst, _ = params.regime_arrays(first, n)
    common = regime_noise(stream(params.seed, chunk, 0, K_COMMON), hurst)
    per_symbol = [
        _symbol_chunk(params, i, sym, state.symbols[i], chunk, common, symbol_script(scenario, sym.symbol, first, n))
        for i, sym in enumerate(params.symbols)
    ]
    frames = {name: _concat([p.frames[name] for p in per_symbol]) for name in per_symbol[0].frames}

    start_ms = int(params.start.timestamp() * 1000) + first * MS_PER_MINUTE
    close_ts = start_ms + (np.arange(n, dtype=np.int64) + 1) * MS_PER_MINUTE
    factor = _factor_index(params, "BTC")
    fg_value = fear_greed(
        stream(params.seed, chunk, 0, K_FG), state.fear_greed, state.factor_day_return,
        params.symbols[factor].vol_1m * math.sqrt(1440.0),
    )  # fmt: skip
    frames["fear_greed"] = {"ts": np.array([start_ms], dtype=np.int64), "value": np.array([fg_value])}
    state.factor_day_return = float(math.log(per_symbol[factor].close[-1] / per_symbol[factor].open_[0]))

    season = intraday_profile(np.arange(n), params.intraday_amplitude)
    rng_fees = stream(params.seed, chunk, 0, K_FEES)
    spikes = random_spikes(rng_fees, params, n) + fee_spikes(scenario, first, n)
    p50, jito = priority_fees(rng_fees, params, season, spikes, state.chain)
    frames["priority_fees"] = {"ts": close_ts, "p50_micro_lamports": p50, "jito_tip_lamports": jito}
    eth = per_symbol[_factor_index(params, "ETH")].close
    hf = health_factor(stream(params.seed, chunk, 0, K_HF), params, eth, state.chain)
    frames["health_factor"] = {"ts": close_ts, "health_factor": hf}
    state.chunk += 1
    return frames


def _concat(frames: list[Frame]) -> Frame:
    return {name: np.concatenate([f[name] for f in frames]) for name in frames[0]}


def iter_chunks(params: SimParams, scenario: Scenario | None = None) -> Iterator[dict[str, Frame]]:
    """Day after day of market data, forever; `params` must already include the scenario's changes."""
    state = initial_state(params)
    while True:
        yield generate_chunk(params, scenario, state)


ProgressCallback = Callable[[int, int], None]
"""Called after each generated day with (days done, days total)."""
