"""A time-ordered window of observations pruned from its oldest end, with its median in O(log n) per bar.

S-SOL-FADE judges every bar against the median of the last hour of fees. Recomputing
`statistics.median` over the whole window each bar costs a sort per bar; here the values are also kept sorted
as they arrive and leave, so the median is two lookups. The value is exactly `statistics.median`'s: the same
sorted list (an equal value enters after its equals and the oldest of equals leaves first, as a stable sort
of the window in time order places them) and the same arithmetic on its middle. A NaN, which has no place in
a sorted list, sends the median back to `statistics.median` over the window for as long as it is in it.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterable
from datetime import datetime


class TimedWindow:
    """(time, value) observations in time order; `prune` drops those before an instant, oldest first."""

    __slots__ = ("_nans", "_sorted", "items")

    def __init__(self, items: Iterable[tuple[datetime, float]] = ()) -> None:
        self.items: deque[tuple[datetime, float]] = deque(items)
        self._sorted = sorted(value for _, value in self.items if not math.isnan(value))
        self._nans = sum(1 for _, value in self.items if math.isnan(value))

    def __len__(self) -> int:
        return len(self.items)

    def append(self, at: datetime, value: float) -> None:
        self.items.append((at, value))
        if math.isnan(value):
            self._nans += 1
        else:
            insort(self._sorted, value)

    def prune(self, since: datetime) -> None:
        """Forget the observations made before `since` (those at `since` stay)."""
        items = self.items
        while items and items[0][0] < since:
            _, value = items.popleft()
            if math.isnan(value):
                self._nans -= 1
            else:
                del self._sorted[bisect_left(self._sorted, value)]

    def median(self) -> float:
        """`statistics.median` of the values in the window (an empty window is an error, as there)."""
        if self._nans:
            return statistics.median(value for _, value in self.items)
        data = self._sorted
        n = len(data)
        if n == 0:
            raise statistics.StatisticsError("no median for empty data")
        if n % 2 == 1:
            return data[n // 2]
        i = n // 2
        return (data[i - 1] + data[i]) / 2
