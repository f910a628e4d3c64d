"""Latency from a market snapshot to a paper order (issue: p50/p99, aim p99 ≤ 1 ms), runnable alone.

Three figures, all through the real code: the decision path alone (indicators → Alpha-OFI → gate → risk gate
→ entry plan → paper broker); the engine's whole path, which also writes the signal, verdict, order,
fill, position and events to SQLite in their transactions; and a paper tick as `bigalpha run` makes it
(`Engine.process_tick` on ETH and SOL with the default settings, the checkpoint saved after every tick), with the
checkpoint's own share. Reference: one SQLite insert + commit, measured in the same run.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bigalpha.clock import SimulatedClock
from bigalpha.config import load_settings
from bigalpha.domain import Mode, Side, Signal, SignalId
from bigalpha.engine.build import SimOptions, build_engine, sim_feed
from bigalpha.gate.chain import evaluate
from bigalpha.strategies.alpha_ofi import NAME

SAMPLES = 2000
PAPER_TICKS = 780  # 13 hours of 1-minute bars, two symbols a tick


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_us": round(statistics.median(ordered) * 1e6, 1),
        "p99_us": round(ordered[int(0.99 * (len(ordered) - 1))] * 1e6, 1),
    }


def _sqlite_reference(folder: Path) -> dict[str, float]:
    connection = sqlite3.connect(folder / "ref.db")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    times = []
    for n in range(SAMPLES):
        start = time.perf_counter()
        connection.execute("INSERT INTO t VALUES (?, ?)", (n, "x" * 200))
        connection.commit()
        times.append(time.perf_counter() - start)
    connection.close()
    return _percentiles(times)


def _paper_ticks(folder: Path) -> dict[str, Any]:
    """Each tick of 13 simulated hours on ETH and SOL, the default settings, a checkpoint after every tick (as
    `bigalpha run --symbols ETH,SOL` runs), and each checkpoint's save on its own."""
    settings = load_settings(env={"BIGALPHA__STORE__DATA_DIR": str(folder), "BIGALPHA__DATA__SYMBOLS": '["ETH","SOL"]'})
    feed = sim_feed(settings, SimOptions(symbols=("ETH", "SOL"), days=1), speed=None)
    built = build_engine(
        settings, Mode.PAPER, feed, clock=SimulatedClock(datetime(1970, 1, 1, tzinfo=UTC)), checkpoint_every=1
    )
    engine = built.engine
    engine.start()
    ticks = list(itertools.islice(feed.ticks(), PAPER_TICKS))
    whole, saves = [], []
    save = engine._checkpoint

    def timed_save(*, force: bool = False) -> None:
        start = time.perf_counter()
        save(force=force)
        saves.append(time.perf_counter() - start)

    engine._checkpoint = timed_save  # type: ignore[method-assign]
    for tick in ticks:
        start = time.perf_counter()
        engine.process_tick(tick)
        whole.append(time.perf_counter() - start)
    built.store.close()
    return {
        "ticks": len(whole),
        "signals": engine.summary.signals,
        "mean_ms": round(statistics.fmean(whole) * 1e3, 2),
        "tick": _percentiles(whole),
        "checkpoint": _percentiles(saves),
        "checkpoint_share": round(sum(saves) / sum(whole), 3),
    }


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bigalpha-bench-"))
    settings = load_settings(
        env={
            "BIGALPHA__STORE__DATA_DIR": str(folder),
            "BIGALPHA__DATA__SYMBOLS": '["SOL"]',
            # Every signal must reach the broker for the measurement; the limits would stop them quickly.
            "BIGALPHA__RISK__MAX_TRADES_PER_DAY": "1000000",
            "BIGALPHA__RISK__MAX_CONCURRENT_POSITIONS": "1000000",
            "BIGALPHA__RISK__PAUSE_AFTER_CONSECUTIVE_LOSSES": "1000000",
            "BIGALPHA__RISK__KILL_CONSECUTIVE_LOSSES": "1000000",
            "BIGALPHA__GATE__GUARDS__GOLDEN_HOUR": "false",
        }
    )
    feed = sim_feed(settings, SimOptions(symbols=("SOL",), days=1), speed=None)
    built = build_engine(settings, Mode.PAPER, feed, clock=SimulatedClock(datetime(1970, 1, 1, tzinfo=UTC)))
    engine = built.engine
    engine.start()
    ticks = iter(feed.ticks())
    for _ in range(300):  # fill the indicator windows
        engine.process_tick(next(ticks))
    decision, whole = [], []
    for n in range(SAMPLES):
        tick = next(ticks, None)
        if tick is None:
            break
        snapshot = tick[0]
        start = time.perf_counter()
        context = engine.builder.update(snapshot, whale_threshold_usd=engine.learned.whale_threshold_usd)
        signal = Signal(
            id=SignalId(f"bench-{n}"),
            ts=snapshot.ts,
            symbol=snapshot.symbol,
            side=Side.LONG if n % 2 == 0 else Side.SHORT,
            strategy=NAME,
            price=context.price,
            conviction=1.2,
            stop_pct=settings.positions.default_stop_pct,
            expected_move_bps=settings.setups.alpha_ofi.expected_move_bps,
        )
        verdict = evaluate(signal, context, settings.gate, engine.learned)
        notional = engine.parts.risk.size(signal, verdict, context)
        engine.parts.risk.check(signal, context, notional, snapshot.ts)
        engine.parts.entry_planner(signal, verdict, context, Decimal(repr(signal.price)), Decimal("0.1"), snapshot.ts)
        decision.append(time.perf_counter() - start)
        engine.last_tick = snapshot.ts - timedelta(seconds=1)
        start = time.perf_counter()
        engine.contexts[snapshot.symbol] = context
        engine.snapshots[snapshot.symbol] = snapshot
        engine._handle_signal(signal, snapshot.ts)
        whole.append(time.perf_counter() - start)
    reference = _sqlite_reference(folder)
    built.store.close()
    paper = _paper_ticks(folder / "paper")
    print(
        json.dumps(
            {
                "samples": len(decision),
                "decision_path": _percentiles(decision),
                "engine_snapshot_to_paper_order": _percentiles(whole),
                "paper_tick_eth_sol": paper,
                "reference_sqlite_insert_commit": reference,
                "ratio_engine_p50_to_reference_p50": round(
                    _percentiles(whole)["p50_us"] / max(reference["p50_us"], 1e-9), 1
                ),
                "ratio_paper_tick_p50_to_reference_p50": round(
                    paper["tick"]["p50_us"] / max(reference["p50_us"], 1e-9), 1
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
