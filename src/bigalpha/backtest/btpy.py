"""The reference strategy in backtesting.py (a dev dependency), for the agreement test and the benchmark.

The harness removes the differences that are not fill rules, so what remains is measured (docs/backtesting.md):
both sides use the same SMA arrays and our crossing predicate (backtesting.lib.crossover compares the previous
bar strictly, `<`, where sma_cross uses `≤`); the stop is given with the order, at the next open × (1 − stop),
because a backtesting.py strategy cannot know its fill price when it orders. What then still differs is
backtesting.py's whole-unit sizing (`int(cash // (price × (1 + commission)))`), which leaves up to one unit's
price in cash at every entry.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bigalpha.backtest.sma_cross import SmaCrossParams, crossings, sma

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class BtPyTrades:
    entry_bar: list[int]
    exit_bar: list[int]
    entry_price: list[float]
    exit_price: list[float]
    final_equity: float
    open_at_end: bool


def run_backtesting_py(
    open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray, params: SmaCrossParams
) -> BtPyTrades:
    import pandas as pd
    from backtesting import Backtest, Strategy

    fast, slow = sma(close, params.fast), sma(close, params.slow)
    up, down = crossings(fast, slow)
    n = close.shape[0]
    frame = pd.DataFrame(
        {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": np.ones(n)},
        index=pd.date_range("2020-01-01", periods=n, freq="1min"),
    )

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(lambda: fast, name="fast")
            self.slow = self.I(lambda: slow, name="slow")

        def next(self) -> None:
            t = len(self.data) - 1
            if t >= n - 1:
                return
            if not self.position and up[t]:
                stop = open_[t + 1] * (1.0 - params.stop_pct) if params.stop_pct > 0 else None
                self.buy(sl=stop)
            elif self.position and down[t]:
                self.position.close()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # backtesting.py warns about its own conventions (e.g. an open trade)
        stats: Any = Backtest(frame, SmaCross, cash=params.cash, commission=params.fee).run()
    trades = stats["_trades"]
    entries = trades["EntryBar"].astype(int).tolist()
    return BtPyTrades(
        entry_bar=entries,
        exit_bar=trades["ExitBar"].astype(int).tolist(),
        entry_price=trades["EntryPrice"].astype(float).tolist(),
        exit_price=trades["ExitPrice"].astype(float).tolist(),
        final_equity=float(stats["Equity Final [$]"]),
        open_at_end=False,
    )
