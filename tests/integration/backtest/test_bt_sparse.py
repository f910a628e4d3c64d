"""Showing the engine only the bars where a decision is taken changes nothing: the sparse backtest's trades,
shadows (L-SHADOW-1, each one's exit bar, price, reason and final state), events and equity equal those of a
run that shows it every bar of every symbol."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bigalpha.backtest.contexts import epoch_ns
from bigalpha.backtest.market import Market, sim_market
from bigalpha.backtest.runner import run_whole_bot
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.domain import Bar, Symbol
from bigalpha.engine import core
from bigalpha.engine.policies import ExitPolicy
from bigalpha.indicators.context import MarketContext
from bigalpha.learning.shadow import Shadow
from bigalpha.positions.holds import far_from_max_pain
from bigalpha.store import Store
from bigalpha.store.mapping import meta_from_json
from bigalpha.store.tables import ShadowTradeRow


def _shadows(settings: Settings, path: Path) -> list[tuple[object, ...]]:
    store = Store.open(settings, url=f"sqlite:///{path}")
    try:
        rows = store.shadow_trades()
        return sorted(
            (r.id, r.closed_at, r.exit_price, r.return_pct, r.exit_reason, r.blocked_by, repr(r.state)) for r in rows
        )
    finally:
        store.close()


def _events(settings: Settings, path: Path) -> list[tuple[object, ...]]:
    store = Store.open(settings, url=f"sqlite:///{path}")
    try:
        return sorted((e.ts, str(e.type), str(e.symbol), repr(e.data)) for _seq, e in store.last_events(10**9))
    finally:
        store.close()


def test_sparse_backtest_equals_every_bar_backtest(tmp_path: Path) -> None:
    # A long cool-down leaves bars with no signal and no shadow open, which the sparse run must skip.
    settings = Settings.model_validate({"setups": {"alpha_ofi": {"cooldown_minutes": 240}}})
    symbols = tuple(s for s in default_symbols() if s.symbol in ("BTC", "ETH"))
    dataset = generate(SimParams(seed=11, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 1)
    market = sim_market(dataset, "sim", settings.indicators.ofi_book_levels)
    dense = run_whole_bot(settings, market, tmp_path / "dense.db", dense=True)
    sparse = run_whole_bot(settings, market, tmp_path / "sparse.db")
    assert sparse.trades == dense.trades
    assert sparse.guards == dense.guards
    assert sparse.extra["shadows"] == dense.extra["shadows"] > 0
    assert sparse.extra["signals"] == dense.extra["signals"]
    assert np.array_equal(sparse.equity, dense.equity)
    assert sparse.extra["lanes_processed"] < dense.extra["lanes_processed"]
    assert _shadows(settings, tmp_path / "sparse.db") == _shadows(settings, tmp_path / "dense.db")
    assert _events(settings, tmp_path / "sparse.db") == _events(settings, tmp_path / "dense.db")


def test_shadows_are_shown_only_on_the_bars_that_can_change_them(tmp_path: Path) -> None:
    """L-SHADOW-1 in a backtest: with default settings (a shadow open on most bars, TRUE TREND holds among them),
    the shadows' exits, events and the guard table equal the every-bar run while far fewer bars are shown."""
    settings = Settings()
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=7, start=datetime(2024, 1, 1, tzinfo=UTC), symbols=symbols), 1)
    market = sim_market(dataset, "sim", settings.indicators.ofi_book_levels)
    dense = run_whole_bot(settings, market, tmp_path / "dense.db", dense=True)
    sparse = run_whole_bot(settings, market, tmp_path / "sparse.db")
    assert sparse.trades == dense.trades
    assert sparse.guards == dense.guards
    assert np.array_equal(sparse.equity, dense.equity)
    shadows = _shadows(settings, tmp_path / "sparse.db")
    assert len(shadows) > 10
    assert shadows == _shadows(settings, tmp_path / "dense.db")
    assert _events(settings, tmp_path / "sparse.db") == _events(settings, tmp_path / "dense.db")
    assert sparse.extra["lanes_processed"] < dense.extra["lanes_processed"] / 2


def test_a_critical_health_factor_trips_the_kill_switch_on_the_same_tick_as_every_bar(tmp_path: Path) -> None:
    """R-K-3 in a sparse backtest: the kill switch latches on the first tick it sees a health factor below 2.00, so
    that tick is shown even when no strategy, position or shadow asks for it (seed 29's health factor dips below
    2.00 on bars nothing else shows); trades, events and equity equal the every-bar run's."""
    settings = Settings()
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=29, start=datetime(2024, 1, 1, tzinfo=UTC), symbols=symbols), 2)
    market = sim_market(dataset, "sim", settings.indicators.ofi_book_levels)
    health = market.health_factor() if market.health_factor is not None else np.array([])
    assert (health < settings.risk.health_factor_flatten).any()
    dense = run_whole_bot(settings, market, tmp_path / "dense.db", dense=True)
    sparse = run_whole_bot(settings, market, tmp_path / "sparse.db")
    assert sparse.trades == dense.trades
    assert np.array_equal(sparse.equity, dense.equity)
    events = _events(settings, tmp_path / "dense.db")
    assert any("R-K-3" in data for _ts, _type, _symbol, data in events)
    assert _events(settings, tmp_path / "sparse.db") == events
    assert _shadows(settings, tmp_path / "sparse.db") == _shadows(settings, tmp_path / "dense.db")


@pytest.mark.no_cover  # a run-equality test at scale: see tests/conftest.py
def test_a_held_shadow_closed_by_the_end_of_data_keeps_the_closes_of_every_bar(tmp_path: Path) -> None:
    """P-HOLD-1 and L-SHADOW-1: a TRUE TREND shadow still held when the data ends (seed 3: an XRP one) is closed
    holding the closes of its last `toward_cluster_bars` + 1 bars, as in the run shown every bar."""
    settings = Settings()
    dataset = generate(SimParams(seed=3, start=datetime(2024, 1, 1, tzinfo=UTC)), 1)
    market = sim_market(dataset, "sim", settings.indicators.ofi_book_levels)
    dense = run_whole_bot(settings, market, tmp_path / "dense.db", dense=True)
    sparse = run_whole_bot(settings, market, tmp_path / "sparse.db")
    shadows = _shadows(settings, tmp_path / "dense.db")
    held = [s for s in shadows if s[4] == "end of data" and "'released': False" in str(s[6])]
    assert held
    assert all(str(s[6]).count("'closes': [") == 1 for s in held)
    assert _shadows(settings, tmp_path / "sparse.db") == shadows
    assert sparse.trades == dense.trades


def _judged_at(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[datetime]]:
    """Records, per shadow, the instants of the bars the engine judges it on."""
    judged: dict[str, set[datetime]] = defaultdict(set)
    real = core.advance_shadow

    def spy(shadow: Shadow, policy: ExitPolicy, context: MarketContext, bar: Bar, now: datetime) -> bool:
        judged[shadow.id].add(now)
        return real(shadow, policy, context, bar, now)

    monkeypatch.setattr(core, "advance_shadow", spy)
    return judged


def _held_past_bars_not_shown(
    settings: Settings, market: Market, row: ShadowTradeRow, every_bar: set[datetime], shown: set[datetime]
) -> bool:
    """Whether a TRUE TREND shadow was released after bars of its hold the sparse run did not show, among those
    every one of which was shown before `hold_twin`: the bars reaching its first (blocked) target during the hold,
    and those after its shortest hold level ran out."""
    hold = row.state["exit_state"]
    meta = meta_from_json(row.state.get("meta"))
    if meta is None or not meta.true_trend or hold.get("released_at") is None:
        return False
    far = far_from_max_pain(row.entry_price, meta.max_pain_at_entry, settings.positions)
    levels = settings.positions.hold
    shortest = timedelta(minutes=levels.far_from_max_pain_minutes if far else levels.base_minutes)
    released_at = datetime.fromisoformat(hold["released_at"])
    lane = market.lanes[Symbol(row.symbol)]
    sign = 1 if row.side == "LONG" else -1
    extreme = lane.high if sign > 0 else lane.low
    window = set()
    for t in every_bar:
        bar = int(np.searchsorted(market.tick_ns, epoch_ns(t)))
        if t < released_at and (t >= row.opened_at + shortest or sign * (float(extreme[bar]) - row.targets[0]) >= 0):
            window.add(t)
    return bool(window - shown)


@pytest.mark.no_cover  # a run-equality test at scale: see tests/conftest.py
@pytest.mark.parametrize("seed", [5, 19, 31])
def test_held_shadows_are_released_as_in_every_bar_runs_after_bars_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """P-HOLD-1 in a sparse backtest (`hold_twin`): a TRUE TREND shadow whose hold may be released is not shown every
    bar until it is; yet every shadow's exit, final state (its release time, level and closes) and every event equal
    the every-bar run's, with heatmaps holding liquidation clusters (seed 5's and 19's XRP, 31's ETH) and without."""
    settings = Settings()
    dataset = generate(SimParams(seed=seed, start=datetime(2024, 1, 1, tzinfo=UTC)), 1)
    market = sim_market(dataset, "sim", settings.indicators.ofi_book_levels)
    judged = _judged_at(monkeypatch)
    dense = run_whole_bot(settings, market, tmp_path / "dense.db", dense=True)
    every_bar = {shadow_id: set(instants) for shadow_id, instants in judged.items()}
    judged.clear()
    sparse = run_whole_bot(settings, market, tmp_path / "sparse.db")
    assert sparse.trades == dense.trades
    assert np.array_equal(sparse.equity, dense.equity)
    shadows = _shadows(settings, tmp_path / "sparse.db")
    assert shadows == _shadows(settings, tmp_path / "dense.db")
    assert _events(settings, tmp_path / "sparse.db") == _events(settings, tmp_path / "dense.db")
    store = Store.open(settings, url=f"sqlite:///{tmp_path / 'sparse.db'}")
    try:
        rows = store.shadow_trades()
    finally:
        store.close()
    skipped = sum(_held_past_bars_not_shown(settings, market, row, every_bar[row.id], judged[row.id]) for row in rows)
    assert skipped > 0


def test_progress_is_reported_through_the_bars_the_engine_is_not_shown(tmp_path: Path) -> None:
    """The progress bar of a long run: a report each time the run passes another 1/200 of its bars, whether it
    stepped onto that bar or skipped over it, and the last report is the whole run."""
    settings = Settings()
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=7, start=datetime(2024, 1, 1, tzinfo=UTC), symbols=symbols), 1)
    market = sim_market(dataset, "sim", settings.indicators.ofi_book_levels)
    reports: list[tuple[int, int]] = []
    result = run_whole_bot(
        settings, market, tmp_path / "run.db", progress=lambda done, total: reports.append((done, total))
    )
    bars = market.tick_ns.shape[0]
    assert result.extra["ticks_processed"] < bars / 4  # most bars skipped
    assert reports[-1] == (bars, bars)
    done = [d for d, _ in reports]
    assert done == sorted(set(done))
    assert len(done) >= 50  # of the 200 steps of 1/200 (a skip over several reports once)
