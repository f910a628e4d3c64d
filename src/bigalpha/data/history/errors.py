"""The one error a history file can raise: `DataFormatError`, naming the file, the row, the column and the value.

Row numbers are 1-based. In CSV files they are line numbers, counting the header line when there is one,
so an editor's "go to line" lands on the culprit; in Parquet, Feather and JSON files they count records.
"""

from __future__ import annotations

from pathlib import Path

# Values are shown as they appear in the file, but never so long that a binary blob floods the terminal.
_MAX_VALUE_CHARS = 80


class DataFormatError(ValueError):
    """A history file cannot be read as any supported format, or holds data that cannot be repaired safely."""

    def __init__(
        self,
        path: Path | str,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.path = Path(path)
        self.reason = reason
        self.row = row
        self.column = column
        self.value = value
        super().__init__(self._render())

    def _render(self) -> str:
        where = [str(self.path)]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = f"{', '.join(where)}: {self.reason}"
        if self.value is not None:
            shown = repr(self.value)
            if len(shown) > _MAX_VALUE_CHARS:
                shown = shown[: _MAX_VALUE_CHARS - 1] + "…"
            text += f" (value {shown})"
        return text
