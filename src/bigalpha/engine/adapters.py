"""Binds the engine's decision seams to the position manager (`bigalpha.positions`).

The risk seam's adapter lives in `risk_adapter.py`. Both translate between the engine's small result
types and the rule modules' own, so neither side depends on the other's internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bigalpha.config import Settings
from bigalpha.domain import Bar, Position, Signal, Verdict
from bigalpha.engine.policies import EntryPlan, ExitAction, ExitPlan
from bigalpha.indicators.context import MarketContext
from bigalpha.positions import HoldState, evaluate_exits, plan_entry
from bigalpha.strategies.setups import hold_window


class PositionEntryPlanner:
    """P-STOP-1, P-LADDER-1, P-WALL-1, P-META-1 at entry."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.config = settings.positions

    def __call__(
        self,
        signal: Signal,
        verdict: Verdict,
        context: MarketContext,
        entry_price: Decimal,
        quantity: Decimal,
        now: datetime,
    ) -> EntryPlan:
        # A setup's own holding window (S-XRP-SQ: 45–60 s); the exit policy enforces its end as MAX_HOLD.
        window = hold_window(signal.strategy, self.settings)
        max_hold = timedelta(seconds=window.max_s) if window is not None else None
        plan = plan_entry(signal, context, entry_price, quantity, self.config, now, verdict=verdict, max_hold=max_hold)
        return EntryPlan(plan.stop_price, plan.targets, plan.meta, plan.events, _FIRST_HOLDS.dump(plan.hold_state))


_HOLD_MEMO_SIZE = 4096
"""Positions and shadows whose last hold state is remembered: more than are ever open at once."""
_FIRST_HOLDS_SIZE = 64
"""Distinct first hold states remembered: a few hold levels times the setups' max holds."""


class _FirstHolds:
    """The hold states positions start with, and their JSON dumps.

    `initial_hold_state` hands out one shared instance per distinct first state, and every entry (each signal's
    shadow too) starts from one of a few: dumping it again, and parsing the dump again on the position's first
    bar, are most of the cost of a refused signal's plans. A dump is remembered by the identity of the state it
    was made from (kept alive here, so its id cannot be reused), and handed out as a fresh copy; a state equal to
    a remembered dump is the state it was dumped from (states without times round-trip exactly), the same
    equality the exit policy's own memo relies on."""

    def __init__(self) -> None:
        self._dumps: dict[int, tuple[HoldState, dict[str, Any]]] = {}

    def dump(self, hold: HoldState) -> dict[str, Any]:
        known = self._dumps.get(id(hold))
        if known is None or known[0] is not hold:
            data = hold.to_dict()
            if hold.last_bar_ts is not None or hold.released_at is not None or hold.max_pain_hit_at is not None:
                return data  # not a first state: its times may print in more than one way
            known = self._dumps[id(hold)] = (hold, data)
            if len(self._dumps) > _FIRST_HOLDS_SIZE:
                del self._dumps[next(iter(self._dumps))]
        return _copy(known[1])

    def parse(self, state: Mapping[str, Any]) -> tuple[HoldState, dict[str, Any]]:
        """The state a dict holds, and a fresh copy of its dump when it is a remembered first state ({} if not)."""
        for hold, data in self._dumps.values():
            if data == state:
                return hold, _copy(data)
        return HoldState.from_dict(state), {}


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    """A dump's copy that shares no list with it."""
    return {key: list(value) if isinstance(value, list) else value for key, value in data.items()}


_FIRST_HOLDS = _FirstHolds()


class PositionExitPolicy:
    """P-STOP-1, P-LADDER-1, P-HOLD-1, P-HOLD-2 on every bar.

    The engine persists the hold state as the JSON-ready dict `HoldState.to_dict` makes, and hands it back on
    the next bar. Parsing that dict again (and dumping an unchanged state again) is most of the cost of a bar,
    so the policy remembers, per position, the dict it last returned (a private copy) and the `HoldState` it
    was dumped from: a state equal to that dict is that `HoldState`, and a state the rules left unchanged (the
    same object) is that dict. The remembered state and a re-parsed one differ only in their datetimes'
    `tzinfo` object (pydantic's UTC for the standard library's), which compare, print and dump the same;
    `tests/unit/positions/test_pos_exit_policy_memo.py` checks the plans equal the unremembered ones."""

    def __init__(self, settings: Settings, *, emergency: str | None = None) -> None:
        self.config = settings.positions
        self.emergency = emergency
        # position id → (the dict last returned for it, the state it was dumped from); least recently used first
        self._holds: dict[str, tuple[dict[str, Any], HoldState]] = {}

    def __call__(
        self, position: Position, context: MarketContext, bar: Bar, now: datetime, state: Mapping[str, Any]
    ) -> ExitPlan:
        key = str(position.id)
        remembered = self._holds.pop(key, None)
        if remembered is not None and remembered[0] == state:
            data, hold = remembered
        else:
            hold, data = _FIRST_HOLDS.parse(state) if state else (HoldState(), {})
        decision = evaluate_exits(position, context, bar, now, self.config, hold, emergency=self.emergency)
        actions = tuple([ExitAction(a.quantity, a.tag, a.trigger_price) for a in decision.actions])
        new = decision.hold_state
        if new is not hold or not data:
            data = new.to_dict()
        self._holds[key] = (data, new)
        if len(self._holds) > _HOLD_MEMO_SIZE:
            del self._holds[next(iter(self._holds))]
        return ExitPlan(actions, decision.events, dict(data))
