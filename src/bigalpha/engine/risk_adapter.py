"""Binds the engine's risk seam to the risk gate (`bigalpha.risk`): account counters, the four layers,
sizing, the kill switch and its latches. The store and the bus are used here, at the edge, so the rule
functions themselves stay pure."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bigalpha.bus import SignalBus
from bigalpha.clock import require_utc
from bigalpha.config import Settings
from bigalpha.domain import Mode, Position, Signal, Symbol, Verdict
from bigalpha.engine.policies import KillCheck, RiskOutcome
from bigalpha.indicators.context import MarketContext
from bigalpha.risk import (
    AccountState,
    Period,
    account_from_store,
    complete_flatten,
    evaluate_risk,
    health_factor,
    health_factor_critical,
    kill_switch_verdict,
    on_entry,
    on_entry_failed,
    on_mark,
    on_position_closed,
    pending_flatten,
    period_at,
    record_pause,
    refresh_latches,
    requested_notional,
    risk_events,
    roll_to,
    trip_kill_switch,
    unrealized_floor,
    with_kill_switch,
)
from bigalpha.store import Store


def market_condition(context: MarketContext) -> float:
    """R-SIZE-1's condition in [0, 1]: the whale-flow intensity (A-WHALE-2) on its 0–100 scale; the lowest
    condition when it is unknown, so missing data never sizes up."""
    if context.whale_intensity is None:
        return 0.0
    return min(max(context.whale_intensity / 100.0, 0.0), 1.0)


@dataclass(frozen=True, slots=True)
class _KillMemo:
    """The last kill-switch check and what it was judged from (see `RiskGatePolicy.kill_switch`)."""

    account: AccountState
    hf_problem: str | None
    check: KillCheck


class RiskGatePolicy:
    """The engine's `RiskPolicy`, over the account state the risk package defines."""

    def __init__(
        self,
        settings: Settings,
        mode: Mode,
        store: Store,
        bus: SignalBus,
        *,
        latch_poll_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.mode = mode
        self.store = store
        self.bus = bus
        self.account: AccountState | None = None
        # A person changes latches from the CLI or the API while the bot runs; reading them once a (wall)
        # second is as quick as anyone can type. A backtest has no such person, so it never re-reads them.
        self._latch_poll_s = latch_poll_s
        self._monotonic = monotonic
        self._latches_read_at: float | None = None
        self._fresh = False
        # The day and session of the last tick: the kill switch rolls the account every tick, and the calendar
        # arithmetic need be redone only once a boundary has passed.
        self._period: Period | None = None
        # A flat book's kill switch sees the same account tick after tick: its check is kept until that changes.
        self._kill_memo: _KillMemo | None = None

    def _account(self) -> AccountState:
        if self.account is None:
            raise RuntimeError("the risk policy is used before restore()")
        return self.account

    def restore(self, now: datetime) -> None:
        """Counters from the stored positions, latches from the stored kill switch and pause (I-PERSIST-1)."""
        self.account = account_from_store(self.store, self.settings, now, mode=self.mode)

    def size(self, signal: Signal, verdict: Verdict, context: MarketContext) -> Decimal:
        return requested_notional(
            self._account(), signal, verdict.size_multiplier, self.settings.risk, market_condition(context)
        )

    def check(self, signal: Signal, context: MarketContext, notional: Decimal, now: datetime) -> RiskOutcome:
        decision = evaluate_risk(signal, context, self._account(), notional, self.settings, self.mode, now)
        return RiskOutcome(decision, tuple(risk_events(signal, decision, now)))

    def on_entry(self, position_id: str, symbol: Symbol, notional: Decimal, now: datetime) -> None:
        self.account = on_entry(
            self._account(), position_id=position_id, symbol=symbol, notional=notional, now=now, config=self.settings
        )

    def on_entry_failed(self, position_id: str) -> None:
        self.account = on_entry_failed(self._account(), position_id)

    def on_close(self, position: Position, now: datetime) -> None:
        before = self._account()
        after = on_position_closed(before, position, now, self.settings)
        record_pause(self.bus, before, after, now)
        self.account = after

    def kill_switch(
        self, unrealized_pnl: Decimal, contexts: Mapping[Symbol, MarketContext], now: datetime
    ) -> KillCheck:
        account = self._account()
        if self._latches_due():
            account = refresh_latches(account, self.store)
        period = self._period
        if period is None or not period.holds(now):
            period = self._period = period_at(
                now, self.settings.risk.day_start_utc_hour, self.settings.setups.session.session_hours
            )
        account = on_mark(roll_to(account, period.day, period.session), unrealized_pnl)
        risk = self.settings.risk
        at = require_utc(now)  # as `evaluate_kill_switch` judges the inputs' ages
        hf, hf_problem = health_factor(contexts, risk, at) if risk.health_factor_required else (None, None)
        request = pending_flatten(self.store) if self._latches_read_at is not None and self._fresh else None
        memo = self._kill_memo
        if (
            memo is not None
            and memo.account is account
            and memo.hf_problem == hf_problem
            and request is None
            and not health_factor_critical(hf, risk)
        ):
            # The same account object (replaced, never mutated, on every change), the same health-factor problem
            # and a health factor that is not critical give the same check: `kill_switch_verdict` reads `hf`
            # itself only when it is critical (a trip or a flatten request is never remembered).
            self.account = account
            return memo.check
        decision = kill_switch_verdict(account, hf, hf_problem, risk)
        if decision.trip is not None:
            account = with_kill_switch(
                account, trip_kill_switch(self.bus, decision.trip, decision.message, "engine", now)
            )
        flatten = decision.flatten
        if request is not None:
            # R-K-4: a person asked to flatten (CLI or API); carried out now, recorded as done.
            complete_flatten(self.store, request, now)
            account = refresh_latches(account, self.store)
            flatten = True
        self.account = account
        check = KillCheck(
            halted=decision.block_entries or account.kill_switch.tripped, flatten=flatten, reason=decision.message
        )
        plain = decision.trip is None and request is None and not health_factor_critical(hf, risk)
        self._kill_memo = _KillMemo(account, hf_problem, check) if plain else None
        return check

    def latches_changed(self) -> None:
        """Re-read the latches at the next tick: for callers in this process (an API request that trips the
        kill switch) that need not wait for the once-a-second poll."""
        self._latches_read_at = None

    def unrealized_floor(self) -> Decimal | None:
        return unrealized_floor(self._account(), self.settings.risk)

    def _latches_due(self) -> bool:
        self._fresh = False
        if self.mode is Mode.BACKTEST and self._latches_read_at is not None:
            return False
        now = self._monotonic()
        if self._latches_read_at is not None and now - self._latches_read_at < self._latch_poll_s:
            return False
        self._latches_read_at, self._fresh = now, True
        return True

    def snapshot(self) -> Mapping[str, Any]:
        return self._account().to_dict()
