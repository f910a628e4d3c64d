"""Vectorised quality checks and the only repairs that cannot change what the data says.

Order matters: rows are sorted first (stable, so file order breaks ties), then rows sharing a key are
compared: identical ones are dropped, conflicting ones are an error, since choosing one would be a
guess. Everything else (gaps, grid offsets, NaNs, OHLC contradictions) is reported, never altered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bigalpha.data.history.errors import DataFormatError
from bigalpha.data.history.model import HistoryKind
from bigalpha.data.history.report import EXAMPLES_KEPT, Example, Gap, Issue, IssueCode, QualityReport, ns_to_datetime
from bigalpha.data.history.timeframe import format_timeframe, grid_offsets, modal_step
from bigalpha.data.history.timestamps import TimeColumn

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_QUARTER_HOUR_NS = 900_000_000_000
_MS_NS = 1_000_000
_S_NS = 1_000_000_000


@dataclass
class Columns:
    """One file's data before checks: time, file row numbers, float columns and other typed columns."""

    ts: IntArray
    rows: IntArray
    floats: dict[str, FloatArray]
    others: dict[str, npt.NDArray[Any]] = field(default_factory=dict)

    def take(self, index: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> Columns:
        return Columns(
            self.ts[index],
            self.rows[index],
            {k: v[index] for k, v in self.floats.items()},
            {k: v[index] for k, v in self.others.items()},
        )


@dataclass
class _Findings:
    repairs: list[Issue] = field(default_factory=list)
    problems: list[Issue] = field(default_factory=list)
    gap_count: int = 0
    missing_bars: int = 0
    largest_gap: Gap | None = None


def _examples(cols: Columns, index: npt.NDArray[np.intp], describe: Any) -> tuple[Example, ...]:
    return tuple(
        Example(int(cols.rows[i]), ns_to_datetime(int(cols.ts[i])), describe(int(i))) for i in index[:EXAMPLES_KEPT]
    )


def check(
    path: Path,
    cols: Columns,
    time: TimeColumn,
    *,
    kind: HistoryKind,
    step_ns: int | None,
    tolerance_ns: int = 0,
) -> tuple[Columns, QualityReport]:
    """Repair what is unambiguous, report the rest; raise on conflicting duplicates."""
    rows_read = int(cols.ts.size)
    found = _Findings(repairs=list(time.repairs), problems=list(time.problems))
    cols = _sort(cols, kind, found)
    cols = _deduplicate(path, cols, kind, found)
    _check_nans(cols, found)
    if kind in (HistoryKind.CANDLES, HistoryKind.MARK):
        _check_ohlc(cols, found)
    if kind is HistoryKind.CANDLES:
        _check_volume(cols, found)
    if kind is HistoryKind.TRADES:
        _check_trades(cols, found)
    elif step_ns is not None:
        _check_grid(cols, step_ns, tolerance_ns, found)
        _check_gaps(cols, step_ns, tolerance_ns, found)
        _check_timeframe(cols, step_ns, tolerance_ns, found)
    report = QualityReport(
        rows_read=rows_read,
        rows=int(cols.ts.size),
        time_encoding=time.encoding,
        repairs=tuple(found.repairs),
        problems=tuple(found.problems),
        gap_count=found.gap_count,
        missing_bars=found.missing_bars,
        largest_gap=found.largest_gap,
    )
    return cols, report


def _sort_key(cols: Columns, kind: HistoryKind) -> npt.NDArray[np.intp]:
    trade_id = cols.others.get("trade_id")
    if kind is HistoryKind.TRADES and trade_id is not None:
        order: npt.NDArray[np.intp] = np.lexsort((trade_id, cols.ts))
        return order
    return np.argsort(cols.ts, kind="stable")


def _sort(cols: Columns, kind: HistoryKind, found: _Findings) -> Columns:
    backwards = np.flatnonzero(cols.ts[1:] < cols.ts[:-1]) + 1
    trade_id = cols.others.get("trade_id")
    if kind is HistoryKind.TRADES and trade_id is not None:
        same_time = cols.ts[1:] == cols.ts[:-1]
        backwards = np.union1d(backwards, np.flatnonzero(same_time & (trade_id[1:] < trade_id[:-1])) + 1)
    if backwards.size == 0:
        return cols
    examples = _examples(
        cols,
        backwards,
        lambda i: f"comes after {ns_to_datetime(int(cols.ts[i - 1])).isoformat()} (row {cols.rows[i - 1]})",
    )
    found.repairs.append(
        Issue(IssueCode.SORTED, int(backwards.size), "rows out of time order; sorted by time (stable)", examples)
    )
    return cols.take(_sort_key(cols, kind))


def _same(a: npt.NDArray[Any], later: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
    left, right = a[later - 1], a[later]
    equal: npt.NDArray[np.bool_] = left == right
    if a.dtype.kind == "f":
        equal |= np.isnan(left) & np.isnan(right)
    return equal


def _deduplicate(path: Path, cols: Columns, kind: HistoryKind, found: _Findings) -> Columns:
    trade_id = cols.others.get("trade_id")
    if kind is HistoryKind.TRADES:
        if trade_id is None:
            return cols  # two equal trades in one millisecond are normal; without ids they are not duplicates
        key, label = trade_id, "trade id"
    else:
        key, label = cols.ts, "timestamp"
    later = np.flatnonzero(key[1:] == key[:-1]) + 1
    if later.size == 0:
        return cols
    same = np.ones(later.size, dtype=bool)
    columns: dict[str, npt.NDArray[Any]] = {**cols.floats, **cols.others}
    if kind is HistoryKind.TRADES:
        columns["ts"] = cols.ts
    for name, values in columns.items():
        differs = ~_same(values, later)
        if differs.any():
            i = int(later[np.flatnonzero(differs)[0]])
            raise DataFormatError(
                path,
                f"conflicting duplicate: rows {cols.rows[i - 1]} and {cols.rows[i]} share {label} "
                f"{_show_key(key, i, kind)} but differ in {name!r} ({values[i - 1].item()!r} vs {values[i].item()!r}); "
                "remove the wrong one",
                row=int(cols.rows[i]),
                column=name,
                value=values[i].item(),
            )
        same &= ~differs
    examples = _examples(cols, later, lambda i: f"identical to row {cols.rows[i - 1]}")
    found.repairs.append(
        Issue(
            IssueCode.EXACT_DUPLICATES_DROPPED,
            int(later.size),
            f"rows repeating the previous row exactly (same {label}, same values); dropped",
            examples,
        )
    )
    keep = np.ones(cols.ts.size, dtype=bool)
    keep[later] = False
    return cols.take(keep)


def _show_key(key: IntArray, i: int, kind: HistoryKind) -> str:
    return str(int(key[i])) if kind is HistoryKind.TRADES else ns_to_datetime(int(key[i])).isoformat()


def _check_nans(cols: Columns, found: _Findings) -> None:
    masks = {name: np.isnan(values) for name, values in cols.floats.items()}
    counts = {name: int(mask.sum()) for name, mask in masks.items() if mask.any()}
    if not counts:
        return
    any_nan = np.logical_or.reduce([masks[name] for name in counts])
    index = np.flatnonzero(any_nan)
    examples = _examples(cols, index, lambda i: "empty or NaN in " + ", ".join(n for n in counts if masks[n][i]))
    detail = ", ".join(f"{name}: {count}" for name, count in counts.items())
    found.problems.append(
        Issue(IssueCode.NAN_VALUES, int(index.size), f"rows with missing values ({detail})", examples)
    )


def _report_mask(
    cols: Columns, found: _Findings, code: IssueCode, *, mask: npt.NDArray[np.bool_], message: str, describe: Any
) -> None:
    index = np.flatnonzero(mask)
    if index.size:
        found.problems.append(Issue(code, int(index.size), message, _examples(cols, index, describe)))


def _check_ohlc(cols: Columns, found: _Findings) -> None:
    o, h, low, c = (cols.floats[k] for k in ("open", "high", "low", "close"))
    with np.errstate(invalid="ignore"):
        bad = (h < np.maximum(o, c)) | (low > np.minimum(o, c)) | (h < low)
        non_positive = (o <= 0) | (h <= 0) | (low <= 0) | (c <= 0)
    _report_mask(
        cols,
        found,
        IssueCode.OHLC_INCONSISTENT,
        mask=bad,
        message="high below max(open, close) or low above min(open, close)",
        describe=lambda i: f"open {o[i]} high {h[i]} low {low[i]} close {c[i]}",
    )
    _report_mask(
        cols,
        found,
        IssueCode.NON_POSITIVE_PRICE,
        mask=non_positive,
        message="a price is zero or negative",
        describe=lambda i: f"open {o[i]} high {h[i]} low {low[i]} close {c[i]}",
    )


def _check_volume(cols: Columns, found: _Findings) -> None:
    volume = cols.floats["volume"]
    with np.errstate(invalid="ignore"):
        _report_mask(
            cols,
            found,
            IssueCode.NEGATIVE_VOLUME,
            mask=volume < 0,
            message="negative volume",
            describe=lambda i: f"volume {volume[i]}",
        )
        taker = cols.floats.get("taker_buy_volume")
        if taker is not None:
            # Exchanges round each figure separately; a relative 1e-9 absorbs that and nothing else.
            over = (taker > volume * (1 + 1e-9) + 1e-12) | (taker < 0)
            _report_mask(
                cols,
                found,
                IssueCode.TAKER_EXCEEDS_VOLUME,
                mask=over,
                message="taker buy volume negative or above total volume",
                describe=lambda i: f"taker buy {taker[i]} of volume {volume[i]}",
            )


def _check_trades(cols: Columns, found: _Findings) -> None:
    price, quantity = cols.floats["price"], cols.floats["quantity"]
    with np.errstate(invalid="ignore"):
        _report_mask(
            cols,
            found,
            IssueCode.NON_POSITIVE_PRICE,
            mask=(price <= 0) | (quantity <= 0),
            message="trade price or quantity is zero or negative",
            describe=lambda i: f"price {price[i]} quantity {quantity[i]}",
        )
    trade_id = cols.others.get("trade_id")
    if trade_id is None or trade_id.size < 2:
        return
    jumps = np.diff(trade_id)
    index = np.flatnonzero(jumps > 1) + 1
    if index.size:
        missing = int((jumps[jumps > 1] - 1).sum())
        found.problems.append(
            Issue(
                IssueCode.TRADE_ID_GAPS,
                int(index.size),
                f"trade ids skip {missing} ids in {index.size} places: trades are missing",
                _examples(cols, index, lambda i: f"id {trade_id[i - 1]} then {trade_id[i]}"),
            )
        )


def _signed_offsets(ts: IntArray, step_ns: int) -> IntArray:
    offsets = grid_offsets(ts, step_ns)
    signed: IntArray = np.where(offsets > step_ns // 2, offsets - step_ns, offsets)
    return signed


def _describe_offset(offset_ns: int, grid: str) -> str:
    sign = "+" if offset_ns > 0 else "-"
    magnitude = abs(offset_ns)
    amount = f"{sign}{format_timeframe(magnitude)}" if magnitude % _S_NS == 0 else f"{offset_ns / 1e9:+g}s"
    text = f"every timestamp is {amount} off the {grid} grid (UTC multiples of {grid})"
    if offset_ns == -_MS_NS:
        return text + ": these look like bar close times (open + timeframe - 1 ms), not open times"
    if magnitude % _QUARTER_HOUR_NS == 0:
        return text + ": a local-time export read as UTC? (not shifted: the zone is a guess)"
    return text


def _check_grid(cols: Columns, step_ns: int, tolerance_ns: int, found: _Findings) -> None:
    if cols.ts.size == 0:
        return
    signed = _signed_offsets(cols.ts, step_ns)
    off = np.abs(signed) > tolerance_ns
    if not off.any():
        return
    grid = format_timeframe(step_ns)
    if off.all() and int(np.ptp(signed)) <= 2 * tolerance_ns:
        offset = int(np.median(signed))
        if tolerance_ns:
            # Within the tolerance the jitter is noise: state the offset to the second.
            offset = round(offset / _S_NS) * _S_NS
        found.problems.append(
            Issue(
                IssueCode.GRID_OFFSET,
                int(cols.ts.size),
                _describe_offset(offset, grid),
                _examples(cols, np.arange(1), lambda i: f"{signed[i] / 1e9:+g}s from the nearest {grid} boundary"),
            )
        )
        return
    index = np.flatnonzero(off)
    found.problems.append(
        Issue(
            IssueCode.OFF_GRID,
            int(index.size),
            f"timestamps not on the {grid} grid",
            _examples(cols, index, lambda i: f"{signed[i] / 1e9:+g}s from the nearest {grid} boundary"),
        )
    )


def _check_gaps(cols: Columns, step_ns: int, tolerance_ns: int, found: _Findings) -> None:
    if cols.ts.size < 2:
        return
    steps = np.diff(cols.ts)
    after = np.flatnonzero(steps > step_ns + tolerance_ns)
    if after.size == 0:
        return
    missing = np.rint(steps[after] / step_ns).astype(np.int64) - 1
    missing = np.maximum(missing, 1)
    largest = int(np.argmax(missing))
    i = int(after[largest])
    found.gap_count = int(after.size)
    found.missing_bars = int(missing.sum())
    found.largest_gap = Gap(ns_to_datetime(int(cols.ts[i])), ns_to_datetime(int(cols.ts[i + 1])), int(missing[largest]))
    by_after = dict(zip(after.tolist(), missing.tolist(), strict=True))
    examples = _examples(
        cols,
        after + 1,
        lambda j: f"{by_after[j - 1]} bar(s) missing after {ns_to_datetime(int(cols.ts[j - 1])).isoformat()}",
    )
    found.problems.append(
        Issue(
            IssueCode.GAPS,
            int(after.size),
            f"{after.size} gap(s), {found.missing_bars} missing bar(s) at {format_timeframe(step_ns)}; not filled",
            examples,
        )
    )


def _check_timeframe(cols: Columns, step_ns: int, tolerance_ns: int, found: _Findings) -> None:
    steps = np.diff(cols.ts)
    if steps.size and np.count_nonzero(np.abs(steps - step_ns) <= tolerance_ns) * 2 > steps.size:
        return  # most bars are one declared step apart: no need to find the mode
    modal = modal_step(cols.ts)
    if modal is None or abs(modal - step_ns) <= tolerance_ns:
        return
    found.problems.append(
        Issue(
            IssueCode.TIMEFRAME_MISMATCH,
            1,
            f"declared timeframe {format_timeframe(step_ns)} but bars are mostly {format_timeframe(modal)} apart",
        )
    )
