"""Max-pain target hits of TRUE TREND trades: the data of L-MP-1.

Max pain at entry (P-META-1) is the magnet a TRUE TREND trade is expected to travel toward. The trade *hit*
it when, at any bar while the position was open, price reached it from the entry's side: for a max pain
above the entry, a bar's high at or above it; below, a bar's low at or below it; a max pain equal to the
entry price is hit by the first bar. Comparing with the bar's extreme on the far side means a gap across the
level counts as reaching it.

The hit is tracked in `HoldState` by `evaluate_exits` for every position with a max pain at entry; the
record written at close (`max_pain_record`) exists only for TRUE TREND trades, as L-MP-1 asks. The hit rate
counts TRUE TREND records only; `aligned_only` keeps the trades whose max pain lay in their winning
direction (the "magnet-aligned" trades whose conviction L-MP-1 may recommend raising).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import AwareDatetime, ConfigDict, TypeAdapter, ValidationError

from bigalpha.domain import Bar, Position, Side
from bigalpha.positions.holds import HoldState


def max_pain_reached(entry_price: Decimal, max_pain: float, bar: Bar) -> bool:
    """Price reached `max_pain` during `bar`, coming from the entry's side."""
    if max_pain >= float(entry_price):
        return bar.high >= max_pain
    return bar.low <= max_pain


def track_max_pain(position: Position, bar: Bar, now: datetime, state: HoldState) -> HoldState:
    """The state with the hit recorded if this bar reached the max pain at entry (first hit kept)."""
    meta = position.meta
    if state.max_pain_hit or meta is None or meta.max_pain_at_entry is None:
        return state
    if not max_pain_reached(position.entry_price, meta.max_pain_at_entry, bar):
        return state
    return replace(state, max_pain_hit=True, max_pain_hit_at=now)


@dataclass(frozen=True, slots=True)
class MaxPainRecord:
    """One TRUE TREND trade's max-pain outcome, written when the position closes."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    position_id: str
    symbol: str
    side: Side
    opened_at: AwareDatetime
    entry_price: Decimal
    max_pain_at_entry: float
    aligned: bool  # max pain lay in the trade's winning direction from the entry
    true_trend: bool
    hit: bool
    hit_at: AwareDatetime | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _ADAPTER.dump_python(self, mode="json")
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MaxPainRecord:
        try:
            return _ADAPTER.validate_python(dict(data))
        except ValidationError as error:
            problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False)]
            raise ValueError("bad max-pain record: " + "; ".join(problems)) from None


_ADAPTER: TypeAdapter[MaxPainRecord] = TypeAdapter(MaxPainRecord)


def max_pain_record(position: Position, state: HoldState) -> MaxPainRecord | None:
    """L-MP-1: the record of a TRUE TREND position with a known max pain at entry, else None."""
    meta = position.meta
    if meta is None or not meta.true_trend or meta.max_pain_at_entry is None:
        return None
    max_pain = meta.max_pain_at_entry
    return MaxPainRecord(
        position_id=str(position.id),
        symbol=str(position.symbol),
        side=position.side,
        opened_at=position.opened_at,
        entry_price=position.entry_price,
        max_pain_at_entry=max_pain,
        aligned=position.side.sign * (max_pain - float(position.entry_price)) > 0,
        true_trend=True,
        hit=state.max_pain_hit,
        hit_at=state.max_pain_hit_at,
    )


def max_pain_hit_rate(records: Iterable[MaxPainRecord], *, aligned_only: bool = False) -> float | None:
    """L-MP-1: hits / TRUE TREND trades (optionally magnet-aligned only); None when there are none."""
    total = hits = 0
    for record in records:
        if not record.true_trend or (aligned_only and not record.aligned):
            continue
        total += 1
        hits += record.hit
    return None if total == 0 else hits / total
