"""Max-pain target hits of TRUE TREND trades, the data of L-MP-1."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest
from pos_helpers import CONFIG, at, bar, context, open_position, plan

from bigalpha.domain import Position, Side
from bigalpha.positions import HoldState, MaxPainRecord, evaluate_exits, max_pain_hit_rate, max_pain_record


def _walk(position: Position, state: HoldState, bars: list[tuple[float, float, float]]) -> HoldState:
    """Feed (minute, low, high) bars; return the last hold state."""
    for minute, low, high in bars:
        mid = (low + high) / 2
        decision = evaluate_exits(position, context(mid), bar(minute, mid, high, low, mid), at(minute), CONFIG, state)
        state = decision.hold_state
    return state


def test_true_trend_long_reaching_max_pain_above_records_a_hit() -> None:
    """L-MP-1: max pain 101.0 above a long's entry; a bar high of exactly 101.0 reaches it (boundary inclusive)."""
    position, state = open_position(plan(Side.LONG, context(max_pain=101.0), stop_pct=0.05))
    state = _walk(position, state, [(1, 99.9, 100.4), (2, 100.3, 101.0), (3, 100.2, 100.4)])
    assert (state.max_pain_hit, state.max_pain_hit_at) == (True, at(2))
    record = max_pain_record(position, state)
    assert record is not None
    assert (record.hit, record.hit_at, record.aligned, record.true_trend) == (True, at(2), True, True)


def test_max_pain_just_out_of_reach_is_not_a_hit() -> None:
    """L-MP-1: a high of 100.99 against max pain 101.0 is a miss."""
    position, state = open_position(plan(Side.LONG, context(max_pain=101.0), stop_pct=0.05))
    state = _walk(position, state, [(1, 99.9, 100.99)])
    record = max_pain_record(position, state)
    assert record is not None
    assert not record.hit


def test_max_pain_below_a_long_is_reached_by_a_low_and_is_not_aligned() -> None:
    """L-MP-1: a max pain below the long's entry is reached by a bar's low; it lies against the trade."""
    position, state = open_position(plan(Side.LONG, context(max_pain=99.5), stop_pct=0.05))
    state = _walk(position, state, [(1, 99.5, 100.1)])
    record = max_pain_record(position, state)
    assert record is not None
    assert (record.hit, record.aligned) == (True, False)


def test_short_with_max_pain_below_is_aligned() -> None:
    """L-MP-1: for a short, a max pain below entry is the magnet ahead."""
    position, state = open_position(plan(Side.SHORT, context(max_pain=98.0), stop_pct=0.05))
    record = max_pain_record(position, _walk(position, state, [(1, 97.9, 100.2)]))
    assert record is not None
    assert (record.hit, record.aligned) == (True, True)


def test_no_record_without_true_trend_or_without_max_pain() -> None:
    """L-MP-1 is about TRUE TREND trades with a max pain at entry."""
    not_trend, state = open_position(plan(Side.LONG, context(hurst=0.5, max_pain=101.0)))
    assert max_pain_record(not_trend, state) is None
    no_mp, state = open_position(plan(Side.LONG, context(max_pain=None)))
    assert max_pain_record(no_mp, state) is None


def _record(hit: bool, aligned: bool = True, true_trend: bool = True) -> MaxPainRecord:
    return MaxPainRecord(
        position_id="pos-x",
        symbol="BTCUSDT",
        side=Side.LONG,
        opened_at=datetime.fromisoformat("2025-01-06T10:00:00+00:00"),
        entry_price=Decimal("100"),
        max_pain_at_entry=101.0,
        aligned=aligned,
        true_trend=true_trend,
        hit=hit,
    )


def test_hit_rate_counts_true_trend_records_only() -> None:
    """L-MP-1: hits / TRUE TREND trades; a non-TRUE-TREND record is ignored; nothing → None (no rate)."""
    records = [_record(True), _record(True), _record(False), _record(True, true_trend=False)]
    assert max_pain_hit_rate(records) == pytest.approx(2 / 3)
    assert max_pain_hit_rate([]) is None
    assert max_pain_hit_rate([_record(True, true_trend=False)]) is None


def test_hit_rate_of_magnet_aligned_trades() -> None:
    """L-MP-1: the aligned-only rate drives the "magnet-aligned" recommendation."""
    records = [_record(True), _record(False), _record(True, aligned=False), _record(True, aligned=False)]
    assert max_pain_hit_rate(records) == 0.75
    assert max_pain_hit_rate(records, aligned_only=True) == 0.5


def test_record_round_trips_through_json_and_refuses_bad_fields() -> None:
    """The learning loop stores records as JSON; a bad one is refused with the field named."""
    record = replace(_record(True), hit_at=at(5))
    assert MaxPainRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    with pytest.raises(ValueError, match="side"):
        MaxPainRecord.from_dict({**record.to_dict(), "side": "SIDEWAYS"})
