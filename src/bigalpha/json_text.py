"""JSON text as the store writes it: one encoder for every JSON column and every saved state.

Decimals are written exact (as strings), enums by value, datetimes ISO-8601, dataclasses field by field. A value
written again and again with most of it unchanged (the engine's checkpoint after every tick, the whale-tuning
history) can be assembled from the texts of its parts (`JsonText`, `json_object_text`, `json_list_text`), which
gives the text `dumps` would write of the whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import json.encoder
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any


@dataclasses.dataclass(frozen=True, slots=True)
class JsonText:
    """A column's JSON text, already written: `dumps` gives it back as it is. For a value written again and again
    with most of it unchanged (the engine's checkpoint, the whale-tuning history), assembled by `json_object_text`
    and `json_list_text` from the texts `dumps` wrote of its parts."""

    text: str


def json_object_text(pairs: Iterable[tuple[str, str]]) -> str:
    """`dumps` of a dict, from its (text) keys and the `dumps` of each value, in order: the column encoder writes a
    dict as its `key:value` pairs between braces, separated as it separates items."""
    key, item = _COLUMN_ENCODER.key_separator, _COLUMN_ENCODER.item_separator
    return "{" + item.join([dumps(name) + key + text for name, text in pairs]) + "}"


def json_list_text(texts: Iterable[str]) -> str:
    """`dumps` of a list (or tuple), from the `dumps` of each item, in order."""
    return "[" + _COLUMN_ENCODER.item_separator.join(texts) + "]"


def dumps(value: Any) -> str:
    """JSON text for a column: Decimals exact as strings, enums by value, datetimes ISO-8601; a `JsonText` as it is.

    The text is `_COLUMN_ENCODER.encode(value)`'s. Every JSON column of every row passes here, so the C encoder
    is called straight (no encoder and closure built per call) and without its check for circular values (a
    dict of the ids of the containers open, kept on every container): a circular value recurses until Python's
    recursion limit stops it, and only then does the checking encoder run, to raise what it always raised. (Two
    Python frames fewer stand between the caller and the C encoder: a value nested within two levels of the
    recursion limit, which used to fail, may now be written.)"""
    if type(value) is JsonText:
        return value.text
    if _UNCHECKED_ENCODE is not None:
        # Circular or too deep: the checking encoder below tells which (ValueError or RecursionError).
        with contextlib.suppress(RecursionError):
            return "".join(_UNCHECKED_ENCODE(value, 0))
    return _COLUMN_ENCODER.encode(value)


def json_default(value: Any) -> Any:
    """What the encoder writes for a value JSON has no form of (its `default`); TypeError for one it cannot store."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, StrEnum):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Field by field (not asdict): asdict deep-copies, and read-only evidence mappings cannot be copied.
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "items"):
        return dict(value.items())
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


# One encoder for every column value (json.dumps with options builds a new one per call); it keeps no state
# between calls.
_COLUMN_ENCODER = json.JSONEncoder(default=json_default, separators=(",", ":"))


def _unchecked_encoder(encoder: json.JSONEncoder) -> Callable[[Any, int], Sequence[str]] | None:
    """The C encoder `encoder.encode` runs, with `encoder`'s options but no circular check (markers None, as
    `check_circular=False` gives it); None where the C accelerator is missing (then `encoder` does all)."""
    # Undeclared in the stubs: the C accelerator's constructor, None without it (as `iterencode` checks).
    make: Callable[..., Callable[[Any, int], Sequence[str]]] | None = getattr(json.encoder, "c_make_encoder", None)
    indent: int | str | None = encoder.indent  # None, its default, is missing from the stubs
    if make is None or indent is not None:
        return None
    strings = json.encoder.encode_basestring_ascii if encoder.ensure_ascii else json.encoder.encode_basestring
    try:
        return make(
            None,
            encoder.default,
            strings,
            indent,
            encoder.key_separator,
            encoder.item_separator,
            encoder.sort_keys,
            encoder.skipkeys,
            encoder.allow_nan,
        )
    except TypeError:  # an interpreter whose accelerator takes other arguments: `encoder` does all, as without one
        return None


_UNCHECKED_ENCODE = _unchecked_encoder(_COLUMN_ENCODER)
