"""Constructors of `GuardOutcome`s, so every guard words its answer the same way."""

from __future__ import annotations

from bigalpha.domain import Decision, DenyReason, GuardName, GuardOutcome, Side, evidence

Number = float | str | bool | None


def allow(guard: GuardName, message: str, /, **numbers: Number) -> GuardOutcome:
    return GuardOutcome(guard=guard, decision=Decision.ALLOW, evidence=evidence(**numbers), message=message)


def block(guard: GuardName, reason: DenyReason, message: str, /, **numbers: Number) -> GuardOutcome:
    return GuardOutcome(
        guard=guard,
        decision=Decision.BLOCK,
        multiplier=0.0,
        reason=reason,
        evidence=evidence(**numbers),
        message=message,
    )


def resize(guard: GuardName, multiplier: float, message: str, /, **numbers: Number) -> GuardOutcome:
    return GuardOutcome(
        guard=guard,
        decision=Decision.RESIZE,
        multiplier=multiplier,
        evidence=evidence(**numbers),
        message=message,
    )


def unavailable(guard: GuardName, what: str, /, **numbers: Number) -> GuardOutcome:
    """D-FAILOPEN: the guard cannot judge, so it allows and names the missing data."""
    return GuardOutcome(
        guard=guard,
        decision=Decision.ALLOW,
        evidence=evidence(**numbers),
        message=f"fail-open: {what}",
        data_unavailable=what,
    )


def disabled(guard: GuardName, switch: str) -> GuardOutcome:
    """A guard switched off in config allows explicitly, so `explain` and ablations show it was skipped."""
    return GuardOutcome(
        guard=guard,
        decision=Decision.ALLOW,
        evidence=evidence(disabled=True),
        message=f"disabled (gate.guards.{switch} = false)",
    )


def long_only(guard: GuardName, side: Side) -> GuardOutcome:
    return allow(guard, f"applies to LONG signals only; this one is {side.value}", side=side.value)
