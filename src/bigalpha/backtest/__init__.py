"""The backtester (`bigalpha backtest`): the same engine as live, shown only the bars where a decision is taken,
with the indicator columns computed once over the whole history; and the reference strategy `sma_cross`.
See docs/backtesting.md."""

from bigalpha.backtest.market import Market, MarketError, load_market, sim_market
from bigalpha.backtest.results import BacktestResult, TradeRecord
from bigalpha.backtest.runner import run_reference, run_whole_bot
from bigalpha.backtest.sma_cross import SmaCrossParams, run_sma_cross

__all__ = [
    "BacktestResult",
    "Market",
    "MarketError",
    "SmaCrossParams",
    "TradeRecord",
    "load_market",
    "run_reference",
    "run_sma_cross",
    "run_whole_bot",
    "sim_market",
]
