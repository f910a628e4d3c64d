"""The backtest defers a context's Hurst estimate to the decisions that read it (A-HURST-1) only for strategies that
read none: shown the deferred contexts, each of the bot's strategies signals exactly as when shown complete ones, and
the strategy list that allows deferring is exactly the bot's."""

from __future__ import annotations

from datetime import UTC, datetime

from bigalpha.backtest.bot import _READ_NO_DEFERRED
from bigalpha.backtest.contexts import ColumnContextBuilder, symbol_columns
from bigalpha.backtest.market import sim_market
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.engine.build import strategies
from bigalpha.gate.learned import GateLearnedState
from bigalpha.indicators.builder import HURST_DEFERRED


def test_the_bots_strategies_signal_alike_on_deferred_and_complete_contexts() -> None:
    # Thresholds low enough that every strategy signals within a day of the simulator.
    settings = Settings.model_validate({"setups": {"xrp_squeeze": {"require_heavy_shorts": False}}})
    cfg = settings.indicators
    dataset = generate(SimParams(seed=12, start=datetime(2025, 4, 1, tzinfo=UTC), symbols=default_symbols()), 1)
    market = sim_market(dataset, "sim", cfg.ofi_book_levels)
    threshold = GateLearnedState.initial(settings).whale_threshold_usd
    columns = {
        s: symbol_columns(lane.arrays(threshold), market.tick_ns[lane.tick], cfg, threshold)
        for s, lane in market.lanes.items()
    }
    builder = ColumnContextBuilder(cfg, columns)
    builder.defer_hurst = builder.defer_walls = True
    deferred_run, complete_run = strategies(settings), strategies(settings)
    assert {s.name for s in deferred_run} == _READ_NO_DEFERRED  # no strategy of the bot is left out of the rule
    reader = market.reader()
    signals: dict[str, int] = {}
    deferred = 0
    for i in range(market.tick_ns.shape[0]):
        for snapshot in reader.tick(i):
            context = builder.update(snapshot, whale_threshold_usd=threshold)
            deferred += context.unavailable.get("hurst") == HURST_DEFERRED
            complete = builder.complete(context)
            for shown, known in zip(deferred_run, complete_run, strict=True):
                got = shown.on_market(snapshot, context)
                expected = known.on_market(snapshot, complete)
                assert got == expected, f"{shown.name} at tick {i}"
                signals[shown.name] = signals.get(shown.name, 0) + len(got)
                assert shown.state_dict() == known.state_dict()
    assert deferred > 4 * 1000
    assert sum(signals.values()) > 10
    assert len([n for n, count in signals.items() if count]) >= 3, signals
