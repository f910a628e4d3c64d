"""The kill switch (R-K-1…4): a pure evaluation, and the small functions that latch it in the store.

`evaluate_kill_switch` trips on a session drawdown above `risk.kill_drawdown_pct` of the session-start
equity (R-K-1), on `risk.kill_consecutive_losses` consecutive losses (R-K-2) and on a health factor below
`risk.health_factor_flatten` (R-K-3, which also asks for every position to be flattened). It fails closed:
when the P&L or a required input cannot be known, it blocks new entries without latching, because a
missing feed is not a reason for a person to have to reset anything.

After a reset, R-K-2 trips again only on a loss closed after the reset (the streak that caused the trip was
acknowledged), and R-K-1 measures the drawdown from the equity at the reset (see `with_kill_switch`).
R-K-3 is a live condition: a reset while the health factor is still critical trips again at once.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bigalpha.bus import SignalBus
from bigalpha.clock import require_utc
from bigalpha.config.risk import RiskConfig
from bigalpha.domain import DenyReason, Event, EventId, EventType, Evidence, LogTag, Symbol, evidence, new_id
from bigalpha.indicators.context import MarketContext
from bigalpha.risk.account import AccountState
from bigalpha.risk.latches import (
    FLATTEN_KEY,
    KILL_SWITCH_KEY,
    FlattenRequest,
    KillCause,
    KillSwitchState,
    RiskStateError,
)
from bigalpha.store import Store

SOURCE = "kill_switch"


@dataclass(frozen=True, slots=True)
class KillSwitchDecision:
    """What the kill switch says now: whether entries are blocked, whether to latch a new trip, whether to
    flatten every position."""

    block_entries: bool
    trip: KillCause | None = None  # a new trip for the engine to latch with `trip_kill_switch`
    flatten: bool = False
    reason: DenyReason | None = None
    message: str = ""
    evidence: Evidence = field(default_factory=evidence)


def input_age_s(context: MarketContext, feed: str, now: datetime) -> float | None:
    """Age at `now` of one observed input of `context`; None when the context does not know it."""
    age = context.ages_s.get(feed)
    if age is None or not math.isfinite(age):
        return None
    return age + (now - context.ts).total_seconds()


def health_factor(
    contexts: Mapping[str, MarketContext] | Mapping[Symbol, MarketContext], config: RiskConfig, now: datetime
) -> tuple[float | None, str | None]:
    """The lowest fresh health factor across `contexts` (it is one per account), or why there is none."""
    best: float | None = None
    problems: list[str] = []
    for symbol, context in contexts.items():
        value = context.health_factor
        if value is None or not math.isfinite(value):
            why = context.unavailable.get("health_factor", "missing")
            problems.append(f"{symbol}: health factor unavailable ({why})")
            continue
        age = input_age_s(context, "health_factor", now)
        if age is None:
            problems.append(f"{symbol}: health factor has no known age")
            continue
        if age > config.stale_data_max_age_s:
            problems.append(f"{symbol}: health factor is {age:.0f} s old (limit {config.stale_data_max_age_s:.0f} s)")
            continue
        best = value if best is None else min(best, value)
    if best is None:
        return None, "; ".join(problems) or "no market context carries a health factor"
    return best, None


def evaluate_kill_switch(
    account: AccountState, contexts: Mapping[str, MarketContext], config: RiskConfig, now: datetime
) -> KillSwitchDecision:
    """R-K-1, R-K-2, R-K-3 on the account and the latest contexts; pure."""
    now = require_utc(now)
    hf, hf_problem = health_factor(contexts, config, now) if config.health_factor_required else (None, None)
    return kill_switch_verdict(account, hf, hf_problem, config)


def health_factor_critical(hf: float | None, config: RiskConfig) -> bool:
    """R-K-3's trigger: a known health factor below `health_factor_flatten`."""
    return hf is not None and hf < config.health_factor_flatten


def kill_switch_verdict(  # noqa: PLR0911 - one exit per rule, in priority order
    account: AccountState, hf: float | None, hf_problem: str | None, config: RiskConfig
) -> KillSwitchDecision:
    """`evaluate_kill_switch` once the lowest fresh health factor (or why there is none, `health_factor`) is known.

    Only R-K-3's own decision reads `hf` (when `health_factor_critical`); otherwise it appears in the evidence
    alone, so every other field of the decision is a function of the account, `hf_problem` and the config."""
    switch = account.kill_switch
    if health_factor_critical(hf, config):
        return KillSwitchDecision(
            block_entries=True,
            trip=None if switch.tripped else KillCause.HEALTH_FACTOR_CRITICAL,
            flatten=True,
            reason=DenyReason.KILL_SWITCH_TRIPPED,
            message=f"R-K-3: health factor {hf:.3f} is below {config.health_factor_flatten}: flatten all",
            evidence=evidence(rule="R-K-3", health_factor=hf, limit=config.health_factor_flatten),
        )
    if switch.tripped:
        return KillSwitchDecision(
            block_entries=True,
            reason=DenyReason.KILL_SWITCH_TRIPPED,
            message=f"kill switch tripped ({switch.cause.value if switch.cause else '?'}): {switch.reason}",
            evidence=evidence(
                rule="R-K-4",
                cause=switch.cause.value if switch.cause else None,
                at=switch.at.isoformat() if switch.at else None,
                by=switch.by,
            ),
        )
    streak = account.consecutive_losses
    after_reset = switch.reset_at is None or (
        account.last_loss_at is not None and account.last_loss_at > switch.reset_at
    )
    if streak >= config.kill_consecutive_losses and after_reset:
        return KillSwitchDecision(
            block_entries=True,
            trip=KillCause.CONSECUTIVE_LOSSES,
            reason=DenyReason.KILL_SWITCH_TRIPPED,
            message=f"R-K-2: {streak} consecutive losses (limit {config.kill_consecutive_losses})",
            evidence=evidence(rule="R-K-2", consecutive_losses=streak, limit=config.kill_consecutive_losses),
        )
    equity_now = account.equity_now_usd
    start = account.equity_at_session_start_usd
    if equity_now is None or start <= 0:
        what = (
            "unrealized P&L of the open positions is unknown" if equity_now is None else f"session-start equity {start}"
        )
        return KillSwitchDecision(
            block_entries=True,
            reason=DenyReason.INPUT_UNAVAILABLE,
            message=f"R-K-1 cannot be evaluated ({what}): no new entries",
            evidence=evidence(rule="R-K-1", input="session_drawdown", session_start_equity_usd=str(start)),
        )
    drawdown = account.drawdown_base_usd - equity_now
    limit = start * _decimal(config.kill_drawdown_pct)
    if drawdown > limit:
        return KillSwitchDecision(
            block_entries=True,
            trip=KillCause.SESSION_DRAWDOWN,
            reason=DenyReason.KILL_SWITCH_TRIPPED,
            message=f"R-K-1: session drawdown {drawdown:.2f} USD exceeds {limit:.2f} USD "
            f"({config.kill_drawdown_pct:.2%} of {start:.2f})",
            evidence=evidence(
                rule="R-K-1",
                drawdown_usd=float(drawdown),
                limit_usd=float(limit),
                session_start_equity_usd=float(start),
                equity_now_usd=float(equity_now),
            ),
        )
    if hf_problem is not None:
        return KillSwitchDecision(
            block_entries=True,
            reason=DenyReason.INPUT_UNAVAILABLE,
            message=f"R-K-3 cannot be evaluated: {hf_problem}",
            evidence=evidence(rule="R-K-3", input="health_factor", problem=hf_problem),
        )
    return KillSwitchDecision(
        block_entries=False,
        message="kill switch armed, not tripped",
        evidence=evidence(
            drawdown_usd=float(drawdown), limit_usd=float(limit), consecutive_losses=streak, health_factor=hf
        ),
    )


def unrealized_floor(account: AccountState, config: RiskConfig) -> Decimal | None:
    """The open positions' total unrealized P&L below which R-K-1 trips on the account as it stands: the session
    drawdown `drawdown_base − (equity + unrealized)` exceeds its limit exactly when the unrealized P&L is below
    `drawdown_base − equity − limit`. None when no mark can trip it: the switch is already tripped, or the
    session-start equity is not positive (R-K-1 then blocks entries without tripping)."""
    start = account.equity_at_session_start_usd
    if account.kill_switch.tripped or start <= 0:
        return None
    return account.drawdown_base_usd - account.equity_usd - start * _decimal(config.kill_drawdown_pct)


@functools.lru_cache(maxsize=8, typed=True)
def _decimal(value: float) -> Decimal:
    # The configured fraction, asked for on every tick: its Decimal is made once (Decimal is immutable).
    return Decimal(str(value))


# -- persistence (I/O: called by the engine and the CLI, never by a decision) ---------------------------


def load_kill_switch(store: Store) -> KillSwitchState:
    """The stored kill switch; never tripped if nothing was stored. A damaged record raises `RiskStateError`."""
    data = store.get_state(KILL_SWITCH_KEY)
    return KillSwitchState() if data is None else KillSwitchState.from_dict(data)


def _event(kind: EventType, now: datetime, message: str, **data: object) -> Event:
    return Event(
        id=EventId(new_id("evt")),
        ts=now,
        type=kind,
        source=SOURCE,
        message=message,
        data={"tag": LogTag.MACRO.value, **data},
    )


def trip_kill_switch(bus: SignalBus, cause: KillCause, reason: str, by: str, now: datetime) -> KillSwitchState:
    """Latch the switch (R-K-4) and publish `KILL_SWITCH_TRIPPED`. A switch already tripped keeps its first
    cause; the call then changes nothing and returns it."""
    now = require_utc(now)
    try:
        current = load_kill_switch(bus.store)
    except RiskStateError:
        current = KillSwitchState()  # a damaged record is replaced by the trip: the safe direction
    if current.tripped:
        return current
    state = KillSwitchState(
        tripped=True,
        cause=cause,
        reason=reason,
        at=now,
        by=by,
        reset_at=current.reset_at,
        reset_by=current.reset_by,
        reset_reason=current.reset_reason,
    )
    with bus.transaction() as tx:
        tx.tx.set_state(KILL_SWITCH_KEY, state.to_dict(), now)
        tx.publish(_event(EventType.KILL_SWITCH_TRIPPED, now, f"kill switch tripped: {reason}", **state.to_dict()))
    return state


def reset_kill_switch(bus: SignalBus, by: str, reason: str, now: datetime) -> KillSwitchState:
    """A person's reset (R-K-4): clears the latch, keeps the last trip for the record, publishes
    `KILL_SWITCH_RESET`. Also replaces a damaged record."""
    now = require_utc(now)
    try:
        current = load_kill_switch(bus.store)
    except RiskStateError:
        current = KillSwitchState(tripped=True, cause=KillCause.MANUAL, reason="damaged record", at=now, by="store")
    state = KillSwitchState(
        tripped=False,
        cause=current.cause,
        reason=current.reason,
        at=current.at,
        by=current.by,
        reset_at=now,
        reset_by=by,
        reset_reason=reason,
    )
    with bus.transaction() as tx:
        tx.tx.set_state(KILL_SWITCH_KEY, state.to_dict(), now)
        tx.publish(_event(EventType.KILL_SWITCH_RESET, now, f"kill switch reset by {by}: {reason}", **state.to_dict()))
    return state


def request_flatten(bus: SignalBus, by: str, reason: str, now: datetime) -> tuple[FlattenRequest, KillSwitchState]:
    """R-K-4's emergency flatten: record the request and trip the switch, in one transaction. The running
    engine closes every position on its next tick; a starting engine does it first of all."""
    now = require_utc(now)
    request = FlattenRequest(requested_at=now, by=by, reason=reason)
    try:
        current = load_kill_switch(bus.store)
    except RiskStateError:
        current = KillSwitchState()
    switch = current
    with bus.transaction() as tx:
        tx.tx.set_state(FLATTEN_KEY, request.to_dict(), now)
        if not current.tripped:
            switch = KillSwitchState(
                tripped=True,
                cause=KillCause.FLATTEN,
                reason=f"flatten requested: {reason}",
                at=now,
                by=by,
                reset_at=current.reset_at,
                reset_by=current.reset_by,
                reset_reason=current.reset_reason,
            )
            tx.tx.set_state(KILL_SWITCH_KEY, switch.to_dict(), now)
        tx.publish(
            _event(
                EventType.KILL_SWITCH_TRIPPED,
                now,
                f"flatten requested by {by}: {reason}",
                flatten=True,
                **switch.to_dict(),
            )
        )
    return request, switch


def pending_flatten(store: Store) -> FlattenRequest | None:
    """The flatten request the engine still has to carry out, if any."""
    data = store.get_state(FLATTEN_KEY)
    if data is None:
        return None
    request = FlattenRequest.from_dict(data)
    return request if request.pending else None


def complete_flatten(store: Store, request: FlattenRequest, now: datetime) -> FlattenRequest:
    """Mark a flatten request carried out (the closes themselves are recorded as position events)."""
    done = FlattenRequest(request.requested_at, request.by, request.reason, done_at=require_utc(now))
    store.set_state(FLATTEN_KEY, done.to_dict(), now)
    return done
