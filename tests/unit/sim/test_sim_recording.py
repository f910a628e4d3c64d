"""D-REC-1: snapshots are encoded losslessly, recorded line by line, and replayed as a feed."""

from __future__ import annotations

import itertools
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bigalpha.config.data import DataKind
from bigalpha.data.codec import CodecError, snapshot_from_dict, snapshot_to_dict
from bigalpha.data.recording import RecordingError, RecordingFeed, SnapshotRecorder, read_recording
from bigalpha.data.sim import SimDataset
from bigalpha.data.sim.feed import SimFeed
from bigalpha.data.sim.snapshots import SnapshotBuilder
from bigalpha.domain import (
    Bar,
    BookLevel,
    LiquidationLevel,
    LongShort,
    MarketSnapshot,
    Observed,
    OrderBook,
    OrderSide,
    PriorityFees,
    Symbol,
    Trade,
)

floats = st.floats(allow_nan=False, allow_infinity=True, width=64)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))])
# hypothesis wants naive bounds; `timezones` makes every drawn moment aware.
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones)  # noqa: DTZ001
texts = st.text(max_size=12)


def observed(values: st.SearchStrategy[object]) -> st.SearchStrategy[Observed[object] | None]:
    return st.none() | st.builds(Observed, value=values, as_of=moments, source=texts)


levels = st.lists(st.builds(BookLevel, price=finite, quantity=finite), max_size=4).map(tuple)
snapshots = st.builds(
    MarketSnapshot,
    symbol=texts.map(Symbol),
    ts=moments,
    bar=st.builds(Bar, ts=moments, open=floats, high=floats, low=floats, close=floats, volume=floats,
                  taker_buy_volume=floats),
    trades=st.lists(st.builds(Trade, ts=moments, price=floats, quantity=floats, side=st.sampled_from(OrderSide)),
                    max_size=3).map(tuple),
    book=observed(st.builds(OrderBook, bids=levels, asks=levels)),
    open_interest_usd=observed(floats),
    long_short=observed(st.builds(LongShort, long_short_ratio=floats, short_share=floats)),
    liquidation_heatmap=observed(
        st.lists(st.builds(LiquidationLevel, price=finite, liquidation_usd=floats), max_size=3).map(tuple)),
    max_pain=observed(floats),
    fear_greed=observed(floats),
    funding=observed(st.lists(st.tuples(texts, floats), max_size=3).map(tuple)),
    priority_fees=observed(st.builds(PriorityFees, p50_micro_lamports=floats, jito_tip_lamports=floats)),
    health_factor=observed(floats),
    unavailable=st.lists(st.tuples(st.sampled_from(DataKind), texts), max_size=2).map(tuple),
)  # fmt: skip


@given(snapshots)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_codec_round_trip_is_lossless(snapshot: MarketSnapshot) -> None:
    """D-REC-1: decode(encode(s)) == s for arbitrary snapshots, through real JSON text too."""
    data = snapshot_to_dict(snapshot)
    assert snapshot_from_dict(data) == snapshot
    text = json.dumps(data, allow_nan=False)
    again = snapshot_from_dict(json.loads(text))
    assert again == snapshot
    assert again.ts.utcoffset() == snapshot.ts.utcoffset()


def test_nan_survives_as_a_string(two_days: SimDataset) -> None:
    snapshot = next(SimFeed(two_days).ticks())[0]
    data = snapshot_to_dict(snapshot)
    data["max_pain"]["value"] = "nan"
    decoded = snapshot_from_dict(data)
    assert decoded.max_pain is not None
    assert math.isnan(decoded.max_pain.value)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("bar", "close"), "abc", "bar.close: expected a number"),
        (("ts",), "yesterday", "ts: not an ISO 8601 time"),
        (("ts",), "2025-01-01T00:00:00", "ts: time '2025-01-01T00:00:00' has no UTC offset"),
        (("book", "value", "asks"), [[1.0]], r"book.value.asks\[0\]: expected a pair"),
        (("trades",), [{"ts": "2025-01-01T00:00:00+00:00", "price": 1, "quantity": 1, "side": "HOLD"}],
         r"trades\[0\].side: 'HOLD' is not BUY or SELL"),
        (("unavailable",), [["weather", "x"]], r"unavailable\[0\]\[0\]: unknown data kind"),
        (("v",), 99, "snapshot codec version 99"),
    ],
)  # fmt: skip
def test_bad_fields_are_named(two_days: SimDataset, path: tuple[str, ...], value: object, message: str) -> None:
    data = snapshot_to_dict(next(SimFeed(two_days).ticks())[0])
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(CodecError, match=message):
        snapshot_from_dict(data)


def test_missing_field_is_named(two_days: SimDataset) -> None:
    data = snapshot_to_dict(next(SimFeed(two_days).ticks())[0])
    del data["bar"]["volume"]
    with pytest.raises(CodecError, match=r"bar\.volume: missing"):
        snapshot_from_dict(data)


def _record(dataset: SimDataset, directory: Path, ticks: int) -> list[tuple[MarketSnapshot, ...]]:
    recorded = list(itertools.islice(SimFeed(dataset).ticks(), ticks))
    with SnapshotRecorder(directory) as recorder:
        for tick in recorded:
            recorder.record_tick(tick)
            recorder.record_tick(tick)  # a second decision on the same tick writes nothing more
        assert recorder.written == 4 * ticks
    return recorded


def test_recorder_writes_one_line_per_snapshot_and_replays(two_days: SimDataset, tmp_path: Path) -> None:
    """D-REC-1: every snapshot a decision used is on disk, once, and replays as the same ticks."""
    recorded = _record(two_days, tmp_path, 30)
    files = list(tmp_path.iterdir())
    assert [f.name for f in files] == ["snapshots-2025-01-01.jsonl"]
    assert len(files[0].read_text().splitlines()) == 120
    feed = RecordingFeed(tmp_path)
    assert feed.symbols == ("BTC", "ETH", "SOL", "XRP")
    assert list(feed.ticks()) == recorded
    assert feed.problems == []


def test_recorder_starts_a_file_per_utc_day(two_days: SimDataset, tmp_path: Path) -> None:
    builder = SnapshotBuilder(two_days.frames, two_days.symbols, frozenset({"SOL"}))
    ticks = [builder.tick(i) for i in range(1438, 1442)]
    with SnapshotRecorder(tmp_path) as recorder:
        for tick in ticks:
            recorder.record_tick(tick)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["snapshots-2025-01-01.jsonl", "snapshots-2025-01-02.jsonl"]
    assert list(RecordingFeed(tmp_path).ticks()) == ticks


def test_truncated_last_line_is_reported_and_skipped(two_days: SimDataset, tmp_path: Path) -> None:
    """D-REC-1: a crash mid-write loses only that line; reading reports it and carries on."""
    recorded = _record(two_days, tmp_path, 5)
    path = next(tmp_path.iterdir())
    text = path.read_text()
    path.write_text(text[: len(text) - 200])  # the last line, cut short with no newline
    snapshots, problems = read_recording(path)
    assert len(snapshots) == 19
    assert len(problems) == 1
    assert "line 20 is truncated" in problems[0]
    feed = RecordingFeed(tmp_path)
    ticks = list(feed.ticks())
    assert ticks[:4] == recorded[:4]
    assert len(ticks[4]) == 3
    assert len(feed.problems) == 1


def test_corrupt_line_in_the_middle_is_an_error_naming_file_and_line(two_days: SimDataset, tmp_path: Path) -> None:
    _record(two_days, tmp_path, 3)
    path = next(tmp_path.iterdir())
    lines = path.read_text().splitlines()
    lines[4] = lines[4][:50]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordingError, match=r"snapshots-2025-01-01.jsonl: line 5: not JSON"):
        read_recording(path)


def test_missing_recording_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="no such recording"):
        RecordingFeed(tmp_path / "absent")
