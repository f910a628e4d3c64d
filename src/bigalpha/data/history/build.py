"""`RawTable` → checked, typed history: time to UTC ns, values to float64, quality checks, the result object."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bigalpha.data.history.errors import DataFormatError
from bigalpha.data.history.model import (
    AggTrades,
    Candles,
    FundingRates,
    HistoryData,
    HistoryKind,
    MarkPrices,
    Positioning,
)
from bigalpha.data.history.names import normalize_symbol
from bigalpha.data.history.quality import Columns, check
from bigalpha.data.history.readers import RawTable
from bigalpha.data.history.report import QualityReport
from bigalpha.data.history.timeframe import format_timeframe, modal_step, parse_timeframe
from bigalpha.data.history.timestamps import to_utc_ns
from bigalpha.domain import Symbol

FloatArray = npt.NDArray[np.float64]
_REQUIRED: dict[HistoryKind, tuple[str, ...]] = {
    HistoryKind.CANDLES: ("open", "high", "low", "close", "volume"),
    HistoryKind.MARK: ("open", "high", "low", "close"),
    HistoryKind.FUNDING_RATE: ("funding_rate",),
    HistoryKind.TRADES: ("price", "quantity"),
    HistoryKind.POSITIONING: ("open_interest_usd",),
}
_OPTIONAL: dict[HistoryKind, tuple[str, ...]] = {
    HistoryKind.CANDLES: ("taker_buy_volume",),
    HistoryKind.POSITIONING: ("long_short_ratio",),
}
# Exchanges stamp funding a few milliseconds after the hour (e.g. 08:00:00.008); that is not a grid error.
FUNDING_TOLERANCE_NS = 60 * 1_000_000_000


@dataclass(frozen=True, slots=True)
class Hints:
    """What the caller or the file name says; the caller's word wins."""

    kind: HistoryKind
    symbol: Symbol | None  # the caller's override: beats a `symbol` column
    timeframe: str | None
    exchange: str
    name_symbol: Symbol | None = None  # from the file name: used when the file has no `symbol` column


def float_column(raw: RawTable, name: str) -> FloatArray:
    column = raw.table.column(name)
    kind = column.type
    if pa.types.is_float64(kind) and column.num_chunks == 1 and column.null_count == 0:
        # Zero-copy view of Arrow's buffer: the result is frozen read-only anyway.
        view: FloatArray = column.chunk(0).to_numpy(zero_copy_only=True)
        return view
    if pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        values: FloatArray = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return values
    if pa.types.is_null(kind):
        return np.full(len(column), np.nan)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        try:
            parsed: FloatArray = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            strings = pd.Series(column.to_numpy(zero_copy_only=False), dtype=object)
            numbers = pd.to_numeric(strings, errors="coerce")
            bad = numbers.isna().to_numpy() & strings.notna().to_numpy()
            blank = strings.astype(str).str.strip().isin(["", "nan", "NaN"]).to_numpy()
            index = np.flatnonzero(bad & ~blank)
            if index.size == 0:
                raise DataFormatError(raw.path, "column is not numeric", column=name) from None
            i = int(index[0])
            raise DataFormatError(
                raw.path, "value is not a number", row=raw.first_row + i, column=name, value=strings[i]
            ) from None
        return parsed
    raise DataFormatError(raw.path, f"column of type {kind} is not numeric", column=name)


def _bool_column(raw: RawTable, name: str) -> npt.NDArray[np.bool_]:
    column = raw.table.column(name)
    if pa.types.is_boolean(column.type):
        if column.null_count:
            i = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise DataFormatError(raw.path, "missing true/false", row=raw.first_row + i, column=name, value="")
        flags: npt.NDArray[np.bool_] = column.to_numpy(zero_copy_only=False).astype(bool)
        return flags
    text = pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))
    is_true = pc.fill_null(pc.is_in(text, pa.array(["true", "1"])), False).to_numpy(zero_copy_only=False)
    is_false = pc.fill_null(pc.is_in(text, pa.array(["false", "0"])), False).to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(~(is_true | is_false))
    if bad.size:
        i = int(bad[0])
        raise DataFormatError(
            raw.path, "value is not true/false", row=raw.first_row + i, column=name, value=column[i].as_py()
        )
    return np.asarray(is_true, dtype=bool)


def _taker_sold(raw: RawTable) -> npt.NDArray[np.bool_]:
    """A `side` column in trade files is the taker's side (ccxt, freqtrade, Tardis): `sell` means the taker sold."""
    column = raw.table.column("side")
    side = pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))
    sold = pc.fill_null(pc.equal(side, "sell"), False).to_numpy(zero_copy_only=False)
    bought = pc.fill_null(pc.equal(side, "buy"), False).to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(~(sold | bought))
    if bad.size:
        i = int(bad[0])
        raise DataFormatError(
            raw.path,
            "side is not buy/sell: this does not look like a trades file (order-book sides are not trades)",
            row=raw.first_row + i,
            column="side",
            value=column[i].as_py(),
        )
    return np.asarray(sold, dtype=bool)


def _trade_ids(raw: RawTable) -> npt.NDArray[np.int64] | None:
    """Integer trade ids, or None when absent or not integers (Tardis uses UUIDs for some venues)."""
    if "trade_id" not in raw.table.column_names:
        return None
    column = raw.table.column("trade_id")
    try:
        ids = column.cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if ids.null_count:
        return None
    values: npt.NDArray[np.int64] = ids.to_numpy().astype(np.int64, copy=False)
    return values


def _symbol_of(raw: RawTable, hinted: Symbol | None) -> Symbol | None:
    if hinted is not None or "symbol" not in raw.table.column_names:
        return hinted
    column = raw.table.column("symbol").cast(pa.string())
    distinct = pc.unique(column).to_pylist()
    if len(distinct) > 1:
        first = column[0].as_py()
        i = int(np.flatnonzero(pc.not_equal(column, first).to_numpy(zero_copy_only=False))[0])
        raise DataFormatError(
            raw.path,
            f"file mixes symbols {sorted(str(d) for d in distinct)[:5]}; one file holds one symbol (or pass symbol=)",
            row=raw.first_row + i,
            column="symbol",
            value=column[i].as_py(),
        )
    return normalize_symbol(str(distinct[0])) if distinct and distinct[0] else None


def _step(raw: RawTable, ts: npt.NDArray[np.int64], hints: Hints) -> int | None:
    if hints.timeframe is not None:
        return parse_timeframe(hints.timeframe)
    if "close_time" in raw.table.column_names and len(ts):
        # Binance close time = open + timeframe − 1 ms (or 1 µs); tells the timeframe of a one-row file.
        spans = raw.table.column("close_time").to_numpy()[:1] - raw.table.column("ts").to_numpy()[:1]
        span = int(spans[0]) + 1
        unit_ns = int(ts[0]) // max(int(raw.table.column("ts").to_numpy()[0]), 1)
        if span > 0 and unit_ns > 0:
            return span * unit_ns
    ordered = np.sort(ts)
    step = modal_step(ordered)
    if step is not None and hints.kind is HistoryKind.FUNDING_RATE:
        step = round(step / FUNDING_TOLERANCE_NS) * FUNDING_TOLERANCE_NS or step
    return step


def build(raw: RawTable, hints: Hints) -> HistoryData:
    kind = hints.kind
    missing = [c for c in _REQUIRED[kind] if c not in raw.table.column_names]
    names = raw.table.column_names
    if kind is HistoryKind.TRADES and "is_buyer_maker" not in names and "side" not in names:
        missing.append("is_buyer_maker (or side)")
    if missing:
        found = list(raw.columns_found) or names
        raise DataFormatError(raw.path, f"a {kind.value} file needs column(s) {missing}; it has {found}")
    symbol = _symbol_of(raw, hints.symbol) or hints.name_symbol
    time = to_utc_ns(
        raw.table.column("ts"), path=raw.path, name="ts", first_row=raw.first_row, expected_units=raw.expected_units
    )
    floats = {c: float_column(raw, c) for c in _REQUIRED[kind]}
    floats.update({c: float_column(raw, c) for c in _OPTIONAL.get(kind, ()) if c in raw.table.column_names})
    others: dict[str, npt.NDArray[np.generic]] = {}
    notes: list[str] = []
    if kind is HistoryKind.TRADES:
        if "is_buyer_maker" in names:
            others["is_buyer_maker"] = _bool_column(raw, "is_buyer_maker")
        else:
            others["is_buyer_maker"] = _taker_sold(raw)
        ids = _trade_ids(raw)
        if ids is not None:
            others["trade_id"] = ids
        elif "trade_id" in names:
            notes.append("trade ids are not integers: not used for ordering, duplicates or gaps")
    rows = raw.first_row + np.arange(len(time.ns), dtype=np.int64)
    step = None if kind is HistoryKind.TRADES else _step(raw, time.ns, hints)
    tolerance = FUNDING_TOLERANCE_NS if kind is HistoryKind.FUNDING_RATE else 0
    cols, report = check(
        raw.path, Columns(time.ns, rows, floats, others), time, kind=kind, step_ns=step, tolerance_ns=tolerance
    )
    if symbol is None:
        symbol = Symbol("UNKNOWN")
        notes.append("symbol not in the file name or a column: pass symbol=")
    for note in notes:
        report = _with_note(report, note)
    return _assemble(raw, hints, symbol=symbol, step=step, cols=cols, report=report)


def _with_note(report: QualityReport, note: str) -> QualityReport:
    return QualityReport(
        rows_read=report.rows_read,
        rows=report.rows,
        time_encoding=report.time_encoding,
        repairs=report.repairs,
        problems=report.problems,
        gap_count=report.gap_count,
        missing_bars=report.missing_bars,
        largest_gap=report.largest_gap,
        notes=(*report.notes, note),
    )


def _assemble(
    raw: RawTable, hints: Hints, *, symbol: Symbol, step: int | None, cols: Columns, report: QualityReport
) -> HistoryData:
    f = cols.floats
    # Every series starts with these fields, in this order.
    head = (symbol, cols.ts, raw.path.name, raw.format, report, hints.exchange)
    interval = format_timeframe(step) if step else None
    if hints.kind is HistoryKind.TRADES:
        return AggTrades(
            *head,
            price=f["price"],
            quantity=f["quantity"],
            is_buyer_maker=cols.others["is_buyer_maker"],
            trade_id=cols.others.get("trade_id"),
        )
    if hints.kind is HistoryKind.FUNDING_RATE:
        return FundingRates(*head, interval=interval, rate=f["funding_rate"])
    if hints.kind is HistoryKind.POSITIONING:
        ratio = f.get("long_short_ratio")
        return Positioning(
            *head,
            interval=interval,
            open_interest_usd=f["open_interest_usd"],
            long_short_ratio=ratio if ratio is not None else np.full(cols.ts.shape[0], np.nan),
        )
    if step is None:
        raise DataFormatError(raw.path, "cannot tell the timeframe from one row: pass timeframe= (e.g. '1h')")
    timeframe = hints.timeframe or format_timeframe(step)
    if hints.kind is HistoryKind.MARK:
        return MarkPrices(*head, timeframe, open=f["open"], high=f["high"], low=f["low"], close=f["close"])
    return Candles(
        *head,
        timeframe,
        open=f["open"],
        high=f["high"],
        low=f["low"],
        close=f["close"],
        volume=f["volume"],
        taker_buy_volume=f.get("taker_buy_volume"),
    )
