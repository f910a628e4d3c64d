"""`--warmup` on history files: the bars before `--start` feed the indicator columns and nothing else.

With a warm-up as long as the longest indicator window, the window's first bar already has A-HURST-1's estimate and
full flow windows: each context the strategies are shown from `--start` on is the one a run over the whole history
shows at that bar. No strategy, signal, order, shadow, event or job sees the warm-up, and the figures count the
window's bars only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bigalpha.backtest.bot import run_bot
from bigalpha.backtest.market import Market, load_market, sim_market
from bigalpha.backtest.runner import run_reference, run_whole_bot
from bigalpha.backtest.sma_cross import SmaCrossParams
from bigalpha.backtest.supervision import Supervision
from bigalpha.backtest.walk_forward import Span
from bigalpha.backtest.window import Window, indicator_warmup_bars
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.domain import MarketSnapshot, Signal
from bigalpha.indicators.context import MarketContext
from sim_klines import write_sim_klines, write_sim_metrics
from stored_runs import assert_same_run, table_rows

SETTINGS = {
    "indicators": {"ofi_taker_weight": 1.0},
    "risk": {"health_factor_required": False, "stale_checked_feeds": ["open_interest", "long_short_ratio"]},
}
START = datetime(2025, 1, 1, 18, tzinfo=UTC)
END = datetime(2025, 1, 2, 18, tzinfo=UTC)
BEFORE_START = 18 * 60  # one-minute bars of ETH before START


class _ContextRecorder:
    """A strategy that signals nothing and keeps what each context it is shown says."""

    name = "context-recorder"

    def __init__(self) -> None:
        self.seen: dict[tuple[str, datetime], tuple[Any, ...]] = {}

    def on_market(self, snapshot: MarketSnapshot, context: MarketContext) -> Sequence[Signal]:
        self.seen[(snapshot.symbol, snapshot.ts)] = (
            context.hurst,
            context.regime,
            context.cvd_usd,
            context.ofi,
            context.whale_cvd_usd,
        )
        return ()

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        return None


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated days of ETH and XRP as Binance klines (taker volume) and metrics."""
    root = tmp_path_factory.mktemp("warmup")
    dataset = generate(SimParams(seed=11, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=default_symbols()), 2)
    write_sim_klines(sim_market(dataset, "sim", 5), root, {"ETH": 2880, "XRP": 2880})
    write_sim_metrics(dataset, root, ("ETH", "XRP"))
    return root


def _contexts(settings: Settings, market: Market, path: Path) -> dict[tuple[str, datetime], tuple[Any, ...]]:
    recorder = _ContextRecorder()
    run_bot(settings, market, path, strategies=[recorder]).store.close()
    return recorder.seen


def test_a_warm_up_gives_the_first_bar_the_contexts_of_a_bot_already_running(folder: Path, tmp_path: Path) -> None:
    """A-HURST-1, A-CVD-1, A-OFI-1: with the default warm-up (the longest indicator window, 100 bars), every context
    from --start on equals the whole history's at that bar, the Hurst estimate included from the first bar; without
    one, the first bars have no estimate (a strict 100-bar window fills inside the window)."""
    settings = Settings.model_validate(SETTINGS)
    bars = indicator_warmup_bars(settings.indicators)
    assert bars == settings.indicators.hurst_window == 100
    window = Window(START, END)
    whole = load_market(folder, 5)
    warm = load_market(folder, 5, window=window, warmup_bars=bars)
    cold = load_market(folder, 5, window=window)
    assert (warm.first_tick, cold.first_tick) == (bars, 0)
    assert warm.bars == cold.bars == 2 * 24 * 60
    assert np.array_equal(warm.traded_ns, cold.tick_ns)

    every = _contexts(settings, whole, tmp_path / "whole.db")
    warmed = _contexts(settings, warm, tmp_path / "warm.db")
    unwarmed = _contexts(settings, cold, tmp_path / "cold.db")
    assert sorted(warmed) == sorted(unwarmed)  # the window's bars, and no bar of the warm-up
    assert min(ts for _symbol, ts in warmed) == START + timedelta(minutes=1)  # the first bar's close
    for key, (hurst, regime, cvd, ofi, whale) in warmed.items():
        expected = every[key]
        assert (hurst, regime) == expected[:2], key
        assert (cvd, ofi, whale) == pytest.approx(expected[2:], rel=1e-9, abs=1e-6), key
    first = ("ETH", START + timedelta(minutes=1))
    assert warmed[first][0] is not None
    assert unwarmed[first][0] is None
    assert sum(seen[0] is None for seen in unwarmed.values()) == 2 * (settings.indicators.hurst_window - 1)


def test_nothing_happens_in_the_warm_up_and_the_figures_count_the_window(folder: Path, tmp_path: Path) -> None:
    """The whole bot with a warm-up: every signal, trade, shadow and event is at or after --start, the equity curve
    and the bars are the window's, and the summary records the warm-up's ticks."""
    settings = Settings.model_validate(SETTINGS)
    supervision = Supervision(resume_after=timedelta(hours=1), reset_after=timedelta(hours=2))
    warm = load_market(folder, 5, window=Window(START, END), warmup_bars=100)
    result = run_whole_bot(settings, warm, tmp_path / "warm.db", supervision=supervision)
    assert result.extra["signals"] > 0
    assert result.bars == 2 * 24 * 60
    assert result.extra["warmup_ticks"] == 100
    assert np.array_equal(result.equity_ns, warm.traded_ns)
    assert result.equity.shape == warm.traded_ns.shape
    assert result.period() == {"start": START.isoformat(), "end": END.isoformat()}
    start = START.isoformat(sep=" ").removesuffix("+00:00")
    for table, column in (("signals", "ts"), ("shadow_trades", "opened_at"), ("events", "ts")):
        first = table_rows(tmp_path / "warm.db", f"SELECT MIN({column}) FROM {table}")
        assert str(first[0][0]) >= start, table
    assert all(trade.entry_time >= START for trade in result.trades)


def test_a_warm_up_keeps_what_the_history_holds_before_the_start(folder: Path) -> None:
    """A warm-up longer than the history before --start keeps all of it; without --start there is none."""
    market = load_market(folder, 5, window=Window(START, END), warmup_bars=10**6)
    assert market.first_tick == BEFORE_START
    assert market.bars == 2 * 24 * 60
    assert Span.of(market).first_open == START  # a walk-forward's span is the window's
    assert load_market(folder, 5, window=Window(None, END), warmup_bars=100).first_tick == 0


def test_a_run_with_a_warm_up_shown_only_some_bars_equals_the_run_shown_every_bar(folder: Path, tmp_path: Path) -> None:
    """The sparse backtest's filters (S-XRP-SQ's among them) start at the first bar traded: with a warm-up, its trades,
    equity, guards, events, shadows and positions equal those of the run shown every bar."""
    # S-XRP-SQ without its crowded-shorts condition: the simulated XRP dips make it signal (132 times).
    settings = Settings.model_validate({**SETTINGS, "setups": {"xrp_squeeze": {"require_heavy_shorts": False}}})
    supervision = Supervision(resume_after=timedelta(hours=1), reset_after=timedelta(hours=2))
    warm = load_market(folder, 5, window=Window(START, END), warmup_bars=300)
    sparse = run_whole_bot(settings, warm, tmp_path / "sparse.db", supervision=supervision)
    dense = run_whole_bot(settings, warm, tmp_path / "dense.db", supervision=supervision, dense=True)
    assert sparse.guards is not None
    assert sparse.extra["shadows"] > 0
    assert sparse.extra["lanes_processed"] < dense.extra["lanes_processed"]
    assert_same_run(settings, sparse, dense, tmp_path)


def test_sma_cross_refuses_a_market_with_a_warm_up(folder: Path) -> None:
    """sma_cross's averages start inside the data it is given (its stated rules): a warm-up is the bot's."""
    warm = load_market(folder, 5, window=Window(START, END), warmup_bars=10)
    with pytest.raises(ValueError, match="sma_cross trades every bar it is given"):
        run_reference(warm, SmaCrossParams(fast=5, slow=20, fee=0.0, stop_pct=0.0, cash=1e4))
