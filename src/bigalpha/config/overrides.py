"""Settings changed for one run, by dotted key (`gate.liq_wall_pct`), validated like the config file: what a
backtest's `--param` and each trial of the optimizer (L-OPT-2) run with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from bigalpha.config.settings import Settings


class OverrideError(ValueError):
    """A key that names no setting, or values the settings refuse; the message says which."""


def setting_value(settings: Settings, key: str) -> Any:
    """The value of the setting `key` names (`section.key`, nested sections dotted too)."""
    table, name = _holder(settings.model_dump(), key)
    return table[name]


def _holder(data: dict[str, Any], key: str) -> tuple[dict[str, Any], str]:
    """The table of the dumped settings `data` that holds the setting `key` names, and its name there."""
    node: Any = data
    *sections, name = key.split(".")
    for part in sections:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or name not in node:
        raise OverrideError(f"unknown setting {key!r} (e.g. gate.liq_wall_pct=0.01)")
    return node, name


def with_overrides(settings: Settings, values: Mapping[str, Any]) -> Settings:
    """`settings` with each named setting set to its value (converted by the setting's own type), validated as a
    whole: a value out of its range, or values that break a rule between settings, are refused together."""
    data: dict[str, Any] = settings.model_dump()
    for key, value in values.items():
        table, name = _holder(data, key)
        table[name] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise OverrideError(
            "; ".join(f"{'.'.join(str(p) for p in d['loc'])}: {d['msg']}" for d in error.errors(include_url=False))
        ) from None
