"""Column types that keep money exact and time in UTC on every database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """`Decimal` stored without loss: NUMERIC on PostgreSQL, text on SQLite (whose NUMERIC is a float)."""

    impl = String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(38, 18, asdecimal=True))
        return dialect.type_descriptor(String(64))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money column needs a Decimal, got {type(value).__name__} {value!r}")
        if not value.is_finite():
            raise ValueError(f"money column refuses a non-finite value {value!r}")
        return value if dialect.name == "postgresql" else format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        del dialect  # the same reading serves every database
        if value is None:
            return None
        if not isinstance(value, Decimal):
            return Decimal(value)
        # PostgreSQL pads to the column's scale; strip the padding so a value reads back as written.
        return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database; a naive datetime is refused on write."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; use UTC")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        del dialect  # SQLite returns naive UTC, PostgreSQL aware: both read the same way
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
