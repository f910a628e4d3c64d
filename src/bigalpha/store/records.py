"""Narrow read-only records the store returns where a whole table row (an ORM object) would cost more than the
reader needs: plain frozen values built straight from a Core row."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShadowOutcome:
    """What a closed shadow trade earned and why it was not (or was) taken: the columns the 4-hour review
    (L-SHADOW-1, L-GUARD-1) reads, and nothing else."""

    strategy: str
    symbol: str
    taken: bool
    blocked_by: str | None
    return_pct: float | None
