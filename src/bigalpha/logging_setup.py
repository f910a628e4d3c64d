"""Structured logging (I-LOG-1): JSON lines to a file, readable lines to the terminal, secrets masked.

Every guard and loop logs with `extra={"tag": ...}` using the SPEC's searchable tags, so
`grep '"tag": "LIQ"' var/bigalpha.jsonl` finds every liquidation-wall decision.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bigalpha.config import Settings

_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
MASK = "***"


class SecretMaskFilter(logging.Filter):
    """Replaces every configured secret value in a record's message and extras with `***`."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Short values would mask ordinary words; a real key or token is never this short.
        self._secrets = sorted((s for s in secrets if len(s) >= 6), key=len, reverse=True)

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            record.msg = self._mask(record.getMessage())
            record.args = None
            for key, value in list(vars(record).items()):
                if key not in _STANDARD_ATTRS and isinstance(value, str):
                    setattr(record, key, self._mask(value))
                elif key not in _STANDARD_ATTRS and isinstance(value, dict):
                    setattr(record, key, json.loads(self._mask(json.dumps(value, default=str))))
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, tag, message and every extra field."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "tag": getattr(record, "tag", None),
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in payload:
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class ConsoleFormatter(logging.Formatter):
    """`HH:MM:SS LEVEL [TAG] message` for people."""

    def format(self, record: logging.LogRecord) -> str:
        tag = getattr(record, "tag", None)
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        line = f"{stamp} {record.levelname:<7} {'[' + tag + '] ' if tag else ''}{record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def secret_values(settings: Settings) -> list[str]:
    return [
        secret.get_secret_value()
        for name in type(settings.secrets).model_fields
        if (secret := getattr(settings.secrets, name)) is not None
    ]


def configure_logging(settings: Settings, *, console: bool = True, console_level: str | None = None) -> Path | None:
    """Route bigalpha's logs; returns the JSON-lines file path (None when disabled)."""
    root = logging.getLogger("bigalpha")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(settings.log.level.value)
    root.propagate = False
    mask = SecretMaskFilter(secret_values(settings))
    path: Path | None = None
    if settings.log.json_file is not None:
        path = settings.store.data_dir / settings.log.json_file
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(path, encoding="utf-8")
        file_handler.setFormatter(JsonLineFormatter())
        file_handler.addFilter(mask)
        root.addHandler(file_handler)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(console_level or settings.log.level.value)
        stream.setFormatter(ConsoleFormatter())
        stream.addFilter(mask)
        root.addHandler(stream)
    return path
