"""Speed of the intelligence gate per signal and of `ContextBuilder.update` per snapshot.

Run alone: ``.venv/bin/python benchmarks/bench_gate.py [--quick]``. Prints one JSON document:

- ``gate``: p50/p99/mean latency of ``evaluate`` over N signals (20,000; 2,000 with --quick) on varied contexts
  (random sides, times, whale directions, clusters, ratios, missing data, probation), and the share blocked;
- ``context_builder``: p50/p99 of ``ContextBuilder.update`` per 1-minute snapshot (with trades, book, heatmap),
  the p50 of the one Hurst estimate it makes, and the update's p50 without it;
- ``reference``: p50 of constructing one ``Signal`` dataclass, measured in the same run; every figure also
  appears as a ratio to it, so results compare across machines.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import numpy as np  # noqa: E402

from bigalpha.config import Settings  # noqa: E402
from bigalpha.domain import (  # noqa: E402
    Bar,
    BookLevel,
    LiquidationLevel,
    LongShort,
    MarketSnapshot,
    Observed,
    OrderBook,
    OrderSide,
    Regime,
    Side,
    Signal,
    SignalId,
    StrategyName,
    Symbol,
    Trade,
)
from bigalpha.gate import evaluate  # noqa: E402
from bigalpha.gate.learned import GateLearnedState  # noqa: E402
from bigalpha.indicators.builder import ContextBuilder  # noqa: E402
from bigalpha.indicators.context import MarketContext  # noqa: E402
from bigalpha.indicators.flow import FlowDirection  # noqa: E402
from bigalpha.indicators.hurst import hurst_with_error  # noqa: E402
from bigalpha.indicators.liquidity import Cluster, ClusterSide  # noqa: E402

START = datetime(2025, 12, 26, tzinfo=UTC)


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    values = np.array(samples_ns, dtype=np.float64) / 1000.0
    return {
        "p50_us": round(float(np.percentile(values, 50)), 3),
        "p99_us": round(float(np.percentile(values, 99)), 3),
        "mean_us": round(float(values.mean()), 3),
    }


def reference_ns(n: int) -> list[int]:
    """Constructing one Signal dataclass: the yardstick of this machine."""
    samples = []
    for i in range(n):
        t0 = time.perf_counter_ns()
        Signal(
            id=SignalId("sig"),
            ts=START,
            symbol=Symbol("BTC"),
            side=Side.LONG,
            strategy=StrategyName("alpha-ofi"),
            price=100_000.0 + i,
        )
        samples.append(time.perf_counter_ns() - t0)
    return samples


def snapshots(n: int, rng: np.random.Generator) -> list[MarketSnapshot]:
    price = 100_000.0
    oi = 8e9
    out = []
    for i in range(n):
        ts = START + timedelta(minutes=i)
        price *= float(np.exp(rng.normal(0, 0.001)))
        oi *= float(np.exp(rng.normal(0, 0.002)))
        volume = float(rng.uniform(50, 150))
        trades = tuple(
            Trade(ts, price, float(q), OrderSide.BUY if b else OrderSide.SELL)
            for q, b in zip(rng.choice([0.05, 0.5, 1.5], 50), rng.random(50) < 0.5, strict=True)
        )
        book = OrderBook(
            bids=tuple(BookLevel(price * (1 - 0.0005 * k), float(rng.uniform(1, 300))) for k in range(1, 51)),
            asks=tuple(BookLevel(price * (1 + 0.0005 * k), float(rng.uniform(1, 300))) for k in range(1, 51)),
        )
        heat = tuple(
            LiquidationLevel(price * (1 + 0.001 * k), float(rng.uniform(1e6, 3e6)) * (6 if k % 13 == 0 else 1))
            for k in range(-60, 61)
            if k
        )
        out.append(
            MarketSnapshot(
                symbol=Symbol("BTC"),
                ts=ts + timedelta(minutes=1),
                bar=Bar(ts, price, price, price, price, volume, volume * float(rng.uniform(0.3, 0.7))),
                trades=trades,
                book=Observed(book, ts, "bench"),
                open_interest_usd=Observed(oi, ts, "bench"),
                long_short=Observed(LongShort(1.5, 0.4), ts, "bench"),
                liquidation_heatmap=Observed(heat, ts, "bench"),
                max_pain=Observed(price * 0.98, ts, "bench"),
                fear_greed=Observed(60.0, ts, "bench"),
                funding=Observed((("binanceusdm", 0.0001), ("okx", -0.00005)), ts, "bench"),
            )
        )
    return out


def bench_builder(n: int, rng: np.random.Generator) -> dict[str, object]:
    settings = Settings()
    snaps = snapshots(n + 150, rng)
    builder = ContextBuilder(settings.indicators)
    for s in snaps[:150]:  # fill every window first: the steady state is what runs all day
        builder.update(s, whale_threshold_usd=100_000.0)
    samples = []
    for s in snaps[150:]:
        t0 = time.perf_counter_ns()
        builder.update(s, whale_threshold_usd=100_000.0)
        samples.append(time.perf_counter_ns() - t0)
    closes = np.array([s.bar.close for s in snaps[-100:]])
    hurst_samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        hurst_with_error(closes, window=100)
        hurst_samples.append(time.perf_counter_ns() - t0)
    update = percentiles(samples)
    hurst = percentiles(hurst_samples)
    return {
        "snapshots": n,
        "update": update,
        "hurst_estimate": hurst,
        "update_without_hurst_p50_us": round(update["p50_us"] - hurst["p50_us"], 3),
        "target_update_without_hurst_us": 1000.0,
    }


def varied_context(rng: np.random.Generator, base: MarketContext) -> MarketContext:
    price = base.price

    def maybe(value: object) -> object:
        return None if rng.random() < 0.1 else value

    clusters = tuple(
        Cluster(price * (1 + d), 2e7, 5.0, abs(d), ClusterSide.SHORT_LIQ) for d in rng.uniform(0.001, 0.03, 3)
    )
    hurst = float(rng.uniform(0.3, 0.7))
    regime = Regime.TRENDING if hurst > 0.55 else Regime.NOISE if hurst < 0.45 else Regime.RANDOM_WALK
    return dataclasses.replace(
        base,
        whale_direction=maybe(FlowDirection(rng.choice(["BUY", "BUY", "BUY", "SELL", "NEUTRAL"]))),
        whale_intent_direction=maybe(FlowDirection(rng.choice(["BUY", "BUY", "BUY", "SELL"]))),
        ofi=maybe(float(rng.uniform(-1, 1))),
        taker_ratio_5m=maybe(float(rng.uniform(0.9, 1.6))),
        long_short_ratio=maybe(float(rng.uniform(1.0, 2.3))),
        fear_greed=maybe(float(rng.uniform(20, 95))),
        hurst=hurst,
        regime=regime,
        short_clusters=maybe(clusters),
    )


def bench_gate(n: int, rng: np.random.Generator) -> dict[str, object]:
    settings = Settings()
    builder = ContextBuilder(settings.indicators)
    base = None
    for s in snapshots(120, rng):
        base = builder.update(s, whale_threshold_usd=100_000.0)
    assert base is not None
    contexts = [varied_context(rng, base) for _ in range(500)]
    learned = [GateLearnedState(), GateLearnedState(probation=frozenset({"BTC"}), slippage_bps={"BTC": 6.0})]
    signals = [
        Signal(
            id=SignalId(f"sig-{i}"),
            ts=base.ts.replace(hour=int(rng.integers(7, 18)), minute=int(rng.integers(0, 60))),
            symbol=Symbol("BTC"),
            side=Side.LONG if rng.random() < 0.7 else Side.SHORT,
            strategy=StrategyName("alpha-ofi"),
            price=base.price,
            expected_move_bps=None if rng.random() < 0.1 else float(rng.uniform(5, 60)),
        )
        for i in range(n)
    ]
    config = settings.gate
    for i in range(1000):  # warm-up
        evaluate(signals[i % n], contexts[i % 500], config, learned[i % 2])
    samples = []
    blocked = 0
    for i, signal in enumerate(signals):
        ctx = contexts[i % 500]
        state = learned[i % 2]
        t0 = time.perf_counter_ns()
        verdict = evaluate(signal, ctx, config, state)
        samples.append(time.perf_counter_ns() - t0)
        blocked += not verdict.allowed
    return {"signals": n, "latency": percentiles(samples), "blocked_share": round(blocked / n, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (smoke run)")
    args = parser.parse_args()
    rng = np.random.default_rng(2025)
    n_signals = 2_000 if args.quick else 20_000
    n_snapshots = 200 if args.quick else 2_000
    reference = percentiles(reference_ns(20_000))
    gate = bench_gate(n_signals, rng)
    builder = bench_builder(n_snapshots, rng)
    ref = reference["p50_us"]
    gate_latency = gate["latency"]
    update = builder["update"]
    assert isinstance(gate_latency, dict)
    assert isinstance(update, dict)
    report = {
        "reference": {"what": "construct one Signal dataclass", **reference},
        "gate": gate,
        "context_builder": builder,
        "ratios_to_reference_p50": {
            "gate_p50": round(gate_latency["p50_us"] / ref, 1),
            "gate_p99": round(gate_latency["p99_us"] / ref, 1),
            "builder_update_p50": round(update["p50_us"] / ref, 1),
            "builder_update_without_hurst_p50": round(float(str(builder["update_without_hurst_p50_us"])) / ref, 1),
        },
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
