"""Speed of the history loaders (load + every quality check) against plain pandas readers of the same files.

Run alone: ``.venv/bin/python benchmarks/bench_loaders.py [--rows N] [--runs R]``. The benchmark writes
its own files in a temporary folder (1,000,000 one-minute candles by default):

- ``parquet``: plain Parquet, ``timestamp`` UTC column; reference ``pandas.read_parquet``;
- ``binance_csv``: Binance kline CSV without a header; reference ``pandas.read_csv(header=None)``;
- ``freqtrade_feather``: freqtrade feather; reference ``pandas.read_feather``;
- ``replay``: ``HistoryFeed`` ticks per second over the feather candles, against a reference loop that
  builds one plain tuple per row from ``DataFrame.itertuples``.

Ratios are ours / reference (lower is better; < 1 means faster than the bare reader, which checks nothing).
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from bigalpha.data.history import HistoryFeed, load, load_candles

T0_MS = 1_672_531_200_000
MINUTE_MS = 60_000


def make_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 20_000.0 * np.exp(np.cumsum(rng.normal(0, 5e-4, rows)))
    open_ = np.concatenate([[20_000.0], close[:-1]])
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 1e-3, rows))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 1e-3, rows))
    volume = rng.uniform(1, 500, rows)
    return pd.DataFrame(
        {
            "open_time": T0_MS + MINUTE_MS * np.arange(rows, dtype=np.int64),
            "open": open_.round(1),
            "high": high.round(1),
            "low": low.round(1),
            "close": close.round(1),
            "volume": volume.round(3),
            "taker_buy_volume": (volume * rng.uniform(0.2, 0.8, rows)).round(3),
        }
    )


def write_files(frame: pd.DataFrame, folder: Path) -> dict[str, Path]:
    stamps = pd.to_datetime(frame["open_time"], unit="ms", utc=True)
    parquet = folder / "BTCUSDT_1m.parquet"
    frame.drop(columns=["open_time"]).assign(timestamp=stamps).to_parquet(parquet, index=False)
    feather = folder / "BTC_USDT_USDT-1m-futures.feather"
    pd.DataFrame({"date": stamps, **{c: frame[c] for c in ("open", "high", "low", "close", "volume")}}).to_feather(
        feather
    )
    csv = folder / "BTCUSDT-1m-2023-01.csv"
    close_time = frame["open_time"] + MINUTE_MS - 1
    table = pa.table(
        {
            "open_time": frame["open_time"],
            "open": frame["open"],
            "high": frame["high"],
            "low": frame["low"],
            "close": frame["close"],
            "volume": frame["volume"],
            "close_time": close_time,
            "quote_volume": (frame["volume"] * frame["close"]).round(4),
            "count": np.full(len(frame), 100, dtype=np.int64),
            "taker_buy_volume": frame["taker_buy_volume"],
            "taker_buy_quote_volume": (frame["taker_buy_volume"] * frame["close"]).round(4),
            "ignore": np.zeros(len(frame), dtype=np.int64),
        }
    )
    pacsv.write_csv(table, csv, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return {"parquet": parquet, "feather": feather, "csv": csv}


def timed(func: Callable[[], object], runs: int) -> dict[str, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return {"best_s": round(min(times), 4), "median_s": round(statistics.median(times), 4)}


def compare(ours: Callable[[], object], reference: Callable[[], object], runs: int, label: str) -> dict[str, object]:
    ours()  # warm caches and imports for both sides alike
    reference()
    mine, ref = timed(ours, runs), timed(reference, runs)
    return {
        "ours": mine,
        "reference": label,
        "reference_s": ref,
        "ratio_best": round(mine["best_s"] / ref["best_s"], 3),
        "ratio_median": round(mine["median_s"] / ref["median_s"], 3),
    }


def replay(feather: Path, runs: int) -> dict[str, object]:
    candles = load_candles(feather)
    frame = pd.read_feather(feather)

    def ours() -> int:
        return sum(len(tick) for tick in HistoryFeed([candles]).ticks())

    def reference() -> int:
        return sum(1 for _ in frame.itertuples(index=False, name=None))

    result = compare(ours, reference, runs, "sum(1 for _ in DataFrame.itertuples(name=None))")
    best = result["ours"]["best_s"]  # type: ignore[index]
    result["snapshots_per_s"] = round(len(candles) / best)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_files(make_frame(args.rows, args.seed), Path(tmp))
        report: dict[str, object] = {
            "config": {
                "rows": args.rows,
                "timeframe": "1m",
                "runs": args.runs,
                "python": sys.version.split()[0],
                "pandas": pd.__version__,
                "pyarrow": pa.__version__,
                "file_mb": {k: round(p.stat().st_size / 2**20, 1) for k, p in paths.items()},
            },
            "parquet": compare(
                lambda: load(paths["parquet"]),
                lambda: pd.read_parquet(paths["parquet"]),
                args.runs,
                "pandas.read_parquet",
            ),
            "binance_csv": compare(
                lambda: load(paths["csv"]),
                lambda: pd.read_csv(paths["csv"], header=None),
                args.runs,
                "pandas.read_csv(header=None)",
            ),
            "freqtrade_feather": compare(
                lambda: load(paths["feather"]),
                lambda: pd.read_feather(paths["feather"]),
                args.runs,
                "pandas.read_feather",
            ),
            "replay": replay(paths["feather"], max(1, args.runs // 2)),
        }
        checked = load(paths["csv"])
        report["check"] = {"rows_loaded": len(checked), "clean": checked.quality.clean}
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
