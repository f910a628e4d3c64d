"""One series from the pieces of a history: Binance publishes its archives a day or a month per file.

`join_pieces` groups candles, mark prices, funding rates, positioning (open interest, long/short) and trades by kind,
symbol, exchange and timeframe, and joins each group's files into one series in time order. Rows two files both hold
are kept once when they are equal and refused when they differ (the files disagree on the market: nothing says which
one is right). The joined series' quality report gathers its files' reports and adds the gaps between files, which no
single file could see. Trades repeat timestamps, so a trade two files hold is told by its trade id (Binance's
aggregate trade id): trades are joined only when every file has ids, and are otherwise returned as they are.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Sequence
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
    the order each group's first piece came; a group of one is returned as it is, and so are trades without ids."""
    groups: dict[tuple[Any, ...], list[HistoryData]] = {}
    for item in items:
        groups.setdefault((type(item), item.symbol, item.exchange, item.timeframe_label), []).append(item)
    joined: list[HistoryData] = []
    for pieces in groups.values():
        if len(pieces) == 1:
            joined.append(pieces[0])
        elif isinstance(pieces[0], AggTrades):
            trades = [p for p in pieces if isinstance(p, AggTrades)]
            joined.extend(pieces if any(p.trade_id is None for p in trades) else [_join_trades(trades)])
        else:
            joined.append(_join([p for p in pieces if not isinstance(p, AggTrades)]))
    return tuple(joined)


def _join(pieces: list[Joinable]) -> Joinable:
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
    pieces: Sequence[HistoryData],
    columns: dict[str, npt.NDArray[Any]],
    origin: IntArray,
    repeated: IntArray,
    what: Callable[[int], str] | None = None,
) -> None:
    """Two files holding the same row (the same time; for trades, the same trade id) must agree on every value (NaN
    agrees with NaN). `what` names row i in the message (default: its time)."""
    for name, values in columns.items():
        if name in ("ts", "trade_id"):
            continue
        now, before = values[repeated], values[repeated - 1]
        same = now == before
        if values.dtype.kind == "f":
            same |= np.isnan(now) & np.isnan(before)
        differ = np.flatnonzero(~same)
        if differ.size:
            i = int(repeated[differ[0]])
            a, b = pieces[int(origin[i - 1])], pieces[int(origin[i])]
            row = what(i) if what is not None else ns_to_datetime(int(columns["ts"][i])).isoformat()
            raise DataFormatError(
                Path(b.source),
                f"{a.source} and {b.source} both hold {row} and "
                f"differ in {name!r} ({before[differ[0]].item()!r} vs {now[differ[0]].item()!r}): keep one of them",
            )


def _step_of(series: Joinable) -> tuple[int | None, int]:
    """The series' bar or funding interval (None: unknown), and how late a row may be stamped."""
    if isinstance(series, FundingRates):
        return (parse_timeframe(series.interval) if series.interval else None), FUNDING_TOLERANCE_NS
    if isinstance(series, Positioning):
        return (parse_timeframe(series.interval) if series.interval else None), 0
    return parse_timeframe(series.timeframe), 0


def _report(
    pieces: Sequence[HistoryData], ts: IntArray, repeated: int, step: int | None, tolerance: int
) -> QualityReport:
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


def _boundary_gaps(pieces: Sequence[HistoryData], step: int | None, tolerance: int) -> list[Gap]:
    if step is None:
        return []
    gaps = []
    for before, after in itertools.pairwise(pieces):
        last, first = int(before.ts[-1]), int(after.ts[0])
        if first - last > step + tolerance:
            missing = max(round((first - last) / step) - 1, 1)
            gaps.append(Gap(ns_to_datetime(last), ns_to_datetime(first), missing))
    return gaps


def _join_trades(pieces: list[AggTrades]) -> AggTrades:
    """One symbol's trades from several files, in time order (ties in trade-id order). A trade two files hold is kept
    once when they agree on it and refused when they differ; one id at two times is refused too."""
    ordered = sorted((p for p in pieces if len(p)), key=lambda p: (int(p.ts[0]), int(_ids(p)[0]))) or pieces[:1]
    names = ("ts", "trade_id", "price", "quantity", "is_buyer_maker")
    if all(_follows(a, b) for a, b in itertools.pairwise(ordered)) and all(_in_order(p) for p in ordered):
        # Binance's daily files as published: each goes on after the last, in time and in ids (so no id repeats), and
        # the files are only concatenated. The trades are the largest history a backtest reads: no sort order and no
        # copies of them besides the result (the sort below would give the same rows).
        columns = {n: np.concatenate([np.asarray(getattr(p, n)) for p in ordered]) for n in names}
        return _joined_trades(ordered, columns, 0)
    origin = _origins(ordered)
    columns = {n: np.concatenate([np.asarray(getattr(p, n)) for p in ordered]) for n in names}
    order = np.lexsort((columns["trade_id"], columns["ts"]))
    columns = {n: a[order] for n, a in columns.items()}
    origin = origin[order]
    ids = columns["trade_id"]
    repeated = np.flatnonzero((np.diff(ids) == 0) & (np.diff(columns["ts"]) == 0)) + 1
    if repeated.size:
        _refuse_conflicts(ordered, columns, origin, repeated, what=lambda i: f"trade id {int(ids[i])}")
        keep = np.ones(ids.shape[0], dtype=bool)
        keep[repeated] = False
        columns = {n: a[keep] for n, a in columns.items()}
        origin = origin[keep]
    _refuse_moved_ids(ordered, columns, origin)
    return _joined_trades(ordered, columns, int(repeated.size))


def _joined_trades(ordered: list[AggTrades], columns: dict[str, npt.NDArray[Any]], repeated: int) -> AggTrades:
    report = _report(ordered, columns["ts"], repeated, None, 0)
    between = _id_gaps_between(ordered)
    if between:
        missing = sum(count for _, _, count in between)
        shown = ", ".join(f"{a} then {b}" for a, b, _ in between[:_EXAMPLES])
        issue = Issue(
            IssueCode.TRADE_ID_GAPS,
            len(between),
            f"{missing} trade id(s) missing between files in {len(between)} place(s) ({shown}): trades are missing",
        )
        report = dataclasses.replace(report, problems=(*report.problems, issue))
    source = f"{ordered[0].source} … {ordered[-1].source} ({len(ordered)} files)"
    changes: dict[str, Any] = {"source": source, "quality": report, **columns}
    joined: AggTrades = dataclasses.replace(ordered[0], **changes)
    return joined


def _origins(pieces: Sequence[AggTrades]) -> IntArray:
    """Each row's file, as an index into `pieces`."""
    return np.concatenate([np.full(len(p), k, dtype=np.int64) for k, p in enumerate(pieces)])


def _follows(before: AggTrades, after: AggTrades) -> bool:
    return trades_follow(int(before.ts[-1]), int(_ids(before)[-1]), int(after.ts[0]), int(_ids(after)[0]))


def _in_order(trades: AggTrades) -> bool:
    return ids_rise(_ids(trades))


def trades_follow(last_ts: int, last_id: int, first_ts: int, first_id: int) -> bool:
    """A trade file starting at (`first_ts`, `first_id`) goes on from one ending at (`last_ts`, `last_id`), in time
    and in ids: nothing to merge or to tell apart, so the two are only put end to end."""
    return first_ts >= last_ts and first_id > last_id


def ids_rise(ids: IntArray) -> bool:
    """Each id above the one before (time order is the series' own): the rows need no sort among equal times, and
    no id repeats."""
    return bool(np.all(np.diff(ids) > 0))


def _ids(trades: AggTrades) -> IntArray:
    assert trades.trade_id is not None  # only trades with ids are joined
    return trades.trade_id


def _refuse_moved_ids(pieces: Sequence[AggTrades], columns: dict[str, npt.NDArray[Any]], origin: IntArray) -> None:
    """Each id once: an id left twice was stamped at two times, by two files or within one."""
    ids = columns["trade_id"]
    by_id = np.argsort(ids, kind="stable")
    twice = np.flatnonzero(np.diff(ids[by_id]) == 0)
    if twice.size:
        a, b = int(by_id[twice[0]]), int(by_id[twice[0] + 1])
        first, second = pieces[int(origin[a])], pieces[int(origin[b])]
        raise DataFormatError(
            Path(second.source),
            f"trade id {int(ids[a])} is at {ns_to_datetime(int(columns['ts'][a])).isoformat()} in {first.source} and "
            f"at {ns_to_datetime(int(columns['ts'][b])).isoformat()} in {second.source}: keep one of them",
        )


def _id_gaps_between(pieces: Sequence[AggTrades]) -> list[tuple[int, int, int]]:
    """(last id of a file, first id of the next, ids missing between them) where the next file does not go on from
    the id the last one ended at (Binance's aggregate ids count up by one)."""
    gaps = []
    for before, after in itertools.pairwise(pieces):
        last, first = int(_ids(before).max()), int(_ids(after).min())
        if first > last + 1:
            gaps.append((last, first, first - last - 1))
    return gaps
