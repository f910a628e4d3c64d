"""`evaluate_exits`: what to close on this bar, and why (P-STOP-1, P-LADDER-1, P-HOLD-2).

Order of evaluation, pessimistic within a bar (as backtesting.py resolves it), since the bar does not say
whether its high or its low came first:

1. an EMERGENCY flatten the engine asks for (kill switch R-K-3, manual R-K-4) closes everything at the
   bar's close; no hold ever blocks it;
2. the stop (P-STOP-1): touched when the bar's low (long) or high (short) reaches it. It closes everything,
   at the stop price, or at the open when the bar opens beyond the stop (a gap fills at the worse price).
   When a bar touches both the stop and a target, the stop wins and no target is taken. No hold blocks it:
   the position's stop is the "emergency stop" of P-HOLD-2;
3. the ladder (P-LADDER-1): every tier whose target the bar's high (long) or low (short) reached, in
   order, several in one bar if reached. A tier closes its share of the initial quantity, never more than
   is open; the last tier closes all that is open. A tier fills at its target, or at the open when the bar
   opens beyond it. A remainder still open after the last tier filled (the broker's lot rounding) closes
   at the bar's close;
4. a setup's maximum hold (`HoldState.max_hold_s`): once reached, what is still open closes at the close.

During a TRUE TREND hold (P-HOLD-2: "only Tier 4 or an emergency stop can close it") every tier but the
last is blocked — Tier 1, and Tiers 2 and 3 too — and so is the max hold; the last tier (Tier 4 on the
configured ladder, the top of a setup's own ladder) and the stop are not. A blocked exit is reported once
per tier and hold level as an `EXIT_BLOCKED_BY_HOLD` event with the hold's evidence; its tier stays
pending and is taken on the first bar after the hold that reaches its target again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bigalpha.config.positions import PositionsConfig
from bigalpha.domain import Bar, Event, EventType, LogTag, Position
from bigalpha.indicators.context import MarketContext
from bigalpha.positions._common import (
    position_event,
    require_aware,
    to_decimal,
    validate_bar,
    validate_position,
)
from bigalpha.positions.holds import HoldReason, HoldState, HoldStatus, update_hold
from bigalpha.positions.ladder import ladder_fractions, tier_quantity
from bigalpha.positions.magnet import track_max_pain

_HOLD_TAGS = {
    HoldReason.TOWARD_CLUSTER: LogTag.LIQ_MAGNET,
    HoldReason.FAR_FROM_MAX_PAIN: LogTag.MAX_PAIN,
    HoldReason.BASE: LogTag.MAGNET,
    HoldReason.NOT_TRUE_TREND: LogTag.MAGNET,
}


class ExitKind(StrEnum):
    STOP = "STOP"
    TIER = "TIER"
    EMERGENCY = "EMERGENCY"
    MAX_HOLD = "MAX_HOLD"


@dataclass(frozen=True, slots=True)
class ExitAction:
    """One reduce-only close to send: how much, at what price it triggered, and why."""

    kind: ExitKind
    quantity: Decimal
    trigger_price: Decimal
    reason: str
    rule: str
    tier: int | None = None  # 1-based, for TIER actions

    @property
    def tag(self) -> str:
        """The order tag ("stop", "tier-2", "emergency", "max-hold")."""
        if self.kind is ExitKind.TIER:
            return f"tier-{self.tier}"
        return self.kind.value.lower().replace("_", "-")


@dataclass(frozen=True, slots=True)
class ExitDecision:
    """This bar's exits, the events to publish, the hold state to persist and the position's new counters."""

    actions: tuple[ExitAction, ...]
    events: tuple[Event, ...]
    hold_state: HoldState
    hold: HoldStatus
    tiers_done: int
    remaining_quantity: Decimal

    @property
    def closes_position(self) -> bool:
        return self.remaining_quantity == 0

    @property
    def closed_quantity(self) -> Decimal:
        return sum((a.quantity for a in self.actions), Decimal(0))


def _blocked_event(
    position: Position, bar: Bar, now: datetime, hold: HoldStatus, what: str, extra: dict[str, object]
) -> Event:
    return position_event(
        EventType.EXIT_BLOCKED_BY_HOLD,
        now,
        position.symbol,
        position.side,
        (position.id, bar.ts.isoformat(), what),
        f"{what} blocked by the {hold.required_minutes}-minute TRUE TREND hold "
        f"({hold.elapsed_s / 60.0:.1f} min elapsed, {hold.reason.value})",
        {
            "rule": "P-HOLD-2",
            "tag": _HOLD_TAGS[hold.reason].value,
            "position_id": str(position.id),
            "exit": what,
            **extra,
            **hold.evidence(),
        },
    )


def _stop_action(position: Position, bar: Bar, open_: Decimal) -> ExitAction | None:
    stop = position.stop_price
    sign = position.side.sign
    extreme = to_decimal(bar.low if sign > 0 else bar.high, "bar extreme")
    if sign * (open_ - stop) <= 0:
        price, how = open_, f"bar opened at {open_}, beyond the stop {stop}"
    elif sign * (extreme - stop) <= 0:
        price, how = stop, f"bar {'low' if sign > 0 else 'high'} {extreme} reached the stop {stop}"
    else:
        return None
    return ExitAction(ExitKind.STOP, position.quantity, price, how, "P-STOP-1")


@dataclass(slots=True)
class _Pass:
    """What one evaluation has decided so far."""

    remaining: Decimal
    tiers_done: int
    notices: list[str]
    actions: list[ExitAction] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def first_notice(self, notice: str) -> bool:
        """True the first time `notice` is seen for this position (it is then remembered)."""
        if notice in self.notices:
            return False
        self.notices.append(notice)
        return True


def _ladder(
    position: Position, bar: Bar, open_: Decimal, now: datetime, hold: HoldStatus, config: PositionsConfig, run: _Pass
) -> None:
    sign = position.side.sign
    extreme = to_decimal(bar.high if sign > 0 else bar.low, "bar extreme")
    fractions: tuple[Decimal, ...] | None = None  # found when a tier fills: most bars reach no target
    last = len(position.targets) - 1
    if position.tiers_done > last:
        # the last tier filled but lot rounding left a remainder open: the ladder is done, close it now
        close = to_decimal(bar.close, "bar.close")
        reason = f"ladder complete; closing the {run.remaining} left after Tier {last + 1}"
        run.actions.append(ExitAction(ExitKind.TIER, run.remaining, close, reason, "P-LADDER-1", last + 1))
        run.remaining = Decimal(0)
        return
    for index in range(position.tiers_done, last + 1):
        target = position.targets[index]
        if sign * (extreme - target) < 0 or run.remaining == 0:
            break  # targets are ordered: no later tier is reached either
        tier = index + 1
        if hold.active and index != last:
            what = f"tier-{tier}"
            if run.first_notice(f"{what}@{hold.required_minutes}"):
                extra: dict[str, object] = {"tier": tier, "target": target}
                run.events.append(_blocked_event(position, bar, now, hold, what, extra))
            continue
        if fractions is None:
            fractions = ladder_fractions(len(position.targets), config)
        quantity = tier_quantity(index, fractions, position.initial_quantity, run.remaining)
        fill = open_ if sign * (open_ - target) >= 0 else target
        reason = f"Tier {tier} target {target} reached (bar {'high' if sign > 0 else 'low'} {extreme})"
        run.actions.append(ExitAction(ExitKind.TIER, quantity, fill, reason, "P-LADDER-1", tier))
        run.remaining -= quantity
        run.tiers_done = tier


def _max_hold(position: Position, bar: Bar, now: datetime, hold: HoldStatus, state: HoldState, run: _Pass) -> None:
    limit = state.max_hold_s
    if limit is None or run.remaining == 0 or hold.elapsed_s < limit:
        return
    if hold.active:
        if run.first_notice(f"max-hold@{hold.required_minutes}"):
            run.events.append(_blocked_event(position, bar, now, hold, "max-hold", {"max_hold_s": limit}))
        return
    reason = f"max hold of {limit:g} s reached after {hold.elapsed_s:g} s"
    run.actions.append(
        ExitAction(ExitKind.MAX_HOLD, run.remaining, to_decimal(bar.close, "bar.close"), reason, "setup max hold")
    )
    run.remaining = Decimal(0)


def _check_inputs(position: Position, context: MarketContext, bar: Bar, now: datetime) -> None:
    validate_position(position)
    validate_bar(bar)
    require_aware(now, "now")
    if context.symbol != position.symbol:
        raise ValueError(f"position is on {position.symbol} but the market context is for {context.symbol}")
    if now < position.opened_at or now < bar.ts:
        raise ValueError(
            f"now ({now.isoformat()}) is before the position opened ({position.opened_at.isoformat()}) "
            f"or before the bar ({bar.ts.isoformat()})"
        )


def evaluate_exits(
    position: Position,
    context: MarketContext,
    bar: Bar,
    now: datetime,
    config: PositionsConfig,
    hold_state: HoldState,
    *,
    emergency: str | None = None,
) -> ExitDecision:
    """The exits of `position` on `bar` (see the module docstring for the order and the hold).

    `context` is the market context of the bar's instant (its liquidation clusters drive the hold);
    `emergency` is the reason of an engine-requested flatten, None otherwise.
    """
    _check_inputs(position, context, bar, now)
    state, hold = update_hold(position, context, bar, now, config, hold_state)
    state = track_max_pain(position, bar, now, state)
    run = _Pass(position.quantity, position.tiers_done, list(state.blocked_notices))
    if emergency is not None:
        if not emergency.strip():
            raise ValueError("an emergency flatten needs a reason")
        close = to_decimal(bar.close, "bar.close")
        run.actions.append(ExitAction(ExitKind.EMERGENCY, position.quantity, close, emergency, "R-K-3/R-K-4"))
    else:
        open_ = to_decimal(bar.open, "bar.open")  # the stop and the ladder both fill at it on a gap
        stop = _stop_action(position, bar, open_)
        if stop is not None:
            run.actions.append(stop)
        else:
            _ladder(position, bar, open_, now, hold, config, run)
            _max_hold(position, bar, now, hold, state, run)
    if len(run.notices) != len(state.blocked_notices):
        state = replace(state, blocked_notices=tuple(run.notices))
    closed = sum((a.quantity for a in run.actions), Decimal(0))
    return ExitDecision(tuple(run.actions), tuple(run.events), state, hold, run.tiers_done, position.quantity - closed)
