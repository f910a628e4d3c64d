"""One entry point: `load(path)` tells the format from the extension, the name and the first lines.

`load_dir(folder)` loads a freqtrade data folder (or any folder of supported files) at once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from bigalpha.data.history import csvio, readers
from bigalpha.data.history.build import Hints, build
from bigalpha.data.history.errors import DataFormatError
from bigalpha.data.history.join import join_pieces
from bigalpha.data.history.model import (
    AggTrades,
    Candles,
    FundingRates,
    HistoryData,
    HistoryKind,
    MarkPrices,
    Positioning,
    SourceFormat,
)
from bigalpha.data.history.names import exchange_of, normalize_symbol, parse_name
from bigalpha.data.history.timeframe import parse_timeframe
from bigalpha.domain import Symbol

SUPPORTED_FORMATS = """supported formats:
  freqtrade   <PAIR>-<tf>[-futures|-funding_rate|-mark].feather|.parquet|.json[.gz]  (date, open, high, low, close, volume)
  Binance     kline CSV, no header or a header: open_time (ms or µs), open, high, low, close, volume, close_time,
              quote_volume, count, taker_buy_volume, taker_buy_quote_volume, ignore  (.csv, .csv.gz, .zip)
  Binance     aggTrades CSV: agg_trade_id, price, quantity, first_trade_id, last_trade_id, transact_time,
              is_buyer_maker[, is_best_match]  (header optional)
  Binance     metrics CSV (<SYMBOL>-metrics-<date>.csv|.zip): create_time, symbol, sum_open_interest,
              sum_open_interest_value, …, count_long_short_ratio, …  (open interest and long/short, 5-minute)
  plain       CSV / Parquet / Feather with a `timestamp` column (or DatetimeIndex): open, high, low, close, volume
              [, taker_buy_volume][, symbol]; or funding_rate; or price, quantity, is_buyer_maker|side;
              or open_interest_usd[, long_short_ratio]"""
_ARROW_EXT = (".feather", ".arrow", ".ipc")
_PARQUET_EXT = (".parquet", ".pq")
_JSON_EXT = (".json", ".json.gz")
_CSV_EXT = (".csv", ".csv.gz", ".zip", ".txt")
SUPPORTED_EXTENSIONS = _ARROW_EXT + _PARQUET_EXT + _JSON_EXT + _CSV_EXT

T = TypeVar("T", Candles, FundingRates, MarkPrices, AggTrades)


def _has_ext(path: Path, extensions: Sequence[str]) -> bool:
    return path.name.lower().endswith(tuple(extensions))


def _unsupported(path: Path, why: str) -> DataFormatError:
    return DataFormatError(path, f"{why}\n{SUPPORTED_FORMATS}")


def _as_kind(kind: HistoryKind | str | None) -> HistoryKind | None:
    if kind is None or isinstance(kind, HistoryKind):
        return kind
    try:
        return HistoryKind(kind)
    except ValueError:
        raise ValueError(f"kind {kind!r} is not one of {[k.value for k in HistoryKind]}") from None


def _read_raw(path: Path, kind: HistoryKind | None, name_kind: HistoryKind | None) -> readers.RawTable:
    if _has_ext(path, _ARROW_EXT + _PARQUET_EXT):
        feather_file = _has_ext(path, _ARROW_EXT)
        table, freqtrade = readers.read_arrow_file(path, feather_file=feather_file)
        if freqtrade:
            fmt = SourceFormat.FREQTRADE_FEATHER if feather_file else SourceFormat.FREQTRADE_PARQUET
            return readers.freqtrade_table(path, table, fmt, kind or name_kind or HistoryKind.CANDLES)
        fmt = SourceFormat.PLAIN_FEATHER if feather_file else SourceFormat.PLAIN_PARQUET
        return readers.plain_table(path, table, fmt, first_row=1)
    if _has_ext(path, _JSON_EXT):
        return readers.read_freqtrade_json(path, kind or name_kind or HistoryKind.CANDLES)
    if _has_ext(path, _CSV_EXT):
        return _read_csv(path)
    raise _unsupported(path, f"unsupported file extension {''.join(path.suffixes) or '(none)'!r}")


def _read_csv(path: Path) -> readers.RawTable:
    lines = csvio.peek_lines(path)
    if not lines:
        raise DataFormatError(path, "file is empty")
    first = lines[0]
    header = not csvio.is_number(first[0])
    fmt = _csv_format(path, first)
    if fmt is SourceFormat.BINANCE_KLINES_CSV:
        return readers.read_binance_klines(path, header=header, field_count=len(first))
    if fmt is SourceFormat.BINANCE_AGGTRADES_CSV:
        return readers.read_binance_aggtrades(path, header=header, field_count=len(first))
    if fmt is SourceFormat.BINANCE_METRICS_CSV:
        return readers.read_binance_metrics(path, first)
    return readers.read_plain_csv(path, first)


def _csv_format(path: Path, first: Sequence[str]) -> SourceFormat:
    """The layout of a CSV file from its first row: a header's names, or a headerless row's fields."""
    if not csvio.is_number(first[0]):
        names = [readers.canonical_name(n) for n in first]
        if names[0] == "open_time" and len(names) >= 11:
            return SourceFormat.BINANCE_KLINES_CSV
        if names[:2] in (["agg_trade_id", "price"], ["a", "p"]):  # the archive's header, or the API's field names
            return SourceFormat.BINANCE_AGGTRADES_CSV
        if names[0] == "create_time" and "sum_open_interest_value" in names:
            return SourceFormat.BINANCE_METRICS_CSV
        return SourceFormat.PLAIN_CSV
    if len(first) in (11, 12):
        return SourceFormat.BINANCE_KLINES_CSV
    if len(first) in (7, 8) and first[6].lower() in ("true", "false"):
        return SourceFormat.BINANCE_AGGTRADES_CSV
    raise _unsupported(
        path,
        f"a CSV without a header must be a Binance kline (12 fields) or aggTrades (7-8 fields) file; row 1 has {len(first)}",
    )


def _resolve_kind(raw: readers.RawTable, kind: HistoryKind | None, name_kind: HistoryKind | None) -> HistoryKind:
    if raw.format is SourceFormat.BINANCE_KLINES_CSV:
        if kind not in (None, HistoryKind.CANDLES, HistoryKind.MARK):
            raise DataFormatError(raw.path, f"a Binance kline file holds candles or mark-price klines, not {kind}")
        return kind or HistoryKind.CANDLES
    if raw.format is SourceFormat.BINANCE_AGGTRADES_CSV:
        if kind not in (None, HistoryKind.TRADES):
            raise DataFormatError(raw.path, f"a Binance aggTrades file holds trades, not {kind}")
        return HistoryKind.TRADES
    resolved = kind or raw.kind or name_kind or readers.plain_kind(raw)
    if resolved is None:
        raise _unsupported(
            raw.path, f"cannot tell what the file holds from its columns {list(raw.columns_found)}: pass kind="
        )
    return resolved


def detect_format(path: Path | str) -> SourceFormat:
    """The layout of `path`, reading only its schema or first lines."""
    path = Path(path)
    if _has_ext(path, _ARROW_EXT + _PARQUET_EXT):
        try:
            schema = pa.ipc.open_file(path).schema if _has_ext(path, _ARROW_EXT) else pq.read_schema(path)
        except (pa.ArrowException, OSError) as error:
            raise DataFormatError(path, f"not a readable Arrow/Parquet file (truncated or corrupt?): {error}") from None
        names = [readers.canonical_name(n) for n in schema.names]
        freqtrade = all(c in names for c in readers.FREQTRADE_COLUMNS) and "timestamp" not in names
        if _has_ext(path, _ARROW_EXT):
            return SourceFormat.FREQTRADE_FEATHER if freqtrade else SourceFormat.PLAIN_FEATHER
        return SourceFormat.FREQTRADE_PARQUET if freqtrade else SourceFormat.PLAIN_PARQUET
    if _has_ext(path, _JSON_EXT):
        return SourceFormat.FREQTRADE_JSON
    if _has_ext(path, _CSV_EXT):
        lines = csvio.peek_lines(path)
        if not lines:
            raise DataFormatError(path, "file is empty")
        return _csv_format(path, lines[0])
    raise _unsupported(path, f"unsupported file extension {''.join(path.suffixes) or '(none)'!r}")


def load(
    path: Path | str,
    *,
    kind: HistoryKind | str | None = None,
    symbol: str | None = None,
    timeframe: str | None = None,
    exchange: str | None = None,
) -> HistoryData:
    """Load one history file of any supported format, check it, and return typed arrays.

    `kind`, `symbol`, `timeframe` and `exchange` override what the name and content say. Raises
    `DataFormatError` (naming file, row, column and value) when the file cannot be read safely."""
    path = Path(path)
    if path.is_dir():
        raise DataFormatError(path, "is a folder: use load_dir()")
    if not path.is_file():
        raise DataFormatError(path, "no such file")
    wanted = _as_kind(kind)
    if timeframe is not None:
        parse_timeframe(timeframe)
    name = parse_name(path)
    raw = _read_raw(path, wanted, name.kind)
    resolved = _resolve_kind(raw, wanted, name.kind)
    default_exchange = "binance" if raw.format.name.startswith("BINANCE") else "unknown"
    hints = Hints(
        kind=resolved,
        symbol=normalize_symbol(symbol) if symbol else None,
        timeframe=timeframe or name.timeframe,
        exchange=exchange or exchange_of(path) or default_exchange,
        name_symbol=name.symbol,
    )
    return build(raw, hints)


def _expect(data: HistoryData, cls: type[T]) -> T:
    if not isinstance(data, cls):
        raise DataFormatError(data.source, f"holds {data.kind.value}, not {cls.kind.value}")
    return data


def load_candles(path: Path | str, *, symbol: str | None = None, timeframe: str | None = None) -> Candles:
    return _expect(load(path, kind=HistoryKind.CANDLES, symbol=symbol, timeframe=timeframe), Candles)


def load_funding(path: Path | str, *, symbol: str | None = None, exchange: str | None = None) -> FundingRates:
    return _expect(load(path, kind=HistoryKind.FUNDING_RATE, symbol=symbol, exchange=exchange), FundingRates)


def load_trades(path: Path | str, *, symbol: str | None = None, exchange: str | None = None) -> AggTrades:
    return _expect(load(path, kind=HistoryKind.TRADES, symbol=symbol, exchange=exchange), AggTrades)


@dataclass(frozen=True)
class HistoryDir:
    """Everything loaded from one folder; files that failed are kept with their error, not dropped."""

    path: Path
    items: tuple[HistoryData, ...]
    failures: tuple[DataFormatError, ...] = ()
    skipped: tuple[Path, ...] = field(default=())

    def candles(self, timeframe: str | None = None) -> tuple[Candles, ...]:
        found = (d for d in self.items if isinstance(d, Candles))
        return tuple(c for c in found if timeframe is None or c.timeframe == timeframe)

    def funding(self) -> tuple[FundingRates, ...]:
        return tuple(d for d in self.items if isinstance(d, FundingRates))

    def mark(self) -> tuple[MarkPrices, ...]:
        return tuple(d for d in self.items if isinstance(d, MarkPrices))

    def trades(self) -> tuple[AggTrades, ...]:
        return tuple(d for d in self.items if isinstance(d, AggTrades))

    def positioning(self) -> tuple[Positioning, ...]:
        return tuple(d for d in self.items if isinstance(d, Positioning))

    def timeframes(self) -> tuple[str, ...]:
        return tuple(sorted({c.timeframe for c in self.candles()}, key=parse_timeframe))

    def symbols(self) -> tuple[Symbol, ...]:
        return tuple(sorted({d.symbol for d in self.items}))

    def joined(self) -> HistoryDir:
        """The folder with each symbol's pieces of one kind, exchange and timeframe (Binance's daily or monthly
        archives) joined into one series (`join.join_pieces`)."""
        return replace(self, items=join_pieces(self.items))


def load_dir(
    path: Path | str, *, recursive: bool = False, strict: bool = True, skip: Collection[Path] = ()
) -> HistoryDir:
    """Load every supported file in a folder (a freqtrade `user_data/data/<exchange>/futures/`).

    `strict` raises the first file's error; otherwise failures are collected in `HistoryDir.failures`.
    Files with other extensions (READMEs, archives of other kinds), and the files in `skip` (which the caller
    reads its own way), are listed in `skipped`."""
    folder = Path(path)
    if not folder.is_dir():
        raise DataFormatError(folder, "not a folder")
    files = sorted(p for p in (folder.rglob("*") if recursive else folder.iterdir()) if p.is_file())
    items: list[HistoryData] = []
    failures: list[DataFormatError] = []
    skipped: list[Path] = []
    for file in files:
        if not _has_ext(file, SUPPORTED_EXTENSIONS) or file.name.startswith(".") or file in skip:
            skipped.append(file)
            continue
        try:
            items.append(load(file))
        except DataFormatError as error:
            if strict:
                raise
            failures.append(error)
    if not items and not failures and not skip:
        raise DataFormatError(folder, f"holds no supported file\n{SUPPORTED_FORMATS}")
    return HistoryDir(folder, tuple(items), tuple(failures), tuple(skipped))
