"""The risk gate (R-*): four layers every entry passes, account counters, the kill switch, sizing, modes
and arming, and the read-only ledger. See docs/risk.md."""

from bigalpha.execution.portfolio import net_pnl
from bigalpha.risk.account import (
    AccountState,
    OpenExposure,
    new_account,
    on_entry,
    on_entry_failed,
    on_mark,
    on_position_closed,
    on_resume,
    roll,
    roll_to,
    with_kill_switch,
)
from bigalpha.risk.arming import ArmedMode, NotArmed, arming_phrase, mode_limits, require_armed
from bigalpha.risk.calendar import Period, day_start, period_at, session_start
from bigalpha.risk.gate import evaluate_risk, risk_events
from bigalpha.risk.kill_switch import (
    KillSwitchDecision,
    complete_flatten,
    evaluate_kill_switch,
    load_kill_switch,
    pending_flatten,
    request_flatten,
    reset_kill_switch,
    trip_kill_switch,
)
from bigalpha.risk.latches import (
    FLATTEN_KEY,
    KILL_SWITCH_KEY,
    PAUSE_KEY,
    FlattenRequest,
    KillCause,
    KillSwitchState,
    PauseRecord,
    RiskStateError,
)
from bigalpha.risk.ledger import LedgerRefusal, ReadOnlyLedgerBroker, assert_transfer_allowed, ledger_summary
from bigalpha.risk.mode_guard import ModeGuardBroker, ModeViolation
from bigalpha.risk.rebuild import account_from_store, load_pause, record_pause, refresh_latches, resume_trading
from bigalpha.risk.sizing import base_notional, condition_factors, requested_notional

__all__ = [
    "FLATTEN_KEY",
    "KILL_SWITCH_KEY",
    "PAUSE_KEY",
    "AccountState",
    "ArmedMode",
    "FlattenRequest",
    "KillCause",
    "KillSwitchDecision",
    "KillSwitchState",
    "LedgerRefusal",
    "ModeGuardBroker",
    "ModeViolation",
    "NotArmed",
    "OpenExposure",
    "PauseRecord",
    "Period",
    "ReadOnlyLedgerBroker",
    "RiskStateError",
    "account_from_store",
    "arming_phrase",
    "assert_transfer_allowed",
    "base_notional",
    "complete_flatten",
    "condition_factors",
    "day_start",
    "evaluate_kill_switch",
    "evaluate_risk",
    "ledger_summary",
    "load_kill_switch",
    "load_pause",
    "mode_limits",
    "net_pnl",
    "new_account",
    "on_entry",
    "on_entry_failed",
    "on_mark",
    "on_position_closed",
    "on_resume",
    "pending_flatten",
    "period_at",
    "record_pause",
    "refresh_latches",
    "request_flatten",
    "requested_notional",
    "require_armed",
    "reset_kill_switch",
    "resume_trading",
    "risk_events",
    "roll",
    "roll_to",
    "session_start",
    "trip_kill_switch",
    "with_kill_switch",
]
