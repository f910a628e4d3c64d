"""Writers of small history files in the real layouts (freqtrade, Binance, plain), for the history tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

T0_MS = 1_672_531_200_000  # 2023-01-01T00:00:00Z
HOUR_MS = 3_600_000
MINUTE_MS = 60_000


def ohlcv(n: int, *, seed: int = 1, start_ms: int = T0_MS, step_ms: int = HOUR_MS) -> pd.DataFrame:
    """A consistent random walk: high ≥ max(open, close), low ≤ min(open, close), volumes positive."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.005, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.005, n))
    volume = rng.uniform(1, 1000, n).round(3)
    taker = (volume * rng.uniform(0.2, 0.8, n)).round(3)
    return pd.DataFrame(
        {
            "ms": start_ms + step_ms * np.arange(n, dtype=np.int64),
            "open": open_.round(2),
            "high": high.round(2),
            "low": low.round(2),
            "close": close.round(2),
            "volume": volume,
            "taker_buy_volume": taker,
        }
    )


def freqtrade_frame(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.to_datetime(df["ms"], unit="ms", utc=True),
            **{c: df[c].to_numpy() for c in ("open", "high", "low", "close", "volume")},
        }
    )


def write_freqtrade_feather(path: Path, df: pd.DataFrame) -> Path:
    freqtrade_frame(df).to_feather(path)
    return path


def write_freqtrade_parquet(path: Path, df: pd.DataFrame) -> Path:
    freqtrade_frame(df).to_parquet(path)
    return path


def write_freqtrade_json(path: Path, df: pd.DataFrame) -> Path:
    rows = [[int(r.ms), r.open, r.high, r.low, r.close, r.volume] for r in df.itertuples()]
    path.write_text(json.dumps(rows))
    return path


def write_funding_feather(path: Path, rates: Sequence[float], *, start_ms: int = T0_MS, jitter_ms: int = 0) -> Path:
    ms = start_ms + 8 * HOUR_MS * np.arange(len(rates), dtype=np.int64) + jitter_ms * (np.arange(len(rates)) % 2)
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(ms, unit="ms", utc=True),
            "open": np.asarray(rates, dtype=float),
            "high": 0.0,
            "low": 0.0,
            "close": 0.0,
            "volume": 0.0,
        }
    )
    frame.to_feather(path)
    return path


def kline_lines(df: pd.DataFrame, *, step_ms: int = HOUR_MS, micro: bool = False) -> list[str]:
    """Binance kline CSV rows; `micro` writes open/close times in µs as Binance does from 2025."""
    scale = 1000 if micro else 1
    lines = []
    for r in df.itertuples():
        open_time = int(r.ms) * scale
        close_time = (int(r.ms) + step_ms) * scale - 1
        quote = round(r.volume * r.close, 4)
        lines.append(
            f"{open_time},{r.open},{r.high},{r.low},{r.close},{r.volume},{close_time},{quote},42,"
            f"{r.taker_buy_volume},{round(r.taker_buy_volume * r.close, 4)},0"
        )
    return lines


KLINE_HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"
)


def write_klines(
    path: Path, df: pd.DataFrame, *, header: bool = False, micro: bool = False, step_ms: int = HOUR_MS
) -> Path:
    lines = kline_lines(df, step_ms=step_ms, micro=micro)
    path.write_text("\n".join(([KLINE_HEADER] if header else []) + lines) + "\n")
    return path


AGG_HEADER = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker"


def write_aggtrades(path: Path, rows: Sequence[tuple[int, float, float, int, bool]], *, header: bool = False) -> Path:
    """rows: (agg_trade_id, price, quantity, transact_time ms, is_buyer_maker)."""
    lines = [AGG_HEADER] if header else []
    for agg_id, price, qty, ms, maker in rows:
        lines.append(f"{agg_id},{price},{qty},{agg_id * 10},{agg_id * 10 + 1},{ms},{'true' if maker else 'false'}")
    path.write_text("\n".join(lines) + "\n")
    return path


def iso(ms: int, offset_hours: int | None = 0) -> str:
    """ISO-8601 text of an epoch-ms instant, written in a zone `offset_hours` east of UTC (None: naive UTC)."""
    stamp = pd.Timestamp(ms, unit="ms", tz="UTC")
    if offset_hours is None:
        return stamp.tz_localize(None).isoformat()
    zone = f"Etc/GMT{-offset_hours:+d}" if offset_hours else "UTC"
    text = stamp.tz_convert(zone).isoformat()
    return text.replace("+00:00", "Z") if offset_hours == 0 else text


def write_plain_csv(
    path: Path, df: pd.DataFrame, *, times: Sequence[str] | None = None, symbol: str | None = None
) -> Path:
    out = pd.DataFrame({"timestamp": list(times) if times is not None else [iso(int(m)) for m in df["ms"]]})
    for column in ("open", "high", "low", "close", "volume", "taker_buy_volume"):
        out[column] = df[column].to_numpy()
    if symbol is not None:
        out["symbol"] = symbol
    out.to_csv(path, index=False)
    return path
