"""Quality checks: gaps, duplicates, unsorted rows, timezone offsets, OHLC contradictions, NaNs.

Repairs are only the unambiguous ones (sort, drop exact duplicates, convert epoch units); everything
else is reported with row numbers and never altered, so a replay (D-REC-1) sees what the file holds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from history_samples import HOUR_MS, T0_MS, ohlcv, write_freqtrade_feather, write_klines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bigalpha.data.history import Candles, DataFormatError, IssueCode, load


def _feather(tmp_path: Path, df: pd.DataFrame, name: str = "BTC_USDT_USDT-1h-futures.feather") -> Candles:
    candles = load(write_freqtrade_feather(tmp_path / name, df))
    assert isinstance(candles, Candles)
    return candles


def test_gap_is_reported_with_the_largest_and_never_filled(tmp_path: Path) -> None:
    df = ohlcv(20).drop(index=[5, 6, 7, 12]).reset_index(drop=True)
    candles = _feather(tmp_path, df)
    report = candles.quality
    assert len(candles) == 16
    assert (report.gap_count, report.missing_bars) == (2, 4)
    assert report.largest_gap is not None
    assert report.largest_gap.missing == 3
    assert report.largest_gap.after == pd.Timestamp(T0_MS + 4 * HOUR_MS, unit="ms", tz="UTC").to_pydatetime()
    gaps = report.issue(IssueCode.GAPS)
    assert gaps is not None
    assert gaps.examples[0].row == 6  # the first bar after the hole, 1-based record number
    assert "3 bar(s) missing" in gaps.examples[0].detail


def test_exact_duplicate_rows_are_dropped_and_reported(tmp_path: Path) -> None:
    df = ohlcv(10)
    doubled = pd.concat([df.iloc[:4], df.iloc[[3]], df.iloc[4:]]).reset_index(drop=True)
    candles = _feather(tmp_path, doubled)
    assert len(candles) == 10
    issue = candles.quality.issue(IssueCode.EXACT_DUPLICATES_DROPPED)
    assert issue is not None
    assert issue.count == 1
    assert issue.examples[0].row == 5
    assert issue.examples[0].detail == "identical to row 4"
    assert candles.quality.clean  # a repair, not a problem
    np.testing.assert_array_equal(candles.close, df["close"].to_numpy())


def test_conflicting_duplicates_are_an_error_naming_both_rows(tmp_path: Path) -> None:
    df = ohlcv(6)
    clash = df.iloc[[2]].assign(close=df["close"][2] + 1.0)
    bad = pd.concat([df.iloc[:3], clash, df.iloc[3:]]).reset_index(drop=True)
    with pytest.raises(
        DataFormatError,
        match=r"row 4, column 'close': conflicting duplicate: rows 3 and 4 share timestamp 2023-01-01T02:00:00\+00:00",
    ):
        _feather(tmp_path, bad)


def test_unsorted_rows_are_sorted_and_reported(tmp_path: Path) -> None:
    df = ohlcv(10)
    shuffled = df.iloc[[0, 1, 5, 2, 3, 4, 6, 7, 9, 8]].reset_index(drop=True)
    candles = _feather(tmp_path, shuffled)
    np.testing.assert_array_equal(candles.ts, df["ms"].to_numpy() * 1_000_000)
    np.testing.assert_array_equal(candles.open, df["open"].to_numpy())
    issue = candles.quality.issue(IssueCode.SORTED)
    assert issue is not None
    assert issue.count == 2
    assert issue.examples[0].row == 4
    assert candles.quality.gap_count == 0


def test_hour_offset_against_the_grid_is_reported_not_shifted(tmp_path: Path) -> None:
    """4h bars stamped 02:00, 06:00 …: a UTC+2 local-time export read as UTC."""
    df = ohlcv(8, start_ms=T0_MS + 2 * HOUR_MS, step_ms=4 * HOUR_MS)
    candles = _feather(tmp_path, df, "BTC_USDT_USDT-4h-futures.feather")
    issue = candles.quality.issue(IssueCode.GRID_OFFSET)
    assert issue is not None
    assert "+2h off the 4h grid" in issue.message
    assert candles.ts[0] == (T0_MS + 2 * HOUR_MS) * 1_000_000


def test_close_times_used_as_open_times_are_recognised(tmp_path: Path) -> None:
    df = ohlcv(5, start_ms=T0_MS + HOUR_MS - 1)
    issue = _feather(tmp_path, df).quality.issue(IssueCode.GRID_OFFSET)
    assert issue is not None
    assert "look like bar close times" in issue.message


def test_scattered_off_grid_rows_are_reported(tmp_path: Path) -> None:
    df = ohlcv(6)
    df.loc[3, "ms"] += 60_000
    issue = _feather(tmp_path, df).quality.issue(IssueCode.OFF_GRID)
    assert issue is not None
    assert (issue.count, issue.examples[0].row) == (1, 4)


def test_ohlc_contradictions_negative_volume_and_nans_are_reported_with_rows(tmp_path: Path) -> None:
    df = ohlcv(8)
    df.loc[2, "high"] = df.loc[2, "low"] - 1.0
    df.loc[4, "volume"] = -3.0
    df.loc[6, "close"] = np.nan
    df.loc[7, "open"] = 0.0
    report = _feather(tmp_path, df).quality
    assert not report.clean
    ohlc = report.issue(IssueCode.OHLC_INCONSISTENT)
    assert ohlc is not None
    assert ohlc.examples[0].row == 3
    volume = report.issue(IssueCode.NEGATIVE_VOLUME)
    assert volume is not None
    assert volume.examples[0].row == 5
    nans = report.issue(IssueCode.NAN_VALUES)
    assert nans is not None
    assert (nans.count, nans.examples[0].row) == (1, 7)
    assert "close: 1" in nans.message
    assert report.count(IssueCode.NON_POSITIVE_PRICE) == 1


def test_taker_volume_above_total_is_reported(tmp_path: Path) -> None:
    df = ohlcv(4)
    df.loc[1, "taker_buy_volume"] = df.loc[1, "volume"] * 2
    candles = load(write_klines(tmp_path / "BTCUSDT-1h-2023-01-01.csv", df))
    assert candles.quality.count(IssueCode.TAKER_EXCEEDS_VOLUME) == 1


def test_quality_report_serialises_to_json_types(tmp_path: Path) -> None:
    df = ohlcv(10).drop(index=[4]).reset_index(drop=True)
    data = _feather(tmp_path, df).quality.to_dict()
    assert data["gaps"]["count"] == 1
    assert data["problems"][0]["code"] == "GAPS"
    assert isinstance(data["problems"][0]["examples"][0]["ts"], str)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(min_value=2, max_value=60),
    data=st.data(),
)
def test_shuffled_and_repeated_rows_load_back_to_the_original(tmp_path: Path, n: int, data: st.DataObject) -> None:
    """Property: any permutation of a clean series plus exact copies of some rows loads back to exactly the
    clean series, with the repairs counted (D-REC-1: a repaired file replays the same bars)."""
    df = ohlcv(n, seed=n)
    copies = data.draw(st.lists(st.integers(0, n - 1), max_size=10), label="copies")
    order = data.draw(st.permutations(list(range(n)) + copies), label="order")
    messy = df.iloc[order].reset_index(drop=True)
    candles = _feather(tmp_path, messy)  # each example overwrites the same file
    np.testing.assert_array_equal(candles.ts, df["ms"].to_numpy() * 1_000_000)
    np.testing.assert_array_equal(candles.close, df["close"].to_numpy())
    assert (candles.symbol, candles.timeframe) == ("BTC", "1h")
    assert candles.quality.count(IssueCode.EXACT_DUPLICATES_DROPPED) == len(copies)
    assert candles.quality.rows_read == n + len(copies)
    assert candles.quality.gap_count == 0
    assert candles.quality.clean
