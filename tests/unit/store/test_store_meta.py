"""P-META-1: what a position remembers of its entry survives the store unchanged (JSON and back)."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given
from hypothesis import strategies as st

from bigalpha.domain import PositionMeta, Regime
from bigalpha.store.mapping import meta_from_json, meta_to_json

_floats = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))
_text = st.text(max_size=12)

metas = st.builds(
    PositionMeta,
    hurst=_floats,
    regime=st.sampled_from(Regime),
    true_trend=st.booleans(),
    oi_delta_5m_at_entry=_floats,
    max_pain_at_entry=_floats,
    nearest_cluster_price=_floats,
    nearest_cluster_usd=_floats,
    verdict_evidence=st.lists(st.tuples(_text, _text), max_size=6).map(tuple),
)


@given(metas)
def test_a_position_meta_round_trips_through_its_json(meta: PositionMeta) -> None:
    stored = meta_to_json(meta)
    assert meta_from_json(json.loads(json.dumps(stored))) == meta


@given(metas)
def test_the_stored_meta_is_the_plain_json_of_its_fields(meta: PositionMeta) -> None:
    """Encoded field by field, it is the same document as the deep copy `dataclasses.asdict` would give."""
    assert meta_to_json(meta) == json.loads(json.dumps(dataclasses.asdict(meta), default=str))
