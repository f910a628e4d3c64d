"""Dataset on disk: round trip, and every bad input is a clear error naming the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bigalpha.data.sim import DatasetError, SimDataset, read_dataset, write_dataset
from bigalpha.data.sim.schema import SCHEMAS


@pytest.fixture(scope="module")
def written(two_days: SimDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("dataset")
    write_dataset(two_days, directory)
    return directory


@pytest.fixture
def copy(written: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(written, target)
    return target


def test_round_trip_is_exact(written: Path, two_days: SimDataset) -> None:
    loaded = read_dataset(written)
    assert loaded.params == two_days.params
    assert loaded.days == 2
    for name in SCHEMAS:
        for column, values in two_days.frames[name].items():
            assert np.array_equal(loaded.frames[name][column], values), (name, column)


def test_manifest_lists_seed_params_version_counts_and_hashes(written: Path, two_days: SimDataset) -> None:
    manifest = json.loads((written / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert manifest["schema_version"] == 1
    assert manifest["bigalpha_version"]
    assert manifest["params"]["seed"] == 7
    for name, rows in two_days.row_counts().items():
        entry = manifest["files"][f"{name}.parquet"]
        assert entry["rows"] == rows
        assert len(entry["sha256"]) == 64


def test_timestamps_are_utc_on_disk(written: Path) -> None:
    schema = pq.read_schema(written / "bars.parquet")
    assert schema.field("ts").type == pa.timestamp("ms", tz="UTC")


def test_missing_file_is_named(copy: Path) -> None:
    (copy / "funding.parquet").unlink()
    with pytest.raises(DatasetError, match=r"funding\.parquet: missing"):
        read_dataset(copy)


def test_missing_manifest_is_named(copy: Path) -> None:
    (copy / "manifest.json").unlink()
    with pytest.raises(DatasetError, match=r"manifest\.json: missing"):
        read_dataset(copy)


def test_hash_mismatch_is_named(copy: Path) -> None:
    path = copy / "max_pain.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=r"max_pain\.parquet: sha256 does not match"):
        read_dataset(copy)


def test_wrong_columns_are_named(copy: Path) -> None:
    path = copy / "long_short.parquet"
    table = pq.read_table(path).rename_columns(["symbol", "ts", "ratio", "short_share"])
    pq.write_table(table, path)
    with pytest.raises(
        DatasetError, match=r"long_short\.parquet: wrong schema: missing columns \['long_short_ratio'\]"
    ):
        read_dataset(copy, verify_hashes=False)


def test_wrong_type_is_named(copy: Path) -> None:
    path = copy / "fear_greed.parquet"
    table = pq.read_table(path)
    pq.write_table(table.set_column(1, "value", pa.array([str(v) for v in table.column("value").to_pylist()])), path)
    with pytest.raises(DatasetError, match=r"fear_greed\.parquet: wrong schema: value is string, expected double"):
        read_dataset(copy, verify_hashes=False)


def test_unknown_symbol_names_file_and_row(copy: Path) -> None:
    path = copy / "open_interest.parquet"
    table = pq.read_table(path)
    symbols = table.column("symbol").to_pylist()
    symbols[5] = "DOGE"
    pq.write_table(table.set_column(0, "symbol", pa.array(symbols)), path)
    with pytest.raises(DatasetError, match=r"open_interest\.parquet: row 5: symbol 'DOGE' is not one of"):
        read_dataset(copy, verify_hashes=False)


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not a directory"):
        read_dataset(tmp_path / "nowhere")
