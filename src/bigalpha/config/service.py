"""Settings of the process around the engine: API, storage, logging."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field

from bigalpha.config._base import Section


class ApiConfig(Section):
    """The REST + WebSocket server (I-API-3). The token is a secret, never set here."""

    enabled: bool = Field(True, description="I-API-1: serve the API and dashboard")
    host: str = Field("127.0.0.1", description="I-API-3: listen address; loopback by default")
    port: int = Field(8787, ge=1, le=65535, description="I-API-1: listen port")


class StoreConfig(Section):
    """Where state lives (I-PERSIST-1)."""

    data_dir: Path = Field(Path("var"), description="I-PERSIST-1: folder of the database, logs and recordings")
    url: str | None = Field(
        None,
        description="I-PERSIST-1: SQLAlchemy URL; None uses SQLite (WAL) at data_dir/bigalpha.db. A URL "
        "with a password belongs in the secrets (BIGALPHA__SECRETS__DATABASE_URL)",
    )


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class LogConfig(Section):
    """Structured logging (I-LOG-1)."""

    level: LogLevel = Field(LogLevel.INFO, description="I-LOG-1: lowest level written")
    json_file: str | None = Field(
        "bigalpha.jsonl", description="I-LOG-1: JSON-lines log under data_dir; None writes none"
    )
