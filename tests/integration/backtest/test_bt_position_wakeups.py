"""Open positions shown only on the bars that can change them (`wakeups.PositionWakeups`): the run's trades,
equity at every bar, exposure, events, shadows and stored state equal those of a run shown every bar, with the
kill switch tripping on the same tick: on a position's mark (R-K-1), and on the tick after a close (R-K-2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bigalpha.backtest.bot import _period_starts
from bigalpha.backtest.market import Market, sim_market
from bigalpha.backtest.results import BacktestResult
from bigalpha.backtest.runner import run_whole_bot
from bigalpha.backtest.setup_filters import bar_time
from bigalpha.backtest.supervision import Supervision
from bigalpha.config import Settings
from bigalpha.data.ports import Tick, tick_time
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.engine import core
from bigalpha.risk import period_at
from stored_runs import stored_events, table_rows

SUPERVISION = Supervision(resume_after=timedelta(hours=1), reset_after=timedelta(hours=2))


def _market(settings: Settings, symbols: set[str], days: int) -> Market:
    chosen = tuple(s for s in default_symbols() if s.symbol in symbols)
    dataset = generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=chosen), days)
    return sim_market(dataset, "sim", settings.indicators.ofi_book_levels)


def _settings(**risk: object) -> Settings:
    return Settings(risk=Settings().risk.model_copy(update=risk))


def _both(settings: Settings, market: Market, folder: Path) -> tuple[BacktestResult, BacktestResult]:
    dense = run_whole_bot(settings, market, folder / "dense.db", supervision=SUPERVISION, dense=True)
    sparse = run_whole_bot(settings, market, folder / "sparse.db", supervision=SUPERVISION)
    return dense, sparse


@pytest.mark.no_cover  # a run-equality test at scale: see tests/conftest.py
def test_positions_shown_only_where_they_can_change_end_as_in_a_run_shown_every_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P-STOP-1, P-LADDER-1, P-HOLD-1/2 and R-K-1 on three symbols, with positions open together: a kill switch
    that trips at 0.002 % of session drawdown trips on a position's mark, on the tick it does in the every-bar run.
    A new session re-bases R-K-1's drawdown, so a position open across a session's start is shown on its first
    tick."""
    # Days from 01:00 UTC: session starts fall between the ticks the 4-hour jobs and the funding times show anyway.
    settings = _settings(kill_drawdown_pct=0.00002, day_start_utc_hour=1)
    market = _market(settings, {"ETH", "BTC", "SOL"}, 3)
    dense = run_whole_bot(settings, market, tmp_path / "dense.db", supervision=SUPERVISION, dense=True)
    shown: set[datetime] = set()
    process_tick = core.Engine.process_tick

    def recording(engine: core.Engine, tick: Tick, **kwargs: Any) -> None:
        shown.add(tick_time(tick))
        process_tick(engine, tick, **kwargs)

    monkeypatch.setattr(core.Engine, "process_tick", recording)
    sparse = run_whole_bot(settings, market, tmp_path / "sparse.db", supervision=SUPERVISION)
    assert sparse.trades == dense.trades
    assert np.array_equal(sparse.equity, dense.equity)
    assert sparse.metrics.exposure_pct == dense.metrics.exposure_pct > 0
    assert sparse.guards == dense.guards
    events = stored_events(settings, tmp_path / "dense.db")
    assert stored_events(settings, tmp_path / "sparse.db") == events
    trips = [e for e in events if e[1] == "KILL_SWITCH_TRIPPED" and "R-K-1" in str(e[2])]
    closes = {e[0] for e in events if e[1] == "POSITION_CLOSED"}
    assert any(ts not in closes for ts, *_ in trips), "a trip on an open position's mark, not on a close"
    overlapping = [
        (a.symbol, b.symbol)
        for a in dense.trades
        for b in dense.trades
        if a.symbol < b.symbol and a.entry_time < b.exit_time and b.entry_time < a.exit_time
    ]
    assert overlapping, "positions on two symbols open at once: each is marked on every tick shown"
    for query in (
        "SELECT key, value, updated_at FROM state ORDER BY key",
        "SELECT * FROM shadow_trades ORDER BY id",
        "SELECT * FROM positions ORDER BY id",
    ):
        assert table_rows(tmp_path / "sparse.db", query) == table_rows(tmp_path / "dense.db", query)
    assert sparse.extra["lanes_processed"] < dense.extra["lanes_processed"] / 3
    risk, hours = settings.risk.day_start_utc_hour, settings.setups.session.session_hours
    starts = {period_at(t.entry_time, risk, hours).until for t in dense.trades}
    carried = {start for start in starts for t in dense.trades if t.entry_time < start < t.exit_time}
    assert carried, "a position open across a session's start"
    assert carried <= shown


@pytest.mark.no_cover  # a run-equality test at scale: see tests/conftest.py
def test_the_tick_after_a_close_is_judged_by_the_kill_switch_as_in_a_run_shown_every_bar(tmp_path: Path) -> None:
    """R-K-2: the risk account learns of a close after that tick's kill-switch check, so the third loss in a row trips
    the switch on the next tick, a minute later, even when no position is left open to show it."""
    settings = _settings(kill_consecutive_losses=3)
    dense, sparse = _both(settings, _market(settings, {"ETH"}, 5), tmp_path)
    events = stored_events(settings, tmp_path / "dense.db")
    trips = [e[0] for e in events if e[1] == "KILL_SWITCH_TRIPPED"]
    closes = [e[0] for e in events if e[1] == "POSITION_CLOSED"]
    assert trips
    assert all(ts - timedelta(minutes=1) in closes for ts in trips)
    assert stored_events(settings, tmp_path / "sparse.db") == events
    assert sparse.trades == dense.trades
    assert sparse.extra["kill_switch_pct"] == dense.extra["kill_switch_pct"]


@pytest.mark.parametrize(("day_start", "session_hours"), [(0, 8.0), (1, 8.0), (1, 7.0), (23, 24.0)])
def test_the_ticks_that_start_a_day_or_session_are_those_where_the_period_changes(
    day_start: int, session_hours: float
) -> None:
    """R-K-1's session drawdown re-bases where a new day or session starts (sessions tile each trading day, the
    last one cut short at the next day's start): the ticks found are exactly those whose period differs from the
    tick before, over two days of one-minute ticks starting mid-session."""
    settings = Settings.model_validate(
        {"risk": {"day_start_utc_hour": day_start}, "setups": {"session": {"session_hours": session_hours}}}
    )
    start = int(datetime(2025, 1, 1, 5, 30, tzinfo=UTC).timestamp()) * 1_000_000_000
    tick_ns = start + 60_000_000_000 * np.arange(2 * 1440, dtype=np.int64)
    periods = [period_at(bar_time(int(ns)), day_start, session_hours) for ns in tick_ns]
    expected = [
        k
        for k in range(1, len(periods))
        if (periods[k].day, periods[k].session) != (periods[k - 1].day, periods[k - 1].session)
    ]
    assert _period_starts(tick_ns, settings).tolist() == expected
