"""`SnapshotBuilder` against a straightforward reference: every value read row by row, at the tick asked.

The builder resolves its lookups for all ticks up front and shares the values of a refresh between ticks; the
reference below does neither, so any tick, asked in any order, must give equal snapshots.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bigalpha.config.data import DataKind
from bigalpha.config.indicators import IndicatorsConfig
from bigalpha.data.ports import Tick
from bigalpha.data.sim import SimDataset, snapshots
from bigalpha.data.sim.book import BOOK_OFFSETS_BPS
from bigalpha.data.sim.positioning import VENUES
from bigalpha.data.sim.schema import Frame
from bigalpha.data.sim.snapshots import SOURCE, SnapshotBuilder
from bigalpha.domain import (
    Bar,
    BookLevel,
    LiquidationLevel,
    LongShort,
    MarketSnapshot,
    Observed,
    OrderBook,
    OrderSide,
    PairedHeatmap,
    PairedOrderBook,
    PriorityFees,
    Symbol,
    Trade,
)
from bigalpha.indicators.builder import ContextBuilder
from bigalpha.indicators.columns import book_top_quantities

_MINUTE_MS = 60_000
_NO_DATA = "simulator: no value generated at or before this tick"
# Frames refreshed every few minutes (or daily), which a tick may find empty before their first refresh.
_REFRESHED = ("long_short", "max_pain", "book_depth", "fear_greed", "priority_fees", "health_factor")
FEES = frozenset({"SOL"})


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, UTC)


def _rows(frame: Frame, code: int) -> Frame:
    keep = frame["symbol"] == code
    return {name: col[keep] for name, col in frame.items()}


def _last(ts: np.ndarray, at: int) -> int:
    """Index of the last row with ts ≤ at, −1 when none."""
    return int(np.searchsorted(ts, at, "right")) - 1


class _Reference:
    """Snapshots built the plain way: each value looked up in its frame when a tick asks for it."""

    def __init__(self, frames: dict[str, Frame], symbols: tuple[str, ...]) -> None:
        self.frames, self.symbols = frames, symbols
        self.own = [
            {name: _rows(f, code) for name, f in frames.items() if "symbol" in f} for code in range(len(symbols))
        ]

    def tick(self, i: int) -> Tick:
        bar_ms = int(self.own[0]["bars"]["ts"][i])
        return tuple(self._snapshot(code, i, bar_ms, bar_ms + _MINUTE_MS) for code in range(len(self.symbols)))

    def _snapshot(self, code: int, i: int, bar_ms: int, tick_ms: int) -> MarketSnapshot:
        own, now = self.own[code], _dt(tick_ms)
        missing: list[tuple[DataKind, str]] = []
        bars, funding, t = own["bars"], own["funding"], own["trades"]
        close = float(bars["close"][i])
        bar = Bar(
            _dt(int(bars["ts"][i])),
            float(bars["open"][i]),
            float(bars["high"][i]),
            float(bars["low"][i]),
            close,
            float(bars["volume"][i]),
            float(bars["taker_buy_volume"][i]),
        )
        trades = tuple(
            Trade(_dt(int(t["ts"][j])), float(t["price"][j]), float(t["quantity"][j]), OrderSide.BUY if t["side"][j] else OrderSide.SELL)
            for j in np.flatnonzero((t["ts"] >= bar_ms) & (t["ts"] < tick_ms))
        )  # fmt: skip
        book = self._book(own, close, tick_ms, missing)
        long_short = self._long_short(own, tick_ms, missing)
        heatmap, max_pain = self._max_pain(own, tick_ms, missing)
        fg, f, hf = self.frames["fear_greed"], self.frames["priority_fees"], self.frames["health_factor"]
        fear_greed = _observed(fg, "value", _last(fg["ts"], tick_ms - 1), DataKind.FEAR_GREED, missing)
        fees = None
        if self.symbols[code] in FEES and _seen(k := _last(f["ts"], tick_ms), DataKind.PRIORITY_FEES, missing):
            value = PriorityFees(float(f["p50_micro_lamports"][k]), float(f["jito_tip_lamports"][k]))
            fees = Observed(value, _dt(int(f["ts"][k])), SOURCE)
        health = _observed(hf, "health_factor", _last(hf["ts"], tick_ms), DataKind.HEALTH_FACTOR, missing)
        rates = ((VENUES[0], float(funding["binanceusdm"][i])), (VENUES[1], float(funding["okx"][i])))
        return MarketSnapshot(
            symbol=Symbol(self.symbols[code]),
            ts=now,
            bar=bar,
            trades=trades,
            book=book,
            open_interest_usd=Observed(float(own["open_interest"]["open_interest_usd"][i]), now, SOURCE),
            long_short=long_short,
            liquidation_heatmap=heatmap,
            max_pain=max_pain,
            fear_greed=fear_greed,
            funding=Observed(rates, _dt(int(funding["as_of"][i])), SOURCE),
            priority_fees=fees,
            health_factor=health,
            unavailable=tuple(missing),
        )

    @staticmethod
    def _book(
        own: dict[str, Frame], mid: float, tick_ms: int, missing: list[tuple[DataKind, str]]
    ) -> Observed[OrderBook] | None:
        depth, w = own["book_depth"], own["book_walls"]
        if not _seen(k := _last(depth["ts"], tick_ms), DataKind.ORDER_BOOK, missing):
            return None
        bids = [(mid * (1.0 - bps / 1e4), float(depth[f"bid_usd_{j}"][k])) for j, bps in enumerate(BOOK_OFFSETS_BPS)]
        asks = [(mid * (1.0 + bps / 1e4), float(depth[f"ask_usd_{j}"][k])) for j, bps in enumerate(BOOK_OFFSETS_BPS)]
        for j in range(len(w["price"])):
            price, usd = float(w["price"][j]), float(w["notional_usd"][j])
            if w["start"][j] < tick_ms <= w["end"][j]:
                if w["side"][j] and price > mid:
                    asks.append((price, usd))
                elif not w["side"][j] and price < mid:
                    bids.append((price, usd))
        bids.sort(key=lambda level: -level[0])
        asks.sort(key=lambda level: level[0])
        book = OrderBook(tuple(BookLevel(p, u / p) for p, u in bids), tuple(BookLevel(p, u / p) for p, u in asks))
        return Observed(book, _dt(tick_ms), SOURCE)

    @staticmethod
    def _long_short(
        own: dict[str, Frame], tick_ms: int, missing: list[tuple[DataKind, str]]
    ) -> Observed[LongShort] | None:
        ls = own["long_short"]
        if not _seen(k := _last(ls["ts"], tick_ms), DataKind.LONG_SHORT_RATIO, missing):
            return None
        value = LongShort(float(ls["long_short_ratio"][k]), float(ls["short_share"][k]))
        return Observed(value, _dt(int(ls["ts"][k])), SOURCE)

    @staticmethod
    def _max_pain(
        own: dict[str, Frame], tick_ms: int, missing: list[tuple[DataKind, str]]
    ) -> tuple[Observed[tuple[LiquidationLevel, ...]] | None, Observed[float] | None]:
        """The heatmap of the last max-pain refresh, and max pain (the heatmap's reason comes first)."""
        mp, heat = own["max_pain"], own["liquidation_heatmap"]
        k = _last(mp["ts"], tick_ms)
        if not _seen(k, DataKind.LIQUIDATION_HEATMAP, missing):
            return None, _observed(mp, "max_pain", k, DataKind.MAX_PAIN, missing)
        refreshed = int(mp["ts"][k])
        rows = np.flatnonzero(heat["ts"] == refreshed)
        levels = tuple(LiquidationLevel(float(heat["price"][j]), float(heat["liquidation_usd"][j])) for j in rows)
        return Observed(levels, _dt(refreshed), SOURCE), _observed(mp, "max_pain", k, DataKind.MAX_PAIN, missing)


def _seen(k: int, kind: DataKind, missing: list[tuple[DataKind, str]]) -> bool:
    if k < 0:
        missing.append((kind, _NO_DATA))
    return k >= 0


def _observed(
    frame: Frame, column: str, k: int, kind: DataKind, missing: list[tuple[DataKind, str]]
) -> Observed[float] | None:
    if not _seen(k, kind, missing):
        return None
    return Observed(float(frame[column][k]), _dt(int(frame["ts"][k])), SOURCE)


def _with_changes(
    dataset: SimDataset, late: dict[str, int], wall: tuple[int, bool, float, int, int] | None
) -> dict[str, Frame]:
    """The dataset's frames with each refreshed frame starting `late[name]` minutes late, and one more wall
    (symbol code, ask side, price as a multiple of the bar's close, first and last tick) when given."""
    frames = dict(dataset.frames)
    start = int(frames["bars"]["ts"][0])
    for name, minutes in late.items():
        keep = frames[name]["ts"] >= start + minutes * _MINUTE_MS
        frames[name] = {column: values[keep] for column, values in frames[name].items()}
    if wall is not None:
        code, ask, multiple, first, last = wall
        bars = _rows(frames["bars"], code)
        walls = frames["book_walls"]
        at = int(np.searchsorted(walls["symbol"], code, "right"))
        added = {
            "symbol": code,
            "side": int(ask),
            "price": float(bars["close"][first]) * multiple,
            "notional_usd": 40e6,
            "start": int(bars["ts"][first]) + _MINUTE_MS - 1,
            "end": int(bars["ts"][last]) + _MINUTE_MS,
        }
        frames["book_walls"] = {
            column: np.insert(values, at, np.asarray(added[column], dtype=values.dtype))
            for column, values in walls.items()
        }
    return frames


def test_every_tick_of_two_days_matches_the_reference(two_days: SimDataset) -> None:
    builder, reference = (
        SnapshotBuilder(two_days.frames, two_days.symbols, FEES),
        _Reference(two_days.frames, two_days.symbols),
    )
    for i in range(len(builder)):
        assert builder.tick(i) == reference.tick(i), i


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    late=st.dictionaries(st.sampled_from(_REFRESHED), st.integers(1, 30)),
    wall=st.none()
    | st.tuples(st.integers(0, 3), st.booleans(), st.floats(0.997, 1.003), st.integers(0, 40), st.integers(0, 60)),
    order=st.lists(st.integers(0, 70), min_size=1, max_size=25),
)
def test_ticks_in_any_order_match_the_reference(
    two_days: SimDataset,
    late: dict[str, int],
    wall: tuple[int, bool, float, int, int] | None,
    order: list[int],
) -> None:
    """Data missing before its first refresh, walls on either side of price, and ticks asked out of order or twice
    (the builder keeps the last refresh it built) give the reference's snapshots."""
    frames = _with_changes(two_days, late, wall)
    builder, reference = SnapshotBuilder(frames, two_days.symbols, FEES), _Reference(frames, two_days.symbols)
    for i in order:
        assert builder.tick(i) == reference.tick(i), i


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.lists(st.integers(0, 2879), min_size=1, max_size=20),
    chosen=st.lists(st.sets(st.sampled_from(["BTC", "ETH", "SOL", "XRP", "DOGE"])), min_size=1, max_size=20),
)
def test_a_tick_of_some_symbols_is_the_whole_tick_without_the_others(
    two_days: SimDataset, order: list[int], chosen: list[set[str]]
) -> None:
    """A backtest asks only for the symbols it shows: their snapshots, in the dataset's order, as in the whole tick."""
    builder = SnapshotBuilder(two_days.frames, two_days.symbols, FEES)
    reference = _Reference(two_days.frames, two_days.symbols)
    for i, names in zip(order, chosen * len(order), strict=False):
        symbols = {Symbol(name) for name in names}
        assert builder.tick(i, symbols) == tuple(s for s in reference.tick(i) if s.symbol in symbols), i


def test_funding_must_cover_every_bar(two_days: SimDataset) -> None:
    frames = dict(two_days.frames)
    frames["funding"] = {name: values[1:] for name, values in frames["funding"].items()}
    with pytest.raises(ValueError, match="funding of BTC has 2879 rows for 2880 bars"):
        SnapshotBuilder(frames, two_days.symbols, FEES)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(block=st.integers(1, 50), order=st.lists(st.integers(0, 2879), min_size=1, max_size=40))
def test_lookups_resolved_a_block_at_a_time_match_the_reference(
    two_days: SimDataset, block: int, order: list[int]
) -> None:
    """Whatever the block size, ticks asked forward, backward or at random across blocks give the reference's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(snapshots, "_BLOCK", block)
        builder = SnapshotBuilder(two_days.frames, two_days.symbols, FEES)
        reference = _Reference(two_days.frames, two_days.symbols)
        for i in order:
            assert builder.tick(i) == reference.tick(i), i


def test_a_tick_outside_the_frames_is_refused(two_days: SimDataset) -> None:
    builder = SnapshotBuilder(two_days.frames, two_days.symbols, FEES)
    for i in (-1, len(builder)):
        with pytest.raises(IndexError, match=f"tick {i} of 2880"):
            builder.tick(i)


def _per_snapshot_parts(builder: ContextBuilder, snapshot: MarketSnapshot) -> tuple[str, str, str, str]:
    """What a context takes from a snapshot's book and heatmap (walls, clusters, top of book, ages), as reprs."""
    out: dict[str, object] = {}
    unavailable = {kind.value: reason for kind, reason in snapshot.unavailable}
    builder._per_snapshot(snapshot, out, unavailable)
    book = snapshot.book.value if snapshot.book is not None else None
    tops = [book_top_quantities(book, levels) for levels in (1, 2, len(BOOK_OFFSETS_BPS) + 3)]
    return repr(out), repr(unavailable), repr(tops), repr(builder._ages(snapshot))


def _assert_paired_like_the_reference(
    builder: SnapshotBuilder, reference: _Reference, ticks: list[int], cfg: IndicatorsConfig
) -> None:
    from_pairs, from_levels = ContextBuilder(cfg), ContextBuilder(cfg)
    compared: dict[int, PairedHeatmap] = {}  # a heatmap is shared by the ticks of its refresh: made once compared
    for i in ticks:
        for got, expected in zip(builder.tick(i), reference.tick(i), strict=True):
            if got.book is not None:
                assert type(got.book.value) is PairedOrderBook
            if got.liquidation_heatmap is not None:
                assert type(got.liquidation_heatmap) is PairedHeatmap
            assert _per_snapshot_parts(from_pairs, got) == _per_snapshot_parts(from_levels, expected), i
            # Read from the pairs, the indicators made no level object; the levels, once made, are the reference's.
            if got.book is not None:
                paired = got.book.value
                assert isinstance(paired, PairedOrderBook)
                assert paired._bid_levels is None
                assert paired._ask_levels is None
            heatmap = got.liquidation_heatmap
            if heatmap is not None:
                assert isinstance(heatmap, PairedHeatmap)
                assert heatmap._levels is None or compared.get(id(heatmap)) is heatmap
                compared[id(heatmap)] = heatmap
            assert got == expected, i


def test_books_and_heatmaps_read_from_their_pairs_give_the_reference_contexts(two_days: SimDataset) -> None:
    """The builder hands out books and heatmaps as pairs; the walls, clusters, top of book and ages read from them
    (the heatmap's concentrated levels once per refresh) are those of the reference's level objects."""
    builder = SnapshotBuilder(two_days.frames, two_days.symbols, FEES)
    reference = _Reference(two_days.frames, two_days.symbols)
    _assert_paired_like_the_reference(builder, reference, list(range(0, len(builder), 2)), IndicatorsConfig())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    late=st.dictionaries(st.sampled_from(_REFRESHED), st.integers(1, 30)),
    wall=st.none()
    | st.tuples(st.integers(0, 3), st.booleans(), st.floats(0.9995, 1.0005), st.integers(0, 40), st.integers(0, 60)),
    order=st.lists(st.integers(0, 70), min_size=1, max_size=25),
    wall_range_pct=st.sampled_from([0.0005, 0.002, 0.05]),
    liq_concentration_multiple=st.sampled_from([1.0, 1.5, 3.0]),
)
def test_paired_contexts_match_with_walls_at_the_top_of_book_and_data_missing(
    two_days: SimDataset,
    late: dict[str, int],
    wall: tuple[int, bool, float, int, int] | None,
    order: list[int],
    wall_range_pct: float,
    liq_concentration_multiple: float,
) -> None:
    """Walls inside the best levels, ranges cutting the ladder, concentrated heatmaps, data missing and ticks
    asked in any order (the same heatmap shown again after another): contexts from pairs equal the reference's."""
    frames = _with_changes(two_days, late, wall)
    cfg = IndicatorsConfig(wall_range_pct=wall_range_pct, liq_concentration_multiple=liq_concentration_multiple)
    builder, reference = SnapshotBuilder(frames, two_days.symbols, FEES), _Reference(frames, two_days.symbols)
    _assert_paired_like_the_reference(builder, reference, order, cfg)


@pytest.mark.parametrize("close", [-2500.0, math.nan, math.inf, 0.0])
def test_a_book_around_a_close_that_is_not_positive_is_priced_level_by_level_as_the_reference(
    two_days: SimDataset, close: float
) -> None:
    """The block's ladder prices are for positive closes; any other close is priced one level at a time, as the
    reference does: the same book, or for a zero close the same failure."""
    frames = dict(two_days.frames)
    tick = 100  # after the first book refresh
    bars = dict(frames["bars"])
    bars["close"] = bars["close"].copy()
    bars["close"][tick] = close  # the first symbol's bar (frames are sorted by symbol code)
    frames["bars"] = bars
    builder, reference = SnapshotBuilder(frames, two_days.symbols, FEES), _Reference(frames, two_days.symbols)
    if close == 0.0:
        with pytest.raises(ZeroDivisionError):
            builder.tick(tick)
        with pytest.raises(ZeroDivisionError):
            reference.tick(tick)
        return
    got, expected = builder.tick(tick)[0], reference.tick(tick)[0]
    assert got.book is not None
    assert expected.book is not None
    # repr, as NaN prices are not equal to themselves
    assert repr(got.book.value.bids) == repr(expected.book.value.bids)
    assert repr(got.book.value.asks) == repr(expected.book.value.asks)
    plain = repr(got).replace("PairedOrderBook(", "OrderBook(").replace("PairedHeatmap(", "Observed(")
    assert plain == repr(expected)
