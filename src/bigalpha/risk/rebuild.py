"""Account state from the store: rebuilt at start-up, refreshed each tick, pauses persisted (I-PERSIST-1).

`account_from_store` replays every stored position, entries and closes in time order, through the same
transitions the engine calls while it runs (`on_entry`, `on_position_closed`), then applies the stored
resume and kill-switch reset at their times. Counters therefore come out of the record of trades, never
out of a counter that could drift or be lost in a crash. The store should hold one trading account:
every position in it counts against the limits.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from bigalpha.bus import SignalBus
from bigalpha.clock import require_utc
from bigalpha.config import Settings
from bigalpha.domain import Event, EventId, EventType, LogTag, Mode, Position, new_id
from bigalpha.execution.portfolio import net_pnl
from bigalpha.risk.account import (
    ZERO,
    AccountState,
    new_account,
    on_entry,
    on_position_closed,
    on_resume,
    roll,
    with_kill_switch,
)
from bigalpha.risk.kill_switch import load_kill_switch
from bigalpha.risk.latches import PAUSE_KEY, PauseRecord
from bigalpha.store import Store

SOURCE = "risk"

# Replay order of events at the same instant: entries, then closes, then a person's resume and reset.
_ENTRY, _CLOSE, _RESUME, _RESET = range(4)


def load_pause(store: Store) -> PauseRecord:
    data = store.get_state(PAUSE_KEY)
    return PauseRecord() if data is None else PauseRecord.from_dict(data)


def _merge_pause(state: AccountState, record: PauseRecord) -> AccountState:
    """Combine the pause in memory with the stored record: a pause in force in either stays in force unless
    a resume came at or after it."""
    resumes = [moment for moment in (record.resumed_at, state.pause.resumed_at) if moment is not None]
    latest_resume = max(resumes) if resumes else None

    def active(pause: PauseRecord) -> bool:
        if not pause.paused:
            return False
        return latest_resume is None or pause.at is None or latest_resume < pause.at

    if active(record):
        return replace(state, pause=replace(record, resumed_at=latest_resume))
    if active(state.pause):
        return replace(state, pause=replace(state.pause, resumed_at=latest_resume))
    resumed_by = record.resumed_by or state.pause.resumed_by
    return replace(state, pause=replace(state.pause, paused=False, resumed_at=latest_resume, resumed_by=resumed_by))


def account_from_store(
    store: Store, settings: Settings, now: datetime, *, mode: Mode, wallet_usd: Decimal | None = None
) -> AccountState:
    """The account at `now`, rebuilt from stored positions and latches.

    `wallet_usd` is the hot wallet's realized equity now when the caller knows it (from the exchange);
    otherwise it is `risk.hot_wallet_usd` plus the net P&L of every closed position. Open positions leave the
    unrealized P&L unknown (None) until the engine marks them with `on_mark`: until then no entry passes.
    """
    now = require_utc(now)
    switch = load_kill_switch(store)
    record = load_pause(store)
    open_positions = store.open_positions()
    closed = store.closed_positions()
    total_net = sum((net_pnl(position) for position in closed), ZERO)
    equity_now = wallet_usd if wallet_usd is not None else settings.risk.hot_wallet_usd + total_net

    events: list[tuple[datetime, int, Position | None]] = []
    for position in (*closed, *open_positions):
        events.append((require_utc(position.opened_at), _ENTRY, position))
    for done in closed:
        if done.closed_at is None:
            raise ValueError(f"store: closed position {done.id} has no closing time")
        events.append((require_utc(done.closed_at), _CLOSE, done))
    if record.resumed_at is not None:
        events.append((record.resumed_at, _RESUME, None))
    if switch.reset_at is not None:
        events.append((switch.reset_at, _RESET, None))
    events.sort(key=lambda item: (item[0], item[1]))

    start = events[0][0] if events else now
    state = new_account(mode, settings, min(start, now), equity_now - total_net)
    for moment, kind, item in events:
        if kind == _ENTRY and item is not None:
            notional = item.entry_price * item.initial_quantity
            state = on_entry(
                state, position_id=item.id, symbol=item.symbol, notional=notional, now=moment, config=settings
            )
        elif kind == _CLOSE and item is not None:
            state = on_position_closed(state, item, moment, settings)
        elif kind == _RESUME:
            state = on_resume(roll(state, moment, settings), moment, record.resumed_by or "?")
        elif kind == _RESET:
            state = with_kill_switch(roll(state, moment, settings), replace(switch, tripped=False))
    state = roll(state, now, settings)
    state = replace(state, kill_switch=switch, unrealized_pnl_usd=ZERO if not open_positions else None)
    return _merge_pause(state, record)


def refresh_latches(state: AccountState, store: Store) -> AccountState:
    """Re-read the latches a person may have changed from the CLI or the API since the last tick (a trip,
    a reset, a resume). Call it once per tick, before any decision."""
    return _merge_pause(with_kill_switch(state, load_kill_switch(store)), load_pause(store))


def _pause_event(kind: EventType, now: datetime, message: str, record: PauseRecord) -> Event:
    return Event(
        id=EventId(new_id("evt")),
        ts=now,
        type=kind,
        source=SOURCE,
        message=message,
        data={"tag": LogTag.MACRO.value, **record.to_dict()},
    )


def record_pause(bus: SignalBus, before: AccountState, after: AccountState, now: datetime) -> bool:
    """Persist an R-M-3 pause that a transition has just set (`before` not paused, `after` paused) and publish
    `TRADING_PAUSED`. Returns whether anything was written."""
    if before.paused or not after.paused:
        return False
    with bus.transaction() as tx:
        tx.tx.set_state(PAUSE_KEY, after.pause.to_dict(), now)
        tx.publish(_pause_event(EventType.TRADING_PAUSED, now, after.pause.reason, after.pause))
    return True


def resume_trading(bus: SignalBus, by: str, reason: str, now: datetime) -> PauseRecord:
    """A person's resume after an R-M-3 pause: written with the time, so the engine's next
    `refresh_latches` clears the pause; publishes `TRADING_RESUMED`."""
    now = require_utc(now)
    current = load_pause(bus.store)
    record = replace(current, paused=False, resumed_at=now, resumed_by=by)
    with bus.transaction() as tx:
        tx.tx.set_state(PAUSE_KEY, record.to_dict(), now)
        tx.publish(_pause_event(EventType.TRADING_RESUMED, now, f"trading resumed by {by}: {reason}", record))
    return record
