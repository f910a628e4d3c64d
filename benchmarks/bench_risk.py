"""Per-signal latency of the risk gate (`evaluate_risk`), with a reference timing from the same run.

Run alone: ``.venv/bin/python benchmarks/bench_risk.py [--quick]``. Prints one JSON document:

- ``cases``: p50 / p99 / max in microseconds of one `evaluate_risk` call for an approved long (all four
  layers and the sizing run), an approved short resized by R-T-3, a refusal at layer 1 (stop too wide) and a
  refusal at layer 4 (stale funding);
- ``reference``: p50 / p99 of building one `Decimal` sum of 100 terms, so a reader can scale the figures to
  another machine;
- ``target``: the budget, p99 under 1 ms per signal (a one-minute bar leaves far more; the gate is never the
  bottleneck).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from bigalpha.config import load_settings
from bigalpha.domain import Mode, Side, Signal, SignalId, StrategyName, Symbol
from bigalpha.indicators.context import MarketContext
from bigalpha.risk import OpenExposure, evaluate_risk, new_account

T0 = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
FEEDS = ("funding", "open_interest", "long_short_ratio", "health_factor")
TARGET_P99_US = 1000.0


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    n = len(ordered)
    return {
        "p50_us": round(ordered[n // 2] * 1e6, 2),
        "p99_us": round(ordered[min(n - 1, int(n * 0.99))] * 1e6, 2),
        "max_us": round(ordered[-1] * 1e6, 2),
    }


def measure(call: Callable[[], object], repeats: int) -> dict[str, float]:
    for _ in range(min(1000, repeats)):  # warm-up
        call()
    samples = []
    clock = time.perf_counter
    for _ in range(repeats):
        start = clock()
        call()
        samples.append(clock() - start)
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeats = 5_000 if args.quick else 50_000
    settings = load_settings(env={})
    account = replace(
        new_account(Mode.PAPER, settings, T0, Decimal(1660)),
        open_positions=(OpenExposure("p1", "ETH", Decimal(120), T0),),
        trades_today=2,
        session_trades=2,
    )
    fresh = dict.fromkeys(FEEDS, 30.0)

    def context(**fields: object) -> MarketContext:
        values: dict[str, object] = {
            "price": 100_000.0,
            "short_share": 0.5,
            "funding_divergence_bps": 0.1,
            "oi_change_pct": 0.01,
            "health_factor": 3.0,
            "ages_s": fresh,
        }
        values.update(fields)
        return MarketContext(symbol=Symbol("BTC"), ts=T0, **values)  # type: ignore[arg-type]

    def signal(side: Side, stop: float) -> Signal:
        return Signal(SignalId("sig-bench"), T0, Symbol("BTC"), side, StrategyName("bench"), 100_000.0, stop_pct=stop)

    cases = {
        "approved_long": (signal(Side.LONG, 0.003), context()),
        "approved_short_resized": (signal(Side.SHORT, 0.003), context(oi_change_pct=0.05)),
        "refused_layer1_stop": (signal(Side.LONG, 0.08), context()),
        "refused_layer4_stale": (signal(Side.LONG, 0.003), context(ages_s={**fresh, "funding": 900.0})),
    }
    results = {}
    for name, (sig, ctx) in cases.items():
        decision = evaluate_risk(sig, ctx, account, Decimal(300), settings, Mode.PAPER, T0)
        results[name] = {
            **measure(
                lambda s=sig, c=ctx: evaluate_risk(s, c, account, Decimal(300), settings, Mode.PAPER, T0), repeats
            ),
            "approved": decision.approved,
            "reason": decision.reason.value if decision.reason else None,
        }
    terms = [Decimal(i) / 7 for i in range(100)]
    reference = measure(lambda: sum(terms, Decimal(0)), repeats)
    worst = max(r["p99_us"] for r in results.values())  # type: ignore[type-var]
    print(
        json.dumps(
            {
                "python": sys.version.split()[0],
                "machine": platform.machine(),
                "repeats": repeats,
                "cases": results,
                "reference_decimal_sum_100": reference,
                "target": {"p99_us_max": TARGET_P99_US, "worst_p99_us": worst, "met": worst <= TARGET_P99_US},
            },
            indent=2,
        )
    )
    if worst > TARGET_P99_US:
        sys.exit(1)


if __name__ == "__main__":
    main()
