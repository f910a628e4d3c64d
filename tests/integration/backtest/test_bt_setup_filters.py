"""Showing the tactical setups only the bars their filters keep (`backtest.setup_filters`) changes nothing: on the
setups' scenarios, on plain simulated days with the bands placed where price trades, on days of frequent fee
spikes, and on SOL bars without fees (a simulated SOL without them, a history feed), the filtered run's signals,
trades, shadows, events, equity and saved engine state (the setups' state included) equal those of the run that
shows every bar of every symbol, while fewer bars are shown."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bigalpha.backtest.market import Market, load_market, sim_market
from bigalpha.backtest.results import BacktestResult
from bigalpha.backtest.runner import run_whole_bot
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, build_scenario, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.domain import Symbol
from bigalpha.engine.core import ENGINE_KEY
from bigalpha.store import Store
from bigalpha.strategies.setups import LowerBandLong, SolFeeFadeSetup, UpperBandShort, XrpSqueezeSetup
from sim_klines import write_sim_klines

_FILTERED = (LowerBandLong.NAME, UpperBandShort.NAME, XrpSqueezeSetup.NAME)
_START = datetime(2025, 1, 1, tzinfo=UTC)


def _recorded(settings: Settings, path: Path) -> tuple[list[tuple[object, ...]], ...]:
    store = Store.open(settings, url=f"sqlite:///{path}")
    try:
        signals = sorted((s.id, s.strategy, s.side, s.price, s.stop_pct, s.targets_pct) for s in store.signals(10**9))
        shadows = sorted(
            (r.id, r.closed_at, r.exit_price, r.return_pct, r.exit_reason, r.blocked_by, repr(r.state))
            for r in store.shadow_trades()
        )
        events = sorted((e.ts, str(e.type), str(e.symbol), repr(e.data)) for _seq, e in store.last_events(10**9))
        state: dict[str, Any] = store.get_state(ENGINE_KEY) or {}
        return signals, shadows, events, [(state.get("strategies"), state.get("last_tick"))]
    finally:
        store.close()


def _equal(settings: Settings, market: Market, tmp: Path, expected: set[str]) -> None:
    dense: BacktestResult = run_whole_bot(settings, market, tmp / "dense.db", dense=True)
    sparse: BacktestResult = run_whole_bot(settings, market, tmp / "sparse.db")
    assert sparse.trades == dense.trades
    assert sparse.extra["signals"] == dense.extra["signals"]
    assert sparse.extra["shadows"] == dense.extra["shadows"]
    assert np.array_equal(sparse.equity, dense.equity)
    assert sparse.extra["lanes_processed"] < dense.extra["lanes_processed"]
    filtered, full = _recorded(settings, tmp / "sparse.db"), _recorded(settings, tmp / "dense.db")
    assert filtered == full
    assert {str(row[1]) for row in full[0]} >= expected, "each filtered setup should signal in the run"


def _both(
    settings: Settings,
    symbols: tuple[str, ...],
    seed: int,
    tmp: Path,
    scenario: str | None,
    expected: set[str],
    *,
    days: int = 1,
    fee_spikes_per_day: float | None = None,
    fees: bool = True,
) -> None:
    chosen = tuple(s.model_copy(update={"fees": s.fees and fees}) for s in default_symbols() if s.symbol in symbols)
    params = SimParams(seed=seed, start=_START, symbols=chosen)
    if fee_spikes_per_day is not None:
        params = params.model_copy(update={"fee_spikes_per_day": fee_spikes_per_day})
    events = build_scenario(scenario, settings) if scenario is not None else None
    dataset = generate(params, days, events)
    _equal(settings, sim_market(dataset, "sim", settings.indicators.ofi_book_levels), tmp, expected)


@pytest.mark.parametrize(
    ("scenario", "symbol", "setup"),
    [
        ("flush_reclaim", "BTC", LowerBandLong.NAME),
        ("fail_break", "BTC", UpperBandShort.NAME),
        ("squeeze", "XRP", XrpSqueezeSetup.NAME),
        ("fee_spike", "SOL", SolFeeFadeSetup.NAME),
    ],
)
def test_setup_scenarios_filtered_equal_every_bar(tmp_path: Path, scenario: str, symbol: str, setup: str) -> None:
    # Alpha-OFI off: the setups alone decide which bars are shown.
    settings = Settings.model_validate({"setups": {"alpha_ofi": {"enabled": False}}})
    _both(settings, (symbol,), 7, tmp_path, scenario, {setup})


@pytest.mark.no_cover  # a run-equality test at scale: see tests/conftest.py
@pytest.mark.parametrize("seed", [3, 11, 29])
def test_bands_where_price_trades_filtered_equal_every_bar(tmp_path: Path, seed: int) -> None:
    """Bands in the middle of the day's BTC range: flushes, expiries, re-arms and fail-breaks on many bars; XRP's
    dip threshold low enough to scalp often. A short cool-down lets the setups signal again soon."""
    probe = generate(SimParams(seed=seed, start=_START, symbols=default_symbols()), 1)
    close = sim_market(probe, "sim", 5).lanes[Symbol("BTC")].close
    mid, spread = float(np.median(close)), float(np.std(close))
    settings = Settings.model_validate(
        {
            "setups": {
                "alpha_ofi": {"enabled": False},
                "btc_lower_band_long": {"band": mid - 0.2 * spread, "cooldown_minutes": 5},
                "btc_upper_band_short": {
                    "band_low": mid,
                    "band_high": mid + 0.3 * spread,
                    "cooldown_minutes": 5,
                    "max_short_share": 0.99,
                },
                "xrp_squeeze": {"dip_bps": 12.0, "require_heavy_shorts": False, "cooldown_s": 60},
            }
        }
    )
    _both(settings, ("BTC", "XRP"), seed, tmp_path, None, set(_FILTERED))


# S-SOL-FADE armed by smaller spikes, fading smaller dislocations, and soon ready again: with frequent fee spikes
# it spikes, decays, fades, lets spikes pass and re-arms many times a day.
_EAGER_FADE = {
    "spike_multiple": 2.0,
    "decay_pct": 0.3,
    "cooldown_minutes": 2,
    "min_vwap_distance_bps": 3.0,
    "baseline_min_samples": 5,
}


@pytest.mark.no_cover  # a run-equality test at scale: see tests/conftest.py
@pytest.mark.parametrize("seed", [3, 11, 29])
def test_fee_fades_filtered_equal_every_bar(tmp_path: Path, seed: int) -> None:
    settings = Settings.model_validate({"setups": {"alpha_ofi": {"enabled": False}, "sol_fee_fade": _EAGER_FADE}})
    _both(settings, ("SOL",), seed, tmp_path, None, {SolFeeFadeSetup.NAME}, days=2, fee_spikes_per_day=40.0)


@pytest.mark.no_cover  # a run-equality test at scale: see tests/conftest.py
def test_four_symbols_with_every_strategy_filtered_equal_every_bar(tmp_path: Path) -> None:
    """The default bot (Alpha-OFI and the four setups): the filters, the catch-ups and the other reasons to show a
    bar (positions, shadows, jobs) together."""
    _both(Settings(), ("BTC", "ETH", "SOL", "XRP"), 5, tmp_path, None, {SolFeeFadeSetup.NAME})


def test_sol_without_fees_filtered_equal_every_bar(tmp_path: Path) -> None:
    """SOL snapshots without priority fees: S-SOL-FADE never signals, but its VWAP window (saved) still moves."""
    settings = Settings.model_validate({"setups": {"alpha_ofi": {"enabled": False}}})
    _both(settings, ("ETH", "SOL"), 5, tmp_path, None, set(), fees=False)


def test_sol_from_history_files_filtered_equal_every_bar(tmp_path: Path) -> None:
    """Binance kline files (no fees, SOL's last bar before the last tick): the same saved state as every bar."""
    dataset = generate(SimParams(seed=13, start=_START, symbols=default_symbols()), 1)
    market = sim_market(dataset, "sim", 5)
    folder = tmp_path / "klines"
    write_sim_klines(market, folder, {"ETH": 1440, "SOL": 1300})
    history = load_market(folder, 5)
    assert history.lanes[Symbol("SOL")].tick[-1] < history.tick_ns.shape[0] - 1
    settings = Settings.model_validate({"setups": {"alpha_ofi": {"enabled": False}}})
    _equal(settings, history, tmp_path, set())
