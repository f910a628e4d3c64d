"""Day chunks gathered into one symbol-major frame per table as they are generated.

Holding every day's chunk until the end and concatenating them costs twice the dataset, and more: a day's
columns are small allocations that the C heap keeps after they are freed, so a year of minute data left the
process ~2× the dataset's size for good. Here each (table, symbol, column) is one array with spare capacity, moved
to a larger mapping of its own when full (only written pages are resident), and a chunk is freed as soon as it is
appended, so the next day's chunk reuses its memory.
"""

from __future__ import annotations

import mmap
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from bigalpha.data.sim.schema import Frame

_GROWTH = 1.5  # capacity multiplier: amortised O(1) appends with at most a third of a column unused
_MIN_CAPACITY = 4096


class _GrowingColumn:
    """One column that grows in place; `take()` hands over the exact-length array."""

    def __init__(self, dtype: np.dtype[Any]) -> None:
        self._data: npt.NDArray[Any] = np.empty(0, dtype=dtype)
        self._size = 0

    def append(self, values: npt.NDArray[Any]) -> None:
        need = self._size + values.shape[0]
        if need > self._data.shape[0]:
            grown = _unwritten(max(need, int(self._data.shape[0] * _GROWTH), _MIN_CAPACITY), self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : need] = values
        self._size = need

    def take(self) -> npt.NDArray[Any]:
        data = self._data[: self._size]  # the capacity beyond was never written: it costs address space only
        self._data = np.empty(0, dtype=data.dtype)
        return data


def _unwritten(n: int, dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """n elements in pages of their own, resident only once written, and returned to the system when the last view
    of them goes. Not `ndarray.resize`, which zero-fills the capacity it adds (all of it became resident: at a million
    bars ~90 MB of the generation's peak); nor the C heap, which keeps the columns outgrown for good."""
    buffer = mmap.mmap(-1, max(n * dtype.itemsize, 1))
    return np.frombuffer(buffer, dtype=dtype, count=n)


class FrameAccumulator:
    """Appends day-major chunks of one table and returns it symbol-major (rows of symbol 0, then 1, …), each
    symbol's rows in the order the chunks came: what concatenating every chunk of each symbol in turn gives.

    `columns`, when given, keeps only those columns (plus `symbol`, which orders the rows); the others are
    dropped as each chunk arrives."""

    def __init__(self, n_symbols: int, columns: Collection[str] | None = None) -> None:
        self._n_symbols = n_symbols
        self._columns = None if columns is None else frozenset(columns) | {"symbol"}
        self._groups: list[dict[str, _GrowingColumn]] | None = None
        self._names: list[str] = []

    def append(self, chunk: Frame) -> None:
        names = [name for name in chunk if self._columns is None or name in self._columns]
        if self._groups is None:
            self._names = names
            groups = self._n_symbols if "symbol" in chunk else 1
            self._groups = [{name: _GrowingColumn(chunk[name].dtype) for name in names} for _ in range(groups)]
        elif names != self._names:
            raise ValueError(f"a chunk has columns {names}, the first had {self._names}")
        if len(self._groups) == 1:
            for name in names:
                self._groups[0][name].append(chunk[name])
            return
        # Chunks are sorted by symbol code, so each symbol's rows are one slice.
        bounds = np.searchsorted(chunk["symbol"], np.arange(self._n_symbols + 1), "left").tolist()
        for code, group in enumerate(self._groups):
            lo, hi = bounds[code], bounds[code + 1]
            for name in names:
                group[name].append(chunk[name][lo:hi])

    def take(self) -> Frame:
        """The table (the accumulator is empty afterwards); one column at a time, so the peak is one column more."""
        if self._groups is None:
            raise ValueError("no chunk was appended")
        groups, self._groups = self._groups, None
        out: Frame = {}
        for name in self._names:
            parts = [group.pop(name).take() for group in groups]
            out[name] = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return out


def accumulators(
    names: Collection[str], n_symbols: int, columns: Mapping[str, Collection[str]] | None
) -> dict[str, FrameAccumulator]:
    """One accumulator per table; with `columns`, a table it names keeps only those columns."""
    wanted = columns or {}
    return {name: FrameAccumulator(n_symbols, wanted.get(name)) for name in names}
