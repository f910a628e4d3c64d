"""Turn any time column into int64 nanoseconds since the epoch, UTC, and say how it was encoded.

Accepted: Arrow timestamps (zoned or naive), epoch numbers in s, ms, µs or ns (recognised per value by
magnitude: the plausible ranges are a thousandfold apart, so the unit is never a guess), and ISO-8601
strings with `Z`, a `±HH:MM` offset or none. Naive values are read as UTC and reported; one offset
throughout the file is converted and reported; different offsets (or naive mixed with zoned) within a
file mean local time with daylight saving or a concatenation: that is refused, naming the first row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bigalpha.data.history.errors import DataFormatError
from bigalpha.data.history.report import EXAMPLES_KEPT, Example, Issue, IssueCode, ns_to_datetime

IntArray = npt.NDArray[np.int64]

# (unit, lowest plausible value, highest plausible value (exclusive), ns per unit): 1973 … 2286 in each unit.
_UNITS: tuple[tuple[str, int, int, int], ...] = (
    ("s", 10**8, 10**10, 10**9),
    ("ms", 10**11, 10**13, 10**6),
    ("us", 10**14, 10**16, 10**3),
    ("ns", 10**17, np.iinfo(np.int64).max, 1),
)
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


@dataclass
class TimeColumn:
    ns: IntArray
    encoding: str
    repairs: list[Issue] = field(default_factory=list)
    problems: list[Issue] = field(default_factory=list)


def to_utc_ns(
    column: pa.ChunkedArray,
    *,
    path: Path,
    name: str,
    first_row: int,
    expected_units: frozenset[str] | None = None,
) -> TimeColumn:
    """`column` as UTC epoch ns. `expected_units` are the epoch units the format documents; others are
    converted and reported. `first_row` is the file row number of the column's first value."""
    kind = column.type
    _refuse_nulls(column, path=path, name=name, first_row=first_row)
    if pa.types.is_timestamp(kind):
        return _from_timestamps(column, first_row=first_row)
    if pa.types.is_date(kind):
        return _from_timestamps(column.cast(pa.timestamp("ns")), first_row=first_row)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return _from_epoch(column, path=path, name=name, first_row=first_row, expected=expected_units)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        for numeric in (pa.int64(), pa.float64()):
            try:
                as_number = column.cast(numeric)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
            return _from_epoch(as_number, path=path, name=name, first_row=first_row, expected=expected_units)
        return _from_iso_strings(column, path=path, name=name, first_row=first_row)
    raise DataFormatError(
        path, f"time column of type {kind} is neither a timestamp, an epoch number nor text", column=name
    )


def _refuse_nulls(column: pa.ChunkedArray, *, path: Path, name: str, first_row: int) -> None:
    if column.null_count:
        first = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise DataFormatError(path, "missing timestamp", row=first_row + first, column=name, value="")


def _from_timestamps(column: pa.ChunkedArray, *, first_row: int) -> TimeColumn:
    zone = column.type.tz
    ns = column.cast(pa.timestamp("ns", tz=zone)).cast(pa.int64()).to_numpy().astype(np.int64, copy=False)
    if zone is None:
        problem = _naive_issue(ns, first_row)
        return TimeColumn(ns, "datetime (naive, read as UTC)", problems=[problem] if problem else [])
    return TimeColumn(ns, f"datetime ({zone})")


def _naive_issue(ns: IntArray, first_row: int) -> Issue | None:
    if ns.size == 0:
        return None
    return Issue(
        IssueCode.NAIVE_TIMESTAMPS,
        int(ns.size),
        "timestamps carry no timezone; read as UTC: if the file is in local time, every bar is shifted",
        (Example(first_row, ns_to_datetime(int(ns[0])), "no timezone"),),
    )


def _from_epoch(
    column: pa.ChunkedArray,
    *,
    path: Path,
    name: str,
    first_row: int,
    expected: frozenset[str] | None,
) -> TimeColumn:
    values = column.to_numpy()
    if values.dtype.kind in "iu":
        values = values.astype(np.int64)  # the unit bounds below need 64 bits
    if values.dtype.kind == "f":
        if not np.isfinite(values).all():
            bad = int(np.flatnonzero(~np.isfinite(values))[0])
            raise DataFormatError(
                path, "timestamp is not a number", row=first_row + bad, column=name, value=values[bad]
            )
        if np.array_equal(values, np.floor(values)) and np.abs(values).max(initial=0) < 2**62:
            values = values.astype(np.int64)
    lows = np.array([u[1] for u in _UNITS], dtype=values.dtype)
    highs = np.array([u[2] for u in _UNITS], dtype=values.dtype)
    unit_index = np.searchsorted(lows, values, side="right") - 1
    safe_index = np.clip(unit_index, 0, len(_UNITS) - 1)
    valid = (unit_index >= 0) & (values < highs[safe_index])
    if not valid.all():
        bad = int(np.flatnonzero(~valid)[0])
        raise DataFormatError(
            path,
            "timestamp is not a plausible epoch in s, ms, µs or ns (1973–2286)",
            row=first_row + bad,
            column=name,
            value=values[bad].item(),
        )
    factors = np.array([u[3] for u in _UNITS], dtype=np.int64)
    if values.dtype.kind == "f":
        ns = np.rint(values * factors[safe_index].astype(np.float64)).astype(np.int64)
    else:
        ns = values.astype(np.int64) * factors[safe_index]
    counts = np.bincount(safe_index, minlength=len(_UNITS))
    present = [(_UNITS[i][0], int(counts[i])) for i in range(len(_UNITS)) if counts[i]]
    units = [u for u, _ in present]
    encoding = "epoch " + "+".join(units)
    repairs: list[Issue] = []
    surprising = len(units) > 1 or (expected is not None and units and units[0] not in expected)
    if surprising:
        dominant = int(np.argmax(counts))
        minority = np.flatnonzero(safe_index != dominant) if len(units) > 1 else np.arange(min(ns.size, 1))
        converted = [(u, c) for u, c in present if len(units) == 1 or u != _UNITS[dominant][0]]
        examples = tuple(
            Example(
                first_row + int(i),
                ns_to_datetime(int(ns[i])),
                f"{values[i].item()} read as epoch {_UNITS[safe_index[i]][0]}",
            )
            for i in minority[:EXAMPLES_KEPT]
        )
        what = ", ".join(f"{c} in {u}" for u, c in converted)
        repairs.append(
            Issue(
                IssueCode.EPOCH_UNIT_CONVERTED,
                sum(c for _, c in converted),
                f"epoch values recognised by magnitude and converted to UTC: {what}",
                examples,
            )
        )
    return TimeColumn(ns, encoding, repairs=repairs)


def _offset_of(text: str) -> str | None:
    match = _OFFSET.search(text)
    if match is None:
        return None
    raw = match.group(1)
    if raw == "Z":
        return "+00:00"
    return raw if ":" in raw else f"{raw[:3]}:{raw[3:]}"


def _from_iso_strings(column: pa.ChunkedArray, *, path: Path, name: str, first_row: int) -> TimeColumn:
    text = pc.utf8_trim_whitespace(column)
    suffixes = pc.utf8_slice_codeunits(text, start=-6)
    distinct = pc.unique(suffixes)
    offsets = [_offset_of(s) for s in distinct.to_pylist()]
    if len(set(offsets)) > 1:
        position = pc.index_in(suffixes, value_set=distinct).to_numpy()
        row_offsets = np.array([o or "none" for o in offsets], dtype=object)[position]
        bad = int(np.flatnonzero(row_offsets != row_offsets[0])[0])
        raise DataFormatError(
            path,
            f"timestamps mix timezones: the first row has UTC offset {row_offsets[0]}, this one {row_offsets[bad]} "
            "(local time with daylight saving, or files joined together); export in UTC",
            row=first_row + bad,
            column=name,
            value=text[bad].as_py(),
        )
    offset = offsets[0] if offsets else None
    try:
        parsed = text.cast(pa.timestamp("ns", tz="UTC") if offset else pa.timestamp("ns"))
        ns = parsed.cast(pa.int64()).to_numpy().astype(np.int64, copy=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        ns = _parse_with_pandas(text, path=path, name=name, first_row=first_row)
    if offset is None:
        problem = _naive_issue(ns, first_row)
        return TimeColumn(ns, "ISO-8601 (naive, read as UTC)", problems=[problem] if problem else [])
    if offset in ("+00:00", "-00:00"):
        return TimeColumn(ns, "ISO-8601 UTC")
    repair = Issue(
        IssueCode.UTC_OFFSET_CONVERTED,
        int(ns.size),
        f"every timestamp carries UTC offset {offset}; converted to UTC",
        (Example(first_row, ns_to_datetime(int(ns[0])), str(text[0].as_py())),) if ns.size else (),
    )
    return TimeColumn(ns, f"ISO-8601 {offset} (converted to UTC)", repairs=[repair])


def _parse_with_pandas(text: pa.ChunkedArray, *, path: Path, name: str, first_row: int) -> IntArray:
    strings = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    parsed = pd.to_datetime(strings, format="ISO8601", utc=True, errors="coerce")
    missing = parsed.isna().to_numpy()
    if missing.any():
        bad = int(np.flatnonzero(missing)[0])
        raise DataFormatError(
            path,
            "timestamp is not ISO-8601 (e.g. 2024-01-31T08:00:00Z)",
            row=first_row + bad,
            column=name,
            value=strings[bad],
        )
    ns: IntArray = parsed.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return ns
