"""Timeframes as exchanges and freqtrade spell them (`1m`, `15m`, `1h`, `8h`, `1d`, `1w`), in nanoseconds."""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

NS_PER_S = 1_000_000_000
_UNIT_NS = {"s": NS_PER_S, "m": 60 * NS_PER_S, "h": 3600 * NS_PER_S, "d": 86_400 * NS_PER_S, "w": 604_800 * NS_PER_S}
_PATTERN = re.compile(r"^(\d+)([smhdwM])$")
WEEK_NS = _UNIT_NS["w"]
# Exchanges open weekly candles on Monday 00:00 UTC; the Unix epoch was a Thursday.
WEEK_ANCHOR_NS = 4 * _UNIT_NS["d"]


def parse_timeframe(text: str) -> int:
    """`"15m"` → 900·10⁹ ns. Months (`1M`) are refused: they have no fixed length, so gaps cannot be measured."""
    match = _PATTERN.match(text.strip())
    if match is None:
        raise ValueError(f"timeframe {text!r} is not <number><s|m|h|d|w>, e.g. '1m', '15m', '1h', '8h', '1d'")
    count, unit = int(match.group(1)), match.group(2)
    if unit == "M":
        raise ValueError(f"timeframe {text!r}: monthly candles have no fixed length and are not supported")
    if count <= 0:
        raise ValueError(f"timeframe {text!r} must be positive")
    return count * _UNIT_NS[unit]


def is_timeframe(text: str) -> bool:
    try:
        parse_timeframe(text)
    except ValueError:
        return False
    return True


def format_timeframe(ns: int) -> str:
    """The largest unit that divides `ns` exactly: 3600·10⁹ → `"1h"`; sub-second steps are shown in ms."""
    if ns <= 0:
        raise ValueError(f"timeframe of {ns} ns must be positive")
    for unit in ("w", "d", "h", "m", "s"):
        if ns % _UNIT_NS[unit] == 0:
            return f"{ns // _UNIT_NS[unit]}{unit}"
    return f"{ns / 1e6:g}ms"


def grid_offsets(ts: npt.NDArray[np.int64], step_ns: int) -> npt.NDArray[np.int64]:
    """Each timestamp's distance past the last grid line (epoch-anchored; Monday-anchored for weeks)."""
    anchor = WEEK_ANCHOR_NS if step_ns % WEEK_NS == 0 else 0
    offsets: npt.NDArray[np.int64] = (ts - anchor) % step_ns
    return offsets


def modal_step(ts: npt.NDArray[np.int64]) -> int | None:
    """The most common positive spacing of sorted timestamps: the timeframe that gaps do not disturb."""
    if ts.size < 2:
        return None
    steps = np.diff(ts)
    steps = steps[steps > 0]
    if steps.size == 0:
        return None
    values, counts = np.unique(steps, return_counts=True)
    return int(values[np.argmax(counts)])
