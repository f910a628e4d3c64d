"""`backtest.supervision`'s parts alone: the delays, the acts' order and moments, and the latches' summary."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bigalpha.backtest.supervision import SUPERVISOR, Supervision, Supervisor, latch_periods, latch_summary
from bigalpha.bus import SignalBus
from bigalpha.config import Settings
from bigalpha.domain import Event, EventId, EventType
from bigalpha.risk.kill_switch import load_kill_switch, trip_kill_switch
from bigalpha.risk.latches import KillCause
from bigalpha.risk.rebuild import load_pause
from bigalpha.store import Store

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[SignalBus]:
    store = Store.open(Settings(), url=f"sqlite:///{tmp_path / 's.db'}")
    try:
        yield SignalBus(store)
    finally:
        store.close()


def _latch(bus: SignalBus, kind: EventType, at: datetime) -> None:
    bus.publish(Event(id=EventId(f"evt-{kind.value}-{at.isoformat()}"), ts=at, type=kind, source="test", message=""))


def test_a_delay_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="resume_after"):
        Supervision(resume_after=timedelta(minutes=-1))
    assert not Supervision().attended
    assert Supervision(reset_after=timedelta(0)).attended


def test_the_supervisor_acts_once_the_delay_has_passed_at_the_moment_it_ends(bus: SignalBus) -> None:
    """R-M-3, R-K-4: the pause is resumed and the switch reset through the CLI's own functions, stamped with the
    moment each delay ends, in time order, and the risk gate is told to re-read its latches."""
    told: list[bool] = []
    supervisor = Supervisor(
        Supervision(resume_after=timedelta(hours=3), reset_after=timedelta(hours=1)), bus, lambda: told.append(True)
    )
    _latch(bus, EventType.TRADING_PAUSED, T0)
    trip_kill_switch(bus, KillCause.SESSION_DRAWDOWN, "R-K-1 test", "engine", T0 + timedelta(minutes=30))
    assert supervisor.act(T0 + timedelta(minutes=89)) == 0
    assert not told
    assert supervisor.act(T0 + timedelta(hours=4)) == 2
    assert told == [True]
    switch = load_kill_switch(bus.store)
    assert not switch.tripped
    assert (switch.reset_at, switch.reset_by) == (T0 + timedelta(minutes=90), SUPERVISOR)
    pause = load_pause(bus.store)
    assert (pause.paused, pause.resumed_at, pause.resumed_by) == (False, T0 + timedelta(hours=3), SUPERVISOR)
    lifted = [e.type for _seq, e in bus.store.events(types=["KILL_SWITCH_RESET", "TRADING_RESUMED"])]
    assert lifted == [EventType.KILL_SWITCH_RESET, EventType.TRADING_RESUMED]  # in the order they fell due
    assert supervisor.act(T0 + timedelta(days=1)) == 0
    periods = latch_periods(bus.store)
    assert [(p.latch, p.lifted_by) for p in periods] == [("paused", SUPERVISOR), ("kill_switch", SUPERVISOR)]
    assert periods[1].reason == "R-K-1 test"


def test_a_latch_without_a_delay_is_left_to_hold(bus: SignalBus) -> None:
    supervisor = Supervisor(Supervision(resume_after=timedelta(hours=1)), bus, lambda: None)
    trip_kill_switch(bus, KillCause.MANUAL, "test", "engine", T0)
    assert supervisor.act(T0 + timedelta(days=30)) == 0
    assert load_kill_switch(bus.store).tripped
    supervisor.close()
    _latch(bus, EventType.TRADING_PAUSED, T0 + timedelta(hours=1))
    assert supervisor.act(T0 + timedelta(days=30)) == 0  # closed: it hears nothing more


def test_the_latch_summary_counts_each_latch_and_the_share_of_the_span_it_held(bus: SignalBus) -> None:
    start, end = T0, T0 + timedelta(hours=10)
    _latch(bus, EventType.TRADING_PAUSED, T0 + timedelta(hours=1))
    _latch(bus, EventType.TRADING_RESUMED, T0 + timedelta(hours=3))
    _latch(bus, EventType.TRADING_PAUSED, T0 + timedelta(hours=9))  # held to the end
    _latch(bus, EventType.KILL_SWITCH_TRIPPED, T0 + timedelta(hours=5))
    _latch(bus, EventType.KILL_SWITCH_RESET, T0 + timedelta(hours=6))
    periods = latch_periods(bus.store)
    assert [(p.latch, p.began, p.ended) for p in periods] == [
        ("paused", T0 + timedelta(hours=1), T0 + timedelta(hours=3)),
        ("kill_switch", T0 + timedelta(hours=5), T0 + timedelta(hours=6)),
        ("paused", T0 + timedelta(hours=9), None),
    ]
    assert latch_summary(periods, start, end) == {
        "paused_times": 2,
        "paused_pct": pytest.approx(30.0),
        "kill_switch_times": 1,
        "kill_switch_pct": pytest.approx(10.0),
    }
    assert latch_summary(periods, end, end)["paused_pct"] == 0.0  # an empty span holds nothing
