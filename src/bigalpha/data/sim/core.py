"""The sequential heart of the simulator (Numba): price, leveraged cohorts and their liquidations.

Why a loop: liquidations depend on the price path and move it in turn (a cascade), and price is
drawn toward large nearby clusters and toward max pain at expiry, so each minute needs the state
left by the previous one.

Cohorts live in two histograms over a log-price grid (bucket width `heatmap_bucket`, ±3 in log
price around the symbol's start price): every minute, a share of newly opened notional is spread over
the leverage mix, a long cohort at entry × (1 − 1/L + mm) and a short cohort at entry × (1 + 1/L − mm).
Cohorts decay as positions are closed voluntarily; a bucket the bar's range crosses is liquidated
(removed, its notional becomes liquidation volume) and pushes the next minute's return.

Decay of every bucket each minute would cost O(grid) per minute; instead buckets are stored divided
by a running scale S (S ×= 1 − decay each minute, stored = value / S) and renormalised per chunk.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

GRID_HALF_WIDTH_LOG = 3.0

# Layout of the scalar state vector carried from chunk to chunk.
S_LOGP = 0  # log of the last close
S_SCALE = 1  # bucket scale S
S_OI = 2  # open interest, USD
S_PUSH = 3  # return to add to the next minute (cascade), log units
S_MAGNET = 4  # current magnet imbalance in [-1, 1]
S_MAX_PAIN = 5  # current max pain
S_MP_EMA = 6  # slow average of price that max pain follows
STATE_SIZE = 7

MP_EMA_MINUTES = 2880.0
MAGNET_RANGE = 0.03
MAGNET_SCALE = 0.01


@numba.njit(cache=True)
def _bucket(logp: float, origin: float, width: float, size: int) -> int:
    idx = math.floor((logp - origin) / width) + size // 2
    return min(max(idx, 0), size - 1)


@numba.njit(cache=True)
def _bucket_price(idx: int, origin: float, width: float, size: int) -> float:
    return math.exp(origin + (idx - size // 2 + 0.5) * width)


@numba.njit(cache=True)
def _top_k(
    values: FloatArray,
    lo: int,
    hi: int,
    k: int,
    scale: float,
    origin: float,
    width: float,
    out_price: FloatArray,
    out_usd: FloatArray,
    offset: int,
) -> None:
    """The k largest buckets in [lo, hi] into out[offset : offset + k] (zeros where fewer)."""
    for j in range(k):
        out_price[offset + j] = 0.0
        out_usd[offset + j] = 0.0
    size = values.size
    for idx in range(max(lo, 0), min(hi, size - 1) + 1):
        usd = values[idx] * scale
        if usd <= out_usd[offset + k - 1]:
            continue
        j = k - 1
        while j > 0 and out_usd[offset + j - 1] < usd:
            out_usd[offset + j] = out_usd[offset + j - 1]
            out_price[offset + j] = out_price[offset + j - 1]
            j -= 1
        out_usd[offset + j] = usd
        out_price[offset + j] = _bucket_price(idx, origin, width, size)


@numba.njit(cache=True)
def _magnet(long_b: FloatArray, short_b: FloatArray, logp: float, origin: float, width: float) -> float:
    """Imbalance of nearby liquidation notional: +1 all above (short side), −1 all below."""
    size = long_b.size
    lo = _bucket(logp - MAGNET_RANGE, origin, width, size)
    hi = _bucket(logp + MAGNET_RANGE, origin, width, size)
    up = 0.0
    down = 0.0
    for idx in range(lo, hi + 1):
        distance = abs(origin + (idx - size // 2 + 0.5) * width - logp)
        weight = math.exp(-distance / MAGNET_SCALE)
        up += short_b[idx] * weight
        down += long_b[idx] * weight
    total = up + down
    if total <= 0.0:
        return 0.0
    return (up - down) / total


@numba.njit(cache=True)
def _liquidate(
    long_b: FloatArray, short_b: FloatArray, log_lo: float, log_hi: float, origin: float, width: float, scale: float
) -> tuple[float, float]:
    """Remove every cohort within the bar's range; returns the long and short notional removed."""
    size = long_b.size
    ll = 0.0
    ls = 0.0
    for idx in range(_bucket(log_lo, origin, width, size), _bucket(log_hi, origin, width, size) + 1):
        centre = origin + (idx - size // 2 + 0.5) * width
        if long_b[idx] > 0.0 and centre >= log_lo:
            ll += long_b[idx] * scale
            long_b[idx] = 0.0
        if short_b[idx] > 0.0 and centre <= log_hi:
            ls += short_b[idx] * scale
            short_b[idx] = 0.0
    return ll, ls


@numba.njit(cache=True)
def _open_cohorts(
    long_b: FloatArray,
    short_b: FloatArray,
    logp: float,
    stored_usd: float,
    lev_distance: FloatArray,
    lev_weight: FloatArray,
    origin: float,
    width: float,
) -> None:
    size = long_b.size
    for j in range(lev_distance.size):
        amount = stored_usd * lev_weight[j]
        long_b[_bucket(logp + math.log(1.0 - lev_distance[j]), origin, width, size)] += amount
        short_b[_bucket(logp + math.log(1.0 + lev_distance[j]), origin, width, size)] += amount


@numba.njit(cache=True)
def _inject(
    i: int,
    inj: int,
    inj_minute: IntArray,
    inj_side: IntArray,
    inj_rel: FloatArray,
    inj_usd: FloatArray,
    long_b: FloatArray,
    short_b: FloatArray,
    logp: float,
    scale: float,
    origin: float,
    width: float,
) -> int:
    """Add the scripted clusters of minute i; returns the index of the next pending injection."""
    size = long_b.size
    while inj < inj_minute.size and inj_minute[inj] <= i:
        if inj_minute[inj] == i:
            target = _bucket(logp + math.log(1.0 + inj_rel[inj]), origin, width, size)
            if inj_side[inj] > 0:
                short_b[target] += inj_usd[inj] / scale
            else:
                long_b[target] += inj_usd[inj] / scale
        inj += 1
    return inj


@numba.njit(cache=True)
def _step_max_pain(max_pain: float, mp_ema: float, strike: float) -> float:
    """Max pain follows a slow average of price in whole strikes, one strike per refresh at most."""
    target = round(mp_ema / strike) * strike
    if target > max_pain:
        max_pain += strike
    elif target < max_pain:
        max_pain -= strike
    return max(max_pain, strike)


@numba.njit(cache=True)
def _heatmap(
    long_b: FloatArray,
    short_b: FloatArray,
    logp: float,
    heat_range: float,
    scale: float,
    origin: float,
    width: float,
    out_price: FloatArray,
    out_usd: FloatArray,
    k: int,
) -> None:
    """The k largest long cohorts below price and k largest short cohorts above, within the range."""
    size = long_b.size
    b_low = _bucket(logp + math.log(1.0 - heat_range), origin, width, size)
    b_mid = _bucket(logp, origin, width, size)
    b_high = _bucket(logp + math.log(1.0 + heat_range), origin, width, size)
    _top_k(long_b, b_low, b_mid, k, scale, origin, width, out_price, out_usd, 0)
    _top_k(short_b, b_mid, b_high, k, scale, origin, width, out_price, out_usd, k)


# Rows of the per-minute output matrix of `run_core`.
OPEN, HIGH, LOW, CLOSE, LIQ_LONG, LIQ_SHORT, OI = range(7)
# Rows of the per-minute script matrix (NaN: free).
SC_CLOSE, SC_HIGH, SC_LOW, SC_BRIDGE_TARGET, SC_BRIDGE_LEFT = range(5)


@numba.njit(cache=True)
def _draw_bar(
    open_p: float, r: float, s: float, high_ext: float, low_ext: float, script: FloatArray, i: int, unit: float
) -> tuple[float, float, float]:
    """High, low and close of one bar: free from the return r, or as scripted (in `unit`s of price)."""
    close_p = math.exp(math.log(open_p) + r)
    if not math.isnan(script[SC_CLOSE, i]):
        close_p = unit * script[SC_CLOSE, i]
    hi_p = max(open_p, close_p) * math.exp(0.5 * s * high_ext)
    lo_p = min(open_p, close_p) * math.exp(-0.5 * s * low_ext)
    if not math.isnan(script[SC_HIGH, i]):
        hi_p = max(unit * script[SC_HIGH, i], open_p, close_p)
    if not math.isnan(script[SC_LOW, i]):
        lo_p = min(unit * script[SC_LOW, i], open_p, close_p)
    return hi_p, lo_p, close_p


@numba.njit(cache=True)
def run_core(
    base_r: FloatArray,
    sigma: FloatArray,
    exp_volume_usd: FloatArray,
    opens_usd: FloatArray,
    wicks: FloatArray,
    to_expiry: FloatArray,
    refresh: npt.NDArray[np.bool_],
    script: FloatArray,
    script_relative: npt.NDArray[np.bool_],
    inj_minute: IntArray,
    inj_side: IntArray,
    inj_rel: FloatArray,
    inj_usd: FloatArray,
    lev_distance: FloatArray,
    lev_weight: FloatArray,
    scalars: FloatArray,
    long_b: FloatArray,
    short_b: FloatArray,
    state: FloatArray,
    k_levels: int,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Run one chunk; mutates `long_b`, `short_b` and `state` so the next chunk continues.

    wicks: (2, n) unit exponential draws for the high and low wicks. script: (5, n), rows SC_*.
    scalars: [origin, width, leveraged_share, lev_decay, oi_decay, cascade_impact, magnet_strength,
    max_pain_pull, heatmap_range, strike_step, realized_share]. `inj_side` is +1 for short cohorts
    (above price), −1 for long ones. Returns the (7, n) per-minute matrix (rows OPEN … OI) and, per
    refresh, the heatmap prices and USD (2k columns: k long-side then k short-side) and max pain.
    """
    origin, width = scalars[0], scalars[1]
    leveraged_share, lev_decay, oi_decay = scalars[2], scalars[3], scalars[4]
    cascade_impact, magnet_strength, mp_pull = scalars[5], scalars[6], scalars[7]
    heat_range, strike, realized = scalars[8], scalars[9], scalars[10]
    n = base_r.size
    n_ref = int(refresh.sum())
    out = np.empty((7, n))
    heat_p = np.zeros((n_ref, 2 * k_levels))
    heat_u = np.zeros((n_ref, 2 * k_levels))
    mp_out = np.empty(n_ref)

    logp, scale, oi, push = state[S_LOGP], state[S_SCALE], state[S_OI], state[S_PUSH]
    magnet, max_pain, mp_ema = state[S_MAGNET], state[S_MAX_PAIN], state[S_MP_EMA]
    inj = 0
    ref = 0
    anchor = math.exp(logp)
    for i in range(n):
        s = sigma[i]
        r = base_r[i] + push + magnet_strength * s * magnet
        r += mp_pull * max(0.0, 1.0 - to_expiry[i] / 1440.0) * (math.log(max_pain) - logp)
        if not math.isnan(script[SC_BRIDGE_TARGET, i]):
            r += (script[SC_BRIDGE_TARGET, i] - logp) / max(script[SC_BRIDGE_LEFT, i], 1.0)
        open_p = math.exp(logp)
        # A relative script is anchored on the close just before it starts.
        if script_relative[i] and (i == 0 or not script_relative[i - 1]):
            anchor = open_p
        unit = anchor if script_relative[i] else 1.0
        hi_p, lo_p, close_p = _draw_bar(open_p, r, s, wicks[0, i], wicks[1, i], script, i, unit)

        ll, ls = _liquidate(long_b, short_b, math.log(lo_p), math.log(hi_p), origin, width, scale)
        ll *= realized
        ls *= realized
        push = -cascade_impact * s * (ll - ls) / max(exp_volume_usd[i], 1.0)
        push = min(max(push, -12.0 * s), 12.0 * s)
        oi = oi * (1.0 - oi_decay) + opens_usd[i] - 0.5 * (ll + ls)
        out[OPEN, i], out[HIGH, i], out[LOW, i], out[CLOSE, i] = open_p, hi_p, lo_p, close_p
        out[LIQ_LONG, i], out[LIQ_SHORT, i], out[OI, i] = ll, ls, oi

        logp = math.log(close_p)
        _open_cohorts(
            long_b, short_b, logp, opens_usd[i] * leveraged_share / scale, lev_distance, lev_weight, origin, width
        )
        inj = _inject(i, inj, inj_minute, inj_side, inj_rel, inj_usd, long_b, short_b, logp, scale, origin, width)
        scale *= 1.0 - lev_decay
        mp_ema += (close_p - mp_ema) / MP_EMA_MINUTES

        if refresh[i]:
            _heatmap(long_b, short_b, logp, heat_range, scale, origin, width, heat_p[ref], heat_u[ref], k_levels)
            magnet = _magnet(long_b, short_b, logp, origin, width)
            max_pain = _step_max_pain(max_pain, mp_ema, strike)
            mp_out[ref] = max_pain
            ref += 1

    # Renormalise so the scale never underflows over long streams.
    long_b *= scale
    short_b *= scale
    state[S_LOGP], state[S_SCALE], state[S_OI], state[S_PUSH] = logp, 1.0, oi, push
    state[S_MAGNET], state[S_MAX_PAIN], state[S_MP_EMA] = magnet, max_pain, mp_ema
    return out, heat_p, heat_u, mp_out


def grid_size(width: float) -> int:
    return 2 * math.ceil(GRID_HALF_WIDTH_LOG / width)
