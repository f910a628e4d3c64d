"""D-SIM-1: a dataset gathered day by day in growing columns is exactly the plain concatenation of the stream's
first days, symbol-major; a dataset kept to some columns drops only those and cannot be written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigalpha.data.sim import SimDataset, SimParams, generate, write_dataset
from bigalpha.data.sim.accumulate import FrameAccumulator
from bigalpha.data.sim.dataset import DatasetError
from bigalpha.data.sim.generator import iter_chunks
from bigalpha.data.sim.schema import Frame


def _plain(chunks: list[dict[str, Frame]], name: str, n_symbols: int) -> Frame:
    """The reference: every chunk's rows of symbol 0, then of symbol 1, …; walls sorted by (symbol, start, price)."""
    parts = [chunk[name] for chunk in chunks]
    if "symbol" in parts[0]:
        out = {
            col: np.concatenate([p[col][p["symbol"] == code] for code in range(n_symbols) for p in parts])
            for col in parts[0]
        }
    else:
        out = {col: np.concatenate([p[col] for p in parts]) for col in parts[0]}
    if name == "book_walls":
        order = np.lexsort((out["price"], out["start"], out["symbol"]))
        out = {col: values[order] for col, values in out.items()}
    return out


def test_generate_equals_the_plain_concatenation_of_the_stream(two_days: SimDataset, sim_params: SimParams) -> None:
    """D-SIM-1: every table, column, dtype and value, of every symbol."""
    stream = iter_chunks(two_days.params)
    chunks = [next(stream) for _ in range(2)]
    n = len(sim_params.symbols)
    for name, frame in two_days.frames.items():
        expected = _plain(chunks, name, n)
        assert list(frame) == list(expected), name
        for col, values in expected.items():
            assert frame[col].dtype == values.dtype, (name, col)
            assert np.array_equal(frame[col], values, equal_nan=True), (name, col)


def test_kept_columns_are_the_same_values_and_the_rest_is_dropped(two_days: SimDataset) -> None:
    kept = generate(two_days.params, 2, columns={"bars": ("ts", "close"), "trades": ("price",)})
    assert list(kept.frames["bars"]) == ["symbol", "ts", "close"]
    assert list(kept.frames["trades"]) == ["symbol", "price"]
    for name, col in (("bars", "close"), ("bars", "ts"), ("trades", "price"), ("funding", "okx")):
        assert np.array_equal(kept.frames[name][col], two_days.frames[name][col])


def test_a_partial_dataset_is_refused_before_any_file_is_written(two_days: SimDataset, tmp_path: Path) -> None:
    kept = generate(two_days.params, 1, columns={"bars": ("ts", "close")})
    with pytest.raises(DatasetError, match=r"bars\.open"):
        write_dataset(kept, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_tables_in_columns_are_named() -> None:
    with pytest.raises(ValueError, match="candles"):
        generate(SimParams(seed=1), 1, columns={"candles": ("close",)})


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.lists(st.integers(0, 700), min_size=3, max_size=3), min_size=1, max_size=12),
    seed=st.integers(0, 2**16),
)
def test_accumulator_matches_concatenation_for_any_chunk_sizes(sizes: list[list[int]], seed: int) -> None:
    """Growth in place (several resizes for large chunks) never loses, reorders or mis-types a row."""
    rng = np.random.default_rng(seed)
    chunks: list[Frame] = []
    for per_symbol in sizes:
        codes = np.concatenate([np.full(k, code, dtype=np.int16) for code, k in enumerate(per_symbol)])
        chunks.append({"symbol": codes, "x": rng.normal(size=codes.size), "n": rng.integers(0, 9, codes.size)})
    table = FrameAccumulator(3)
    for chunk in chunks:
        table.append(dict(chunk))
    out = table.take()
    expected = _plain([{"t": c} for c in chunks], "t", 3)
    for col in ("symbol", "x", "n"):
        assert out[col].dtype == expected[col].dtype
        assert np.array_equal(out[col], expected[col])


def test_accumulator_refuses_a_chunk_with_other_columns() -> None:
    table = FrameAccumulator(1)
    table.append({"symbol": np.zeros(2, dtype=np.int16), "x": np.zeros(2)})
    with pytest.raises(ValueError, match="columns"):
        table.append({"symbol": np.zeros(2, dtype=np.int16), "y": np.zeros(2)})
