"""A folder's trades read into each traded symbol's `BarTrades`, Binance's aggTrades files one at a time.

A month of a major symbol's aggregate trades is tens of millions of rows. Loaded whole (33 bytes a trade) and then
joined into one series (as many again), it would not fit a small machine, while a backtest keeps 9 bytes a trade
(its notional and side). So each aggTrades file is loaded, reduced bar by bar (`bar_trades`) and let go before the
next one. Files as Binance publishes them follow one another in time and in trade ids, and their pieces are then
put end to end: what joining the files (`join_pieces`) and reducing the one series would give. A symbol whose files
overlap, or lack ids, has them loaded again and joined as any history is (a repeat kept once, a disagreement
refused); trades in other layouts come loaded already (`loaded`) and are joined the same way. A file whose name
dates it (Binance's UTC day or month) to a time no bar of its symbol reaches is not read at all.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from bigalpha.backtest.contexts import epoch_ns
from bigalpha.backtest.market import BarTrades, MarketError, bar_trades
from bigalpha.data.history import AggTrades, Candles, SourceFormat, detect_format, join_pieces, load_trades
from bigalpha.data.history.api import SUPPORTED_EXTENSIONS
from bigalpha.data.history.join import ids_rise, trades_follow
from bigalpha.data.history.names import parse_name, stem_of
from bigalpha.data.history.report import ns_to_datetime
from bigalpha.domain import Symbol

# Binance's name for an aggTrades archive: a day's, or a month's.
_DATED = re.compile(r"^[A-Z0-9]+-aggTrades-(?P<year>\d{4})-(?P<month>\d{2})(?:-(?P<day>\d{2}))?$")


@dataclass(frozen=True, slots=True)
class _Piece:
    """One file's trades, reduced to the bars of its symbol, with what tells whether the next file goes on from it."""

    path: Path
    exchange: str
    first_ts: int
    last_ts: int
    first_id: int | None
    last_id: int | None
    in_order: bool  # every id above the one before (`ids_rise`)
    bar_lo: int  # the first bar whose time the file's trades reach: `trades` are of the bars from there on
    trades: BarTrades


def agg_trades_files(folder: Path) -> tuple[Path, ...]:
    """The folder's files in Binance's aggTrades layout, told from their first line."""
    return tuple(
        path
        for path in sorted(folder.iterdir())
        if path.is_file()
        and not path.name.startswith(".")
        and path.name.lower().endswith(SUPPORTED_EXTENSIONS)
        and detect_format(path) is SourceFormat.BINANCE_AGGTRADES_CSV
    )


def read_bar_trades(
    files: Sequence[Path],
    candles: Mapping[Symbol, Candles],
    source: str,
    loaded: Sequence[AggTrades] = (),
    progress: Callable[[int, int], None] | None = None,
) -> dict[Symbol, BarTrades]:
    """Each traded symbol's trades (`files` read one at a time, `loaded` as given) reduced to its candles' bars;
    symbols without candles are left out. `progress(done, total)` is told of each file read."""
    pieces: dict[Symbol, list[_Piece]] = {}
    for done, path in enumerate(files, start=1):
        if _needed(path, candles):
            trades = load_trades(path)
            _check_named_day(path, trades, source)
            series = candles.get(trades.symbol)
            if series is not None:
                pieces.setdefault(trades.symbol, []).append(_piece(path, trades, series))
            del trades  # the file's full columns, before the next file's are read
        if progress is not None:
            progress(done, len(files))
    out: dict[Symbol, BarTrades] = {}
    for symbol, found in pieces.items():
        rows = sorted((p for p in found if p.first_id is not None), key=lambda p: (p.first_ts, p.first_id or 0))
        one_venue = len({p.exchange for p in found}) == 1  # ids count per exchange
        if one_venue and all(p.in_order for p in found) and all(_follows(a, b) for a, b in itertools.pairwise(rows)):
            out[symbol] = _end_to_end(rows, len(candles[symbol]))
        else:
            out[symbol] = _joined(symbol, [load_trades(p.path) for p in found], candles[symbol], source)
    for symbol, group in itertools.groupby(sorted(loaded, key=lambda t: t.symbol), key=lambda t: t.symbol):
        if symbol in candles:
            if symbol in out:
                raise MarketError(f"{source}: {symbol} has trades in aggTrades files and in other files: keep one")
            out[symbol] = _joined(symbol, list(group), candles[symbol], source)
    return out


def named_period(path: Path) -> tuple[int, int, str] | None:
    """The time Binance's name gives an aggTrades file, [first ns, end ns), and whether it is a day or a month: its
    UTC day (`ETHUSDT-aggTrades-2025-01-02`) or month (`ETHUSDT-aggTrades-2025-01`); None for a name without a
    date."""
    match = _DATED.match(stem_of(path))
    if match is None:
        return None
    year, month, day = int(match["year"]), int(match["month"]), match["day"]
    try:
        if day is not None:
            start = datetime(year, month, int(day), tzinfo=UTC)
            end = start + timedelta(days=1)
        else:
            start = datetime(year, month, 1, tzinfo=UTC)
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    except ValueError:
        return None  # not a date (month 13): the name says nothing
    return epoch_ns(start), epoch_ns(end), "month" if day is None else "day"


def _needed(path: Path, candles: Mapping[Symbol, Candles]) -> bool:
    """Whether a trade file can hold trades of some bar: not when its name gives a symbol without candles, or a day
    (or month) that none of the symbol's bars reaches (a window of a long archive reads only its own days)."""
    symbol = parse_name(path).symbol
    if symbol is None:
        return True
    series = candles.get(symbol)
    if series is None or len(series) == 0:
        return False
    span = named_period(path)
    if span is None:
        return True
    first_open, last_close = int(series.ts[0]), int(series.ts[-1]) + series.timeframe_ns
    return span[0] < last_close and first_open < span[1]


def _check_named_day(path: Path, trades: AggTrades, source: str) -> None:
    """A file whose trades fall outside the day (or month) its name gives is refused: files are left unread on what
    their names say, so a name must be true."""
    period = named_period(path)
    if period is None or len(trades) == 0:
        return
    start, end, unit = period
    first, last = int(trades.ts.min()), int(trades.ts.max())
    if first < start or last >= end:
        raise MarketError(
            f"{source}: {path.name} holds trades from {ns_to_datetime(first).isoformat()} to "
            f"{ns_to_datetime(last).isoformat()}, outside the {unit} its name gives ({ns_to_datetime(start).isoformat()} "
            f"to {ns_to_datetime(end).isoformat()}): name each file by the UTC {unit} of its trades, as Binance does"
        )


def with_taker_volume(
    candles: Mapping[Symbol, Candles], trades: Mapping[Symbol, BarTrades]
) -> tuple[dict[Symbol, Candles], dict[Symbol, str]]:
    """Candles without taker buy volume (freqtrade's, a plain OHLCV file) given it from their symbol's trades, as live
    `fill_taker_from_trades` gives a bar it: the quantity its taker buys traded, at most the bar's volume. Only when
    every bar that traded has its trades: a bar with volume and no trades (a day without its aggTrades file) would
    be a guess. For each symbol still without taker volume, why (empty: it has no trades at all)."""
    out: dict[Symbol, Candles] = {}
    gaps: dict[Symbol, str] = {}
    for symbol, series in candles.items():
        prints = trades.get(symbol)
        if series.taker_buy_volume is not None or prints is None:
            out[symbol] = series
            if series.taker_buy_volume is None:
                gaps[symbol] = ""
            continue
        volume = np.asarray(series.volume, dtype=np.float64)
        blind = np.flatnonzero((volume > 0) & ~prints.sized)
        if blind.size:
            out[symbol] = series
            first = ns_to_datetime(int(series.ts[blind[0]])).isoformat()
            gaps[symbol] = (
                f"{blind.size:,} of its {len(series):,} bars traded with no trade in its aggTrades files, the first "
                f"opening {first}"
            )
            continue
        note = "taker_buy_volume: the quantity of each bar's taker buys in the aggTrades files, at most its volume"
        out[symbol] = dataclasses.replace(
            series,
            taker_buy_volume=np.minimum(prints.taker_buy, volume),
            quality=dataclasses.replace(series.quality, notes=(*series.quality.notes, note)),
        )
    return out, gaps


def _piece(path: Path, trades: AggTrades, candles: Candles) -> _Piece:
    """The file's trades reduced to the bars its time span reaches (a day's file: a day of bars, however long the
    candles run)."""
    ids = trades.trade_id
    empty = len(trades) == 0
    first_ts = 0 if empty else int(trades.ts[0])
    last_ts = 0 if empty else int(trades.ts[-1])
    # A bar opening at t holds the trades of [t, t + timeframe): those from first_ts to last_ts are in bars opening
    # after first_ts − timeframe and at or before last_ts.
    lo = int(np.searchsorted(candles.ts, first_ts - candles.timeframe_ns, "right"))
    hi = int(np.searchsorted(candles.ts, last_ts, "right")) if not empty else lo
    return _Piece(
        path=path,
        exchange=trades.exchange,
        first_ts=first_ts,
        last_ts=last_ts,
        first_id=None if ids is None or empty else int(ids[0]),
        last_id=None if ids is None or empty else int(ids[-1]),
        in_order=ids is not None and ids_rise(ids),
        bar_lo=lo,
        trades=bar_trades(trades, candles.ts[lo:hi], candles.timeframe_ns),
    )


def _follows(before: _Piece, after: _Piece) -> bool:
    """`after` starts where `before` ends, in time and in trade ids: nothing two files both hold."""
    assert before.last_id is not None and after.first_id is not None  # noqa: PT018 - files with rows and ids only
    return trades_follow(before.last_ts, before.last_id, after.first_ts, after.first_id)


def _end_to_end(pieces: Sequence[_Piece], bars: int) -> BarTrades:
    """Pieces of one series, in order, over `bars` bars: each bar's trades are its pieces' rows one after the other
    (a bar a file boundary cuts has the end of one and the start of the next)."""
    counts = np.zeros(bars, dtype=np.int64)
    for piece in pieces:
        span = np.diff(piece.trades.first)
        counts[piece.bar_lo : piece.bar_lo + span.shape[0]] += span
    first = np.zeros(bars + 1, dtype=np.int64)
    np.cumsum(counts, out=first[1:])
    notional = np.concatenate([np.empty(0), *(p.trades.notional for p in pieces)])
    is_buy = np.concatenate([np.empty(0, dtype=np.bool_), *(p.trades.is_buy for p in pieces)])
    # A bar a file boundary cuts adds its two files' sums (Binance's daily files are cut at midnight, between bars).
    taker_buy = np.zeros(bars)
    for piece in pieces:
        taker_buy[piece.bar_lo : piece.bar_lo + piece.trades.taker_buy.shape[0]] += piece.trades.taker_buy
    return BarTrades(notional, is_buy, first, taker_buy)


def _joined(symbol: Symbol, series: list[AggTrades], candles: Candles, source: str) -> BarTrades:
    """The series joined as any history (`join_pieces`), then reduced; two that cannot be joined are refused."""
    joined = join_pieces(series)
    if len(joined) != 1 or not isinstance(joined[0], AggTrades):
        names = "; ".join(item.source for item in joined[:2])
        raise MarketError(
            f"{source}: two trade series of {symbol} ({names}): keep one exchange's trades in the folder, each file "
            "with its trade ids"
        )
    return bar_trades(joined[0], candles.ts, candles.timeframe_ns)
