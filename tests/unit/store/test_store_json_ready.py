"""`json_ready` walks a value once instead of writing and parsing JSON text: it must give exactly what the round
trip gives (same values, same types, same key order), and fail where the round trip fails, whether the way to
convert a type is already known or found on the spot; `dumps` must write the same text as `json.dumps` with the
column options, and fail the same way, though it skips the circular check until a value recurses too deep."""

from __future__ import annotations

import json
import json.encoder
import math
import sys
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import IntEnum
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha import json_text
from bigalpha.domain import Decision, DenyReason, GuardName, GuardOutcome, PositionMeta, Regime, evidence
from bigalpha.json_text import dumps, json_default
from bigalpha.store import mapping
from bigalpha.store.mapping import json_ready, meta_from_json, meta_to_json


def round_trip(value: Any) -> Any:
    """The plain version `json_ready` replaces."""
    return json.loads(json.dumps(value, default=json_default))


def same(a: Any, b: Any) -> bool:
    """Equal, of the same types all the way down, dict keys in the same order; NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Ratio(float):
    def __repr__(self) -> str:
        return "Ratio(...)"  # the encoder writes float.__repr__, never this


class Label(str):
    def __str__(self) -> str:
        return "not-the-text"  # the encoder writes the characters, never this


class Pairs(tuple[Any, ...]):
    pass


class Items(list[Any]):
    def __iter__(self) -> Iterator[Any]:
        items: list[Any] = [*list.__iter__(self)]
        backwards: Iterator[Any] = reversed(items)
        return backwards  # the encoder reads a subclass through its own __iter__


@dataclass(frozen=True, slots=True)
class Record:
    name: str
    amount: Decimal
    when: datetime | None
    tags: frozenset[str]


@dataclass
class LooseRecord:  # an instance dict: answered by `json_default` itself, not the cached field names
    value: object


class Money(Decimal):
    def __format__(self, spec: str, context: Any = None, /) -> str:
        return "money"  # a subclass may format itself: only an exact Decimal has a converter of its own


class Moment(datetime):
    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "a moment"  # likewise for a datetime


@dataclass(frozen=True, slots=True)
class Claimed:
    """A record that claims to be a dict: the isinstance checks before `json_default` believe it, so the type
    alone does not decide how it is written and it never gets a converter of its own."""

    value: int

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return dict


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN, infinities, -0.0 included
    st.text(max_size=6),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from([Decision.ALLOW, Decision.BLOCK, Regime.TRENDING, GuardName.LIQ_WALL]),
    st.sampled_from([Level.LOW, Level.HIGH]),
    st.floats(allow_nan=False).map(Ratio),
    st.text(max_size=4).map(Label),
    st.datetimes(timezones=st.just(UTC)),
    st.dates().map(lambda d: date(d.year, d.month, d.day)),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(Money),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: Moment.fromtimestamp(d.timestamp(), UTC)),
)
keys = st.one_of(
    st.text(max_size=5),
    st.integers(min_value=-5, max_value=5),
    st.floats(),
    st.booleans(),
    st.none(),
    st.sampled_from([DenyReason.LIQ_WALL_CONFLICT, GuardName.WHALE_INTENT]),
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.lists(children, max_size=4).map(Pairs),
        st.lists(children, max_size=4).map(Items),
        st.frozensets(st.text(max_size=3), max_size=3),
        st.dictionaries(keys, children, max_size=4),
        st.dictionaries(st.text(max_size=4), children, max_size=4).map(MappingProxyType),
        st.dictionaries(st.text(max_size=4), children, max_size=3).map(OrderedDict),
        st.builds(LooseRecord, children),
    )


values = st.recursive(leaves, _containers, max_leaves=25)

records = st.builds(
    Record,
    name=st.text(max_size=5),
    amount=st.decimals(allow_nan=False, allow_infinity=False, places=2),
    when=st.none() | st.datetimes(timezones=st.just(UTC)),
    tags=st.frozensets(st.text(max_size=3), max_size=3),
)
numbers = st.none() | st.floats() | st.text(max_size=5) | st.booleans()
outcomes = st.builds(
    GuardOutcome,
    guard=st.sampled_from(GuardName),
    decision=st.sampled_from(Decision),
    multiplier=st.floats(),
    reason=st.none() | st.sampled_from(DenyReason),
    evidence=st.dictionaries(st.text(min_size=1, max_size=5), numbers, max_size=5).map(lambda d: evidence(**d)),
    message=st.text(max_size=10),
    data_unavailable=st.none() | st.text(max_size=5),
)
metas = st.builds(
    PositionMeta,
    hurst=st.none() | st.floats(),
    regime=st.sampled_from(Regime),
    true_trend=st.booleans(),
    oi_delta_5m_at_entry=st.none() | st.floats(),
    max_pain_at_entry=st.none() | st.floats(),
    nearest_cluster_price=st.none() | st.floats(),
    nearest_cluster_usd=st.none() | st.floats(),
    verdict_evidence=st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=8).map(tuple),
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_json_ready_is_the_json_round_trip(value: Any) -> None:
    assert same(json_ready(value), round_trip(value))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(records, outcomes, metas, values), max_size=4))
def test_json_ready_of_records_is_the_json_round_trip(value: list[Any]) -> None:
    """Dataclasses (verdict outcomes with read-only evidence, entry metadata) are written field by field."""
    assert same(json_ready(value), round_trip(value))
    verdict_like = {"outcomes": tuple(value), "risk": None}
    assert same(json_ready(verdict_like), round_trip(verdict_like))


@settings(max_examples=200, deadline=None)
@given(metas)
def test_meta_to_json_and_back_are_unchanged(meta: PositionMeta) -> None:
    assert same(meta_to_json(meta), round_trip(meta))
    again = meta_from_json(meta_to_json(meta))
    assert again is not None
    assert again.verdict_evidence == meta.verdict_evidence
    assert same(json_ready(again), round_trip(meta))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(records, outcomes, metas, values), max_size=4))
def test_json_ready_is_the_same_before_and_after_each_type_has_its_converter(value: list[Any]) -> None:
    mapping._CONVERTERS.clear()
    first = json_ready(value)
    assert same(first, json_ready(value))
    assert same(first, round_trip(value))


def test_a_record_claiming_another_class_goes_the_way_of_its_claim_every_time() -> None:
    """`Claimed` is taken for a dict by the isinstance checks, which then fail on it (as they always did):
    a converter found from its type alone would write its fields instead."""
    mapping._CONVERTERS.clear()
    for _ in range(2):
        with pytest.raises(AttributeError, match="items"):
            json_ready([Claimed(1)])


@settings(max_examples=300, deadline=None)
@given(values)
def test_dumps_writes_what_json_dumps_writes(value: Any) -> None:
    assert dumps(value) == json.dumps(value, default=json_default, separators=(",", ":"))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(records, outcomes, metas, values), max_size=4), st.text(max_size=6).map(Label))
def test_dumps_writes_what_the_checking_encoder_writes(value: list[Any], label: Label) -> None:
    assert dumps(value) == json_text._COLUMN_ENCODER.encode(value)
    assert dumps(label) == json_text._COLUMN_ENCODER.encode(label)  # a bare text: encode's shortcut for it


def test_dumps_runs_the_c_encoder() -> None:
    c_encoder = getattr(json.encoder, "c_make_encoder", None)
    assert c_encoder is not None
    assert isinstance(json_text._UNCHECKED_ENCODE, c_encoder)


def _circular_values() -> list[Any]:
    looped_list: list[Any] = [1]
    looped_list.append({"back": looped_list})
    looped_dict: dict[str, Any] = {}
    looped_dict["self"] = looped_dict
    looped_record = LooseRecord(None)
    looped_record.value = [looped_record]  # through `json_default`
    return [looped_list, looped_dict, looped_record]


@pytest.mark.parametrize("value", _circular_values(), ids=["list", "dict", "record"])
def test_dumps_refuses_a_circular_value_as_the_checking_encoder_does(value: Any) -> None:
    with pytest.raises(ValueError, match="Circular reference detected") as checked:
        json_text._COLUMN_ENCODER.encode(value)
    with pytest.raises(ValueError, match="Circular reference detected") as fast:
        dumps(value)
    assert str(fast.value) == str(checked.value)


def test_dumps_refuses_a_value_nested_too_deep_as_the_checking_encoder_does() -> None:
    deep: list[Any] = []
    for _ in range(sys.getrecursionlimit() + 10):
        deep = [deep]
    with pytest.raises(RecursionError):
        json_text._COLUMN_ENCODER.encode(deep)
    with pytest.raises(RecursionError):
        dumps(deep)


@pytest.mark.parametrize("value", [{"when": timedelta(seconds=3)}, [object()], {(1, 2): "a tuple key"}])
def test_dumps_refuses_what_the_checking_encoder_refuses(value: Any) -> None:
    with pytest.raises(TypeError) as checked:
        json_text._COLUMN_ENCODER.encode(value)
    with pytest.raises(TypeError) as fast:
        dumps(value)
    assert str(fast.value) == str(checked.value)


@pytest.mark.parametrize(
    "value",
    [
        {"when": timedelta(seconds=3)},  # no JSON form
        [object()],
        {(1, 2): "a tuple key"},
        {"nested": {Decimal(1): "a Decimal key"}},
    ],
)
def test_json_ready_refuses_what_the_round_trip_refuses(value: Any) -> None:
    with pytest.raises(TypeError) as plain:
        round_trip(value)
    with pytest.raises(TypeError) as fast:
        json_ready(value)
    assert str(fast.value) == str(plain.value)


def test_a_circular_value_fails_as_the_round_trip_fails() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference detected"):
        json_ready(loop)


def test_json_ready_gives_new_containers() -> None:
    """The result never shares a container with the input: callers may keep or change either."""
    inner = ["a", "b"]
    data = {"pairs": (inner,), "flat": inner}
    ready = json_ready(data)
    assert ready["flat"] is not inner
    assert ready["pairs"][0] is not inner


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=4), st.text(max_size=4)), max_size=6), st.booleans())
def test_json_ready_of_pairs_of_texts_is_the_round_trip(pairs: list[tuple[str, str]], as_tuple: bool) -> None:
    """A sequence of sequences of plain leaves (a verdict's evidence pairs) is converted in one step: new lists."""
    value: Any = tuple(pairs) if as_tuple else [list(pair) for pair in pairs]
    ready = json_ready(value)
    assert same(ready, round_trip(value))
    assert all(item is not pair for item, pair in zip(ready, value, strict=True))
