"""The risk gate's events on the signal bus (G-BUS-1), source `risk_gate`."""

from __future__ import annotations

from datetime import datetime

from bigalpha.clock import require_utc
from bigalpha.domain import Event, EventId, EventType, LogTag, RiskDecision, Signal, new_id

SOURCE = "risk_gate"


def risk_events(signal: Signal, decision: RiskDecision, now: datetime) -> list[Event]:
    """Bus events for a decision (G-BUS-1): RISK_DENIED for a refusal, RISK_RESIZE when the size was cut."""
    resized = decision.approved and (decision.multiplier < 1.0 or decision.evidence.get("capped_by") is not None)
    if decision.approved and not resized:
        return []
    rule = str(decision.evidence.get("rule", ""))
    tag = LogTag.OI if rule == "R-T-3" or (resized and decision.multiplier < 1.0) else LogTag.MACRO
    data = {
        "tag": tag.value,
        "signal_id": signal.id,
        "strategy": signal.strategy,
        "layer": decision.layer.value if decision.layer else None,
        "reason": decision.reason.value if decision.reason else None,
        "notional_usd": format(decision.notional_usd, "f"),
        "multiplier": decision.multiplier,
        "evidence": dict(decision.evidence),
    }
    return [
        Event(
            id=EventId(new_id("evt")),
            ts=require_utc(now),
            type=EventType.RISK_RESIZE if decision.approved else EventType.RISK_DENIED,
            source=SOURCE,
            symbol=signal.symbol,
            side=signal.side,
            message=decision.message,
            data=data,
        )
    ]
