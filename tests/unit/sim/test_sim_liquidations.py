"""D-SIM-1, A-LIQ-1: leveraged cohorts make the liquidation heatmap; price crossing them liquidates them."""

from __future__ import annotations

import math

import numpy as np

from bigalpha.data.sim import SimDataset, SimParams, build_scenario, core, generate
from bigalpha.data.sim.script import SymbolScript

WIDTH = 0.001
ORIGIN = math.log(100.0)


def _run(closes: list[float], long_b: np.ndarray, short_b: np.ndarray, *, realized: float = 1.0, impact: float = 0.0):
    """Drive the core over scripted closes, with no new cohorts and nothing random."""
    n = len(closes)
    script = SymbolScript(n)
    script.close[:] = closes
    state = np.zeros(core.STATE_SIZE)
    state[core.S_LOGP], state[core.S_SCALE], state[core.S_OI] = ORIGIN, 1.0, 1e9
    state[core.S_MAX_PAIN], state[core.S_MP_EMA] = 100.0, 100.0
    scalars = np.array([ORIGIN, WIDTH, 0.0, 0.0, 0.0, impact, 0.0, 0.0, 0.08, 1.0, realized])
    empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    return core.run_core(
        np.zeros(n), np.full(n, 0.001), np.full(n, 1e6), np.zeros(n), np.zeros((2, n)), np.full(n, 5000.0),
        np.ones(n, dtype=bool), script.matrix(), script.relative, empty_i, empty_i, empty_f, empty_f,
        np.array([0.1]), np.array([1.0]), scalars, long_b, short_b, state, 4,
    )  # fmt: skip


def _grid() -> tuple[np.ndarray, np.ndarray]:
    size = core.grid_size(WIDTH)
    return np.zeros(size), np.zeros(size)


def _index(price: float) -> int:
    return math.floor((math.log(price) - ORIGIN) / WIDTH) + core.grid_size(WIDTH) // 2


def test_crossing_a_long_cluster_removes_it_and_liquidates_its_notional() -> None:
    """A-LIQ-1: a long cohort below price is liquidated when the bar's low reaches it, once."""
    long_b, short_b = _grid()
    long_b[_index(98.0)] = 5e6
    out, _, usd, _ = _run([99.5, 98.5, 97.9, 99.0, 97.5], long_b, short_b)
    liquidated = out[core.LIQ_LONG]
    assert liquidated[:2].sum() == 0
    assert liquidated[2] == 5e6  # the bar that first trades at 98
    assert liquidated[3:].sum() == 0  # gone: crossing again liquidates nothing
    assert long_b[_index(98.0)] == 0
    assert usd[1, :4].max() == 5e6  # on the heatmap before the crossing…
    assert usd[2, :4].max() == 0  # …not after


def test_short_cluster_above_is_liquidated_by_a_rally_and_only_a_share_is_realized() -> None:
    """Only `realized_share` of a crossed cluster is forced out; the rest had closed before."""
    long_b, short_b = _grid()
    short_b[_index(101.0)] = 4e6
    out, _, _, _ = _run([100.5, 101.5], long_b, short_b, realized=0.25)
    assert out[core.LIQ_SHORT][1] == 1e6
    assert out[core.LIQ_LONG].sum() == 0


def test_liquidations_push_the_next_minute() -> None:
    """D-SIM-1: a cascade: long liquidations push the next bar down (free, unscripted minute)."""
    long_b, short_b = _grid()
    long_b[_index(99.0)] = 2e7
    script_closes = [99.5, 98.9, float("nan"), float("nan")]
    out, _, _, _ = _run(script_closes, long_b, short_b, impact=1.0)
    pushed = math.log(out[core.CLOSE][2] / out[core.OPEN][2])
    assert out[core.LIQ_LONG][1] == 2e7
    assert pushed < -0.005  # 20M liquidated against 1M/min volume: a 12σ (capped) push, σ = 0.1%


def test_heatmap_has_long_clusters_below_and_short_clusters_above(two_days: SimDataset) -> None:
    """A-LIQ-1: at every refresh, long-side levels lie below price and short-side levels above."""
    heat, bars = two_days.frames["liquidation_heatmap"], two_days.frames["bars"]
    for code in range(4):
        h = {k: v[heat["symbol"] == code] for k, v in heat.items()}
        b = {k: v[bars["symbol"] == code] for k, v in bars.items()}
        close_at = b["close"][(h["ts"] - 60_000 - b["ts"][0]) // 60_000]
        assert np.all(h["price"][h["side"] == 0] < close_at[h["side"] == 0] * 1.001)
        assert np.all(h["price"][h["side"] == 1] > close_at[h["side"] == 1] * 0.999)
        assert (h["side"] == 0).any()
        assert (h["side"] == 1).any()
        assert np.all(h["liquidation_usd"] > 0)


def test_liquidation_cascade_scenario_runs_through_the_clusters() -> None:
    """D-SIM-1 `liquidation_cascade`: ETH crosses its clusters, with large long liquidations and a deep drop."""
    dataset = generate(SimParams(seed=7), 1, build_scenario("liquidation_cascade"))
    bars = dataset.frames["bars"]
    eth = {k: v[bars["symbol"] == 1] for k, v in bars.items()}
    at = 11 * 60
    before = eth["close"][at - 3]
    window = slice(at, at + 20)
    low = eth["low"][window].min()
    assert low < before * (1 - 0.024)  # through the deepest cluster, which the script alone never reaches
    assert eth["low"][at : at + 4].min() > before * (1 - 0.016)
    liquidated = eth["liquidated_long_usd"][window].sum()
    assert liquidated > 100e6
    assert liquidated > 50 * eth["liquidated_long_usd"][: at - 60].mean() * 20
