"""Binance public data: kline CSV (no header, a header, ms or µs open times, zip) and aggTrades CSV."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import numpy as np
import pytest
from history_samples import MINUTE_MS, T0_MS, kline_lines, ohlcv, write_aggtrades, write_klines

from bigalpha.data.history import (
    AggTrades,
    Candles,
    DataFormatError,
    HistoryKind,
    IssueCode,
    MarkPrices,
    SourceFormat,
    detect_format,
    load,
)
from bigalpha.domain import OrderSide


@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize("micro", [False, True])
def test_kline_csv_loads_with_taker_buy_volume(tmp_path: Path, header: bool, micro: bool) -> None:
    df = ohlcv(30, step_ms=MINUTE_MS)
    path = write_klines(tmp_path / "BTCUSDT-1m-2025-01-01.csv", df, header=header, micro=micro, step_ms=MINUTE_MS)
    candles = load(path)
    assert isinstance(candles, Candles)
    assert detect_format(path) is SourceFormat.BINANCE_KLINES_CSV
    assert (candles.symbol, candles.timeframe, candles.exchange, len(candles)) == ("BTC", "1m", "binance", 30)
    assert candles.ts[0] == T0_MS * 1_000_000
    np.testing.assert_array_equal(candles.open, df["open"].to_numpy())
    assert candles.taker_buy_volume is not None
    np.testing.assert_array_equal(candles.taker_buy_volume, df["taker_buy_volume"].to_numpy())
    assert candles.quality.time_encoding == ("epoch us" if micro else "epoch ms")
    assert not candles.quality.repairs  # µs is Binance's documented unit from 2025, not a repair
    assert candles.quality.clean


def test_timeframe_comes_from_close_time_when_the_name_says_nothing(tmp_path: Path) -> None:
    path = write_klines(tmp_path / "export.csv", ohlcv(1, step_ms=4 * 3_600_000), step_ms=4 * 3_600_000)
    candles = load(path, symbol="ETHUSDT")
    assert isinstance(candles, Candles)
    assert (candles.symbol, candles.timeframe) == ("ETH", "4h")


def test_ms_and_us_rows_in_one_file_are_converted_and_reported(tmp_path: Path) -> None:
    """A 2024 file (ms) and a 2025 file (µs) concatenated: each value's unit is plain from its magnitude."""
    df = ohlcv(10, step_ms=MINUTE_MS)
    lines = kline_lines(df.iloc[:6], step_ms=MINUTE_MS) + kline_lines(df.iloc[6:], step_ms=MINUTE_MS, micro=True)
    path = tmp_path / "BTCUSDT-1m-2025-01.csv"
    path.write_text("\n".join(lines) + "\n")
    candles = load(path)
    np.testing.assert_array_equal(candles.ts, df["ms"].to_numpy() * 1_000_000)
    issue = candles.quality.issue(IssueCode.EPOCH_UNIT_CONVERTED)
    assert issue is not None
    assert issue.count == 4
    assert issue.examples[0].row == 7
    assert candles.quality.time_encoding == "epoch ms+us"


def test_zip_and_gzip_archives_are_read(tmp_path: Path) -> None:
    df = ohlcv(12)
    text = "\n".join(kline_lines(df)) + "\n"
    archive = tmp_path / "BTCUSDT-1h-2023-01.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("BTCUSDT-1h-2023-01.csv", text)
    packed = tmp_path / "BTCUSDT-1h-2023-01.csv.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    for path in (archive, packed):
        candles = load(path)
        assert (candles.symbol, len(candles)) == ("BTC", 12)


def test_mark_price_klines_load_as_mark_prices(tmp_path: Path) -> None:
    path = write_klines(tmp_path / "BTCUSDT-1h-2023-01-01.csv", ohlcv(4))
    assert isinstance(load(path, kind="mark"), MarkPrices)
    with pytest.raises(DataFormatError, match="holds candles or mark-price klines"):
        load(path, kind=HistoryKind.FUNDING_RATE)


def test_truncated_kline_line_is_named_by_line_number(tmp_path: Path) -> None:
    path = write_klines(tmp_path / "BTCUSDT-1h-2023-01-01.csv", ohlcv(5), header=True)
    text = path.read_text()
    path.write_text(text[: len(text) - 60])  # the last line loses its tail, as an interrupted download does
    with pytest.raises(
        DataFormatError, match=r"BTCUSDT-1h-2023-01-01\.csv, row 6: expected 12 fields, found \d+"
    ) as caught:
        load(path)
    assert caught.value.row == 6


def test_non_numeric_kline_value_names_line_column_and_value(tmp_path: Path) -> None:
    path = write_klines(tmp_path / "BTCUSDT-1h-2023-01-01.csv", ohlcv(5))
    lines = path.read_text().splitlines()
    fields = lines[3].split(",")
    fields[4] = "12O.5"  # letter O for zero
    lines[3] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"row 4, column 'close': value is not a number \(value '12O\.5'\)"):
        load(path)


def test_implausible_open_time_is_refused(tmp_path: Path) -> None:
    path = write_klines(tmp_path / "BTCUSDT-1h-2023-01-01.csv", ohlcv(3))
    lines = path.read_text().splitlines()
    lines[1] = "12345" + lines[1][lines[1].index(",") :]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"row 2, column 'ts': timestamp is not a plausible epoch.*12345"):
        load(path)


@pytest.mark.parametrize("header", [False, True])
def test_aggtrades_give_the_taker_side(tmp_path: Path, header: bool) -> None:
    rows = [
        (100, 42000.0, 0.5, T0_MS, True),
        (101, 42001.0, 1.25, T0_MS + 5, False),
        (102, 41999.5, 3.0, T0_MS + 5, True),
    ]
    path = write_aggtrades(tmp_path / "BTCUSDT-aggTrades-2023-01-01.csv", rows, header=header)
    trades = load(path)
    assert isinstance(trades, AggTrades)
    assert detect_format(path) is SourceFormat.BINANCE_AGGTRADES_CSV
    assert (trades.symbol, len(trades)) == ("BTC", 3)
    assert [trades.trade(i).side for i in range(3)] == [OrderSide.SELL, OrderSide.BUY, OrderSide.SELL]
    assert trades.trade(1).notional == pytest.approx(42001.0 * 1.25)
    assert trades.trade_id is not None
    assert trades.trade_id.tolist() == [100, 101, 102]
    assert trades.quality.clean


def test_aggtrades_with_missing_ids_and_a_repeated_row(tmp_path: Path) -> None:
    rows = [
        (1, 10.0, 1.0, T0_MS, True),
        (2, 10.0, 1.0, T0_MS, False),
        (2, 10.0, 1.0, T0_MS, False),
        (5, 11.0, 2.0, T0_MS + 9, True),
    ]
    trades = load(write_aggtrades(tmp_path / "ETHUSDT-aggTrades-2023-01-01.csv", rows))
    assert len(trades) == 3
    assert trades.quality.count(IssueCode.EXACT_DUPLICATES_DROPPED) == 1
    gaps = trades.quality.issue(IssueCode.TRADE_ID_GAPS)
    assert gaps is not None
    assert "skip 2 ids" in gaps.message


def test_aggtrades_with_a_conflicting_repeated_id_is_refused(tmp_path: Path) -> None:
    rows = [(1, 10.0, 1.0, T0_MS, True), (1, 10.5, 1.0, T0_MS, True)]
    with pytest.raises(
        DataFormatError, match=r"row 2, column 'price': conflicting duplicate: rows 1 and 2 share trade id 1"
    ):
        load(write_aggtrades(tmp_path / "ETHUSDT-aggTrades-2023-01-01.csv", rows))


def test_aggtrades_bad_flag_names_the_line(tmp_path: Path) -> None:
    path = write_aggtrades(tmp_path / "ETHUSDT-aggTrades-2023-01-01.csv", [(1, 10.0, 1.0, T0_MS, True)] * 1)
    path.write_text(path.read_text() + f"2,10.0,1.0,20,21,{T0_MS + 1},maybe\n")
    with pytest.raises(DataFormatError, match=r"row 2, column 'is_buyer_maker': value is not true/false"):
        load(path)


def test_aggtrades_with_the_api_field_names_as_header(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT-aggTrades-2023-01-01.csv"
    path.write_text(f"a,p,q,f,l,T,m\n1,42000.0,0.5,1,1,{T0_MS},true\n2,42001.0,1.5,2,3,{T0_MS + 5},false\n")
    trades = load(path)
    assert isinstance(trades, AggTrades)
    assert [trades.trade(i).side for i in range(2)] == [OrderSide.SELL, OrderSide.BUY]


def test_a_header_that_only_starts_like_aggtrades_is_read_as_a_plain_csv(tmp_path: Path) -> None:
    """A first column named `a` alone is no aggTrades header: the file is judged by its columns as a whole."""
    path = tmp_path / "mystery.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataFormatError, match=r"no time column(.|\n)*columns are \['a', 'b'\]"):
        load(path)


def test_headerless_csv_of_another_shape_lists_the_supported_formats(tmp_path: Path) -> None:
    path = tmp_path / "mystery.csv"
    path.write_text("1,2,3\n4,5,6\n")
    with pytest.raises(DataFormatError, match=r"row 1 has 3(.|\n)*supported formats:(.|\n)*aggTrades"):
        load(path)
    with pytest.raises(DataFormatError, match="supported formats"):
        detect_format(path)


def test_empty_file_and_unknown_extension_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataFormatError, match=r"empty\.csv: file is empty"):
        load(tmp_path / "empty.csv")
    (tmp_path / "notes.xlsx").write_bytes(b"PK")
    with pytest.raises(DataFormatError, match=r"unsupported file extension '\.xlsx'"):
        load(tmp_path / "notes.xlsx")
    with pytest.raises(DataFormatError, match="no such file"):
        load(tmp_path / "absent.csv")
