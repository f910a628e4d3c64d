"""Messages of the decision path: signals, guard outcomes, verdicts, orders, fills, positions, events.

Messages are immutable. Money and quantities are `Decimal` from the order onward; the signal and the
verdict carry multipliers (floats), never money.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from bigalpha.domain.enums import (
    Decision,
    DenyReason,
    EventType,
    GuardName,
    Liquidity,
    OrderSide,
    OrderStatus,
    OrderType,
    Regime,
    RiskLayer,
    Side,
)
from bigalpha.domain.ids import AccountName, ClientOrderId, EventId, PositionId, SignalId, StrategyName, Symbol

Evidence = MappingProxyType[str, float | str | bool | None]


def evidence(**numbers: float | str | bool | None) -> Evidence:
    """The numbers a decision saw, read-only."""
    return MappingProxyType(dict(numbers))


@dataclass(frozen=True, slots=True)
class Signal:
    """An intent to open a position, from a strategy or from the API (I-API-2: same path for both)."""

    id: SignalId
    ts: datetime
    symbol: Symbol
    side: Side
    strategy: StrategyName
    price: float  # the price the strategy saw
    conviction: float = 1.0  # S-OFI: 1.0–1.5 for normal signals
    size_multiplier: float = 1.0  # a setup's own size (e.g. S-BTC-L 0.7×)
    stop_pct: float | None = None  # distance from entry; None takes the config default (P-STOP-1)
    targets_pct: tuple[float, ...] | None = None  # a setup's own ladder; None takes the config ladder
    expected_move_bps: float | None = None  # G-FEE-1
    requested_notional_usd: Decimal | None = None  # an API caller's amount
    source: str = "internal"


@dataclass(frozen=True, slots=True)
class GuardOutcome:
    """What one guard said, with the numbers it saw."""

    guard: GuardName
    decision: Decision
    multiplier: float = 1.0
    reason: DenyReason | None = None
    evidence: Evidence = field(default_factory=evidence)
    message: str = ""
    data_unavailable: str | None = None  # D-FAILOPEN: why the guard could not judge


@dataclass(frozen=True, slots=True)
class Verdict:
    """The intelligence gate's answer for one signal."""

    signal_id: SignalId
    allowed: bool
    size_multiplier: float
    outcomes: tuple[GuardOutcome, ...]
    blocked_by: GuardName | None = None
    reason: DenyReason | None = None


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The risk gate's answer: approved with a notional, or refused by a layer with a reason."""

    approved: bool
    notional_usd: Decimal
    multiplier: float = 1.0
    layer: RiskLayer | None = None
    reason: DenyReason | None = None
    message: str = ""
    evidence: Evidence = field(default_factory=evidence)


@dataclass(frozen=True, slots=True)
class Order:
    """An order as bigalpha asked for it. The client order id is stored before the order is sent."""

    client_order_id: ClientOrderId
    ts: datetime
    symbol: Symbol
    side: OrderSide
    type: OrderType
    quantity: Decimal
    account: AccountName
    price: Decimal | None = None  # limit price; None for market orders
    reduce_only: bool = False
    signal_id: SignalId | None = None
    position_id: PositionId | None = None
    status: OrderStatus = OrderStatus.PENDING_SUBMIT
    tag: str = ""  # why: "entry", "tier-1", "stop", "flatten" …


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of (part of) an order."""

    client_order_id: ClientOrderId
    ts: datetime
    symbol: Symbol
    side: OrderSide
    price: Decimal
    quantity: Decimal
    fee: Decimal
    liquidity: Liquidity
    trade_id: str = ""


@dataclass(frozen=True, slots=True)
class PositionMeta:
    """What a position remembers of its entry (P-META-1)."""

    hurst: float | None
    regime: Regime
    true_trend: bool
    oi_delta_5m_at_entry: float | None
    max_pain_at_entry: float | None
    nearest_cluster_price: float | None
    nearest_cluster_usd: float | None
    verdict_evidence: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Position:
    """An open or closed perpetual-futures position (P-PERP-1). Updated by replacing, never mutated."""

    id: PositionId
    symbol: Symbol
    side: Side
    account: AccountName
    opened_at: datetime
    entry_price: Decimal
    quantity: Decimal  # open quantity, base units
    initial_quantity: Decimal
    leverage: int
    margin: Decimal
    stop_price: Decimal
    targets: tuple[Decimal, ...]
    signal_id: SignalId | None = None
    strategy: str = ""
    meta: PositionMeta | None = None
    tiers_done: int = 0
    realized_pnl: Decimal = Decimal(0)
    fees_paid: Decimal = Decimal(0)
    funding_paid: Decimal = Decimal(0)
    closed_at: datetime | None = None
    exit_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def notional_at_entry(self) -> Decimal:
        return self.entry_price * self.quantity


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened, for the bus, the store, the WebSocket and the logs (G-BUS-1)."""

    id: EventId
    ts: datetime
    type: EventType | DenyReason
    source: str
    symbol: Symbol | None = None
    side: Side | None = None
    guard: GuardName | None = None
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)
