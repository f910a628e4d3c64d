"""`PairedOrderBook` and `PairedHeatmap`: held as (price, value) pairs, made into levels on first read, and in all
but their type the `OrderBook` / `Observed` of the same levels."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.domain import BookLevel, LiquidationLevel, Observed, OrderBook, PairedHeatmap, PairedOrderBook

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
_value = st.floats(allow_nan=False) | st.sampled_from([0.0, -0.0, math.inf, 1e-300])
_pairs = st.lists(st.tuples(_value, _value), max_size=20).map(tuple)


def _book(bids: tuple[tuple[float, float], ...], asks: tuple[tuple[float, float], ...]) -> OrderBook:
    return OrderBook(tuple(BookLevel(p, q) for p, q in bids), tuple(BookLevel(p, q) for p, q in asks))


def _heatmap(pairs: tuple[tuple[float, float], ...]) -> Observed[tuple[LiquidationLevel, ...]]:
    return Observed(tuple(LiquidationLevel(p, u) for p, u in pairs), T0, "test")


@settings(max_examples=200)
@given(bids=_pairs, asks=_pairs)
def test_a_paired_book_is_the_order_book_of_its_levels(bids, asks):
    paired, plain = PairedOrderBook(bids, asks), _book(bids, asks)
    assert paired.bids == plain.bids
    assert paired.asks == plain.asks
    assert all(type(level) is BookLevel for level in paired.bids + paired.asks)
    assert paired == plain
    assert plain == paired
    assert not paired != plain  # noqa: SIM202 (the reflected __ne__ is under test)
    assert hash(paired) == hash(plain)
    assert repr(paired.mid) == repr(plain.mid)  # inf and -inf make a NaN mid
    assert dataclasses.astuple(paired) == dataclasses.astuple(plain)


def test_a_paired_book_makes_its_levels_once_and_only_when_read():
    paired = PairedOrderBook(((99.0, 2.0), (98.0, 1.0)), ((101.0, 3.0),))
    assert paired._bid_levels is None
    assert paired._ask_levels is None
    first = paired.bids
    assert paired.bids is first
    assert paired._ask_levels is None
    assert paired.mid == 100.0
    assert paired.asks is paired.asks


def test_a_paired_book_is_frozen_and_copies_as_a_plain_book():
    paired = PairedOrderBook(((99.0, 2.0),), ((101.0, 3.0),))
    plain = _book(((99.0, 2.0),), ((101.0, 3.0),))
    for name in ("bids", "bid_pairs", "_bid_levels"):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(paired, name, ())
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(paired, name)
    for copied in (pickle.loads(pickle.dumps(paired)), copy.copy(paired), copy.deepcopy(paired)):
        assert type(copied) is OrderBook
        assert copied == plain
    assert repr(paired) == repr(plain).replace("OrderBook(", "PairedOrderBook(", 1)
    assert paired != PairedOrderBook(((99.0, 2.0),), ())
    assert paired != "book"


@settings(max_examples=200)
@given(pairs=_pairs)
def test_a_paired_heatmap_is_the_observed_heatmap_of_its_levels(pairs):
    paired, plain = PairedHeatmap(pairs, T0, "test"), _heatmap(pairs)
    assert paired.value == plain.value
    assert all(type(level) is LiquidationLevel for level in paired.value)
    assert paired == plain
    assert plain == paired
    assert hash(paired) == hash(plain)
    assert paired.age_s(T0) == plain.age_s(T0) == 0.0
    assert paired != PairedHeatmap(pairs, T0, "other")
    assert paired != Observed(plain.value, datetime(2025, 3, 1, 12, 1, tzinfo=UTC), "test")


def test_a_paired_heatmap_makes_its_levels_once_is_frozen_and_copies_as_an_observed_value():
    paired = PairedHeatmap(((100.0, 5e6), (101.0, 1e6)), T0, "test")
    assert paired._levels is None
    assert paired.value is paired.value
    for name in ("value", "pairs", "as_of"):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(paired, name, ())
    for copied in (pickle.loads(pickle.dumps(paired)), copy.copy(paired), copy.deepcopy(paired)):
        assert type(copied) is Observed
        assert copied == _heatmap(((100.0, 5e6), (101.0, 1e6)))
