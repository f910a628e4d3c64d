"""Positioning history (A-OI-1, A-LSR-1): Binance's 5-minute `metrics` archives, or a plain file of open interest
and long/short ratio, loaded and replayed in each snapshot as of the last row observed, never a later one."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from history_samples import HOUR_MS, ohlcv, write_klines

from bigalpha.config.data import DataKind
from bigalpha.data.history import (
    NOT_IN_HISTORY,
    HistoryFeed,
    IssueCode,
    Positioning,
    SourceFormat,
    detect_format,
    load,
    load_candles,
    load_dir,
)
from bigalpha.data.history.feed import BEFORE_POSITIONING, NO_RATIO
from bigalpha.data.ports import tick_time

HEADER = (
    "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
    "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio"
)
T0 = datetime(2023, 1, 1, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)


def _metrics(path: Path, rows: list[tuple[datetime, float, str]], symbol: str = "BTCUSDT") -> Path:
    """A Binance metrics file: (time, open interest in USD, long/short ratio text: '' when missing) per row."""
    lines = [HEADER]
    for when, value, ratio in rows:
        lines.append(f"{when:%Y-%m-%d %H:%M:%S},{symbol},{value / 40_000},{value},1.1,1.2,{ratio},0.9")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_binance_metrics_file_gives_open_interest_and_the_long_short_ratio(tmp_path: Path) -> None:
    rows = [(T0 + k * FIVE_MINUTES, 1e9 + k, "" if k == 2 else f"{1.5 + k / 100}") for k in range(4)]
    path = _metrics(tmp_path / "BTCUSDT-metrics-2023-01-01.csv", rows)
    data = load(path)
    assert isinstance(data, Positioning)
    assert detect_format(path) is SourceFormat.BINANCE_METRICS_CSV
    assert (data.symbol, data.exchange, data.interval, len(data)) == ("BTC", "binance", "5m", 4)
    assert data.ts.tolist() == [int((T0 + k * FIVE_MINUTES).timestamp()) * 1_000_000_000 for k in range(4)]
    assert data.open_interest_usd.tolist() == [1e9, 1e9 + 1, 1e9 + 2, 1e9 + 3]
    assert data.long_short_ratio.tolist()[:2] == [1.5, 1.51]
    assert math.isnan(data.long_short_ratio[2])
    # Binance writes UTC without a zone: not reported as a naive time; the missing ratio is
    assert data.quality.issue(IssueCode.NAIVE_TIMESTAMPS) is None
    assert data.quality.count(IssueCode.NAN_VALUES) == 1
    renamed = load(_metrics(tmp_path / "whatever.csv", rows, symbol="ETHUSDT"))
    assert isinstance(renamed, Positioning)
    assert renamed.symbol == "ETH"  # from the symbol column when the name says nothing


def test_a_plain_file_of_open_interest_is_positioning_too(tmp_path: Path) -> None:
    path = tmp_path / "SOL-5m.csv"
    path.write_text(
        "timestamp,open_interest_usd,long_short_ratio\n2023-01-01T00:00:00Z,5e8,0.9\n2023-01-01T00:05:00Z,6e8,\n"
    )
    data = load(path, symbol="SOL")
    assert isinstance(data, Positioning)
    assert detect_format(path) is SourceFormat.PLAIN_CSV
    assert data.open_interest_usd.tolist() == [5e8, 6e8]


def test_daily_metrics_files_join_into_one_series(tmp_path: Path) -> None:
    days = [[(T0 + timedelta(days=d) + k * FIVE_MINUTES, 1e9 + 100 * d + k, "1.2") for k in range(288)] for d in (0, 1)]
    for d, rows in enumerate(days):
        _metrics(tmp_path / f"BTCUSDT-metrics-2023-01-0{d + 1}.csv", rows)
    [joined] = load_dir(tmp_path).joined().positioning()
    assert len(joined) == 576
    assert joined.quality.clean
    assert np.all(np.diff(joined.ts) == 300 * 1_000_000_000)


def test_each_snapshot_carries_the_last_row_observed_at_or_before_it(tmp_path: Path) -> None:
    """No look-ahead: a bar closing at 00:07 sees the 00:05 row, not the 00:10 one; before the first row there is
    none, and a row without a ratio gives open interest only. The short share is 1 / (1 + ratio)."""
    candles = load_candles(
        write_klines(tmp_path / "BTCUSDT-1m-2023-01-01.csv", ohlcv(20, step_ms=60_000), step_ms=60_000)
    )
    rows = [
        (T0 + timedelta(minutes=3), 1e9, "1.5"),
        (T0 + timedelta(minutes=5), 2e9, "1.25"),
        (T0 + timedelta(minutes=10), 3e9, ""),
    ]
    positioning = load(_metrics(tmp_path / "BTCUSDT-metrics-2023-01-01.csv", rows))
    assert isinstance(positioning, Positioning)
    snapshots = {tick_time(tick): tick[0] for tick in HistoryFeed([candles], positioning=[positioning]).ticks()}
    early = snapshots[T0 + timedelta(minutes=2)]
    assert early.open_interest_usd is None
    assert early.long_short is None
    assert dict(early.unavailable)[DataKind.OPEN_INTEREST] == BEFORE_POSITIONING
    at_7 = snapshots[T0 + timedelta(minutes=7)]
    assert at_7.open_interest_usd is not None
    assert (at_7.open_interest_usd.value, at_7.open_interest_usd.as_of) == (2e9, T0 + timedelta(minutes=5))
    assert at_7.long_short is not None
    assert at_7.long_short.value.long_short_ratio == 1.25
    assert at_7.long_short.value.short_share == pytest.approx(1 / 2.25)
    assert DataKind.OPEN_INTEREST not in dict(at_7.unavailable)
    assert DataKind.LONG_SHORT_RATIO not in dict(at_7.unavailable)
    at_12 = snapshots[T0 + timedelta(minutes=12)]
    assert at_12.open_interest_usd is not None
    assert at_12.open_interest_usd.value == 3e9
    assert at_12.long_short is None
    assert dict(at_12.unavailable)[DataKind.LONG_SHORT_RATIO] == NO_RATIO
    without = next(iter(HistoryFeed([candles]).ticks()))[0]
    assert dict(without.unavailable)[DataKind.OPEN_INTEREST] == NOT_IN_HISTORY


def test_two_positioning_series_of_one_symbol_are_refused(tmp_path: Path) -> None:
    candles = load_candles(write_klines(tmp_path / "BTCUSDT-1h-2023-01-01.csv", ohlcv(5), step_ms=HOUR_MS))
    one = load(_metrics(tmp_path / "BTCUSDT-metrics-2023-01-01.csv", [(T0, 1e9, "1")]))
    two = load(_metrics(tmp_path / "BTCUSDT-metrics-2023-01-02.csv", [(T0 + timedelta(days=1), 1e9, "1")]))
    assert isinstance(one, Positioning)
    assert isinstance(two, Positioning)
    with pytest.raises(ValueError, match=r"two positioning series for BTC(.|\n)*HistoryDir.joined"):
        HistoryFeed([candles], positioning=[one, two])
