"""A generated market in memory (`SimDataset`) and on disk (parquet files + `manifest.json`).

Writes are deterministic: the same dataset gives byte-identical files (fixed row order, fixed
compression, no timestamps or host names in any metadata), so the manifest's sha256 of each file is
a fingerprint of the market itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bigalpha import __version__
from bigalpha.data.sim.accumulate import accumulators
from bigalpha.data.sim.book import BOOK_OFFSETS_BPS
from bigalpha.data.sim.generator import ProgressCallback, generate_chunk, initial_state
from bigalpha.data.sim.params import SimParams
from bigalpha.data.sim.scenarios import Scenario
from bigalpha.data.sim.schema import (
    ENUM_COLUMNS,
    SCHEMA_VERSION,
    TABLES,
    TIMESTAMP_COLUMNS,
    Frame,
    arrow_schemas,
    frame_rows,
)

if TYPE_CHECKING:
    # Arrow is imported where a dataset is written or read: one generated in memory never needs it (~40 MB).
    import pyarrow as pa

MANIFEST = "manifest.json"
_SYMBOL_TABLES_SORT = ("symbol", "ts")


class DatasetError(ValueError):
    """A dataset directory that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class SimDataset:
    """Every table of a simulated market, sorted by (symbol, ts), with what generated it."""

    params: SimParams
    days: int
    scenario: str | None
    frames: dict[str, Frame]

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.params.symbol_names()

    def row_counts(self) -> dict[str, int]:
        return {name: frame_rows(self.frames[name]) for name in TABLES}


def generate(
    params: SimParams,
    days: int,
    scenario: Scenario | None = None,
    progress: ProgressCallback | None = None,
    *,
    columns: Mapping[str, Collection[str]] | None = None,
    derive: Mapping[str, Callable[[Frame], Frame]] | None = None,
) -> SimDataset:
    """`days` days of every data kind for every symbol, from `params` (and the scenario, if any).

    `columns` keeps, for each table it names, only those columns (a backtest leaves out the ground-truth columns
    it never reads); `derive` replaces, for each table it names, each day's rows by what the function makes of them
    (the same rows in the same order, `symbol` kept; a backtest keeps a trade's notional instead of its price and
    quantity), before `columns` picks from them. A dataset without every column of the schema is for use in memory:
    `write_dataset` refuses it."""
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    effective = scenario.apply(params) if scenario else params
    if scenario is not None:
        missing = [s for s in scenario.symbols if s not in effective.symbol_names()]
        if missing:
            raise ValueError(f"scenario {scenario.name!r} needs symbol(s) {', '.join(missing)}")
        if days < scenario.days_needed():
            raise ValueError(f"scenario {scenario.name!r} needs at least {scenario.days_needed()} day(s)")
    unknown = sorted((set(columns or {}) | set(derive or {})) - set(TABLES))
    if unknown:
        raise ValueError(f"columns or derive names unknown table(s) {', '.join(unknown)}")
    state = initial_state(effective)
    tables = accumulators(TABLES, len(effective.symbols), columns)
    for day in range(days):
        chunk = generate_chunk(effective, scenario, state)
        for name, table in tables.items():
            rows = chunk.pop(name)
            table.append(derive[name](rows) if derive is not None and name in derive else rows)
        if progress is not None:
            progress(day + 1, days)
    frames = {name: table.take() for name, table in tables.items()}
    walls = frames["book_walls"]
    # Walls are placed per day and may outlive it: sorted by (symbol, start, price), not in the order generated.
    order = np.lexsort((walls["price"], walls["start"], walls["symbol"]))
    frames["book_walls"] = {col: values[order] for col, values in walls.items()}
    return SimDataset(params=effective, days=days, scenario=scenario.name if scenario else None, frames=frames)


def frame_to_table(name: str, frame: Frame, symbols: tuple[str, ...]) -> pa.Table:
    import pyarrow as pa

    schema = arrow_schemas()[name]
    arrays: list[pa.Array] = []
    for field in schema:
        values = frame[field.name]
        if field.name == "symbol":
            codes = pa.array(values.astype(np.int32))
            arrays.append(pa.DictionaryArray.from_arrays(codes, pa.array(symbols)).cast(pa.string()))
        elif (name, field.name) in ENUM_COLUMNS:
            labels = ENUM_COLUMNS[(name, field.name)]
            codes = pa.array(values.astype(np.int32))
            arrays.append(pa.DictionaryArray.from_arrays(codes, pa.array(labels)).cast(pa.string()))
        elif field.name in TIMESTAMP_COLUMNS:
            arrays.append(pa.array(values.astype(np.int64), type=pa.int64()).cast(field.type))
        else:
            arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _codes(table: pa.Table, column: str, labels: tuple[str, ...], where: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    values = table.column(column)
    codes = pc.index_in(values, value_set=pa.array(labels))
    bad = pc.is_null(codes)
    if pc.any(bad).as_py():
        row = int(np.flatnonzero(bad.to_numpy(zero_copy_only=False))[0])
        raise DatasetError(f"{where}: row {row}: {column} {values[row].as_py()!r} is not one of {', '.join(labels)}")
    return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int16)


def table_to_frame(name: str, table: pa.Table, symbols: tuple[str, ...], where: str) -> Frame:
    import pyarrow as pa
    import pyarrow.compute as pc

    frame: Frame = {}
    for field in arrow_schemas()[name]:
        column = table.column(field.name)
        if column.null_count:
            row = int(np.flatnonzero(pc.is_null(column).to_numpy(zero_copy_only=False))[0])
            raise DatasetError(f"{where}: row {row}: {field.name} is empty")
        if field.name == "symbol":
            frame[field.name] = _codes(table, field.name, symbols, where)
        elif (name, field.name) in ENUM_COLUMNS:
            frame[field.name] = _codes(table, field.name, ENUM_COLUMNS[(name, field.name)], where).astype(np.int8)
        elif field.name in TIMESTAMP_COLUMNS:
            frame[field.name] = column.cast(pa.int64()).to_numpy()
        else:
            frame[field.name] = column.to_numpy()
    return frame


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_data(dataset: SimDataset, files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "bigalpha-sim-dataset",
        "schema_version": SCHEMA_VERSION,
        "bigalpha_version": __version__,
        "seed": dataset.params.seed,
        "days": dataset.days,
        "start": dataset.params.start.isoformat(),
        "symbols": list(dataset.symbols),
        "scenario": dataset.scenario,
        "book_offsets_bps": list(BOOK_OFFSETS_BPS),
        "params": dataset.params.model_dump(mode="json"),
        "files": files,
    }


def write_dataset(dataset: SimDataset, out_dir: Path) -> dict[str, Any]:
    """Write every table as `<name>.parquet` and `manifest.json`; returns the manifest."""
    import pyarrow.parquet as pq

    schemas = arrow_schemas()
    missing = [
        f"{name}.{field.name}" for name in TABLES for field in schemas[name] if field.name not in dataset.frames[name]
    ]
    if missing:
        # Checked before the first file: a partial dataset must not leave half a folder behind.
        raise DatasetError(f"cannot write a dataset generated without column(s) {', '.join(missing)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}
    for name in TABLES:
        table = frame_to_table(name, dataset.frames[name], dataset.symbols)
        path = out_dir / f"{name}.parquet"
        pq.write_table(
            table,
            path,
            compression="zstd",
            compression_level=3,
            use_dictionary=True,
            write_statistics=True,
            row_group_size=1 << 20,
            store_schema=True,
        )
        files[path.name] = {"table": name, "rows": table.num_rows, "sha256": _sha256(path)}
    manifest = manifest_data(dataset, files)
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not directory.is_dir():
        raise DatasetError(f"{directory}: not a directory (expected a dataset written by `bigalpha sim --out`)")
    if not path.is_file():
        raise DatasetError(f"{path}: missing; {directory} is not a simulator dataset")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatasetError(f"{path}: unreadable: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("kind") != "bigalpha-sim-dataset":
        raise DatasetError(f"{path}: not a bigalpha simulator manifest")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise DatasetError(
            f"{path}: schema_version {manifest.get('schema_version')!r}; this bigalpha reads {SCHEMA_VERSION}"
        )
    return manifest


def read_dataset(directory: Path, *, verify_hashes: bool = True) -> SimDataset:
    """Load a dataset written by `write_dataset`, checking every file against the manifest."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = Path(directory)
    manifest = read_manifest(directory)
    where = directory / MANIFEST
    try:
        params = SimParams.model_validate(manifest["params"])
        days = int(manifest["days"])
        files = dict(manifest["files"])
    except (KeyError, TypeError, ValueError) as error:
        raise DatasetError(f"{where}: invalid content: {error}") from error
    symbols = params.symbol_names()
    frames: dict[str, Frame] = {}
    for name, schema in arrow_schemas().items():
        filename = f"{name}.parquet"
        path = directory / filename
        entry = files.get(filename)
        if entry is None:
            raise DatasetError(f"{where}: lists no {filename}")
        if not path.is_file():
            raise DatasetError(f"{path}: missing (listed in {MANIFEST})")
        if verify_hashes and _sha256(path) != entry.get("sha256"):
            raise DatasetError(f"{path}: sha256 does not match {MANIFEST}; the file was changed or damaged")
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as error:
            raise DatasetError(f"{path}: unreadable parquet: {error}") from error
        expected = {f.name: f.type for f in schema}
        found = {f.name: f.type for f in table.schema}
        missing = [c for c in expected if c not in found]
        wrong = [f"{c} is {found[c]}, expected {t}" for c, t in expected.items() if c in found and found[c] != t]
        extra = [c for c in found if c not in expected]
        if missing or wrong or extra:
            problems = [f"missing columns {missing}"] if missing else []
            problems += wrong + ([f"unexpected columns {extra}"] if extra else [])
            raise DatasetError(f"{path}: wrong schema: {'; '.join(problems)}")
        if table.num_rows != entry.get("rows"):
            raise DatasetError(f"{path}: {table.num_rows} rows, {MANIFEST} says {entry.get('rows')}")
        frames[name] = table_to_frame(name, table, symbols, str(path))
    return SimDataset(params=params, days=days, scenario=manifest.get("scenario"), frames=frames)
