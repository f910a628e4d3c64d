"""A person modelled at the desk of a backtest (`backtest.supervision`): R-M-3's pause is resumed and R-K-4's
kill switch reset after the delays given, through the functions `bigalpha resume` and `bigalpha kill-switch
reset` call, at the moment each delay ends; and a run shown only its decision bars acts exactly as one shown
every bar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bigalpha.backtest.market import Market, sim_market
from bigalpha.backtest.runner import run_whole_bot
from bigalpha.backtest.supervision import SUPERVISOR, Supervision
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.domain import DenyReason, Event, EventType
from bigalpha.store import Store

# On this market (ETH, seed 7) two losses pause trading on the first day, and with a person resuming after an
# hour, the fifth loss in a row trips the kill switch (R-K-2) on the fourth.
RESUME, RESET = timedelta(hours=1), timedelta(hours=2)
LATCHES = ["TRADING_PAUSED", "TRADING_RESUMED", "KILL_SWITCH_TRIPPED", "KILL_SWITCH_RESET"]


@pytest.fixture(scope="module")
def market() -> Market:
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 5)
    return sim_market(dataset, "sim", Settings().indicators.ofi_book_levels)


def _events(path: Path, types: list[str] | None = None) -> list[Event]:
    store = Store.open(Settings(), url=f"sqlite:///{path}")
    try:
        return [event for _seq, event in store.events(types=types, limit=10**6)]
    finally:
        store.close()


def test_unattended_the_first_pause_holds_to_the_end(market: Market, tmp_path: Path) -> None:
    """R-M-3: trading stops until a person resumes it, and a backtest has none unless one is modelled."""
    result = run_whole_bot(Settings(), market, tmp_path / "alone.db")
    latches = _events(tmp_path / "alone.db", LATCHES)
    assert [event.type for event in latches] == [EventType.TRADING_PAUSED]
    paused_at = latches[0].ts
    assert all(trade.entry_time <= paused_at for trade in result.trades)
    denied = _events(tmp_path / "alone.db", ["RISK_DENIED"])
    refused = [e for e in denied if e.data.get("reason") == DenyReason.PAUSED_AFTER_LOSSES.value]
    assert refused, "the signals the gate allows after the pause are refused by R-M-3"
    assert all(e.ts > paused_at for e in refused)
    end = datetime.fromtimestamp(int(market.tick_ns[-1]) / 1e9, UTC)
    start = datetime.fromtimestamp(int(market.tick_ns[0]) / 1e9, UTC)
    assert result.extra["paused_times"] == 1
    assert result.extra["paused_pct"] == pytest.approx(100 * (end - paused_at) / (end - start))
    assert result.extra["kill_switch_times"] == 0
    assert result.extra["kill_switch_pct"] == 0.0


def test_a_person_resumes_each_pause_and_resets_each_trip_after_the_delay(market: Market, tmp_path: Path) -> None:
    """R-M-3, R-K-4: each resume comes `resume_after` after its pause, each reset `reset_after` after its trip,
    by the simulated person, and trading goes on after them."""
    supervision = Supervision(resume_after=RESUME, reset_after=RESET)
    result = run_whole_bot(Settings(), market, tmp_path / "attended.db", supervision=supervision)
    latches = _events(tmp_path / "attended.db", LATCHES)
    pauses = [e for e in latches if e.type is EventType.TRADING_PAUSED]
    resumes = [e for e in latches if e.type is EventType.TRADING_RESUMED]
    trips = [e for e in latches if e.type is EventType.KILL_SWITCH_TRIPPED]
    resets = [e for e in latches if e.type is EventType.KILL_SWITCH_RESET]
    assert len(pauses) >= 2
    assert len(trips) >= 1
    assert [e.ts for e in resumes] == [e.ts + RESUME for e in pauses][: len(resumes)]
    assert [e.ts for e in resets] == [e.ts + RESET for e in trips][: len(resets)]
    assert all(e.data["resumed_by"] == SUPERVISOR for e in resumes)
    assert all(e.data["reset_by"] == SUPERVISOR for e in resets)
    assert any(trade.entry_time > resumes[0].ts for trade in result.trades), "trading goes on after a resume"
    assert result.extra["paused_times"] == len(pauses)
    assert result.extra["kill_switch_times"] == len(trips)
    assert result.extra["supervision"] == {"resume_after_s": 3600.0, "reset_after_s": 7200.0}


@pytest.mark.no_cover  # a run-equality test at scale: see tests/conftest.py
def test_a_supervised_run_shown_decision_bars_equals_one_shown_every_bar(market: Market, tmp_path: Path) -> None:
    """The person acts before the first tick shown at or after the moment, stamped with that moment: showing the
    engine every bar changes nothing (trades, guard table, latches and every event's time and kind)."""
    supervision = Supervision(resume_after=RESUME, reset_after=RESET)
    sparse = run_whole_bot(Settings(), market, tmp_path / "sparse.db", supervision=supervision)
    dense = run_whole_bot(Settings(), market, tmp_path / "dense.db", supervision=supervision, dense=True)
    assert sparse.trades == dense.trades
    assert sparse.guards == dense.guards
    keys = ("paused_times", "paused_pct", "kill_switch_times", "kill_switch_pct", "signals")
    assert {k: sparse.extra[k] for k in keys} == {k: dense.extra[k] for k in keys}

    def kinds(path: Path) -> list[tuple[datetime, str, str]]:
        return sorted((e.ts, str(e.type), e.message) for e in _events(path))

    assert kinds(tmp_path / "sparse.db") == kinds(tmp_path / "dense.db")


def test_a_reset_while_the_health_factor_is_still_critical_trips_again_as_in_a_run_shown_every_bar(
    tmp_path: Path,
) -> None:
    """R-K-3 and R-K-4: seed 29's health factor stays below 2.00 for nine minutes; a person resetting the switch
    five minutes after it tripped finds it still critical, and the switch trips again at that very moment, in the
    run shown only its decision bars as in the run shown every bar (that tick shows every symbol)."""
    settings = Settings()
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=29, start=datetime(2024, 1, 1, tzinfo=UTC), symbols=symbols), 2)
    market = sim_market(dataset, "sim", settings.indicators.ofi_book_levels)
    supervision = Supervision(resume_after=RESUME, reset_after=timedelta(minutes=5))
    sparse = run_whole_bot(settings, market, tmp_path / "sparse.db", supervision=supervision)
    dense = run_whole_bot(settings, market, tmp_path / "dense.db", supervision=supervision, dense=True)
    latches = [(e.ts, e.type) for e in _events(tmp_path / "dense.db", LATCHES)]
    trips = [ts for ts, kind in latches if kind is EventType.KILL_SWITCH_TRIPPED]
    resets = [ts for ts, kind in latches if kind is EventType.KILL_SWITCH_RESET]
    assert len(trips) >= 2
    assert trips[1] == resets[0] == trips[0] + timedelta(minutes=5)
    assert [(e.ts, e.type) for e in _events(tmp_path / "sparse.db", LATCHES)] == latches
    assert sparse.trades == dense.trades
    assert sparse.extra["kill_switch_pct"] == dense.extra["kill_switch_pct"]
