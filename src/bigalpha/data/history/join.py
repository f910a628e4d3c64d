"""One series from the pieces of a history: Binance publishes its archives a day or a month per file.

`join_pieces` groups candles, mark prices, funding rates and positioning (open interest, long/short) by kind, symbol, exchange and timeframe, and joins each
group's files into one series in time order. Rows two files both hold are kept once when they are equal and refused
when they differ (the files disagree on the market: nothing says which one is right). The joined series' quality
report gathers its files' reports and adds the gaps between files, which no single file could see. Trades are
returned as they are: their rows repeat timestamps, so a join would need each venue's trade ids to tell a repeat
from a new trade.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bigalpha.data.history.build import FUNDING_TOLERANCE_NS
from bigalpha.data.history.errors import DataFormatError
from bigalpha.data.history.model import AggTrades, Candles, FundingRates, HistoryData, MarkPrices, Positioning
from bigalpha.data.history.report import Gap, Issue, IssueCode, QualityReport, ns_to_datetime
from bigalpha.data.history.timeframe import format_timeframe, parse_timeframe

IntArray = npt.NDArray[np.int64]
Joinable = Candles | MarkPrices | FundingRates | Positioning
_EXAMPLES = 5


def join_pieces(items: Iterable[HistoryData]) -> tuple[HistoryData, ...]:
    """`items` with each group of pieces (same kind, symbol, exchange and timeframe) joined into one series, in
    the order each group's first piece came; a group of one is returned as it is."""
    groups: dict[tuple[Any, ...], list[Joinable]] = {}
    out: list[HistoryData | tuple[Any, ...]] = []
    for item in items:
        if isinstance(item, AggTrades):
            out.append(item)
            continue
        key = (type(item), item.symbol, item.exchange, item.timeframe_label)
        if key not in groups:
            groups[key] = []
            out.append(key)
        groups[key].append(item)
    return tuple(_join(groups[entry]) if isinstance(entry, tuple) else entry for entry in out)


def _join(pieces: list[Joinable]) -> Joinable:
    if len(pieces) == 1:
        return pieces[0]
    ordered = sorted((p for p in pieces if len(p)), key=lambda p: (int(p.ts[0]), int(p.ts[-1]))) or pieces[:1]
    first = ordered[0]
    # An optional column (taker buy volume) is kept only when every piece has it: a column with holes would be a
    # guess where a file was silent.
    names = ["ts", *(n for n in _COLUMNS[type(first)] if all(getattr(p, n) is not None for p in ordered))]
    origin = np.concatenate([np.full(len(p), k, dtype=np.int64) for k, p in enumerate(ordered)])
    columns = {n: np.concatenate([np.asarray(getattr(p, n)) for p in ordered]) for n in names}
    order = np.argsort(columns["ts"], kind="stable")  # pieces that interleave are merged by time
    columns = {n: a[order] for n, a in columns.items()}
    origin = origin[order]
    repeated = np.flatnonzero(np.diff(columns["ts"]) == 0) + 1
    if repeated.size:
        _refuse_conflicts(ordered, columns, origin, repeated)
        keep = np.ones(columns["ts"].shape[0], dtype=bool)
        keep[repeated] = False
        columns = {n: a[keep] for n, a in columns.items()}
    step, tolerance = _step_of(first)
    report = _report(ordered, columns["ts"], int(repeated.size), step, tolerance)
    dropped = [n for n in _COLUMNS[type(first)] if n not in names]
    silent = [p.source for p in ordered if any(getattr(p, n) is None for n in dropped)]
    if silent:
        note = f"{', '.join(dropped)} left out: {', '.join(silent[:_EXAMPLES])} {'has' if len(silent) == 1 else 'have'} none"
        report = dataclasses.replace(report, notes=(*report.notes, note))
    source = f"{ordered[0].source} … {ordered[-1].source} ({len(ordered)} files)"
    changes: dict[str, Any] = {"source": source, "quality": report, **columns}
    changes.update(dict.fromkeys(dropped))
    joined: Joinable = dataclasses.replace(first, **changes)
    return joined


# Each kind's value columns, beside `ts`.
_COLUMNS: dict[type[Joinable], tuple[str, ...]] = {
    Candles: ("open", "high", "low", "close", "volume", "taker_buy_volume"),
    MarkPrices: ("open", "high", "low", "close"),
    FundingRates: ("rate",),
    Positioning: ("open_interest_usd", "long_short_ratio"),
}


def _refuse_conflicts(
    pieces: Sequence[Joinable], columns: dict[str, npt.NDArray[Any]], origin: IntArray, repeated: IntArray
) -> None:
    """Two files holding the same time must agree on every value (NaN agrees with NaN)."""
    for name, values in columns.items():
        if name == "ts":
            continue
        now, before = values[repeated], values[repeated - 1]
        differ = np.flatnonzero(~((now == before) | (np.isnan(now) & np.isnan(before))))
        if differ.size:
            i = int(repeated[differ[0]])
            a, b = pieces[int(origin[i - 1])], pieces[int(origin[i])]
            raise DataFormatError(
                Path(b.source),
                f"{a.source} and {b.source} both hold {ns_to_datetime(int(columns['ts'][i])).isoformat()} and "
                f"differ in {name!r} ({before[differ[0]].item()!r} vs {now[differ[0]].item()!r}): keep one of them",
            )


def _step_of(series: Joinable) -> tuple[int | None, int]:
    """The series' bar or funding interval (None: unknown), and how late a row may be stamped."""
    if isinstance(series, FundingRates):
        return (parse_timeframe(series.interval) if series.interval else None), FUNDING_TOLERANCE_NS
    if isinstance(series, Positioning):
        return (parse_timeframe(series.interval) if series.interval else None), 0
    return parse_timeframe(series.timeframe), 0


def _report(pieces: Sequence[Joinable], ts: IntArray, repeated: int, step: int | None, tolerance: int) -> QualityReport:
    """The pieces' findings (each names its own file's rows), with the gaps between one file's last row and the
    next one's first, and the rows both held."""
    reports = [p.quality for p in pieces]
    gap_count = sum(r.gap_count for r in reports)
    missing_bars = sum(r.missing_bars for r in reports)
    largest = max((r.largest_gap for r in reports if r.largest_gap), key=lambda g: g.missing, default=None)
    problems = [issue for r in reports for issue in r.problems]
    repairs = [issue for r in reports for issue in r.repairs]
    boundaries = _boundary_gaps(pieces, step, tolerance)
    if boundaries:
        gap_count += len(boundaries)
        missing_bars += sum(g.missing for g in boundaries)
        widest = max(boundaries, key=lambda g: g.missing)
        largest = widest if largest is None or widest.missing > largest.missing else largest
        assert step is not None  # a gap is measured in steps
        shown = ", ".join(f"{g.missing} after {g.after.isoformat()}" for g in boundaries[:_EXAMPLES])
        problems.append(
            Issue(
                IssueCode.GAPS,
                len(boundaries),
                f"{len(boundaries)} gap(s) between files, {sum(g.missing for g in boundaries)} missing bar(s) at "
                f"{format_timeframe(step)} ({shown}); not filled",
            )
        )
    if repeated:
        repairs.append(
            Issue(IssueCode.EXACT_DUPLICATES_DROPPED, repeated, f"{repeated} row(s) held by two files, kept once")
        )
    return QualityReport(
        rows_read=sum(r.rows_read for r in reports),
        rows=int(ts.shape[0]),
        time_encoding=reports[0].time_encoding,
        repairs=tuple(repairs),
        problems=tuple(problems),
        gap_count=gap_count,
        missing_bars=missing_bars,
        largest_gap=largest,
        notes=(
            *(note for r in reports for note in r.notes),
            f"joined from {len(pieces)} files: {pieces[0].source} … {pieces[-1].source}",
        ),
    )


def _boundary_gaps(pieces: Sequence[Joinable], step: int | None, tolerance: int) -> list[Gap]:
    if step is None:
        return []
    gaps = []
    for before, after in itertools.pairwise(pieces):
        last, first = int(before.ts[-1]), int(after.ts[0])
        if first - last > step + tolerance:
            missing = max(round((first - last) / step) - 1, 1)
            gaps.append(Gap(ns_to_datetime(last), ns_to_datetime(first), missing))
    return gaps
