"""The per-symbol and per-exit-reason figures of a backtest (`trade_groups`): the summary's `by_symbol` and
`by_exit_reason`, the report's tables and the terminal's come from one grouping of the trades CSV's rows."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bigalpha.backtest.results import BacktestResult, TradeRecord, trade_groups

T = datetime(2025, 1, 1, tzinfo=UTC)


def _trade(symbol: str, pnl: float, reason: str) -> TradeRecord:
    return TradeRecord(symbol, "LONG", T, T, 100.0, 101.0, 1.0, 0.1, 0.0, pnl, reason)


TRADES = [
    _trade("SOL", -2.0, "stop"),
    _trade("ETH", 3.0, "tier-4"),
    _trade("ETH", 1.0, "open"),
    _trade("SOL", 4.0, "tier-4"),
    _trade("BTC", 0.0, "max-hold"),
]


def test_each_group_counts_its_trades_their_pnl_wins_and_profit_factor() -> None:
    by_symbol = {g.name: g for g in trade_groups(TRADES, "symbol")}
    assert list(by_symbol) == ["BTC", "ETH", "SOL"]
    assert (by_symbol["SOL"].trades, by_symbol["SOL"].net_pnl, by_symbol["SOL"].win_rate) == (2, 2.0, 0.5)
    assert by_symbol["SOL"].profit_factor == 2.0
    assert by_symbol["ETH"].profit_factor == math.inf  # wins and no loss
    assert by_symbol["BTC"].profit_factor is None  # neither
    assert by_symbol["BTC"].win_rate == 0.0
    assert [g.name for g in trade_groups(TRADES, "exit_reason")] == ["max-hold", "open", "stop", "tier-4"]


def test_the_summary_carries_them_and_writes_an_infinite_profit_factor_as_null() -> None:
    result = BacktestResult(
        strategy="bot",
        source="test",
        symbols=("BTC", "ETH", "SOL"),
        bars=3,
        bar_seconds=60.0,
        starting_equity=1000.0,
        trades=TRADES,
        equity_ns=np.array([60_000_000_000, 120_000_000_000, 180_000_000_000], dtype=np.int64),
        equity=np.array([1000.0, 1001.0, 1006.0]),
        exposure=0.5,
        elapsed_s=1.0,
    )
    summary = result.summary()
    assert summary["by_symbol"]["ETH"] == {"trades": 2, "net_pnl": 4.0, "win_rate": 1.0, "profit_factor": None}
    assert summary["by_exit_reason"]["tier-4"] == {"trades": 2, "net_pnl": 7.0, "win_rate": 1.0, "profit_factor": None}
    assert summary["by_exit_reason"]["open"]["trades"] == summary["open_trades"] == 1


@given(
    st.lists(
        st.tuples(st.sampled_from(["BTC", "ETH"]), st.floats(-1e6, 1e6), st.sampled_from(["stop", "tier-1", "open"])),
        max_size=30,
    )
)
def test_the_groups_partition_the_trades(rows: list[tuple[str, float, str]]) -> None:
    trades = [_trade(symbol, pnl, reason) for symbol, pnl, reason in rows]
    for field_name in ("symbol", "exit_reason"):
        groups = trade_groups(trades, field_name)
        assert sum(g.trades for g in groups) == len(trades)
        for group in groups:
            members = [t.pnl for t in trades if getattr(t, field_name) == group.name]
            assert group.net_pnl == sum(members)
            assert group.win_rate == sum(1 for p in members if p > 0) / len(members)
