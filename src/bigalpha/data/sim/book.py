"""Order book: a depth ladder around mid, refreshed every `slow_refresh_minutes`, plus walls.

Stored compactly (docs/simulator.md): the ladder's level offsets are fixed (`BOOK_OFFSETS_BPS`, in
the manifest); each refresh stores only the resting notional of each level per side. The feed prices
the ladder around the snapshot's own mid, so the book is never crossed with the bar.

Walls are large resting orders at a fixed price (an institutional ask wall is > $25M, A-OB-1). They
appear at random (Poisson, `wall_rate_per_day`) 0.5–4.5% from price, or by scenario, live for a while
and vanish when price trades through them (eaten) or when their owner pulls them. A wall never
outlives its UTC day, which keeps every day of the stream self-contained.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bigalpha.data.sim.params import SymbolParams
from bigalpha.data.sim.price import ar1_draw

FloatArray = npt.NDArray[np.float64]

BOOK_OFFSETS_BPS: tuple[float, ...] = (1, 3, 6, 10, 15, 25, 40, 60, 80, 100, 150, 200, 300, 400, 500)
"""Distance of each ladder level from mid, in basis points (1 bp … 5%, A-OB-1's range)."""

_DEPTH_NOISE_MINUTES = 240.0


def _level_weights() -> FloatArray:
    # A level holds the notional of the gap it closes, with a density that thins away from mid, so
    # the ladder alone never looks like a wall: walls are the separate, fixed-price orders below.
    offsets = np.asarray(BOOK_OFFSETS_BPS, dtype=np.float64)
    gaps = np.diff(np.concatenate([[0.0], offsets]))
    weights: FloatArray = gaps / 100.0 / (1.0 + offsets / 50.0)
    return weights


@dataclass(slots=True)
class BookState:
    depth_level: float = 0.0


def depth_ladder(
    rng: np.random.Generator,
    sym: SymbolParams,
    sigma_at_refresh: FloatArray,
    state: BookState,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """(bids, asks): resting USD per ladder level for each refresh, shape (refreshes, levels)."""
    n_ref = sigma_at_refresh.size
    level = ar1_draw(rng, n_ref, _DEPTH_NOISE_MINUTES / 5.0, 0.25, state.depth_level)
    state.depth_level = float(level[-1])
    # Books thin out when the market is volatile.
    thinning = np.sqrt(sym.vol_1m / sigma_at_refresh)
    base = sym.book_depth_usd * np.exp(level) * np.clip(thinning, 0.3, 2.0)
    weights = _level_weights()
    shape = (n_ref, weights.size)
    bids = base[:, None] * weights[None, :] * np.exp(rng.normal(-0.045, 0.3, shape))
    asks = base[:, None] * weights[None, :] * np.exp(rng.normal(-0.045, 0.3, shape))
    return bids.astype(np.float32), asks.astype(np.float32)


@dataclass(frozen=True, slots=True)
class WallPlan:
    minute: int  # within the chunk
    is_ask: bool
    offset: float  # fraction of price at `minute` (positive)
    notional_usd: float
    duration_minutes: int


@dataclass(frozen=True, slots=True)
class Walls:
    is_ask: npt.NDArray[np.bool_]
    price: FloatArray
    notional_usd: FloatArray
    start_minute: npt.NDArray[np.int64]  # within the chunk, inclusive
    end_minute: npt.NDArray[np.int64]  # within the chunk, exclusive


def random_walls(rng: np.random.Generator, sym: SymbolParams, n: int) -> list[WallPlan]:
    count = rng.poisson(sym.wall_rate_per_day * n / 1440.0)
    minutes = rng.integers(0, n, count)
    is_ask = rng.random(count) < 0.5
    offsets = rng.uniform(0.005, 0.045, count)
    notional = sym.wall_min_usd * (1.0 + rng.pareto(2.0, count))
    durations = np.clip(rng.exponential(180.0, count), 20.0, 720.0).astype(np.int64)
    return [
        WallPlan(int(m), bool(a), float(o), float(x), int(d))
        for m, a, o, x, d in zip(
            minutes.tolist(), is_ask.tolist(), offsets.tolist(), notional.tolist(), durations.tolist(), strict=True
        )
    ]


def place_walls(
    plans: list[WallPlan], sym: SymbolParams, high: FloatArray, low: FloatArray, close: FloatArray
) -> Walls:
    """Fix each wall's price from the close at its start; end it when price trades through."""
    n = close.size
    tick = sym.strike_step / 100.0
    rows: list[tuple[bool, float, float, int, int]] = []
    for plan in sorted(plans, key=lambda p: (p.minute, p.is_ask, p.offset)):
        ref = close[plan.minute]
        raw = ref * (1.0 + plan.offset) if plan.is_ask else ref * (1.0 - plan.offset)
        price = max(round(raw / tick) * tick, tick)
        stop = min(plan.minute + plan.duration_minutes, n)
        after = slice(plan.minute + 1, stop)
        crossed = high[after] >= price if plan.is_ask else low[after] <= price
        hits = np.flatnonzero(crossed)
        end = plan.minute + 1 + int(hits[0]) if hits.size else stop
        rows.append((plan.is_ask, price, plan.notional_usd, plan.minute, max(end, plan.minute + 1)))
    if not rows:
        empty_i = np.zeros(0, dtype=np.int64)
        return Walls(np.zeros(0, dtype=bool), np.zeros(0), np.zeros(0), empty_i, empty_i)
    cols = list(zip(*rows, strict=True))
    return Walls(
        is_ask=np.array(cols[0], dtype=bool),
        price=np.array(cols[1], dtype=np.float64),
        notional_usd=np.array(cols[2], dtype=np.float64),
        start_minute=np.array(cols[3], dtype=np.int64),
        end_minute=np.array(cols[4], dtype=np.int64),
    )
