"""What a loader found in a file and what it changed: the `QualityReport`.

Repairs are changes that cannot alter meaning (sorting, dropping a row identical to its neighbour,
converting an epoch unit recognised by its magnitude); problems are everything else, reported with
their first examples and left as they are. Gaps are never filled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

EXAMPLES_KEPT = 5
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ns_to_datetime(ns: int) -> datetime:
    """UTC datetime of an epoch-ns value, to the microsecond (Python's resolution)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def ns_to_datetimes(ns: npt.NDArray[np.int64]) -> list[datetime]:
    """`ns_to_datetime` over an array, in C: a replay converts every tick's time."""
    index = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize(UTC)
    moments: list[datetime] = index.to_pydatetime().tolist()
    return moments


class IssueCode(StrEnum):
    """Stable codes of every repair and problem; the CLI and JSON output show them as they are."""

    # repairs
    SORTED = "SORTED"
    EXACT_DUPLICATES_DROPPED = "EXACT_DUPLICATES_DROPPED"
    EPOCH_UNIT_CONVERTED = "EPOCH_UNIT_CONVERTED"
    UTC_OFFSET_CONVERTED = "UTC_OFFSET_CONVERTED"
    # problems
    GAPS = "GAPS"
    NAIVE_TIMESTAMPS = "NAIVE_TIMESTAMPS"
    GRID_OFFSET = "GRID_OFFSET"
    OFF_GRID = "OFF_GRID"
    TIMEFRAME_MISMATCH = "TIMEFRAME_MISMATCH"
    NAN_VALUES = "NAN_VALUES"
    OHLC_INCONSISTENT = "OHLC_INCONSISTENT"
    NON_POSITIVE_PRICE = "NON_POSITIVE_PRICE"
    NEGATIVE_VOLUME = "NEGATIVE_VOLUME"
    TAKER_EXCEEDS_VOLUME = "TAKER_EXCEEDS_VOLUME"
    TRADE_ID_GAPS = "TRADE_ID_GAPS"


@dataclass(frozen=True, slots=True)
class Example:
    """One occurrence: the file row (1-based, a line number in CSV files), its time, and what is wrong."""

    row: int
    ts: datetime | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "ts": self.ts.isoformat() if self.ts else None, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Issue:
    code: IssueCode
    count: int
    message: str
    examples: tuple[Example, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "count": self.count,
            "message": self.message,
            "examples": [e.to_dict() for e in self.examples],
        }


@dataclass(frozen=True, slots=True)
class Gap:
    """Bars missing between two consecutive bars that are present."""

    after: datetime
    before: datetime
    missing: int

    def to_dict(self) -> dict[str, Any]:
        return {"after": self.after.isoformat(), "before": self.before.isoformat(), "missing": self.missing}


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Everything a loader checked in one file."""

    rows_read: int
    rows: int
    time_encoding: str
    repairs: tuple[Issue, ...] = ()
    problems: tuple[Issue, ...] = ()
    gap_count: int = 0
    missing_bars: int = 0
    largest_gap: Gap | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def clean(self) -> bool:
        """No problem found (repairs may have been made)."""
        return not self.problems

    def issue(self, code: IssueCode) -> Issue | None:
        for issue in (*self.repairs, *self.problems):
            if issue.code is code:
                return issue
        return None

    def count(self, code: IssueCode) -> int:
        issue = self.issue(code)
        return issue.count if issue else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows": self.rows,
            "time_encoding": self.time_encoding,
            "gaps": {
                "count": self.gap_count,
                "missing_bars": self.missing_bars,
                "largest": self.largest_gap.to_dict() if self.largest_gap else None,
            },
            "repairs": [i.to_dict() for i in self.repairs],
            "problems": [i.to_dict() for i in self.problems],
            "notes": list(self.notes),
        }
