"""Bus events of a verdict (G-BUS-1): every block, resize and data-unavailable outcome becomes one `Event`.

Type: the `DenyReason` for a block (as the seed documents log them, e.g. `LIQ_WALL_CONFLICT`),
`GUARD_RESIZE` for a resize, `GUARD_DATA_UNAVAILABLE` for a fail-open. Source `intelligence_gate`; guard,
symbol, direction and the signal's time; `data` holds the I-LOG-1 tag, the signal id and strategy, the
decision, multiplier, reason, the missing data and the evidence numbers. Event ids derive from the signal
id and the guard, so replaying a decision produces the same ids (the store can ignore duplicates).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from bigalpha.domain import Decision, Event, EventId, EventType, GuardName, GuardOutcome, LogTag, Signal, Verdict

GATE_SOURCE = "intelligence_gate"

# I-LOG-1 tags. The SPEC's list has no tag of its own for the whale-conflict, ULTRA, regime, golden-hour,
# probation and fee rules; they log under MACRO, the seed's tag for the institutional guards.
GUARD_TAGS: MappingProxyType[GuardName, LogTag] = MappingProxyType(
    {
        GuardName.WHALE_CONFLICT: LogTag.MACRO,
        GuardName.LIQ_WALL: LogTag.LIQ,
        GuardName.LONG_TRAP: LogTag.TRAP,
        GuardName.TAKER_AGGRESSION: LogTag.TAKER,
        GuardName.WHALE_INTENT: LogTag.WHALE_INTENT,
        GuardName.ULTRA_CONVICTION: LogTag.MACRO,
        GuardName.FEAR_GREED: LogTag.FEAR_GREED,
        GuardName.RANDOM_REGIME: LogTag.MACRO,
        GuardName.GOLDEN_HOUR: LogTag.MACRO,
        GuardName.PROBATION: LogTag.MACRO,
        GuardName.FEE_AWARE: LogTag.MACRO,
    }
)


def _event_type(outcome: GuardOutcome) -> EventType | None:
    if outcome.decision is Decision.RESIZE:
        return EventType.GUARD_RESIZE
    if outcome.data_unavailable is not None:
        return EventType.GUARD_DATA_UNAVAILABLE
    return None


def outcome_data(signal: Signal, outcome: GuardOutcome) -> dict[str, Any]:
    """The `data` of one outcome's event: tag, ids, decision and the evidence numbers."""
    return {
        "tag": GUARD_TAGS[outcome.guard].value,
        "signal_id": signal.id,
        "strategy": signal.strategy,
        "decision": outcome.decision.value,
        "multiplier": outcome.multiplier,
        "reason": None if outcome.reason is None else outcome.reason.value,
        "data_unavailable": outcome.data_unavailable,
        "evidence": dict(outcome.evidence),
    }


def verdict_events(signal: Signal, verdict: Verdict) -> list[Event]:
    """The events the engine publishes for one verdict, in the order the guards ran."""
    if verdict.signal_id != signal.id:
        raise ValueError(f"verdict is for signal {verdict.signal_id}, not {signal.id}")
    events = []
    for outcome in verdict.outcomes:
        kind: EventType | Any = outcome.reason if outcome.decision is Decision.BLOCK else _event_type(outcome)
        if kind is None:
            continue
        events.append(
            Event(
                id=EventId(f"evt-{signal.id}-{outcome.guard.value.lower()}"),
                ts=signal.ts,
                type=kind,
                source=GATE_SOURCE,
                symbol=signal.symbol,
                side=signal.side,
                guard=outcome.guard,
                message=outcome.message,
                data=outcome_data(signal, outcome),
            )
        )
    return events
