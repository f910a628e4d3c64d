"""JSON text assembled from the texts of its parts is the text `dumps` writes of the whole (the whale-tuning history
is written that way), and a `JsonText` is stored as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from test_store_json_ready import values

from bigalpha.config import load_settings
from bigalpha.json_text import JsonText, dumps, json_list_text, json_object_text
from bigalpha.store import Store
from store_cases import T0

# Text keys only: the assembled object takes its keys as text (every state the store writes has text keys).
objects = st.dictionaries(st.text(max_size=6), values, max_size=6)


@settings(max_examples=300, deadline=None)
@given(value=objects)
def test_an_object_from_its_values_texts_is_the_objects_text(value: dict[str, Any]) -> None:
    assert json_object_text([(key, dumps(item)) for key, item in value.items()]) == dumps(value)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(values, max_size=8), as_tuple=st.booleans())
def test_a_list_from_its_items_texts_is_the_lists_text(items: list[Any], as_tuple: bool) -> None:
    value = tuple(items) if as_tuple else items
    assert json_list_text([dumps(item) for item in value]) == dumps(value)


@settings(max_examples=60, deadline=None)  # nested values are slow to draw; the two above cover each level
@given(runs=st.lists(objects, max_size=6))
def test_the_history_shape_from_its_runs_texts(runs: list[dict[str, Any]]) -> None:
    """The whale-tuning history: an object holding a list of objects."""
    assembled = json_object_text([("runs", json_list_text([dumps(run) for run in runs]))])
    assert assembled == dumps({"runs": runs})


@given(value=objects)
def test_json_text_is_written_as_it_is(value: dict[str, Any]) -> None:
    written = dumps(value)
    assert dumps(JsonText(written)) == written


def test_a_state_given_as_json_text_is_stored_as_that_text(tmp_path: Path) -> None:
    """The same row as giving the value itself: the same text in the column, the same value read back."""
    value = {"runs": [{"at": "2025-01-01T00:00:00+00:00", "pnl": {"0.8": 1.5, "1.0": -2.0}, "adopted": None}]}
    store = Store.open(load_settings(env={}), url=f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with store.transaction() as tx:
            tx.set_state("plain", value, T0)
            tx.set_state("text", JsonText(dumps(value)), T0)
        with store.engine.connect() as connection:
            stored = dict(connection.execute(text("SELECT key, value FROM state")).all())
        assert stored["text"] == stored["plain"] == dumps(value)
        assert store.get_state("text") == store.get_state("plain") == value
    finally:
        store.close()
