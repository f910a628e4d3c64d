"""Plain CSV / Parquet with the documented schema, and Parquet with a UTC DatetimeIndex named `timestamp`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from history_samples import HOUR_MS, T0_MS, iso, ohlcv, write_plain_csv

from bigalpha.data.history import (
    AggTrades,
    Candles,
    DataFormatError,
    FundingRates,
    IssueCode,
    SourceFormat,
    load,
)


def test_plain_csv_with_iso_utc_times(tmp_path: Path) -> None:
    df = ohlcv(24)
    candles = load(write_plain_csv(tmp_path / "BTCUSDT_1h.csv", df))
    assert isinstance(candles, Candles)
    assert candles.format is SourceFormat.PLAIN_CSV
    assert (candles.symbol, candles.timeframe, len(candles)) == ("BTC", "1h", 24)
    np.testing.assert_array_equal(candles.ts, df["ms"].to_numpy() * 1_000_000)
    assert candles.taker_buy_volume is not None
    assert candles.quality.time_encoding == "ISO-8601 UTC"
    assert candles.quality.clean


def test_symbol_column_names_the_symbol(tmp_path: Path) -> None:
    candles = load(write_plain_csv(tmp_path / "bars.csv", ohlcv(5), symbol="SOL/USDT:USDT"))
    assert (candles.symbol, candles.timeframe_label) == ("SOL", "1h")


def test_a_file_mixing_symbols_is_refused_at_the_first_other_symbol(tmp_path: Path) -> None:
    path = write_plain_csv(tmp_path / "bars.csv", ohlcv(5), symbol="BTCUSDT")
    frame = pd.read_csv(path)
    frame.loc[3, "symbol"] = "ETHUSDT"
    frame.to_csv(path, index=False)
    with pytest.raises(DataFormatError, match=r"row 5, column 'symbol': file mixes symbols.*\(value 'ETHUSDT'\)"):
        load(path)


def test_epoch_ms_times_are_read(tmp_path: Path) -> None:
    df = ohlcv(5)
    candles = load(write_plain_csv(tmp_path / "BTCUSDT_1h.csv", df, times=[str(m) for m in df["ms"]]))
    np.testing.assert_array_equal(candles.ts, df["ms"].to_numpy() * 1_000_000)
    assert candles.quality.time_encoding == "epoch ms"
    assert not candles.quality.repairs


def test_epoch_seconds_are_converted_and_reported(tmp_path: Path) -> None:
    df = ohlcv(5)
    candles = load(write_plain_csv(tmp_path / "BTCUSDT_1h.csv", df, times=[str(m // 1000) for m in df["ms"]]))
    np.testing.assert_array_equal(candles.ts, df["ms"].to_numpy() * 1_000_000)
    assert candles.quality.count(IssueCode.EPOCH_UNIT_CONVERTED) == 5


def test_one_explicit_offset_throughout_is_converted_to_utc(tmp_path: Path) -> None:
    df = ohlcv(6)
    candles = load(write_plain_csv(tmp_path / "BTCUSDT_1h.csv", df, times=[iso(int(m), 2) for m in df["ms"]]))
    np.testing.assert_array_equal(candles.ts, df["ms"].to_numpy() * 1_000_000)
    repair = candles.quality.issue(IssueCode.UTC_OFFSET_CONVERTED)
    assert repair is not None
    assert "+02:00" in repair.message
    assert candles.quality.clean


def test_naive_times_are_read_as_utc_and_reported(tmp_path: Path) -> None:
    df = ohlcv(6)
    candles = load(write_plain_csv(tmp_path / "BTCUSDT_1h.csv", df, times=[iso(int(m), None) for m in df["ms"]]))
    np.testing.assert_array_equal(candles.ts, df["ms"].to_numpy() * 1_000_000)
    assert candles.quality.count(IssueCode.NAIVE_TIMESTAMPS) == 6


def test_mixed_offsets_are_an_error_naming_the_row_and_value(tmp_path: Path) -> None:
    """Local time across a daylight-saving change: +01:00, then +02:00."""
    df = ohlcv(6)
    times = [iso(int(m), 1) for m in df["ms"][:4]] + [iso(int(m), 2) for m in df["ms"][4:]]
    with pytest.raises(
        DataFormatError, match=r"BTCUSDT_1h\.csv, row 6, column 'ts': timestamps mix timezones"
    ) as caught:
        load(write_plain_csv(tmp_path / "BTCUSDT_1h.csv", df, times=times))
    assert caught.value.value == times[4]


def test_naive_mixed_with_zoned_is_an_error(tmp_path: Path) -> None:
    df = ohlcv(4)
    times = [iso(int(m)) for m in df["ms"][:3]] + [iso(int(df["ms"][3]), None)]
    with pytest.raises(DataFormatError, match=r"row 5, column 'ts': timestamps mix timezones.*none"):
        load(write_plain_csv(tmp_path / "BTCUSDT_1h.csv", df, times=times))


def test_unparseable_time_names_row_and_value(tmp_path: Path) -> None:
    df = ohlcv(4)
    times = [iso(int(m)) for m in df["ms"]]
    times[2] = "2023-13-45T00:00:00Z"
    with pytest.raises(DataFormatError, match=r"row 4, column 'ts': timestamp is not ISO-8601.*2023-13-45"):
        load(write_plain_csv(tmp_path / "BTCUSDT_1h.csv", df, times=times))


def test_non_numeric_price_names_row_column_and_value(tmp_path: Path) -> None:
    path = write_plain_csv(tmp_path / "BTCUSDT_1h.csv", ohlcv(5))
    frame = pd.read_csv(path, dtype=str)
    frame.loc[2, "high"] = "n/a"
    frame.to_csv(path, index=False)
    with pytest.raises(DataFormatError, match=r"row 4, column 'high': value is not a number \(value 'n/a'\)"):
        load(path)


def test_missing_columns_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT_1h.csv"
    path.write_text("timestamp,open,high,low\n2023-01-01T00:00:00Z,1,2,0.5\n")
    with pytest.raises(DataFormatError, match=r"cannot tell what the file holds from its columns"):
        load(path)
    with pytest.raises(DataFormatError, match=r"a candles file needs column\(s\) \['close', 'volume'\]"):
        load(path, kind="candles")


def test_parquet_with_a_utc_datetime_index_named_timestamp(tmp_path: Path) -> None:
    df = ohlcv(10)
    frame = df[["open", "high", "low", "close", "volume"]].set_index(
        pd.DatetimeIndex(pd.to_datetime(df["ms"], unit="ms", utc=True), name="timestamp")
    )
    path = tmp_path / "ETHUSDT_1h.parquet"
    frame.to_parquet(path)
    candles = load(path)
    assert candles.format is SourceFormat.PLAIN_PARQUET
    assert (candles.symbol, candles.timeframe_label, len(candles)) == ("ETH", "1h", 10)
    np.testing.assert_array_equal(candles.ts, df["ms"].to_numpy() * 1_000_000)
    assert candles.quality.time_encoding == "datetime (UTC)"


def test_parquet_with_naive_datetimes_is_reported(tmp_path: Path) -> None:
    df = ohlcv(3)
    frame = df[["open", "high", "low", "close", "volume"]].assign(timestamp=pd.to_datetime(df["ms"], unit="ms"))
    path = tmp_path / "ETHUSDT_1h.parquet"
    frame.to_parquet(path)
    assert load(path).quality.count(IssueCode.NAIVE_TIMESTAMPS) == 3


def test_plain_funding_and_trades_files(tmp_path: Path) -> None:
    funding_path = tmp_path / "BTC-USDT_okx_funding_history.csv"
    funding_path.write_text(
        "Symbol,Date,Funding Rate\n"
        + "".join(f"BTC-USDT,{iso(T0_MS + 8 * HOUR_MS * i)},{1e-4 * (i + 1)}\n" for i in range(4))
    )
    funding = load(funding_path)
    assert isinstance(funding, FundingRates)
    assert (funding.symbol, funding.exchange, funding.interval) == ("BTC", "okx", "8h")
    trades_path = tmp_path / "BTCUSDT-trades.parquet"
    pd.DataFrame(
        {
            "timestamp": pd.to_datetime([T0_MS, T0_MS + 1], unit="ms", utc=True),
            "trade_id": [7, 8],
            "price": [10.0, 10.5],
            "quantity": [1.0, 2.0],
            "side": ["sell", "buy"],
        }
    ).to_parquet(trades_path)
    trades = load(trades_path)
    assert isinstance(trades, AggTrades)
    assert trades.is_buyer_maker.tolist() == [True, False]


def test_int32_epoch_seconds_in_parquet(tmp_path: Path) -> None:
    df = ohlcv(3)
    path = tmp_path / "BTCUSDT_1h.parquet"
    df[["open", "high", "low", "close", "volume"]].assign(timestamp=(df["ms"] // 1000).astype("int32")).to_parquet(path)
    candles = load(path)
    np.testing.assert_array_equal(candles.ts, df["ms"].to_numpy() * 1_000_000)
    assert candles.quality.count(IssueCode.EPOCH_UNIT_CONVERTED) == 3


def test_order_book_rows_are_not_mistaken_for_trades(tmp_path: Path) -> None:
    path = tmp_path / "btcusdt-depth-snap.csv"
    path.write_text("symbol,timestamp,side,price,qty\nBTCUSDT,1667346579146,b,20000.5,1.0\n")
    with pytest.raises(DataFormatError, match=r"row 2, column 'side': side is not buy/sell.*\(value 'b'\)"):
        load(path)


def test_non_integer_trade_ids_are_set_aside_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "bitmex_trades_XBTUSD.csv"
    path.write_text(
        "exchange,symbol,timestamp,id,side,price,amount\n"
        "bitmex,XBTUSD,1583020803145000,ccc3c1fa-212c,sell,8562.5,10\n"
        "bitmex,XBTUSD,1583020803146000,d1f2aa10-0b3e,buy,8563.0,25\n"
    )
    trades = load(path)
    assert isinstance(trades, AggTrades)
    assert trades.trade_id is None
    assert trades.is_buyer_maker.tolist() == [True, False]
    assert trades.quality.count(IssueCode.EPOCH_UNIT_CONVERTED) == 2  # µs where the plain schema says ms
    assert any("trade ids are not integers" in note for note in trades.quality.notes)


def test_unknown_layout_lists_the_columns_as_the_file_names_them(tmp_path: Path) -> None:
    path = tmp_path / "fear_and_greed_index.csv"
    path.write_text("value,value_classification,timestamp,time_until_update\n30,Fear,1517443200,\n")
    with pytest.raises(DataFormatError, match=r"columns \['value', 'value_classification', 'timestamp'"):
        load(path)
