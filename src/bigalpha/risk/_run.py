"""What the risk gate's layers share: one evaluation's inputs and findings, and how a refusal is worded."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bigalpha.config import Settings
from bigalpha.domain import DenyReason, Mode, RiskDecision, RiskLayer, Signal, evidence
from bigalpha.indicators.context import MarketContext
from bigalpha.risk.account import AccountState

Number = float | str | bool | None


@dataclass(slots=True)
class _Cap:
    rule: str
    limit_usd: Decimal
    layer: RiskLayer
    reason: DenyReason


@dataclass(slots=True)
class _Run:
    """One evaluation's inputs and what the layers have found so far."""

    signal: Signal
    context: MarketContext
    account: AccountState
    config: Settings
    mode: Mode
    now: datetime
    stop_pct: float = 0.0
    multiplier: float = 1.0
    resized_by: list[str] = field(default_factory=list)
    caps: list[_Cap] = field(default_factory=list)
    seen: dict[str, Number] = field(default_factory=dict)


def _refuse(layer: RiskLayer, reason: DenyReason, rule: str, message: str, **numbers: Number) -> RiskDecision:
    return RiskDecision(
        approved=False,
        notional_usd=Decimal(0),
        multiplier=0.0,
        layer=layer,
        reason=reason,
        message=f"{rule}: {message}",
        evidence=evidence(rule=rule, **numbers),
    )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _missing(layer: RiskLayer, rule: str, run: _Run, name: str, *feeds: str) -> RiskDecision:
    """A refusal for the input `name`, with the reason the context gives for the first of `feeds` (the data it is
    made from, nearest first) or for `name` itself."""
    reasons = run.context.unavailable
    why = next((reasons[key] for key in (*feeds, name) if reasons.get(key)), "missing from the market context")
    return _refuse(
        layer,
        DenyReason.INPUT_UNAVAILABLE,
        rule,
        f"{name} of {run.signal.symbol} is unavailable ({why}): refused, the risk gate fails closed",
        input=name,
        unavailable=why,
    )
