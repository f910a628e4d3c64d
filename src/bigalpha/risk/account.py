"""`AccountState`: the counters the risk gate reads, and their pure transitions.

**Day** (R-G-3, R-M-2): a trading day starts at `risk.day_start_utc_hour` (UTC) and lasts 24 hours.
**Session** (S-SESSION, R-K-1, R-MODE-1): each day is tiled into sessions of `setups.session.session_hours`
from the day's start (00:00–08:00, 08:00–16:00, 16:00–24:00 by default); when the hours do not divide 24
the day's last session is shorter, and a new day always starts a new session.

Counters never drift: `account_from_store` rebuilds them at start-up by replaying every stored position
(entries and closes, in time order) through the same transitions the engine calls while running, plus the
latched states of `risk.latches`. Streaks of losses span days and sessions; only a winning (or break-even)
trade ends one. P&L is net: realized P&L minus fees minus funding paid (`net_pnl`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bigalpha.clock import require_utc
from bigalpha.config import Settings
from bigalpha.domain import Mode, Position, TradingState
from bigalpha.execution.portfolio import net_pnl
from bigalpha.risk.calendar import day_start, session_start
from bigalpha.risk.latches import KillSwitchState, PauseRecord, RiskStateError

ZERO = Decimal(0)
CENT = Decimal("0.01")


def risk_usd(position: Position, max_stop_pct: float) -> Decimal:
    """1R of a position: its loss at the stop, |entry − stop| × initial quantity. A stop moved to entry
    (zero distance) falls back to the widest stop R-G-2 allows, so R stays defined."""
    distance = abs(position.entry_price - position.stop_price)
    if distance == 0:
        distance = position.entry_price * Decimal(str(max_stop_pct))
    return distance * position.initial_quantity


@dataclass(frozen=True, slots=True)
class OpenExposure:
    """One open position (or an entry order on its way) as the limits see it: its notional at entry."""

    position_id: str
    symbol: str
    notional_usd: Decimal
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class AccountState:
    """Everything about the account that a risk decision needs. Replaced, never mutated."""

    mode: Mode
    day_start: datetime
    session_start: datetime
    equity_usd: Decimal  # hot wallet equity from realized P&L
    equity_at_session_start_usd: Decimal
    drawdown_base_usd: Decimal  # R-K-1's reference: session-start equity, or equity at a reset within the session
    unrealized_pnl_usd: Decimal | None = ZERO  # None: open positions not yet marked, P&L unknown (fail closed)
    realized_pnl_today_usd: Decimal = ZERO
    trades_today: int = 0
    consecutive_losses: int = 0
    last_loss_at: datetime | None = None
    session_trades: int = 0
    session_net_pnl_usd: Decimal = ZERO
    session_net_r: float = 0.0
    session_consecutive_losses: int = 0
    session_stopped: bool = False  # S-SESSION, latched until the session ends
    open_positions: tuple[OpenExposure, ...] = ()
    kill_switch: KillSwitchState = field(default_factory=KillSwitchState)
    pause: PauseRecord = field(default_factory=PauseRecord)

    @property
    def paused(self) -> bool:
        return self.pause.paused

    @property
    def trading_state(self) -> TradingState:
        """HALTED (kill switch) before PAUSED (R-M-3); STANDING_DOWN depends on market data, so the gate reports it."""
        if self.kill_switch.tripped:
            return TradingState.HALTED
        if self.pause.paused:
            return TradingState.PAUSED
        return TradingState.ACTIVE

    @property
    def equity_now_usd(self) -> Decimal | None:
        """Realized equity plus the open positions' unrealized P&L; None while that is unknown."""
        if self.unrealized_pnl_usd is None:
            return None
        return self.equity_usd + self.unrealized_pnl_usd

    @property
    def open_notional_usd(self) -> Decimal:
        return sum((exposure.notional_usd for exposure in self.open_positions), ZERO)

    @property
    def loss_today_usd(self) -> Decimal:
        return max(ZERO, -self.realized_pnl_today_usd)

    @property
    def session_loss_usd(self) -> Decimal:
        return max(ZERO, -self.session_net_pnl_usd)

    def notional_by_symbol(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for exposure in self.open_positions:
            totals[exposure.symbol] = totals.get(exposure.symbol, ZERO) + exposure.notional_usd
        return totals

    def to_dict(self) -> dict[str, Any]:
        return state_to_dict(self)

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> AccountState:
        return state_from_dict(data)


def new_account(mode: Mode, settings: Settings, at: datetime, equity_usd: Decimal) -> AccountState:
    """A fresh account at `at` with `equity_usd` in the hot wallet and no history."""
    hour, hours = settings.risk.day_start_utc_hour, settings.setups.session.session_hours
    return AccountState(
        mode=mode,
        day_start=day_start(at, hour),
        session_start=session_start(at, hour, hours),
        equity_usd=equity_usd,
        equity_at_session_start_usd=equity_usd,
        drawdown_base_usd=equity_usd,
    )


def roll(state: AccountState, now: datetime, config: Settings) -> AccountState:
    """Start a new day and/or session if `now` has crossed a boundary. Time never rolls backwards."""
    hour = config.risk.day_start_utc_hour
    return roll_to(state, day_start(now, hour), session_start(now, hour, config.setups.session.session_hours))


def roll_to(state: AccountState, new_day: datetime, new_session: datetime) -> AccountState:
    """`roll` to the day and session starts of an instant (`calendar.period_at`, which a caller may reuse)."""
    changes: dict[str, Any] = {}
    if new_day > state.day_start:
        changes.update(day_start=new_day, realized_pnl_today_usd=ZERO, trades_today=0)
    if new_session > state.session_start:
        changes.update(
            session_start=new_session,
            equity_at_session_start_usd=state.equity_usd,
            drawdown_base_usd=state.equity_usd,
            session_trades=0,
            session_net_pnl_usd=ZERO,
            session_net_r=0.0,
            session_consecutive_losses=0,
            session_stopped=False,
        )
    return replace(state, **changes) if changes else state


def on_entry(
    state: AccountState, *, position_id: str, symbol: str, notional: Decimal, now: datetime, config: Settings
) -> AccountState:
    """An entry was sent (call it when the entry order is submitted, so a second signal cannot slip past
    the limits while the first fills): one more trade today and this session, and its exposure."""
    if not notional.is_finite() or notional <= 0:
        raise ValueError(f"on_entry: notional of {position_id} must be a positive amount, got {notional}")
    if any(exposure.position_id == position_id for exposure in state.open_positions):
        raise ValueError(f"on_entry: position {position_id} is already open")
    state = roll(state, now, config)
    exposure = OpenExposure(position_id, symbol, notional, require_utc(now))
    return replace(
        state,
        trades_today=state.trades_today + 1,
        session_trades=state.session_trades + 1,
        open_positions=(*state.open_positions, exposure),
    )


def on_entry_failed(state: AccountState, position_id: str) -> AccountState:
    """An entry order was rejected or canceled unfilled: it was never a trade, so it is taken back."""
    kept = tuple(e for e in state.open_positions if e.position_id != position_id)
    gone = [e for e in state.open_positions if e.position_id == position_id]
    if not gone:
        return state
    entry = gone[0]
    return replace(
        state,
        open_positions=kept,
        trades_today=state.trades_today - (1 if entry.opened_at >= state.day_start else 0),
        session_trades=state.session_trades - (1 if entry.opened_at >= state.session_start else 0),
    )


def on_position_closed(state: AccountState, position: Position, now: datetime, config: Settings) -> AccountState:
    """A position closed: its net P&L moves equity and the day's and session's counters; a loss extends
    the streak (R-M-3 pauses at `risk.pause_after_consecutive_losses`), anything else ends it; S-SESSION
    stops the session at its consecutive-loss count or at +1R net."""
    if position.closed_at is None:
        raise ValueError(f"on_position_closed: position {position.id} is still open")
    state = roll(state, now, config)
    pnl = net_pnl(position)
    r = float(pnl / risk_usd(position, config.risk.max_stop_pct))
    loss = pnl < 0
    streak = state.consecutive_losses + 1 if loss else 0
    session_streak = state.session_consecutive_losses + 1 if loss else 0
    session_r = state.session_net_r + r
    rule = config.setups.session
    pause = state.pause
    if loss and streak >= config.risk.pause_after_consecutive_losses and not pause.paused:
        pause = replace(
            pause,
            paused=True,
            at=require_utc(now),
            reason=f"R-M-3: {streak} consecutive losses (limit {config.risk.pause_after_consecutive_losses})",
            consecutive_losses=streak,
        )
    return replace(
        state,
        equity_usd=state.equity_usd + pnl,
        realized_pnl_today_usd=state.realized_pnl_today_usd + pnl,
        consecutive_losses=streak,
        last_loss_at=require_utc(now) if loss else state.last_loss_at,
        session_net_pnl_usd=state.session_net_pnl_usd + pnl,
        session_net_r=session_r,
        session_consecutive_losses=session_streak,
        session_stopped=state.session_stopped
        or session_streak >= rule.stop_after_consecutive_losses
        or session_r >= rule.stop_at_r_multiple,
        open_positions=tuple(e for e in state.open_positions if e.position_id != position.id),
        pause=pause,
    )


def on_mark(state: AccountState, unrealized_pnl_usd: Decimal | None) -> AccountState:
    """The engine's mark-to-market of the open positions; None when a price is missing (fail closed)."""
    if unrealized_pnl_usd is not None and not unrealized_pnl_usd.is_finite():
        raise ValueError(f"on_mark: unrealized P&L must be finite, got {unrealized_pnl_usd}")
    held = state.unrealized_pnl_usd
    # The same mark, to the digit (compare_total also tells 0 from 0.00 and -0): the state as it is, not a copy.
    if unrealized_pnl_usd is None and held is None:
        return state
    if unrealized_pnl_usd is not None and held is not None and unrealized_pnl_usd.compare_total(held) == 0:
        return state
    return replace(state, unrealized_pnl_usd=unrealized_pnl_usd)


def on_resume(state: AccountState, now: datetime, by: str) -> AccountState:
    """A person resumed trading after an R-M-3 pause."""
    return replace(state, pause=replace(state.pause, paused=False, resumed_at=require_utc(now), resumed_by=by))


def with_kill_switch(state: AccountState, kill_switch: KillSwitchState) -> AccountState:
    """Take the kill switch's stored state. A reset within the current session re-bases R-K-1's drawdown
    on the equity at the reset, so a person's reset is not undone by the loss that caused the trip."""
    old_reset = state.kill_switch.reset_at
    new_reset = kill_switch.reset_at
    fresh_reset = new_reset is not None and (old_reset is None or new_reset > old_reset)
    if fresh_reset and new_reset is not None and new_reset >= state.session_start:
        return replace(state, kill_switch=kill_switch, drawdown_base_usd=state.equity_usd)
    return replace(state, kill_switch=kill_switch)


# -- JSON form --------------------------------------------------------------------------------------------
_MONEY = {
    "equity_usd",
    "equity_at_session_start_usd",
    "drawdown_base_usd",
    "unrealized_pnl_usd",
    "realized_pnl_today_usd",
    "session_net_pnl_usd",
}
_TIMES = {"day_start", "session_start", "last_loss_at"}
_COUNTS = {"trades_today", "consecutive_losses", "session_trades", "session_consecutive_losses"}


def state_to_dict(state: AccountState) -> dict[str, Any]:
    """JSON-ready form: money as decimal strings, times as ISO 8601, the trading state for readers."""
    data: dict[str, Any] = {}
    for item in fields(state):
        value = getattr(state, item.name)
        if item.name in _MONEY:
            data[item.name] = None if value is None else format(value, "f")
        elif item.name in _TIMES:
            data[item.name] = None if value is None else value.isoformat()
        elif item.name == "open_positions":
            data[item.name] = [
                {
                    "position_id": e.position_id,
                    "symbol": e.symbol,
                    "notional_usd": format(e.notional_usd, "f"),
                    "opened_at": e.opened_at.isoformat(),
                }
                for e in value
            ]
        elif item.name in ("kill_switch", "pause"):
            data[item.name] = value.to_dict()
        elif item.name == "mode":
            data[item.name] = value.value
        else:
            data[item.name] = value
    data["trading_state"] = state.trading_state.value
    return data


def _money(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RiskStateError(f"{where}: {value!r} is not an amount") from None
    if not amount.is_finite():
        raise RiskStateError(f"{where}: {value!r} is not a finite amount")
    return amount


def _moment(value: Any, where: str) -> datetime:
    try:
        return require_utc(datetime.fromisoformat(str(value)))
    except ValueError as error:
        raise RiskStateError(f"{where}: {value!r}: {error}") from None


def _count(raw: Any, where: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        raise RiskStateError(f"{where}: expected a count, got {raw!r}")
    return raw


def _number(raw: Any, where: str) -> float:
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        raise RiskStateError(f"{where}: expected a number, got {raw!r}")
    return float(raw)


def _bool(raw: Any, where: str) -> bool:
    if not isinstance(raw, bool):
        raise RiskStateError(f"{where}: expected true or false, got {raw!r}")
    return raw


def _mode(raw: Any, where: str) -> Mode:
    try:
        return Mode(raw)
    except ValueError:
        raise RiskStateError(f"{where}: {raw!r} is not one of {[m.value for m in Mode]}") from None


def _exposures(raw: Any, where: str) -> tuple[OpenExposure, ...]:
    if not isinstance(raw, list):
        raise RiskStateError(f"{where}: expected a list")
    return tuple(_exposure(entry, f"{where}[{n}]") for n, entry in enumerate(raw))


def _reader(name: str) -> Callable[[Any, str], Any]:
    if name in _MONEY:
        return _money
    if name in _TIMES:
        return _moment
    if name in _COUNTS:
        return _count
    readers: dict[str, Callable[[Any, str], Any]] = {
        "mode": _mode,
        "session_net_r": _number,
        "session_stopped": _bool,
        "open_positions": _exposures,
        "kill_switch": lambda raw, _where: KillSwitchState.from_dict(raw),
        "pause": lambda raw, _where: PauseRecord.from_dict(raw),
    }
    return readers[name]


_NULLABLE = {"unrealized_pnl_usd", "last_loss_at"}


def state_from_dict(data: Mapping[str, Any]) -> AccountState:
    """Read `state_to_dict` output back; a bad field raises `RiskStateError` naming it."""
    known = {item.name for item in fields(AccountState)} | {"trading_state"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise RiskStateError(f"account: unknown field(s) {unknown}")
    values: dict[str, Any] = {}
    for item in fields(AccountState):
        where = f"account.{item.name}"
        if item.name not in data:
            raise RiskStateError(f"{where}: missing")
        raw = data[item.name]
        values[item.name] = None if raw is None and item.name in _NULLABLE else _reader(item.name)(raw, where)
    return AccountState(**values)


def _exposure(entry: Any, where: str) -> OpenExposure:
    if not isinstance(entry, Mapping) or set(entry) != {"position_id", "symbol", "notional_usd", "opened_at"}:
        raise RiskStateError(f"{where}: expected position_id, symbol, notional_usd and opened_at")
    return OpenExposure(
        position_id=str(entry["position_id"]),
        symbol=str(entry["symbol"]),
        notional_usd=_money(entry["notional_usd"], f"{where}.notional_usd"),
        opened_at=_moment(entry["opened_at"], f"{where}.opened_at"),
    )
