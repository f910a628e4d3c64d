"""freqtrade layouts: feather, parquet and json candles; `-funding_rate` (rate in `open`); `-mark` OHLC."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from history_samples import (
    T0_MS,
    ohlcv,
    write_freqtrade_feather,
    write_freqtrade_json,
    write_freqtrade_parquet,
    write_funding_feather,
)

from bigalpha.data.history import (
    Candles,
    DataFormatError,
    FundingRates,
    HistoryKind,
    IssueCode,
    MarkPrices,
    SourceFormat,
    detect_format,
    load,
    load_candles,
    load_funding,
)


@pytest.mark.parametrize(
    ("writer", "ext", "fmt"),
    [
        (write_freqtrade_feather, "feather", SourceFormat.FREQTRADE_FEATHER),
        (write_freqtrade_parquet, "parquet", SourceFormat.FREQTRADE_PARQUET),
        (write_freqtrade_json, "json", SourceFormat.FREQTRADE_JSON),
    ],
)
def test_freqtrade_candles_load_with_symbol_and_timeframe_from_the_name(tmp_path: Path, writer, ext, fmt) -> None:
    """D-REC-1: history replays what the file holds, bar for bar."""
    df = ohlcv(48)
    path = writer(tmp_path / f"BTC_USDT_USDT-1h-futures.{ext}", df)
    candles = load(path)
    assert isinstance(candles, Candles)
    assert detect_format(path) is fmt
    assert candles.format is fmt
    assert (candles.symbol, candles.timeframe, len(candles)) == ("BTC", "1h", 48)
    assert candles.ts[0] == T0_MS * 1_000_000
    np.testing.assert_array_equal(candles.close, df["close"].to_numpy())
    np.testing.assert_array_equal(candles.volume, df["volume"].to_numpy())
    assert candles.taker_buy_volume is None
    assert candles.start == datetime(2023, 1, 1, tzinfo=UTC)
    assert candles.quality.clean
    assert candles.quality.rows_read == candles.quality.rows == 48


def test_arrays_are_read_only(tmp_path: Path) -> None:
    candles = load_candles(write_freqtrade_feather(tmp_path / "ETH_USDT_USDT-1h-futures.feather", ohlcv(5)))
    with pytest.raises(ValueError, match="read-only"):
        candles.close[0] = 1.0


def test_funding_rate_is_read_from_open_and_millisecond_jitter_is_not_a_grid_error(tmp_path: Path) -> None:
    path = write_funding_feather(tmp_path / "BTC_USDT_USDT-8h-funding_rate.feather", [1e-4, -2e-5, 3e-5], jitter_ms=8)
    funding = load(path)
    assert isinstance(funding, FundingRates)
    assert funding.interval == "8h"
    np.testing.assert_array_equal(funding.rate, [1e-4, -2e-5, 3e-5])
    assert funding.quality.clean, funding.quality.problems


def test_mark_file_loads_mark_price_ohlc(tmp_path: Path) -> None:
    df = ohlcv(6, step_ms=8 * 3_600_000)
    mark = load(write_freqtrade_feather(tmp_path / "SOL_USDT_USDT-8h-mark.feather", df))
    assert isinstance(mark, MarkPrices)
    assert (mark.symbol, mark.timeframe) == ("SOL", "8h")
    np.testing.assert_array_equal(mark.high, df["high"].to_numpy())


def test_overrides_beat_the_file_name(tmp_path: Path) -> None:
    path = write_freqtrade_feather(tmp_path / "BTC_USDT_USDT-1h-futures.feather", ohlcv(5))
    candles = load_candles(path, symbol="XRPUSDT", timeframe="1h")
    assert candles.symbol == "XRP"
    funding = load_funding(
        write_freqtrade_feather(tmp_path / "odd-name.feather", ohlcv(3, step_ms=8 * 3_600_000)), symbol="BTC"
    )
    assert funding.symbol == "BTC"
    assert funding.kind is HistoryKind.FUNDING_RATE


def test_spot_pair_keeps_a_non_usdt_quote(tmp_path: Path) -> None:
    candles = load(write_freqtrade_feather(tmp_path / "ETH_BTC-5m.feather", ohlcv(3, step_ms=300_000)))
    assert (candles.symbol, candles.timeframe_label) == ("ETHBTC", "5m")


def test_name_and_data_disagreeing_on_timeframe_is_reported(tmp_path: Path) -> None:
    candles = load(write_freqtrade_feather(tmp_path / "BTC_USDT_USDT-1h-futures.feather", ohlcv(10, step_ms=900_000)))
    assert candles.quality.count(IssueCode.TIMEFRAME_MISMATCH) == 1


def test_truncated_feather_names_the_file(tmp_path: Path) -> None:
    path = write_freqtrade_feather(tmp_path / "BTC_USDT_USDT-1h-futures.feather", ohlcv(200))
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataFormatError, match=r"BTC_USDT_USDT-1h-futures\.feather: not a readable feather file"):
        load(path)


def test_feather_with_wrong_columns_is_refused_with_the_columns_found(tmp_path: Path) -> None:
    path = tmp_path / "BTC_USDT_USDT-1h-futures.feather"
    ohlcv(3).rename(columns={"ms": "when"}).to_feather(path)
    with pytest.raises(DataFormatError, match=r"no time column.*'when'"):
        load(path)


def test_truncated_json_names_the_row(tmp_path: Path) -> None:
    path = write_freqtrade_json(tmp_path / "BTC_USDT_USDT-1h-futures.json", ohlcv(5))
    text = path.read_text()
    path.write_text(text[: text.index("]", text.index("]") + 1) + 12])  # cut inside row 3
    with pytest.raises(DataFormatError, match=r"row 3: invalid JSON \(truncated\?\)") as caught:
        load(path)
    assert caught.value.row == 3


def test_non_numeric_json_value_names_row_column_and_value(tmp_path: Path) -> None:
    path = tmp_path / "BTC_USDT_USDT-1h-futures.json"
    path.write_text('[[1672531200000, 1, 2, 0.5, 1.5, 10], [1672534800000, 1, "x", 0.5, 1.5, 10]]')
    with pytest.raises(DataFormatError, match=r"row 2, column 'high': value is not a number \(value 'x'\)"):
        load(path)


def test_json_row_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "BTC_USDT_USDT-1h-futures.json"
    path.write_text("[[1672531200000, 1, 2, 0.5, 1.5, 10], [1672534800000, 1, 2]]")
    with pytest.raises(DataFormatError, match=r"row 2: row is not \[ms, open, high, low, close, volume\]"):
        load(path)
