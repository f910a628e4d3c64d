"""File layouts → one `RawTable` shape: an Arrow table with canonical column names, before any checks.

Canonical names: `ts`; candles `open high low close volume [taker_buy_volume]`; mark `open high low
close`; funding `funding_rate`; trades `price quantity is_buyer_maker [trade_id]`; optional `symbol`;
Binance klines also keep `close_time` to tell the timeframe of a one-row file.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import feather

from bigalpha.data.history import csvio
from bigalpha.data.history.errors import DataFormatError
from bigalpha.data.history.model import HistoryKind, SourceFormat

KLINE_COLUMNS = (
    "open_time", "open", "high", "low", "close", "volume", "close_time",
    "quote_volume", "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore",
)  # fmt: skip
AGGTRADE_COLUMNS = (
    "agg_trade_id", "price", "quantity", "first_trade_id", "last_trade_id", "transact_time", "is_buyer_maker",
    "is_best_match",
)  # fmt: skip
FREQTRADE_COLUMNS = ("date", "open", "high", "low", "close", "volume")
TIME_ALIASES = (
    "timestamp",
    "date",
    "datetime",
    "time",
    "ts",
    "open_time",
    "funding_time",
    "fundingtime",
    "transact_time",
    "create_time",  # Binance's `metrics` archives
)
_ALIASES: dict[str, tuple[str, ...]] = {
    "taker_buy_volume": ("taker_buy_volume", "taker_buy_base_volume", "taker_buy_base", "taker_buy_base_asset_volume"),
    "funding_rate": ("funding_rate", "fundingrate", "rate"),
    "quantity": ("quantity", "qty", "amount", "size"),
    "is_buyer_maker": ("is_buyer_maker", "buyer_maker", "isbuyermaker"),
    "trade_id": ("trade_id", "agg_trade_id", "id", "a"),
    "symbol": ("symbol", "pair", "ticker"),
    # Binance's `metrics` archives: open interest in USD, and the global long/short account ratio
    "open_interest_usd": ("open_interest_usd", "sum_open_interest_value", "open_interest_value", "oi_usd"),
    "long_short_ratio": ("long_short_ratio", "count_long_short_ratio", "longshortratio"),
}


@dataclass
class RawTable:
    path: Path
    format: SourceFormat
    table: pa.Table
    first_row: int
    kind: HistoryKind | None
    expected_units: frozenset[str] | None = None
    columns_found: tuple[str, ...] = ()  # as the file names them, for messages


def canonical_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _open_arrow(path: Path, fmt: SourceFormat) -> pa.Table:
    try:
        if fmt in (SourceFormat.FREQTRADE_FEATHER, SourceFormat.PLAIN_FEATHER):
            return feather.read_table(path, memory_map=False)
        return pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as error:
        what = "feather" if "FEATHER" in fmt.name else "parquet"
        raise DataFormatError(path, f"not a readable {what} file (truncated or corrupt?): {error}") from None


def read_arrow_file(path: Path, *, feather_file: bool) -> tuple[pa.Table, bool]:
    """The table and whether its columns are freqtrade's (`date, open, high, low, close, volume`)."""
    fmt = SourceFormat.PLAIN_FEATHER if feather_file else SourceFormat.PLAIN_PARQUET
    table = _open_arrow(path, fmt)
    names = [canonical_name(n) for n in table.column_names]
    return table, all(c in names for c in FREQTRADE_COLUMNS) and "timestamp" not in names


def freqtrade_table(path: Path, table: pa.Table, fmt: SourceFormat, kind: HistoryKind) -> RawTable:
    table = table.rename_columns([canonical_name(n) for n in table.column_names])
    missing = [c for c in FREQTRADE_COLUMNS if c not in table.column_names]
    if missing:
        raise DataFormatError(path, f"freqtrade file lacks column(s) {missing}; it has {table.column_names}")
    columns = {"ts": table.column("date")}
    if kind is HistoryKind.FUNDING_RATE:
        columns["funding_rate"] = table.column("open")  # freqtrade stores the rate in `open`
    else:
        wanted = ("open", "high", "low", "close") if kind is HistoryKind.MARK else FREQTRADE_COLUMNS[1:]
        columns.update({c: table.column(c) for c in wanted})
    return RawTable(path, fmt, pa.table(columns), first_row=1, kind=kind, expected_units=frozenset({"ms"}))


def read_freqtrade_json(path: Path, kind: HistoryKind) -> RawTable:
    try:
        raw = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise DataFormatError(path, f"cannot read file: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        # Rows are `[ms, o, h, l, c, v]`: the rows closed before the error are complete.
        row = text.count("]", 0, error.pos) + 1
        raise DataFormatError(
            path, f"invalid JSON (truncated?): {error.msg} at character {error.pos}", row=row
        ) from None
    if not isinstance(data, list):
        raise DataFormatError(
            path,
            f"freqtrade JSON must be a list of [ms, open, high, low, close, volume] rows, not {type(data).__name__}",
        )
    _check_json_rows(path, data)
    array = np.asarray(data, dtype=np.float64).reshape(-1, 6)
    table = pa.table({name: array[:, i] for i, name in enumerate(FREQTRADE_COLUMNS)})
    return freqtrade_table(path, table, SourceFormat.FREQTRADE_JSON, kind)


def _check_json_rows(path: Path, data: list[object]) -> None:
    for index, row in enumerate(data, start=1):
        if not isinstance(row, list) or len(row) != len(FREQTRADE_COLUMNS):
            raise DataFormatError(path, "row is not [ms, open, high, low, close, volume]", row=index, value=row)
        for name, value in zip(FREQTRADE_COLUMNS, row, strict=True):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DataFormatError(path, "value is not a number", row=index, column=name, value=value)


def read_binance_klines(path: Path, *, header: bool, field_count: int) -> RawTable:
    if field_count not in (11, 12):
        raise DataFormatError(path, f"Binance kline rows have 12 fields; the first row has {field_count}")
    names = KLINE_COLUMNS[:field_count]
    types = {n: pa.float64() for n in names}
    types.update({"open_time": pa.int64(), "close_time": pa.int64(), "count": pa.int64()})
    include = ("open_time", "open", "high", "low", "close", "volume", "close_time", "taker_buy_volume")
    table = csvio.read_csv(path, names=names, skip_header=header, types=types, include=include)
    table = table.rename_columns(["ts" if n == "open_time" else n for n in table.column_names])
    return RawTable(
        path,
        SourceFormat.BINANCE_KLINES_CSV,
        table,
        first_row=2 if header else 1,
        kind=HistoryKind.CANDLES,
        expected_units=frozenset({"ms", "us"}),  # Binance switched to µs open times in 2025
    )


def read_binance_aggtrades(path: Path, *, header: bool, field_count: int) -> RawTable:
    if field_count not in (7, 8):
        raise DataFormatError(path, f"Binance aggTrades rows have 7 or 8 fields; the first row has {field_count}")
    names = AGGTRADE_COLUMNS[:field_count]
    types: dict[str, pa.DataType] = {
        "agg_trade_id": pa.int64(),
        "price": pa.float64(),
        "quantity": pa.float64(),
        "first_trade_id": pa.int64(),
        "last_trade_id": pa.int64(),
        "transact_time": pa.int64(),
        "is_buyer_maker": pa.bool_(),
        "is_best_match": pa.bool_(),
    }
    types = {n: t for n, t in types.items() if n in names}
    table = csvio.read_csv(
        path,
        names=names,
        skip_header=header,
        types=types,
        include=("agg_trade_id", "price", "quantity", "transact_time", "is_buyer_maker"),
    )
    table = pa.table(
        {
            "ts": table.column("transact_time"),
            "price": table.column("price"),
            "quantity": table.column("quantity"),
            "is_buyer_maker": table.column("is_buyer_maker"),
            "trade_id": table.column("agg_trade_id"),
        }
    )
    return RawTable(
        path,
        SourceFormat.BINANCE_AGGTRADES_CSV,
        table,
        first_row=2 if header else 1,
        kind=HistoryKind.TRADES,
        expected_units=frozenset({"ms", "us"}),
    )


def read_binance_metrics(path: Path, header: Sequence[str]) -> RawTable:
    """Binance's `metrics` archive: `create_time` is UTC written without a zone (`2024-01-01 00:05:00`), read as
    epoch milliseconds so that it is not reported as a naive time; the columns are mapped as a plain CSV's."""
    raw = read_plain_csv(path, header)
    text = raw.table.column("ts")
    try:
        stamps = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="ms")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return raw  # another time layout: read and reported as a plain CSV's
    table = raw.table.set_column(raw.table.column_names.index("ts"), "ts", pc.cast(stamps, pa.int64()))
    return RawTable(
        path,
        SourceFormat.BINANCE_METRICS_CSV,
        table,
        first_row=raw.first_row,
        kind=HistoryKind.POSITIONING,
        expected_units=frozenset({"ms"}),
        columns_found=raw.columns_found,
    )


def read_plain_csv(path: Path, header: Sequence[str]) -> RawTable:
    canonical = [canonical_name(h) for h in header]
    time_name = _find(canonical, TIME_ALIASES)
    types: dict[str, pa.DataType] = {}
    if time_name is not None:
        types[header[canonical.index(time_name)]] = pa.string()
    symbol_name = _find(canonical, _ALIASES["symbol"])
    if symbol_name is not None:
        types[header[canonical.index(symbol_name)]] = pa.string()
    table = csvio.read_csv(path, names=None, skip_header=True, types=types)
    return plain_table(path, table, SourceFormat.PLAIN_CSV, first_row=2)


def _find(names: Sequence[str], aliases: Sequence[str]) -> str | None:
    for alias in aliases:
        if alias in names:
            return alias
    return None


def plain_table(path: Path, table: pa.Table, fmt: SourceFormat, *, first_row: int) -> RawTable:
    """Map a plain table's columns to canonical names and tell its kind from them."""
    original = [str(n) for n in table.column_names if not str(n).startswith("__index_level_")]
    table = table.rename_columns([canonical_name(n) for n in table.column_names])
    names = table.column_names
    time_name = _find(names, TIME_ALIASES)
    if time_name is None:
        raise DataFormatError(
            path,
            f"no time column: expected one of {list(TIME_ALIASES)} (or a DatetimeIndex named 'timestamp'); columns are {names}",
        )
    columns: dict[str, pa.ChunkedArray] = {"ts": table.column(time_name)}
    for canonical, aliases in _ALIASES.items():
        found = _find(names, aliases)
        if found is not None and found != time_name:
            columns[canonical] = table.column(found)
    for name in ("open", "high", "low", "close", "volume", "price", "side"):
        if name in names:
            columns[name] = table.column(name)
    return RawTable(
        path,
        fmt,
        pa.table(columns),
        first_row=first_row,
        kind=None,
        expected_units=frozenset({"ms"}),
        columns_found=tuple(original),
    )


def plain_kind(raw: RawTable) -> HistoryKind | None:
    names = set(raw.table.column_names)
    if "open_interest_usd" in names:
        return HistoryKind.POSITIONING
    if "funding_rate" in names:
        return HistoryKind.FUNDING_RATE
    if {"price", "quantity"} <= names:
        return HistoryKind.TRADES
    if {"open", "high", "low", "close", "volume"} <= names:
        return HistoryKind.CANDLES
    if {"open", "high", "low", "close"} <= names:
        return HistoryKind.MARK
    return None
