"""Backtest speed: bigalpha's sma_cross vs backtesting.py on the same one-minute bars, and the whole bot.

Run alone: `.venv/bin/python benchmarks/bench_backtest.py` (defaults: 1,000,000 bars for both comparisons;
`--bot-bars N` for a shorter bot run: at the measured ~17,000 bars/s, 1,000,000 bot bars take about a minute). Bars
come from the simulator (one symbol, ETH, 1-minute bars; the data generation is not timed). Each comparison runs
in its own fresh interpreter, so each peak RSS is that phase's alone (the phase's imports, data and run). Prints
one JSON object: the times, the two ratios (bars per second relative to backtesting.py's sma_cross), whether the
trade lists agree, and the peak RSS of each phase and the larger of the two. The bot runs with nobody at the desk,
as the CLI does by default, so R-M-3's pause holds from its second loss to the end (`bot_paused_pct` says how long);
`--supervised HOURS` models a person who resumes a pause and resets a tripped kill switch HOURS later.

`--breakdown` adds where the bot's time goes (`bot_breakdown`): `Engine.process_tick` timed for each tick shown,
by what the tick did (ran a learning job; else handled a signal; else only judged open shadows and positions),
and the rest of the run outside it (the backtest loop: snapshots, wake-up bookkeeping, the equity curve).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bigalpha.backtest.market import SIM_MARKET_DERIVE
from bigalpha.backtest.sma_cross import EXIT_OPEN, SmaCrossParams, run_sma_cross
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.generator import iter_chunks
from bigalpha.data.sim.params import default_symbols
from bigalpha.data.sim.snapshots import SNAPSHOT_COLUMNS

# Slow enough averages and a small fee that equity never shrinks to a few units: backtesting.py sizes in whole
# units, and an account that can no longer buy one unit stops trading there (a sizing effect, not a fill rule).
PARAMS = SmaCrossParams(fast=20, slow=100, fee=0.0002, stop_pct=0.01, cash=1e12)


def _dataset(bars: int, seed: int):  # type: ignore[no-untyped-def]
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    return generate(
        SimParams(seed=seed, start=datetime(2024, 1, 1, tzinfo=UTC), symbols=symbols),
        math.ceil(bars / 1440),
        columns=SNAPSHOT_COLUMNS,  # what `bigalpha backtest --sim` keeps: no ground-truth columns,
        derive=SIM_MARKET_DERIVE,  # and the trades' notionals instead of their prices and quantities
    )


def _ohlc(bars: int, seed: int) -> tuple[np.ndarray, ...]:
    """The simulator's bars a day at a time, keeping only OHLC (the other data kinds would cost ~0.5 GB)."""
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    days = iter_chunks(SimParams(seed=seed, start=datetime(2024, 1, 1, tzinfo=UTC), symbols=symbols))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("open", "high", "low", "close")}
    for _ in range(math.ceil(bars / 1440)):
        frame = next(days)["bars"]
        for key, chunks in parts.items():
            chunks.append(np.asarray(frame[key], dtype=np.float64))
    return tuple(np.ascontiguousarray(np.concatenate(parts[k])[:bars]) for k in ("open", "high", "low", "close"))


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def sma_phase(bars: int, seed: int) -> dict[str, Any]:
    from bigalpha.backtest.btpy import run_backtesting_py

    o, h, lo, c = _ohlc(bars, seed)
    began = time.perf_counter()
    run_sma_cross(o[:100], h[:100], lo[:100], c[:100], PARAMS)  # compile (or load the cached machine code)
    compile_s = time.perf_counter() - began
    began = time.perf_counter()
    ours = run_sma_cross(o, h, lo, c, PARAMS)
    sma_s = time.perf_counter() - began  # the first full-size call: the ratio's figure (fresh pages included)
    warm = []
    for _ in range(3):
        began = time.perf_counter()
        run_sma_cross(o, h, lo, c, PARAMS)
        warm.append(time.perf_counter() - began)
    began = time.perf_counter()
    theirs = run_backtesting_py(o, h, lo, c, PARAMS)
    bt_s = time.perf_counter() - began
    closed = ours.reason != EXIT_OPEN
    agree = ours.entry_bar[closed].tolist() == theirs.entry_bar and ours.exit_bar[closed].tolist() == theirs.exit_bar
    return {
        "bars": bars,
        "sma_cross_s": round(sma_s, 4),
        "sma_cross_warm_s": round(min(warm), 4),
        "sma_cross_compile_s": round(compile_s, 3),
        "backtesting_py_s": round(bt_s, 3),
        "sma_cross_vs_backtesting_py": round(bt_s / sma_s, 1),
        "trades": ours.trades,
        "trades_agree": agree,
        "final_equity_rel_diff": abs(theirs.final_equity - ours.final_equity) / ours.final_equity,
        "sma_phase_peak_rss_mb": _peak_rss_mb(),
    }


class _TickTimes:
    """`Engine.process_tick` timed tick by tick, by what the tick did (the learning jobs' and the signals' counts
    in the engine's summary tell)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {"job": 0.0, "signal": 0.0, "shadows_and_positions": 0.0}
        self.ticks: dict[str, int] = dict.fromkeys(self.seconds, 0)

    def install(self) -> None:
        from bigalpha.engine.core import Engine

        process_tick = Engine.process_tick
        times = self

        def timed(engine: Engine, tick: Any, **shown: Any) -> None:
            summary = engine.summary
            jobs, signals = len(summary.ran_jobs), summary.signals
            began = time.perf_counter()
            process_tick(engine, tick, **shown)
            spent = time.perf_counter() - began
            kind = (
                "job"
                if len(summary.ran_jobs) > jobs
                else "signal"
                if summary.signals > signals
                else "shadows_and_positions"
            )
            times.seconds[kind] += spent
            times.ticks[kind] += 1

        Engine.process_tick = timed  # type: ignore[method-assign]

    def report(self, run_s: float) -> dict[str, Any]:
        inside = sum(self.seconds.values())
        kinds = {
            kind: {
                "ticks": self.ticks[kind],
                "s": round(self.seconds[kind], 2),
                "mean_us": round(self.seconds[kind] / max(self.ticks[kind], 1) * 1e6),
            }
            for kind in self.seconds
        }
        return {**kinds, "outside_process_tick_s": round(run_s - inside, 2)}


def bot_phase(bars: int, seed: int, supervised_hours: float | None = None, breakdown: bool = False) -> dict[str, Any]:
    from bigalpha.backtest.market import sim_market
    from bigalpha.backtest.runner import run_whole_bot
    from bigalpha.backtest.supervision import Supervision

    settings = Settings()
    market = sim_market(_dataset(bars, seed), "sim ETH", settings.indicators.ofi_book_levels)
    delay = None if supervised_hours is None else timedelta(hours=supervised_hours)
    times = _TickTimes() if breakdown else None
    if times is not None:
        times.install()
    with tempfile.TemporaryDirectory() as folder:
        bot = run_whole_bot(
            settings, market, Path(folder) / "bench.db", supervision=Supervision(resume_after=delay, reset_after=delay)
        )
    extra = {} if times is None else {"bot_breakdown": times.report(bot.elapsed_s)}
    return {
        "bot_bars": market.bars,
        "bot_symbols": [str(s) for s in market.symbols],
        "bot_s": round(bot.elapsed_s, 2),
        "bot_bars_per_s": round(market.bars / bot.elapsed_s),
        "bot_ticks_processed": bot.extra["ticks_processed"],
        "bot_trades": bot.metrics.trades,
        "bot_signals": bot.extra["signals"],
        # Unsupervised, R-M-3 pauses trading for good at the second loss: the run then mostly refuses and shadows.
        "bot_paused_pct": round(bot.extra["paused_pct"], 1),
        "bot_kill_switch_pct": round(bot.extra["kill_switch_pct"], 1),
        "bot_supervised_hours": supervised_hours,
        "bot_phase_peak_rss_mb": _peak_rss_mb(),
        **extra,
    }


def _child(phase: str, args: argparse.Namespace) -> dict[str, Any]:
    """One phase in a fresh interpreter: each peak RSS is that phase's own (backtesting.py's pandas and bokeh
    never sit in the bot's process, nor the bot's dataset in backtesting.py's)."""
    command = [sys.executable, __file__, "--phase", phase, "--bars", str(args.bars), "--bot-bars", str(args.bot_bars)]
    if args.supervised is not None:
        command += ["--supervised", str(args.supervised)]
    if args.breakdown:
        command.append("--breakdown")
    done = subprocess.run([*command, "--seed", str(args.seed)], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--bot-bars", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--phase", choices=("sma", "bot"), help="run one phase in this process (used internally)")
    parser.add_argument(
        "--supervised",
        type=float,
        metavar="HOURS",
        help="the bot with a person resuming each R-M-3 pause and resetting each kill-switch trip HOURS later",
    )
    parser.add_argument("--breakdown", action="store_true", help="where the bot's time goes, tick by tick")
    args = parser.parse_args()
    if args.phase == "sma":
        result = sma_phase(args.bars, args.seed)
    elif args.phase == "bot":
        result = bot_phase(args.bot_bars, args.seed, args.supervised, args.breakdown)
    else:
        result = {**_child("sma", args), **_child("bot", args)}
        bt_rate = result["bars"] / result["backtesting_py_s"]
        result["bot_vs_backtesting_py_sma_cross"] = round(result["bot_bars_per_s"] / bt_rate, 3)
        result["peak_rss_mb"] = max(result["sma_phase_peak_rss_mb"], result["bot_phase_peak_rss_mb"])
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
