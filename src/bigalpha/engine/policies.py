"""The decision seams the engine calls, as small protocols with the engine's own result types.

The engine never depends on how a rule is written: `adapters.py` binds these seams to the position
manager (`bigalpha.positions`) and the risk gate (`bigalpha.risk`). Every seam is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from bigalpha.domain import Bar, Event, Position, PositionMeta, RiskDecision, Signal, Symbol, Verdict
from bigalpha.indicators.context import MarketContext


@dataclass(frozen=True, slots=True)
class EntryPlan:
    """Stop, targets and entry metadata of a new position, planned from the expected entry price."""

    stop_price: Decimal
    targets: tuple[Decimal, ...]
    meta: PositionMeta | None
    events: tuple[Event, ...] = ()
    state: Mapping[str, Any] = field(default_factory=dict)  # the exit policy's per-position state


@dataclass(frozen=True, slots=True)
class ExitAction:
    """Close `quantity` of a position now, for `reason` (reduce-only market order)."""

    quantity: Decimal
    reason: str  # "stop", "tier-1" … "tier-4", "emergency", "max-hold", "flatten"
    trigger_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ExitPlan:
    actions: tuple[ExitAction, ...]
    events: tuple[Event, ...]
    state: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RiskOutcome:
    decision: RiskDecision
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class KillCheck:
    """The kill switch's verdict this tick: whether entries are halted and whether to flatten everything."""

    halted: bool
    flatten: bool
    reason: str = ""


class EntryPlanner(Protocol):
    def __call__(
        self,
        signal: Signal,
        verdict: Verdict,
        context: MarketContext,
        entry_price: Decimal,
        quantity: Decimal,
        now: datetime,
    ) -> EntryPlan: ...


class ExitPolicy(Protocol):
    def __call__(
        self, position: Position, context: MarketContext, bar: Bar, now: datetime, state: Mapping[str, Any]
    ) -> ExitPlan: ...


class RiskPolicy(Protocol):
    """The risk gate as the engine sees it. It owns the account's counters and latches (rebuilt from the store
    by `restore`, the same path at every start), and publishes what it latches itself."""

    def restore(self, now: datetime) -> None: ...

    def size(self, signal: Signal, verdict: Verdict, context: MarketContext) -> Decimal:
        """The notional (USD) this signal asks for, before the risk gate's caps."""
        ...

    def check(self, signal: Signal, context: MarketContext, notional: Decimal, now: datetime) -> RiskOutcome: ...

    def on_entry(self, position_id: str, symbol: Symbol, notional: Decimal, now: datetime) -> None: ...

    def on_entry_failed(self, position_id: str) -> None: ...

    def on_close(self, position: Position, now: datetime) -> None: ...

    def kill_switch(
        self, unrealized_pnl: Decimal, contexts: Mapping[Symbol, MarketContext], now: datetime
    ) -> KillCheck: ...

    def snapshot(self) -> Mapping[str, Any]:
        """The account's state as JSON data (for the terminal view, the report and the API)."""
        ...

    def latches_changed(self) -> None:
        """A caller in this process changed a latch in the store (a trip, a reset, a resume): re-read the latches
        at the next tick."""
        ...

    def unrealized_floor(self) -> Decimal | None:
        """The open positions' total unrealized P&L below which the kill switch trips on the account as it stands
        (R-K-1); None when no mark can trip it. It changes only on a close, a latch, or a new day or session."""
        ...
