"""The latched risk states a person must clear, their store keys and their JSON form (R-K-4, R-M-3).

Three records live in the store's state table, one key each:

- `risk.kill_switch` — `KillSwitchState`: tripped or not, why (`KillCause` and text), when, by whom, and
  the last reset. Written when the switch trips or is reset; a restart reads it back, so a tripped switch
  stays tripped until a person resets it.
- `risk.pause` — `PauseRecord`: the R-M-3 pause (two consecutive losses) and the last resume by a person.
- `risk.flatten` — `FlattenRequest`: a flatten asked for from the CLI or the API and not yet carried out.
  The engine executes a pending request on its next tick (and first of all when it starts).

A stored record that cannot be read raises `RiskStateError` naming the key and the field: the engine then
does not start (fail closed). Resetting the kill switch rewrites its record, which clears a damaged one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

KILL_SWITCH_KEY = "risk.kill_switch"
PAUSE_KEY = "risk.pause"
FLATTEN_KEY = "risk.flatten"


class RiskStateError(ValueError):
    """A stored risk record is malformed; the message names the key and the field."""


class KillCause(StrEnum):
    """Why the kill switch tripped."""

    SESSION_DRAWDOWN = "SESSION_DRAWDOWN"  # R-K-1
    CONSECUTIVE_LOSSES = "CONSECUTIVE_LOSSES"  # R-K-2
    HEALTH_FACTOR_CRITICAL = "HEALTH_FACTOR_CRITICAL"  # R-K-3
    MANUAL = "MANUAL"  # R-K-4: a person's emergency stop
    FLATTEN = "FLATTEN"  # R-K-4: a person's flatten request


def _time(data: Mapping[str, Any], key: str, name: str) -> datetime | None:
    value = data.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise RiskStateError(f"{key}.{name}: {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise RiskStateError(f"{key}.{name}: {value!r} has no timezone")
    return moment


def _text(data: Mapping[str, Any], key: str, name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise RiskStateError(f"{key}.{name}: expected text, got {value!r}")
    return value


def _flag(data: Mapping[str, Any], key: str, name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise RiskStateError(f"{key}.{name}: expected true or false, got {value!r}")
    return value


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True, slots=True)
class KillSwitchState:
    """The kill switch (R-K-1…4). Latched: only `reset` by a person clears it."""

    tripped: bool = False
    cause: KillCause | None = None
    reason: str = ""
    at: datetime | None = None
    by: str | None = None
    reset_at: datetime | None = None
    reset_by: str | None = None
    reset_reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "tripped": self.tripped,
            "cause": None if self.cause is None else self.cause.value,
            "reason": self.reason,
            "at": _iso(self.at),
            "by": self.by,
            "reset_at": _iso(self.reset_at),
            "reset_by": self.reset_by,
            "reset_reason": self.reset_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KillSwitchState:
        key = KILL_SWITCH_KEY
        cause_text = _text(data, key, "cause")
        try:
            cause = None if cause_text is None else KillCause(cause_text)
        except ValueError:
            raise RiskStateError(
                f"{key}.cause: {cause_text!r} is not one of {', '.join(c.value for c in KillCause)}"
            ) from None
        state = cls(
            tripped=_flag(data, key, "tripped"),
            cause=cause,
            reason=_text(data, key, "reason") or "",
            at=_time(data, key, "at"),
            by=_text(data, key, "by"),
            reset_at=_time(data, key, "reset_at"),
            reset_by=_text(data, key, "reset_by"),
            reset_reason=_text(data, key, "reset_reason") or "",
        )
        if state.tripped and (state.cause is None or state.at is None):
            raise RiskStateError(f"{key}: a tripped switch must name its cause and time")
        return state


@dataclass(frozen=True, slots=True)
class PauseRecord:
    """R-M-3's pause and the last resume by a person."""

    paused: bool = False
    at: datetime | None = None
    reason: str = ""
    consecutive_losses: int = 0
    resumed_at: datetime | None = None
    resumed_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "paused": self.paused,
            "at": _iso(self.at),
            "reason": self.reason,
            "consecutive_losses": self.consecutive_losses,
            "resumed_at": _iso(self.resumed_at),
            "resumed_by": self.resumed_by,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PauseRecord:
        key = PAUSE_KEY
        losses = data.get("consecutive_losses", 0)
        if not isinstance(losses, int) or isinstance(losses, bool) or losses < 0:
            raise RiskStateError(f"{key}.consecutive_losses: expected a count, got {losses!r}")
        return cls(
            paused=_flag(data, key, "paused"),
            at=_time(data, key, "at"),
            reason=_text(data, key, "reason") or "",
            consecutive_losses=losses,
            resumed_at=_time(data, key, "resumed_at"),
            resumed_by=_text(data, key, "resumed_by"),
        )


@dataclass(frozen=True, slots=True)
class FlattenRequest:
    """A person's request to close every position (R-K-4); pending until `done_at` is set."""

    requested_at: datetime
    by: str
    reason: str = ""
    done_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.done_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "requested_at": _iso(self.requested_at),
            "by": self.by,
            "reason": self.reason,
            "done_at": _iso(self.done_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FlattenRequest:
        key = FLATTEN_KEY
        requested_at = _time(data, key, "requested_at")
        by = _text(data, key, "by")
        if requested_at is None or by is None:
            raise RiskStateError(f"{key}: requested_at and by are required")
        return cls(
            requested_at=requested_at,
            by=by,
            reason=_text(data, key, "reason") or "",
            done_at=_time(data, key, "done_at"),
        )
