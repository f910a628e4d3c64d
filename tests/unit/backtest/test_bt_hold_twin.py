"""A held TRUE TREND shadow judged from arrays (`hold_twin`): the clusters it reads are the ones each bar's context
carries, and a shadow shown only on the bars its wake-ups name ends exactly as one shown every bar (P-HOLD-1,
P-HOLD-2, L-SHADOW-1)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.backtest.hold_twin import LaneClusters
from bigalpha.backtest.market import HeatmapRows, Lane, sim_market
from bigalpha.backtest.wakeups import ShadowWakeups, Waker
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, generate
from bigalpha.domain import Bar, PositionMeta, Regime, Symbol
from bigalpha.engine.adapters import PositionExitPolicy
from bigalpha.indicators.builder import ContextBuilder
from bigalpha.indicators.columns import SnapshotArrays
from bigalpha.indicators.context import MarketContext
from bigalpha.learning.shadow import Shadow, advance_shadow
from bigalpha.positions.holds import initial_hold_state
from bigalpha.store.mapping import meta_to_json

SYMBOL = Symbol("ETH")
START = datetime(2024, 1, 1, tzinfo=UTC)
MINUTE_NS = 60_000_000_000


def test_the_clusters_are_those_of_each_bars_context() -> None:
    """`LaneClusters` reads each bar's heatmap from the dataset's rows as the simulator's snapshot carries it, and
    makes the clusters the context builder makes of it (seed 31's ETH heatmaps hold clusters on some
    bars, not on most)."""
    cfg = Settings().indicators
    dataset = generate(SimParams(seed=31, start=START), 1)
    market = sim_market(dataset, "sim", cfg.ofi_book_levels)
    lane = market.lanes[Symbol("ETH")]
    assert lane.heatmaps is not None
    clusters = LaneClusters(lane.heatmaps(), cfg)
    builder = ContextBuilder(cfg)
    reader = market.reader()
    with_clusters = 0
    for bar in range(lane.tick.shape[0]):
        (snapshot,) = reader.tick(int(lane.tick[bar]), {lane.symbol})
        fields: dict[str, Any] = {}
        builder._per_snapshot(snapshot, fields, {})
        found = clusters.around(bar, float(lane.close[bar]))
        if found is None:
            assert not fields.get("short_clusters")
            assert not fields.get("long_clusters")
        else:
            assert found == (fields["short_clusters"], fields["long_clusters"])
            with_clusters += bool(found[0] or found[1])
    assert with_clusters > 0


def _market(seed: int, n: int) -> tuple[Lane, HeatmapRows]:
    """A random walk whose heatmap (refreshed every 5 bars, none for the first 3) holds concentrated levels near
    price on both sides, so that price moves toward and away from clusters."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * (1.0 + np.abs(rng.normal(0.0, 0.001, n)))
    low = np.minimum(open_, close) * (1.0 - np.abs(rng.normal(0.0, 0.001, n)))
    prices: list[float] = []
    usd: list[float] = []
    refresh = np.where(np.arange(n) < 3, -1, np.arange(n) // 5).astype(np.int32)
    lo = np.zeros(int(refresh.max()) + 1, dtype=np.int64)
    hi = np.zeros(int(refresh.max()) + 1, dtype=np.int64)
    for r in range(int(refresh.max()) + 1):
        around = float(close[5 * r])
        first = len(prices)
        levels = around * (1.0 + rng.uniform(-0.03, 0.03, 20))
        volumes = rng.lognormal(10.0, 0.5, 20)
        volumes[rng.integers(0, 20, int(rng.integers(0, 4)))] *= 20.0  # a few concentrated levels
        prices.extend(sorted(levels.tolist()))
        usd.extend(volumes.tolist())
        lo[r], hi[r] = first, len(prices)
    rows = HeatmapRows(refresh, lo, hi, np.array(prices), np.array(usd))

    def arrays(threshold: float) -> SnapshotArrays:
        raise AssertionError(f"not read here ({threshold})")

    lane = Lane(SYMBOL, np.arange(n, dtype=np.int64), open_, high, low, close, arrays, heatmaps=lambda: rows)
    return lane, rows


def _shadow(lane: Lane, sign: int, targets: tuple[float, ...], max_pain: float | None, cfg: Settings) -> Shadow:
    entry = float(lane.close[0])
    pain = None if max_pain is None else entry * max_pain
    meta = PositionMeta(0.6, Regime.TRENDING, True, 1_000.0, pain, None, None)
    hold = initial_hold_state(True, entry, pain, cfg.positions)
    return Shadow(
        id="shd-1",
        signal_id="sig-1",
        symbol=str(SYMBOL),
        side="LONG" if sign > 0 else "SHORT",
        strategy="alpha_ofi",
        blocked_by=None,
        taken=True,
        position_id=None,
        opened_at=START + timedelta(minutes=1),
        entry_price=entry,
        stop_price=entry * (1.0 - sign * 0.05),
        targets=[entry * (1.0 + sign * t) for t in targets],
        state={"exit_state": hold.to_dict(), "closed": "0", "pnl": "0", "meta": meta_to_json(meta)},
    )


def _judge(
    shadow: Shadow, policy: PositionExitPolicy, lane: Lane, rows: HeatmapRows, clusters: LaneClusters, bar: int
) -> bool:
    """The engine's judgement of `shadow` on `bar`, with the context's clusters made as the builder makes them."""
    close = float(lane.close[bar])
    now = START + timedelta(minutes=bar + 1)
    found = clusters.around(bar, close)
    heatmap_known = int(rows.refresh[bar]) >= 0
    shorts, longs = found if found is not None else (((), ()) if heatmap_known else (None, None))
    context = MarketContext(symbol=SYMBOL, ts=now, price=close, short_clusters=shorts, long_clusters=longs)
    candle = Bar(
        START + timedelta(minutes=bar),
        float(lane.open[bar]),
        float(lane.high[bar]),
        float(lane.low[bar]),
        close,
        1.0,
        0.5,
    )
    return advance_shadow(shadow, policy, context, candle, now)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    sign=st.sampled_from([1, -1]),
    targets=st.sampled_from([(0.002, 0.004, 0.006, 0.03), (0.001, 0.05), (0.004, 0.008, 0.012, 0.016), (0.03,)]),
    max_pain=st.sampled_from([None, 1.001, 1.03, 0.97]),
)
def test_a_held_shadow_shown_on_its_wake_ups_ends_as_one_shown_every_bar(
    seed: int, sign: int, targets: tuple[float, ...], max_pain: float | None
) -> None:
    cfg = Settings()
    n = 160
    lane, rows = _market(seed, n)
    clusters = LaneClusters(rows, cfg.indicators)
    dense = _shadow(lane, sign, targets, max_pain, cfg)
    sparse = copy.deepcopy(dense)
    policy = PositionExitPolicy(cfg)
    for bar in range(1, n):
        if _judge(dense, policy, lane, rows, clusters, bar):
            break
    tick_ns = int(START.timestamp()) * 1_000_000_000 + MINUTE_NS * (1 + np.arange(n, dtype=np.int64))
    wakeups = ShadowWakeups(Waker({SYMBOL: lane}, tick_ns, n, cfg.positions, cfg.indicators))
    wakeups.after_tick(0, [SYMBOL], {sparse.id: sparse}, set())
    policy = PositionExitPolicy(cfg)
    bar = wakeups.earliest()
    shown = 0
    while bar < n:
        shown += 1
        assert wakeups.due_ids(bar) == {sparse.id}
        if _judge(sparse, policy, lane, rows, clusters, bar):
            break
        wakeups.after_tick(bar, [SYMBOL], {sparse.id: sparse}, {sparse.id})
        bar = wakeups.earliest()
    assert (sparse.closed_at, sparse.exit_price, sparse.exit_reason) == (
        dense.closed_at,
        dense.exit_price,
        dense.exit_reason,
    )
    assert sparse.state == dense.state
    assert shown < n
