"""The engine: one tick at a time, the same code in every mode (only the feed, clock and broker differ).

Per tick: the broker sees the new market data (resting orders may fill), indicators turn each snapshot
into a market context, funding is paid at funding times, the kill switch is checked, open positions are
judged by the exit policy, strategies emit signals that pass the intelligence gate and the risk gate,
shadows advance, periodic jobs run on the tick's time, and the engine's state is saved.

Restart safety: everything is rebuilt from the store at start-up by the same path as after a crash.
The state saved at the end of a tick is the resume point; a tick cut short by a crash is processed again
and, because ids are derived from what produced them and the broker is idempotent by client order id,
nothing is done twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, Protocol

from bigalpha.bus import SignalBus
from bigalpha.clock import Clock, SimulatedClock
from bigalpha.config import Settings
from bigalpha.data.ports import Feed, Tick, tick_time
from bigalpha.domain import (
    AccountName,
    ClientOrderId,
    DenyReason,
    Event,
    EventId,
    EventType,
    MarketSnapshot,
    Mode,
    Order,
    OrderType,
    Position,
    PositionId,
    RiskDecision,
    RiskLayer,
    Signal,
    Symbol,
    Verdict,
    new_id,
)
from bigalpha.engine.book import EXIT_STATE_PREFIX, PLAN_PREFIX, Book, plan_to_state
from bigalpha.engine.faults import crash_point
from bigalpha.engine.orders import OrderRouter
from bigalpha.engine.policies import EntryPlanner, ExitPolicy, RiskOutcome, RiskPolicy
from bigalpha.engine.schedule import Scheduler
from bigalpha.execution.ports import Broker
from bigalpha.gate.chain import evaluate as gate_evaluate
from bigalpha.gate.events import verdict_events
from bigalpha.gate.learned import GateLearnedState
from bigalpha.indicators.builder import ContextBuilder
from bigalpha.indicators.context import MarketContext
from bigalpha.json_text import JsonText, dumps, json_object_text
from bigalpha.learning.shadow import Shadow, advance_shadow, force_close, open_shadow
from bigalpha.learning.whale_tuning import CANDIDATES_KEY, WhaleProbe
from bigalpha.store import Store
from bigalpha.strategies.base import Strategy

log = logging.getLogger("bigalpha.engine")
ENGINE_KEY = "engine"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Recorder(Protocol):
    """Anything that records the snapshots decisions used (D-REC-1)."""

    def record(self, snapshot: MarketSnapshot) -> bool: ...


@dataclass
class RunSummary:
    ticks: int = 0
    signals: int = 0
    entries: int = 0
    closed: int = 0
    first_tick: datetime | None = None
    last_tick: datetime | None = None
    stopped_by: str = ""
    ran_jobs: list[str] = field(default_factory=list)
    # Entries the risk gate refused for an input it did not have (it fails closed), by rule, input and reason.
    missing_inputs: dict[str, int] = field(default_factory=dict)


@dataclass
class EngineParts:
    """Everything the engine is built from; `bigalpha.engine.build` makes them for each mode."""

    settings: Settings
    mode: Mode
    store: Store
    bus: SignalBus
    broker: Broker
    clock: Clock
    strategies: Sequence[Strategy]
    entry_planner: EntryPlanner
    exit_policy: ExitPolicy
    risk: RiskPolicy
    recorder: Recorder | None = None
    jobs: Sequence[tuple[str, timedelta, Callable[[datetime], None]]] = ()
    checkpoint_every: int = 1  # save the resume point every N ticks (1 in paper/test/live)


class Engine:
    """Runs ticks through the decision path and keeps the store true."""

    def __init__(self, parts: EngineParts) -> None:
        self.parts = parts
        self.settings = parts.settings
        self.store = parts.store
        self.bus = parts.bus
        self.builder = ContextBuilder(parts.settings.indicators)
        self.learned = GateLearnedState.initial(parts.settings)
        self.whale_probe = WhaleProbe(parts.settings)  # L-OPT-1's whale intent at each candidate threshold
        self.book = Book(parts.store, parts.settings.execution.paper_starting_balance_usd)
        # Every signal id the store has: the engine is the only writer of signals and adds each one it commits, so
        # restart safety (a signal is handled once) costs no query per signal.
        self.handled_signals: set[str] = parts.store.signal_ids()
        self._closed_pending: list[Position] = []
        self._started = False
        self._unsent: list[Order] = []
        # Open shadows live here and in the checkpoint; the table gets a shadow when it opens and when it closes.
        self.open_shadows: dict[str, Shadow] = {}
        self.router = OrderRouter(parts.store, parts.bus, parts.broker, self._on_fills, self._after_fills)
        self.scheduler = Scheduler()
        for name, every, job in parts.jobs:
            self.scheduler.add(name, every, job)
        self.exit_states: dict[str, dict[str, Any]] = {}
        self.contexts: dict[Symbol, MarketContext] = {}
        self.snapshots: dict[Symbol, MarketSnapshot] = {}
        self.last_tick: datetime | None = None
        self.funding_slot: int | None = None
        self.summary = RunSummary()
        self._ticks_since_checkpoint = 0
        self._halted = False
        self.max_trades: int | None = None

    # -- start-up: the same path after a clean stop and after a crash ---------------------------
    def start(self) -> None:
        saved = self.store.get_state(ENGINE_KEY)
        if saved is not None:
            self.builder = ContextBuilder.from_state_dict(saved["builder"], self.settings.indicators)
            self.learned = GateLearnedState.from_dict(saved["learned"])
            for strategy in self.parts.strategies:
                strategy.load_state_dict(saved["strategies"].get(strategy.name, {}))
            self.scheduler.load_state_dict(saved["scheduler"])
            self.last_tick = datetime.fromisoformat(saved["last_tick"]) if saved["last_tick"] else None
            self.funding_slot = saved.get("funding_slot")
            self.open_shadows = {row["id"]: Shadow.from_dict(row) for row in saved.get("shadows", [])}
            self.whale_probe.load_state_dict(saved.get("whale_probe", {}))
            # A signal handled after the resume point is in the store (and skipped when its tick is processed
            # again), its new shadow too, but not in the checkpoint: take the shadow from the store. It is exactly
            # as opened, since a shadow is first judged on a later tick than its signal's.
            for row in self.store.shadow_trades(open_only=True, since=self.last_tick):
                if row.id not in self.open_shadows:
                    self.open_shadows[row.id] = Shadow.from_row(row)
        else:
            self.open_shadows = {row.id: Shadow.from_row(row) for row in self.store.shadow_trades(open_only=True)}
        for position_id in self.book.positions:
            state = self.store.get_state(EXIT_STATE_PREFIX + position_id)
            self.exit_states[position_id] = state or {}
        now = self.last_tick or self.parts.clock.now()
        # Orders whose fate a crash left unknown are settled first, so the account the risk gate rebuilds from
        # the store already holds the positions they opened or closed.
        # Orders stored but never sent wait for the first tick: the broker must see that instant's market first.
        changed, self._unsent = self.router.reconcile(now, send_unsent=False)
        self._closed_pending.clear()
        self.parts.risk.restore(now)
        self._count_working_entries(now)
        self._started = True
        self.bus.publish(
            self._event(
                EventType.ENGINE_STARTED,
                now,
                f"engine started in {self.parts.mode.value} mode",
                {
                    "open_positions": len(self.book.positions),
                    "reconciled_orders": changed,
                    "resume_after": self.last_tick.isoformat() if self.last_tick else None,
                },
            )
        )

    def _count_working_entries(self, now: datetime) -> None:
        """Entries sent before a restart and not yet filled are exposure the account must carry, as it did
        when they were sent; the store has them as open orders with the notional the risk gate approved."""
        for order in self.store.open_orders():
            if order.tag != "entry" or order.position_id is None or order.position_id in self.book.positions:
                continue
            row = self.store.get_verdict_row(order.signal_id) if order.signal_id else None
            approved = (row.risk or {}).get("notional_usd") if row is not None else None
            if approved is None:
                continue  # an entry is staged with its verdict in one transaction, so this cannot happen
            self.parts.risk.on_entry(order.position_id, order.symbol, Decimal(str(approved)), min(order.ts, now))

    def stop(self, reason: str) -> None:
        self._checkpoint(force=True)
        now = self.last_tick or self.parts.clock.now()
        self.bus.publish(self._event(EventType.ENGINE_STOPPED, now, f"engine stopped: {reason}", {"reason": reason}))

    # -- the loop ------------------------------------------------------------------------------
    def run(
        self,
        feed: Feed,
        *,
        max_trades: int | None = None,
        until: datetime | None = None,
        on_tick: Callable[[Engine], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> RunSummary:
        """Process the feed until it ends, `until` passes, `max_trades` trades have closed, or `should_stop`."""
        self.max_trades = max_trades
        for tick in feed.ticks():
            if should_stop is not None and should_stop():
                self.summary.stopped_by = "interrupted"
                break
            now = tick_time(tick)
            if until is not None and now > until:
                self.summary.stopped_by = "until"
                break
            self.process_tick(tick)
            if on_tick is not None:
                on_tick(self)
            if max_trades is not None and self.summary.entries >= max_trades and not self.book.positions:
                self.summary.stopped_by = "max-trades"
                break
        else:
            self.summary.stopped_by = self.summary.stopped_by or "end of data"
        self._checkpoint(force=True)
        return self.summary

    def process_tick(
        self,
        tick: Tick,
        *,
        due_shadows: Collection[str] | None = None,
        quiet_positions: Collection[str] = (),
    ) -> None:
        """Process one tick. `due_shadows`, when given, are the only open shadows this tick's bars can change, and
        `quiet_positions` open positions they cannot change (a backtest knows both in advance,
        `bigalpha.backtest.wakeups`): the exit policy does not judge those. By default every shadow of the tick's
        symbols and every position is judged."""
        now = tick_time(tick)
        if self.last_tick is not None and now <= self.last_tick:
            return  # already processed before a restart
        if isinstance(self.parts.clock, SimulatedClock):
            self.parts.clock.advance_to(now)
        for snapshot in tick:
            self.router.on_market_reports(self.parts.broker.on_market(snapshot), now)
            self.snapshots[snapshot.symbol] = snapshot
            self.contexts[snapshot.symbol] = self.builder.update(
                snapshot, whale_threshold_usd=self.learned.whale_threshold_usd
            )
            self.whale_probe.observe(snapshot, self.learned.whale_threshold_usd)
            if self.parts.recorder is not None:
                self.parts.recorder.record(snapshot)
        self._send_unsent(now)
        self._pay_funding(now)
        self._check_kill_switch(now)
        self._manage_positions(now, quiet_positions)
        # Strategies run even while the kill switch holds: their signals are refused by the risk gate with the
        # reason, stored and shadowed (L-SHADOW-1 follows every signal), so a halt is visible, not silent.
        for strategy in self.parts.strategies:
            for snapshot in tick:
                for signal in strategy.on_market(snapshot, self.contexts[snapshot.symbol]):
                    self._handle_signal(signal, now)
        self._advance_shadows(now, {snapshot.symbol for snapshot in tick}, due_shadows)
        self.summary.ran_jobs += self.scheduler.run_due(now)
        self.summary.ticks += 1
        self.summary.first_tick = self.summary.first_tick or now
        self.summary.last_tick = now
        self.last_tick = now
        self._checkpoint()
        crash_point("after_tick")

    # -- funding (P-PERP-1) ----------------------------------------------------------------------
    def _pay_funding(self, now: datetime) -> None:
        interval = timedelta(hours=self.settings.positions.perp.funding_interval_hours)
        slot = int((now - _EPOCH) / interval)
        if self.funding_slot is None:
            self.funding_slot = slot
            return
        if slot <= self.funding_slot:
            return
        self.funding_slot = slot
        venue = self.settings.data.exchanges[0]
        for position in list(self.book.positions.values()):
            snapshot = self.snapshots.get(position.symbol)
            if snapshot is None or snapshot.funding is None or position.quantity <= 0:
                continue
            rates = dict(snapshot.funding.value)
            rate = rates.get(venue, next(iter(rates.values()), None))
            if rate is None:
                continue
            with self.bus.transaction() as tx:
                self.book.fund(tx, position, Decimal(repr(snapshot.bar.close)), Decimal(repr(rate)), now)

    # -- kill switch (R-K-*) -------------------------------------------------------------------
    @property
    def is_halted(self) -> bool:
        return self._halted

    def marks(self) -> dict[Symbol, Decimal]:
        return {symbol: Decimal(repr(snapshot.bar.close)) for symbol, snapshot in self.snapshots.items()}

    def equity(self) -> Decimal:
        # Marks only price open positions: a flat book (most of a backtest's ticks) needs none converted.
        return self.book.equity(self.marks() if self.book.positions else {})

    def _check_kill_switch(self, now: datetime) -> None:
        unrealized = self.equity() - self.book.wallet.balance
        check = self.parts.risk.kill_switch(unrealized, self.contexts, now)
        self._halted = check.halted
        if check.flatten:
            for position in list(self.book.positions.values()):
                self._exit(position, position.quantity, "flatten", now)

    # -- exits -----------------------------------------------------------------------------------
    def _manage_positions(self, now: datetime, quiet: Collection[str] = ()) -> None:
        if not self.book.positions:
            return  # nothing to manage: skip the store query (a backtest's flat bars stay cheap)
        working = self.store.working_position_ids()
        for position in list(self.book.positions.values()):
            if position.id in working or position.id in quiet or position.quantity <= 0:
                continue
            context = self.contexts.get(position.symbol)
            snapshot = self.snapshots.get(position.symbol)
            if context is None or snapshot is None or now <= position.opened_at:
                continue
            try:
                plan = self.parts.exit_policy(
                    position, context, snapshot.bar, now, self.exit_states.get(position.id, {})
                )
            except ValueError as error:
                # A position the exit policy cannot judge must not stop the engine (or the other positions).
                log.error("exit policy refused position %s: %s", position.id, error)
                continue
            state = dict(plan.state)
            if plan.events or state != self.exit_states.get(position.id):
                with self.bus.transaction() as tx:
                    for event in plan.events:
                        tx.publish(event)
                    tx.tx.set_state(EXIT_STATE_PREFIX + position.id, state, now)
                self.exit_states[position.id] = state
            remaining = position.quantity
            for action in plan.actions:
                quantity = min(action.quantity, remaining)
                if quantity <= 0:
                    continue
                self._exit(position, quantity, action.reason, now)
                remaining -= quantity

    def _exit(self, position: Position, quantity: Decimal, reason: str, now: datetime) -> None:
        count = self.store.count_orders(position_id=position.id)
        order = Order(
            client_order_id=ClientOrderId(f"{position.id}-x{count}"),
            ts=now,
            symbol=position.symbol,
            side=position.side.exit_order_side,
            type=OrderType.MARKET,
            quantity=quantity,
            account=position.account,
            reduce_only=True,
            signal_id=position.signal_id,
            position_id=position.id,
            tag=reason,
        )
        with self.router.staging(order) as tx:
            tx.publish(
                Event(
                    id=EventId(f"evt-exit-{order.client_order_id}"),
                    ts=now,
                    type=EventType.ORDER_SUBMITTED,
                    source="engine",
                    symbol=position.symbol,
                    side=position.side,
                    message=f"exit {reason}: {quantity} of {position.symbol}",
                    data={"position_id": position.id, "reason": reason, "quantity": quantity},
                )
            )
        self.router.send(order, crash_name="before_exit_submit")

    # -- entries ---------------------------------------------------------------------------------
    def _handle_signal(self, signal: Signal, now: datetime) -> None:
        if signal.id in self.handled_signals:
            return  # handled before a restart
        self.summary.signals += 1
        # A backtest may leave estimates no strategy reads for the decisions that do (`ContextBuilder.complete`).
        context = self.contexts[signal.symbol] = self.builder.complete(self.contexts[signal.symbol])
        verdict = gate_evaluate(signal, context, self.settings.gate, self.learned)
        gate_events = verdict_events(signal, verdict)
        entry_price = Decimal(repr(signal.price))
        if not verdict.allowed:
            shadow_plan = self.parts.entry_planner(signal, verdict, context, entry_price, Decimal(1), now)
            self._record_refusal(
                signal,
                verdict,
                gate_events,
                plan_blocked_by=str(verdict.blocked_by),
                risk=None,
                now=now,
                plan=shadow_plan,
            )
            return
        notional = self.parts.risk.size(signal, verdict, context)
        outcome = self._one_way(signal) or self.parts.risk.check(signal, context, notional, now)
        decision = outcome.decision
        quantity = self._quantity(decision.notional_usd, entry_price) if decision.approved else Decimal(0)
        risk_record = {
            "approved": decision.approved,
            "layer": decision.layer,
            "reason": decision.reason,
            "notional_usd": decision.notional_usd,
            "multiplier": decision.multiplier,
            "message": decision.message,
            "evidence": dict(decision.evidence),
        }
        if (
            not decision.approved
            or quantity <= 0
            or (self.max_trades is not None and self.summary.entries >= self.max_trades)
        ):
            if decision.reason is DenyReason.INPUT_UNAVAILABLE:
                self._count_missing(decision.evidence)
            blocked = f"risk:{decision.reason}" if not decision.approved else "risk:quantity"
            shadow_plan = self.parts.entry_planner(signal, verdict, context, entry_price, Decimal(1), now)
            self._record_refusal(
                signal,
                verdict,
                [*gate_events, *outcome.events],
                plan_blocked_by=blocked,
                risk=risk_record,
                now=now,
                plan=shadow_plan,
            )
            return
        plan = self.parts.entry_planner(signal, verdict, context, entry_price, quantity, now)
        position_id = PositionId(f"pos-{signal.id.removeprefix('sig-')}")
        order = Order(
            client_order_id=ClientOrderId(f"{position_id}-entry"),
            ts=now,
            symbol=signal.symbol,
            side=signal.side.entry_order_side,
            type=OrderType.MARKET,
            quantity=quantity,
            account=AccountName(self.settings.risk.trading_account),
            signal_id=signal.id,
            position_id=position_id,
            tag="entry",
        )
        with self.router.staging(order) as tx:
            tx.tx.add_signal(signal)
            tx.tx.add_verdict(verdict, now, risk=risk_record)
            tx.publish(self._signal_event(signal, verdict, risk_record))
            for event in [*gate_events, *outcome.events, *plan.events]:
                tx.publish(event)
            tx.tx.set_state(
                PLAN_PREFIX + position_id,
                plan_to_state(
                    plan,
                    signal.side,
                    signal.symbol,
                    self.settings.positions.perp.leverage,
                    self.settings.risk.trading_account,
                    signal.strategy,
                    signal.id,
                ),
                now,
            )
            tx.tx.set_state(EXIT_STATE_PREFIX + position_id, dict(plan.state), now)
            shadow = open_shadow(signal, plan, blocked_by=None, position_id=position_id)
            shadow.state[CANDIDATES_KEY] = self.whale_probe.candidates(signal.symbol)
            tx.tx.add_shadow(shadow)
        self.handled_signals.add(signal.id)
        self.open_shadows[shadow.id] = shadow
        self.exit_states[position_id] = dict(plan.state)
        self.parts.risk.on_entry(position_id, signal.symbol, decision.notional_usd, now)
        self.summary.entries += 1
        self.router.send(order)

    def _count_missing(self, evidence: Mapping[str, object]) -> None:
        why = evidence.get("unavailable") or evidence.get("problem")
        key = f"{evidence.get('rule')} {evidence.get('input')}" + (f": {why}" if why else "")
        self.summary.missing_inputs[key] = self.summary.missing_inputs.get(key, 0) + 1

    def _one_way(self, signal: Signal) -> RiskOutcome | None:
        """Perpetual accounts trade in one-way mode (the liquidation formula assumes it): a symbol holds a long
        or a short, never both, so a signal against an open position is refused."""
        opposite = [p for p in self.book.positions.values() if p.symbol == signal.symbol and p.side is not signal.side]
        if not opposite:
            return None
        decision = RiskDecision(
            approved=False,
            notional_usd=Decimal(0),
            layer=RiskLayer.GLOBAL,
            reason=DenyReason.OPPOSITE_POSITION_OPEN,
            message=f"{signal.symbol} has an open {opposite[0].side.value} position ({opposite[0].id})",
        )
        return RiskOutcome(decision, ())

    def _record_refusal(
        self,
        signal: Signal,
        verdict: Verdict,
        events: Iterable[Event],
        *,
        plan_blocked_by: str,
        risk: dict[str, Any] | None,
        now: datetime,
        plan: Any,
    ) -> None:
        with self.bus.transaction() as tx:
            tx.tx.add_signal(signal)
            tx.tx.add_verdict(verdict, now, risk=risk)
            tx.publish(self._signal_event(signal, verdict, risk))
            for event in events:
                tx.publish(event)
            shadow = open_shadow(signal, plan, blocked_by=plan_blocked_by, position_id=None)
            shadow.state[CANDIDATES_KEY] = self.whale_probe.candidates(signal.symbol)
            tx.tx.add_shadow(shadow)
        self.handled_signals.add(signal.id)
        self.open_shadows[shadow.id] = shadow

    def _quantity(self, notional: Decimal, price: Decimal) -> Decimal:
        step = self.settings.execution.quantity_step
        if price <= 0:
            return Decimal(0)
        return (notional / price / step).to_integral_value(rounding=ROUND_DOWN) * step

    def _on_fills(self, tx: Any, order: Order, fills: list[Any]) -> None:
        at = order.ts if not fills else fills[-1].ts
        position, _opened, closed = self.book.apply_fills(tx, order, fills, at, self._levels_at_fill)
        if closed:
            self.summary.closed += 1
            self._closed_pending.append(position)
            self.exit_states.pop(position.id, None)

    def _send_unsent(self, now: datetime) -> None:
        """Send the orders a crash left stored but unsent, now that the broker has this tick's market data."""
        for order in self._unsent:
            self.router.record(order, self.parts.broker.submit(order), at=now)
        self._unsent = []

    def _levels_at_fill(self, order: Order, price: Decimal) -> tuple[Decimal, tuple[Decimal, ...]] | None:
        """Stop and targets planned again from the entry's average fill price (P-STOP-1, P-LADDER-1, P-WALL-1 keep
        their distances from the price actually paid); None keeps the current levels."""
        signal = self.store.get_signal(order.signal_id) if order.signal_id else None
        context = self.contexts.get(order.symbol)
        if signal is None or context is None:
            return None
        context = self.builder.complete(context)  # the walls a backtest may leave for the decisions that read them
        verdict = Verdict(signal_id=signal.id, allowed=True, size_multiplier=1.0, outcomes=())
        try:
            plan = self.parts.entry_planner(signal, verdict, context, price, order.quantity, max(order.ts, context.ts))
        except ValueError as error:
            log.warning("entry %s keeps its planned levels: %s", order.client_order_id, error)
            return None
        return plan.stop_price, plan.targets

    def _after_fills(self) -> None:
        # The risk account learns of a close after the fill's transaction commits: it may write latches itself.
        # Before start-up has restored the account, the restore itself reads these closes from the store.
        while self._closed_pending and self._started:
            position = self._closed_pending.pop(0)
            self.parts.risk.on_close(position, position.closed_at or position.opened_at)

    # -- shadows (L-SHADOW-1) --------------------------------------------------------------------
    def _advance_shadows(self, now: datetime, fresh: set[Symbol], due: Collection[str] | None) -> None:
        """Apply this tick's bars to the open shadows. A shadow is judged on its own symbol's new bar only: a tick
        without that symbol brings no bar for it (re-judging an older bar at a later time would be a second look)."""
        open_shadows = self.open_shadows
        if due is None:
            candidates = [shadow for shadow in open_shadows.values() if shadow.symbol in fresh]
        else:
            # A backtest names the few shadows this tick can change: look those up, not every open shadow.
            candidates = [
                s for shadow_id in due if (s := open_shadows.get(shadow_id)) is not None and s.symbol in fresh
            ]
        closed: list[Shadow] = []
        for shadow in candidates:
            context = self.contexts.get(Symbol(shadow.symbol))
            snapshot = self.snapshots.get(Symbol(shadow.symbol))
            if context is None or snapshot is None:
                continue
            if advance_shadow(shadow, self.parts.exit_policy, context, snapshot.bar, now):
                closed.append(shadow)
        if len(closed) > 1 and due is not None:
            # `due` is a set: store the closes in the open shadows' order, as a pass over all of them does.
            rank = {shadow_id: k for k, shadow_id in enumerate(open_shadows)}
            closed.sort(key=lambda shadow: rank[shadow.id])
        for shadow in closed:
            del open_shadows[shadow.id]
        if closed:
            with self.store.transaction() as tx:
                for shadow in closed:
                    tx.save_shadow(shadow)

    def close_shadows(self, now: datetime, reason: str) -> None:
        """Close every open shadow at the last price (end of a backtest)."""
        with self.store.transaction() as tx:
            for shadow_id, shadow in list(self.open_shadows.items()):
                snapshot = self.snapshots.get(Symbol(shadow.symbol))
                if snapshot is not None:
                    force_close(shadow, snapshot.bar.close, now, reason)
                    tx.save_shadow(shadow)
                    del self.open_shadows[shadow_id]

    # -- persistence -----------------------------------------------------------------------------
    def _checkpoint(self, *, force: bool = False) -> None:
        self._ticks_since_checkpoint += 1
        if not force and self._ticks_since_checkpoint < self.parts.checkpoint_every:
            return
        self._ticks_since_checkpoint = 0
        if self.last_tick is None:
            return
        # Written after every tick in paper, test and live: the builder's part is assembled from texts written
        # once per bar (`state_text`); the whole is the text `dumps` would write of the state as one dict.
        parts: list[tuple[str, Any]] = [
            ("last_tick", self.last_tick.isoformat()),
            ("builder", self.builder.state_text()),
            ("learned", self.learned.to_dict()),
            ("strategies", {strategy.name: strategy.state_dict() for strategy in self.parts.strategies}),
            ("scheduler", self.scheduler.state_dict()),
            ("funding_slot", self.funding_slot),
            ("shadows", [shadow.to_dict() for shadow in self.open_shadows.values()]),
            ("whale_probe", self.whale_probe.state_dict()),
        ]
        state = JsonText(json_object_text([(name, dumps(value)) for name, value in parts]))
        self.store.set_state(ENGINE_KEY, state, self.last_tick)

    # -- events ----------------------------------------------------------------------------------
    def _signal_event(self, signal: Signal, verdict: Verdict, risk: dict[str, Any] | None) -> Event:
        approved = verdict.allowed and (risk is None or bool(risk.get("approved")))
        return Event(
            id=EventId(f"evt-signal-{signal.id}"),
            ts=signal.ts,
            type=EventType.VERDICT,
            source="engine",
            symbol=signal.symbol,
            side=signal.side,
            message=(
                f"{signal.strategy} {signal.side.value} {signal.symbol}: "
                + ("taken" if approved else f"refused ({verdict.reason or (risk or {}).get('reason')})")
            ),
            data={
                "signal_id": signal.id,
                "allowed": verdict.allowed,
                "size_multiplier": verdict.size_multiplier,
                "blocked_by": verdict.blocked_by,
                "reason": verdict.reason,
                "risk": risk,
                "conviction": signal.conviction,
            },
        )

    def _event(self, kind: EventType, at: datetime, message: str, data: dict[str, Any]) -> Event:
        return Event(id=EventId(new_id("evt")), ts=at, type=kind, source="engine", message=message, data=data)
