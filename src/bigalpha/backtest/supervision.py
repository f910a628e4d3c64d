"""A person at the desk, as a backtest models one, and how long the run's latches held (R-M-3, R-K-4).

Live, two latches wait for a person: an R-M-3 pause (two consecutive losses) holds until someone runs
`bigalpha resume`, and a tripped kill switch (R-K-1…3) until someone runs `bigalpha kill-switch reset`. A
backtest has nobody at the desk, so by default a latch holds to the end of the run. That is faithful, but a
year's backtest whose second day ends in two losses then measures only refusals. `Supervision` models a person
who resumes trading `resume_after` after a pause began and resets the kill switch `reset_after` after it
tripped, through the functions those CLI commands call, each act stamped with its own moment.

`Supervisor` hears each pause and trip as the engine publishes it (the signal bus) and acts before the engine is
shown the first tick at or after the moment its delay ends; the backtest shows that tick with every symbol, as a
run shown every bar does (a switch reset while the health factor is still critical trips again there). A
backtest shows the engine only the ticks where something can happen, and nothing a latch governs (an entry)
happens on a tick it is not shown, so acting there is acting at that moment: a run shown every bar acts on the
same moments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from bigalpha.backtest.contexts import epoch_ns
from bigalpha.bus import SignalBus
from bigalpha.domain import DenyReason, Event, EventType
from bigalpha.risk.kill_switch import reset_kill_switch
from bigalpha.risk.rebuild import resume_trading
from bigalpha.store import Store

SUPERVISOR = "backtest:supervisor"
_NEVER_NS = 2**63 - 1
# The events that start and end each latch, in the store's table of events.
_LATCH_EVENTS = {
    "paused": (EventType.TRADING_PAUSED, EventType.TRADING_RESUMED),
    "kill_switch": (EventType.KILL_SWITCH_TRIPPED, EventType.KILL_SWITCH_RESET),
}
_PAGE = 1000  # events read at a time when the run's latches are summed up


@dataclass(frozen=True)
class Supervision:
    """The delays after which a simulated person acts; None: never (nobody at the desk, the default)."""

    resume_after: timedelta | None = None  # R-M-3: `bigalpha resume`, this long after the pause began
    reset_after: timedelta | None = None  # R-K-4: `bigalpha kill-switch reset`, this long after the trip

    def __post_init__(self) -> None:
        for name, delay in (("resume_after", self.resume_after), ("reset_after", self.reset_after)):
            if delay is not None and delay < timedelta(0):
                raise ValueError(f"{name}: a person cannot act before the latch, got {delay}")

    @property
    def attended(self) -> bool:
        return self.resume_after is not None or self.reset_after is not None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "resume_after_s": None if self.resume_after is None else self.resume_after.total_seconds(),
            "reset_after_s": None if self.reset_after is None else self.reset_after.total_seconds(),
        }


class Supervisor:
    """Carries out a `Supervision` on an engine's bus (see the module's docstring)."""

    def __init__(self, supervision: Supervision, bus: SignalBus, latches_changed: Callable[[], None]) -> None:
        self._supervision = supervision
        self._bus = bus
        self._latches_changed = latches_changed
        self._pending: list[tuple[datetime, EventType]] = []  # (moment to act, the latch's event), as heard
        self.next_due_ns = _NEVER_NS  # the earliest pending moment, in epoch nanoseconds (the loop compares ints)
        heard: set[EventType | DenyReason] = set()
        if supervision.resume_after is not None:
            heard.add(EventType.TRADING_PAUSED)
        if supervision.reset_after is not None:
            heard.add(EventType.KILL_SWITCH_TRIPPED)
        # `subscribe` takes no types as every type: a supervision with no delay hears nothing.
        self._unsubscribe = bus.subscribe(self._heard, heard) if heard else None

    def _heard(self, event: Event) -> None:
        # Subscribed to these two types only, and each only when its delay is set.
        paused = event.type is EventType.TRADING_PAUSED
        delay = self._supervision.resume_after if paused else self._supervision.reset_after
        if delay is None:
            return
        self._pending.append((event.ts + delay, EventType.TRADING_PAUSED if paused else EventType.KILL_SWITCH_TRIPPED))
        self.next_due_ns = min(self.next_due_ns, epoch_ns(event.ts + delay))

    def act(self, now: datetime) -> int:
        """Carry out, in time order, every act due by `now`, each at its own moment; the number carried out."""
        due = sorted((item for item in self._pending if item[0] <= now), key=lambda item: item[0])  # ties: as heard
        if not due:
            return 0
        self._pending = [item for item in self._pending if item[0] > now]
        self.next_due_ns = min((epoch_ns(moment) for moment, _ in self._pending), default=_NEVER_NS)
        for moment, latch in due:
            if latch is EventType.TRADING_PAUSED:
                resume_trading(
                    self._bus, SUPERVISOR, f"simulated person, {self._supervision.resume_after} after the pause", moment
                )
            else:
                reset_kill_switch(
                    self._bus, SUPERVISOR, f"simulated person, {self._supervision.reset_after} after the trip", moment
                )
        self._latches_changed()  # the engine re-reads the latches at its next tick, as after a CLI command
        return len(due)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


@dataclass(frozen=True)
class LatchPeriod:
    """One spell of a latch: from the event that set it to the one that lifted it (None: held to the end)."""

    latch: str  # "paused" (R-M-3) or "kill_switch" (R-K-1…4)
    began: datetime
    ended: datetime | None
    reason: str
    lifted_by: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "latch": self.latch,
            "from": self.began.isoformat(),
            "to": None if self.ended is None else self.ended.isoformat(),
            "reason": self.reason,
            "lifted_by": self.lifted_by,
        }


def latch_periods(store: Store) -> list[LatchPeriod]:
    """Every spell of the R-M-3 pause and of the kill switch in the store's events, by start time."""
    periods: list[LatchPeriod] = []
    for name, (on, off) in _LATCH_EVENTS.items():
        began: Event | None = None
        for event in _events(store, (on, off)):
            if event.type is on and began is None:
                began = event
            elif event.type is off and began is not None:
                periods.append(_period(name, began, event))
                began = None
        if began is not None:
            periods.append(_period(name, began, None))
    return sorted(periods, key=lambda period: period.began)


def _period(name: str, began: Event, ended: Event | None) -> LatchPeriod:
    reason = str(began.data.get("reason") or began.message)
    lifted_by = None
    if ended is not None:
        lifted_by = str(ended.data.get("resumed_by") or ended.data.get("reset_by") or "") or None
    return LatchPeriod(name, began.ts, None if ended is None else ended.ts, reason, lifted_by)


def latch_summary(periods: list[LatchPeriod], start: datetime, end: datetime) -> dict[str, float | int]:
    """How often the R-M-3 pause and the kill switch latched over [start, end], and the share of that span each
    held (a spell still held at the end counts to `end`)."""
    span = (end - start).total_seconds()
    out: dict[str, float | int] = {}
    for name in _LATCH_EVENTS:
        spells = [period for period in periods if period.latch == name]
        held_s = sum(
            max(0.0, (min(period.ended or end, end) - max(period.began, start)).total_seconds()) for period in spells
        )
        out[f"{name}_times"] = len(spells)
        out[f"{name}_pct"] = 100.0 * held_s / span if span > 0 else 0.0
    return out


def _events(store: Store, types: tuple[EventType, EventType]) -> Iterator[Event]:
    after = 0
    while True:
        page = store.events(after_seq=after, types=[t.value for t in types], limit=_PAGE)
        yield from (event for _, event in page)
        if len(page) < _PAGE:
            return
        after = page[-1][0]
