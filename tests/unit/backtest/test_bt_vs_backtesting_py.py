"""sma_cross against backtesting.py: identical trades, final equity within the documented sizing difference.

backtesting.py buys whole units: each entry leaves less than one unit's price (× (1 + fee)) in cash, so over
N trades the final equities differ by at most N × max price / cash, relatively (docs/backtesting.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from bigalpha.backtest.btpy import run_backtesting_py
from bigalpha.backtest.sma_cross import EXIT_OPEN, SmaCrossParams, run_sma_cross
from bigalpha.data.history import load_candles

sys.path.insert(0, str(Path(__file__).parent))
from test_bt_sma_cross import random_bars


def _agree(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, params: SmaCrossParams) -> None:
    ours = run_sma_cross(o, h, lo, c, params)
    theirs = run_backtesting_py(o, h, lo, c, params)
    closed = ours.reason != EXIT_OPEN
    assert ours.entry_bar[closed].tolist() == theirs.entry_bar
    assert ours.exit_bar[closed].tolist() == theirs.exit_bar
    assert ours.entry_price[closed].tolist() == pytest.approx(theirs.entry_price, rel=1e-12)
    assert ours.exit_price[closed].tolist() == pytest.approx(theirs.exit_price, rel=1e-12)
    bound = max(ours.trades, 1) * float(np.max(h)) * (1 + params.fee) / params.cash
    assert abs(theirs.final_equity - ours.final_equity) / ours.final_equity <= bound


@pytest.mark.parametrize("stop", [0.0, 0.01])
def test_same_trades_as_backtesting_py_on_generated_bars(stop: float) -> None:
    """P-STOP-1: both fill a stop at the stop price, or at the open of a bar that gaps through it."""
    o, h, lo, c = random_bars(8_000, 5)
    _agree(o, h, lo, c, SmaCrossParams(10, 30, 0.0005, stop, 1e9))


def test_same_trades_as_backtesting_py_on_real_btc_15m(market_fixtures: Path) -> None:
    candles = load_candles(market_fixtures / "binance_perp_15m_2023_2025" / "BTC_USDT_USDT-15m-futures.feather")
    o, h, lo, c = (
        np.asarray(a, dtype=np.float64)[-20_000:] for a in (candles.open, candles.high, candles.low, candles.close)
    )
    _agree(o, h, lo, c, SmaCrossParams(10, 30, 0.0005, 0.02, 1e10))
