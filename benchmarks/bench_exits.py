"""Time ``evaluate_exits`` per call (P-STOP-1, P-LADDER-1, P-HOLD-1/2), with a reference timed in the same run.

Run alone: ``.venv/bin/python benchmarks/bench_exits.py [--quick]``. Prints one JSON document with the p50,
p99 and max of one call, in microseconds, for three paths:

- ``quiet``: a TRUE TREND long on a bar that reaches nothing (hold re-evaluation, clusters, max pain);
- ``blocked``: the same position on bars that touch Tier 1 during the hold; every call starts from the
  entry's hold state, so every call builds its ``EXIT_BLOCKED_BY_HOLD`` event (the worst case);
- ``ladder``: a plain long whose bar takes all four tiers at once;

and the ``reference``: the minimum a hand-written exit check does per bar: one float→Decimal conversion and
one comparison with the stop. Ratios to the reference make the figures comparable across machines.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bigalpha.config.positions import PositionsConfig
from bigalpha.domain import AccountName, Bar, PositionId, Regime, Side, Signal, SignalId, StrategyName, Symbol
from bigalpha.indicators.context import MarketContext
from bigalpha.indicators.liquidity import Cluster, ClusterSide, Wall
from bigalpha.positions import evaluate_exits, plan_entry

T0 = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
SYMBOL = Symbol("BTCUSDT")
TARGET = {"p99_us_max": 500.0}


def _context(price: float, hurst: float) -> MarketContext:
    shorts = tuple(Cluster(price * (1 + k / 200), 5e7, 4.0, k / 200, ClusterSide.SHORT_LIQ) for k in range(1, 11))
    longs = tuple(Cluster(price * (1 - k / 200), 5e7, 4.0, k / 200, ClusterSide.LONG_LIQ) for k in range(1, 11))
    return MarketContext(
        symbol=SYMBOL,
        ts=T0,
        price=price,
        hurst=hurst,
        regime=Regime.TRENDING if hurst > 0.55 else Regime.NOISE,
        oi_delta_5m_usd=2e6,
        max_pain=97.0,
        short_clusters=shorts,
        long_clusters=longs,
        nearest_cluster=shorts[0],
        ask_walls=(Wall(103.0, 3e7, 0.03, True),),
        bid_walls=(Wall(97.0, 3e7, 0.03, True),),
    )


def _timed(call: Callable[[int], object], n: int) -> dict[str, float]:
    samples = []
    for i in range(n):
        start = time.perf_counter_ns()
        call(i)
        samples.append((time.perf_counter_ns() - start) / 1000.0)
    samples.sort()
    return {
        "p50_us": round(statistics.median(samples), 2),
        "p99_us": round(samples[int(0.99 * (n - 1))], 2),
        "max_us": round(samples[-1], 2),
    }


def run(n: int) -> dict[str, object]:
    config = PositionsConfig()
    signal = Signal(SignalId("sig-bench"), T0, SYMBOL, Side.LONG, StrategyName("bench"), 100.0)
    trend_plan = plan_entry(signal, _context(100.0, 0.62), Decimal("100"), Decimal("4"), config, T0)
    plain_plan = plan_entry(signal, _context(100.0, 0.50), Decimal("100"), Decimal("4"), config, T0)
    trend = trend_plan.open_position(PositionId("pos-t"), AccountName("hot"), T0, 3, Decimal(133))
    plain = plain_plan.open_position(PositionId("pos-p"), AccountName("hot"), T0, 3, Decimal(133))
    context = _context(100.2, 0.62)

    def bar(i: int, high: float) -> Bar:
        return Bar(T0 + timedelta(seconds=i + 1), 100.1, high, 100.0, 100.2, 10.0, 5.0)

    quiet_bars = [bar(i, 100.3) for i in range(n)]
    touch_bars = [bar(i, 100.6) for i in range(n)]
    ladder_bar = Bar(T0 + timedelta(minutes=1), 100.1, 102.5, 100.0, 102.2, 10.0, 5.0)
    now = [b.ts for b in quiet_bars]
    state = trend_plan.hold_state

    def quiet(i: int) -> object:
        return evaluate_exits(trend, context, quiet_bars[i], now[i], config, state)

    def blocked(i: int) -> object:
        return evaluate_exits(trend, context, touch_bars[i], now[i], config, state)

    def ladder(i: int) -> object:
        return evaluate_exits(plain, context, ladder_bar, now[i] + timedelta(minutes=1), config, plain_plan.hold_state)

    stop = trend.stop_price

    def reference(i: int) -> object:
        return Decimal(repr(quiet_bars[i].low)) <= stop

    for warm in (quiet, blocked, ladder, reference):
        for i in range(min(n, 1000)):
            warm(i)
    ref = _timed(reference, n)
    paths = {"quiet": _timed(quiet, n), "blocked": _timed(blocked, n), "ladder": _timed(ladder, n)}
    return {
        "calls_per_path": n,
        "reference": "Decimal(repr(bar.low)) <= stop_price",
        "reference_us": ref,
        "evaluate_exits_us": paths,
        "ratio_p50_to_reference": {k: round(v["p50_us"] / ref["p50_us"], 1) for k, v in paths.items()},
        "meets_target": all(v["p99_us"] <= TARGET["p99_us_max"] for v in paths.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5,000 calls per path instead of 50,000")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report: dict[str, object] = {
        "python": sys.version.split()[0],
        "target": TARGET,
        "speed": run(5_000 if args.quick else 50_000),
    }
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
