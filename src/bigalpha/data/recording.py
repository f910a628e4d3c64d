"""Recording the snapshots decisions used (D-REC-1), and replaying them as a `Feed`.

`SnapshotRecorder` appends each snapshot as one JSON line (`bigalpha.data.codec`) to
`<dir>/snapshots-YYYY-MM-DD.jsonl` (the snapshot's UTC date), flushing after every line: a crash
loses at most the line being written. The same (symbol, ts) is written once even when several
decisions used it.

Reading tolerates exactly that crash: a last line that is cut short is reported (`problems`) and
skipped. Any other unreadable line is an error naming the file and line, because it means the file
was damaged, not interrupted.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from bigalpha.data.codec import CodecError, snapshot_from_dict, snapshot_to_dict
from bigalpha.data.ports import Tick
from bigalpha.domain import MarketSnapshot, Symbol

log = logging.getLogger(__name__)

FILE_PREFIX = "snapshots-"
FILE_SUFFIX = ".jsonl"


class RecordingError(ValueError):
    """A recording that cannot be read; the message names the file and line."""


class SnapshotRecorder:
    """Appends snapshots to JSON-lines files under `directory`, one file per UTC day."""

    def __init__(self, directory: Path, *, fsync: bool = False) -> None:
        self._directory = Path(directory)
        self._directory.mkdir(parents=True, exist_ok=True)
        self._fsync = fsync
        self._handle: IO[str] | None = None
        self._day: str | None = None
        self._last: dict[Symbol, datetime] = {}
        self.written = 0

    @property
    def directory(self) -> Path:
        return self._directory

    def path_for(self, moment: datetime) -> Path:
        return self._directory / f"{FILE_PREFIX}{moment.date().isoformat()}{FILE_SUFFIX}"

    def record(self, snapshot: MarketSnapshot) -> bool:
        """Write `snapshot` unless this (symbol, ts) was just written; True if it was written."""
        if self._last.get(snapshot.symbol) == snapshot.ts:
            return False
        line = json.dumps(snapshot_to_dict(snapshot), separators=(",", ":"), allow_nan=False)
        handle = self._open(snapshot.ts)
        handle.write(line + "\n")
        handle.flush()
        if self._fsync:
            os.fsync(handle.fileno())
        self._last[snapshot.symbol] = snapshot.ts
        self.written += 1
        return True

    def record_tick(self, tick: Tick) -> int:
        return sum(self.record(snapshot) for snapshot in tick)

    def _open(self, moment: datetime) -> IO[str]:
        day = moment.date().isoformat()
        if self._handle is None or day != self._day:
            self.close()
            self._handle = self.path_for(moment).open("a", encoding="utf-8")
            self._day = day
        return self._handle

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> SnapshotRecorder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def recording_files(path: Path) -> list[Path]:
    """The recording files at `path`: the file itself, or a directory's snapshot files by date."""
    path = Path(path)
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(path.glob(f"{FILE_PREFIX}*{FILE_SUFFIX}"))
    raise RecordingError(f"{path}: no such recording file or directory")


@dataclass
class _Reader:
    problems: list[str] = field(default_factory=list)

    def snapshots(self, files: list[Path]) -> Iterator[MarketSnapshot]:
        for path in files:
            yield from self._file(path)

    def _file(self, path: Path) -> Iterator[MarketSnapshot]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RecordingError(f"{path}: unreadable: {error}") from error
        lines = text.split("\n")
        # A complete file ends with a newline, so its split ends with "": anything else is a cut line.
        cut = lines.pop() if lines else ""
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            yield self._decode(path, number, line)
        if cut.strip():
            try:
                yield self._decode(path, len(lines) + 1, cut)
            except RecordingError as error:
                message = f"{path}: line {len(lines) + 1} is truncated (interrupted write), skipped: {error}"
                log.warning(message)
                self.problems.append(message)

    @staticmethod
    def _decode(path: Path, number: int, line: str) -> MarketSnapshot:
        try:
            return snapshot_from_dict(json.loads(line))
        except json.JSONDecodeError as error:
            raise RecordingError(f"{path}: line {number}: not JSON: {error}") from error
        except CodecError as error:
            raise RecordingError(f"{path}: line {number}: {error}") from error


def read_recording(path: Path) -> tuple[list[MarketSnapshot], list[str]]:
    """Every snapshot recorded at `path` (file or directory), and the problems skipped."""
    reader = _Reader()
    snapshots = list(reader.snapshots(recording_files(path)))
    return snapshots, reader.problems


class RecordingFeed:
    """Replays a recording as a `Feed`: snapshots with the same ts form one tick, in time order.

    A snapshot older than the tick before it cannot be replayed in order; it is skipped and reported
    in `problems`, like a truncated last line.
    """

    def __init__(self, path: Path, symbols: tuple[str, ...] | None = None) -> None:
        self._files = recording_files(path)
        self._reader = _Reader()
        if symbols is None:
            found = {s.symbol for s in _Reader().snapshots(self._files)}
            symbols = tuple(sorted(found))
        self._symbols = tuple(Symbol(s) for s in symbols)
        self._closed = False

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        return self._symbols

    @property
    def problems(self) -> list[str]:
        return self._reader.problems

    def close(self) -> None:
        self._closed = True

    def ticks(self) -> Iterator[Tick]:
        pending: dict[Symbol, MarketSnapshot] = {}
        current: datetime | None = None
        for snapshot in self._reader.snapshots(self._files):
            if self._closed:
                return
            if current is not None and snapshot.ts == current:
                pending[snapshot.symbol] = snapshot
                continue
            if current is not None and snapshot.ts < current:
                message = f"snapshot {snapshot.symbol} at {snapshot.ts.isoformat()} is out of time order, skipped"
                log.warning(message)
                self._reader.problems.append(message)
                continue
            if pending:
                yield tuple(pending.values())
            pending = {snapshot.symbol: snapshot}
            current = snapshot.ts
        if pending and not self._closed:
            yield tuple(pending.values())
