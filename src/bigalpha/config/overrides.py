"""Settings changed for one run, by dotted key (`gate.liq_wall_pct`), validated like the config file: what a
backtest's `--param` and each trial of the optimizer (L-OPT-2) run with. A key ending in `[i]` names one item of a
list setting (`positions.ladder.targets[0]`, Tier 1's target), the rest of the list kept."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ValidationError

from bigalpha.config.settings import Settings

# `name[i]`: item i of the list setting `name`.
_ITEM = re.compile(r"(?P<name>[^\[\]]+)\[(?P<index>\d+)\]")


class OverrideError(ValueError):
    """A key that names no setting, or values the settings refuse; the message says which."""


def setting_value(settings: Settings, key: str, *, mode: Literal["python", "json"] = "python") -> Any:
    """The value of the setting `key` names (`section.key`, nested sections dotted too, an item `[i]` of a list),
    as `model_dump(mode=mode)` gives it."""
    holder, slot = _holder(settings.model_dump(mode=mode), key)
    return holder[slot]


def item_key(key: str) -> tuple[str, int] | None:
    """For a key naming an item of a list setting (`positions.ladder.targets[0]`): the list's key and the item's
    index; None for any other key."""
    section, dot, last = key.rpartition(".")
    found = _ITEM.fullmatch(last)
    if found is None:
        return None
    return f"{section}{dot}{found['name']}", int(found["index"])


def _holder(data: dict[str, Any], key: str) -> tuple[Any, str | int]:
    """The table (or list) of the dumped settings `data` that holds the setting `key` names, and its name (or
    index) there."""
    item = item_key(key)
    whole = key if item is None else item[0]
    node: Any = data
    *sections, name = whole.split(".")
    for part in sections:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or name not in node:
        raise OverrideError(f"unknown setting {whole!r} (e.g. gate.liq_wall_pct=0.01)")
    if item is None:
        return node, name
    items, index = node[name], item[1]
    if not isinstance(items, list):
        raise OverrideError(f"{key}: {whole} is not a list, so it has no item [{index}]")
    if index >= len(items):
        raise OverrideError(f"{key}: {whole} has {len(items)} items, [0] to [{len(items) - 1}]")
    return items, index


def with_overrides(settings: Settings, values: Mapping[str, Any]) -> Settings:
    """`settings` with each named setting set to its value (converted by the setting's own type), validated as a
    whole: a value out of its range, or values that break a rule between settings, are refused together. Keys are
    applied in order, so an item key after its whole list's key changes that list."""
    data: dict[str, Any] = settings.model_dump()
    for key, value in values.items():
        holder, slot = _holder(data, key)
        holder[slot] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise OverrideError(
            "; ".join(f"{'.'.join(str(p) for p in d['loc'])}: {d['msg']}" for d in error.errors(include_url=False))
        ) from None
