"""L-OPT-1's whale probe read from columns gives the live probe's candidates, shown only some bars, across a
change of the whale threshold."""

from __future__ import annotations

from datetime import UTC, datetime

from bigalpha.backtest.market import sim_market
from bigalpha.backtest.probe import ColumnWhaleProbe
from bigalpha.config import Settings
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.data.sim.snapshots import SnapshotBuilder
from bigalpha.domain import Symbol
from bigalpha.gate.learned import GateLearnedState
from bigalpha.learning.whale_tuning import WhaleProbe


def test_column_probe_equals_the_live_probe_on_the_bars_it_is_shown() -> None:
    settings = Settings()
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=5, start=datetime(2024, 3, 1, tzinfo=UTC), symbols=symbols), 1)
    market = sim_market(dataset, "sim", settings.indicators.ofi_book_levels)
    reader = market.reader()  # the backtest's snapshots, without trade prints
    full = SnapshotBuilder(dataset.frames, dataset.symbols, frozenset(s.symbol for s in symbols if s.fees))
    live = WhaleProbe(settings)
    columns = ColumnWhaleProbe(settings, market.lanes, market.tick_ns)
    threshold = GateLearnedState.initial(settings).whale_threshold_usd
    change_after = 700  # the tuning job adopts a new threshold at the end of this (shown) tick
    compared = known = 0
    for i in range(market.tick_ns.shape[0]):
        (snapshot,) = full.tick(i)
        live.observe(snapshot, threshold)
        shown = i % 7 == 0 or i == change_after
        if shown:
            columns.observe(reader.tick(i)[0], threshold)
            expected = live.candidates(Symbol("ETH"))
            assert columns.candidates(Symbol("ETH")) == expected, f"bar {i}"
            compared += 1
            known += expected is not None
        if i == change_after:
            threshold *= 1.1
    assert compared > 200
    assert known > 100
