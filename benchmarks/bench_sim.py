"""Simulator speed and memory (D-SIM-1): one year of 1-minute data, 4 symbols, every data kind.

Run alone: `.venv/bin/python benchmarks/bench_sim.py [--days 365] [--write]`. Prints JSON:

- ``generate``: seconds, bars per second, rows per table, peak RSS; target: a year in under 60 s.
- ``reference``: seconds to draw as many `standard_normal` values as there are bars, in this run, and
  the ratio of generation to it (how many "normal draws" one bar costs, machine-independent-ish).
- ``write`` (with --write): seconds and bytes to write the dataset as parquet.
- ``feed``: snapshots built per second by `SimFeed` over one simulated day.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bigalpha.data.sim import SimParams, generate, write_dataset
from bigalpha.data.sim.feed import SimFeed

TARGET_YEAR_SECONDS = 60.0


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--write", action="store_true", help="also time writing the dataset to parquet")
    args = parser.parse_args()

    params = SimParams(seed=7)
    generate(params, 1)  # compile the Numba kernels (cached on disk after the first run)
    rss_before = _peak_rss_mb()

    started = time.perf_counter()
    dataset = generate(params, args.days)
    seconds = time.perf_counter() - started
    bars = dataset.row_counts()["bars"]

    rng = np.random.default_rng(0)
    ref_started = time.perf_counter()
    rng.standard_normal(bars)
    reference = time.perf_counter() - ref_started

    report: dict[str, object] = {
        "days": args.days,
        "symbols": list(dataset.symbols),
        "generate": {
            "seconds": round(seconds, 3),
            "bars": bars,
            "bars_per_second": round(bars / seconds),
            "rows": dataset.row_counts(),
            "peak_rss_mb": round(_peak_rss_mb(), 1),
            "peak_rss_mb_before": round(rss_before, 1),
            "year_equivalent_seconds": round(seconds * 365 / args.days, 2),
            "target_year_seconds": TARGET_YEAR_SECONDS,
            "meets_target": seconds * 365 / args.days < TARGET_YEAR_SECONDS,
        },
        "reference": {
            "standard_normal_draws": bars,
            "seconds": round(reference, 4),
            "ratio": round(seconds / reference, 1),
        },
    }
    if args.write:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "ds"
            write_started = time.perf_counter()
            write_dataset(dataset, out)
            report["write"] = {
                "seconds": round(time.perf_counter() - write_started, 3),
                "bytes": sum(p.stat().st_size for p in out.iterdir()),
            }
    day = generate(params, 1)
    feed_started = time.perf_counter()
    ticks = sum(1 for _ in itertools.islice(SimFeed(day).ticks(), 1440))
    feed_seconds = time.perf_counter() - feed_started
    report["feed"] = {
        "ticks": ticks,
        "snapshots_per_second": round(ticks * len(day.symbols) / feed_seconds),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
