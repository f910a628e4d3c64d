"""CSV reading: fast through Arrow, and on failure a line-by-line pass that names the first bad line.

Handles plain `.csv`, gzip (`.csv.gz`) and Binance's monthly/daily `.zip` archives (one CSV inside).
The diagnosis pass runs only when Arrow refuses a file, so a good file is read once, at Arrow speed.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

import pyarrow as pa
import pyarrow.csv as pacsv

from bigalpha.data.history.errors import DataFormatError

_TRUE = ["true", "True", "TRUE"]
_FALSE = ["false", "False", "FALSE"]
_NULLS = ["", "nan", "NaN", "NA", "null", "None"]
_PEEK_LINES = 3


@contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    """The CSV bytes of `path`, unpacking gzip or a one-member zip."""
    lower = path.name.lower()
    if lower.endswith(".zip"):
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as error:
            raise DataFormatError(path, f"not a readable zip archive: {error}") from None
        with archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise DataFormatError(path, f"a zip must hold exactly one .csv file; it holds {members or 'none'}")
            with archive.open(members[0]) as stream:
                yield stream
        return
    if lower.endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            yield cast("IO[bytes]", stream)
        return
    with path.open("rb") as stream:
        yield stream


def peek_lines(path: Path, count: int = _PEEK_LINES) -> list[list[str]]:
    """The first `count` non-empty lines, split into fields."""
    try:
        with open_binary(path) as stream:
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
            lines: list[list[str]] = []
            for fields in csv.reader(text):
                if fields and any(f.strip() for f in fields):
                    lines.append([f.strip() for f in fields])
                if len(lines) >= count:
                    break
    except (OSError, EOFError) as error:
        raise DataFormatError(path, f"cannot read file: {error}") from None
    return lines


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_csv(
    path: Path,
    *,
    names: Sequence[str] | None,
    skip_header: bool,
    types: dict[str, pa.DataType],
    include: Sequence[str] | None = None,
) -> pa.Table:
    """Read with Arrow. `names` None means the header names the columns. On any parse failure,
    re-read line by line and raise `DataFormatError` at the first bad line."""
    read_options = pacsv.ReadOptions(
        column_names=list(names) if names is not None else None,
        skip_rows=1 if (skip_header and names is not None) else 0,
        block_size=1 << 24,
    )
    convert = pacsv.ConvertOptions(
        column_types=types,
        include_columns=list(include) if include is not None else None,
        true_values=_TRUE,
        false_values=_FALSE,
        null_values=_NULLS,
        strings_can_be_null=True,
    )
    try:
        with open_binary(path) as stream:
            return pacsv.read_csv(stream, read_options=read_options, convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
        diagnose(path, names=names, has_header=skip_header or names is None, types=types)
        raise DataFormatError(path, f"not readable as CSV: {error}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise DataFormatError(path, f"cannot read file: {error}") from None


def _check_value(text: str, kind: pa.DataType) -> str | None:
    """Why `text` is not a `kind`, or None when it is."""
    value = text.strip()
    problem: str | None = None
    if value in _NULLS:
        return None
    if pa.types.is_boolean(kind) and value not in _TRUE and value not in _FALSE:
        problem = "is not true/false"
    elif pa.types.is_integer(kind) and not re.fullmatch(r"[+-]?\d+", value):
        problem = "is not an integer"
    elif pa.types.is_floating(kind):
        try:
            number = float(value)
        except ValueError:
            problem = "is not a number"
        else:
            problem = "is infinite" if math.isinf(number) else None
    return problem


def diagnose(path: Path, *, names: Sequence[str] | None, has_header: bool, types: dict[str, pa.DataType]) -> None:
    """Raise at the first line with the wrong number of fields or a value of the wrong type."""
    with open_binary(path) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        reader = csv.reader(text)
        header: list[str] | None = None
        for fields in reader:
            line = reader.line_num
            if not fields or not any(f.strip() for f in fields):
                continue
            if header is None and has_header:
                header = [f.strip() for f in fields]
                continue
            columns = list(names) if names is not None else (header or [])
            if len(fields) != len(columns):
                raise DataFormatError(
                    path,
                    f"expected {len(columns)} fields, found {len(fields)} (truncated or malformed line)",
                    row=line,
                    value=",".join(fields),
                )
            for name, field in zip(columns, fields, strict=True):
                kind = types.get(name)
                problem = _check_value(field, kind) if kind is not None else None
                if problem is not None:
                    raise DataFormatError(path, f"value {problem}", row=line, column=name, value=field)
