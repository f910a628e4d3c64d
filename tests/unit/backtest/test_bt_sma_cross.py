"""sma_cross against an independent plain-Python implementation of the stated fill rules (P-STOP-1 for stops)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from bigalpha.backtest.sma_cross import SmaCrossParams, run_sma_cross
from bigalpha.data.history import load_candles


@dataclass
class PlainResult:
    trades: list[tuple[int, int, float, float, str]]  # entry bar, exit bar, entry price, exit price, reason
    final_equity: float


def plain_sma_cross(o: list[float], lo: list[float], c: list[float], p: SmaCrossParams) -> PlainResult:
    """The rules of docs/backtesting.md, written out bar by bar with Python floats."""
    n = len(c)

    def sma(k: int) -> list[float | None]:
        return [None if t < k - 1 else sum(c[t - k + 1 : t + 1]) / k for t in range(n)]

    fast, slow = sma(p.fast), sma(p.slow)

    def cross(t: int, up: bool) -> bool:
        if t < 1 or fast[t] is None or slow[t] is None or fast[t - 1] is None or slow[t - 1] is None:
            return False
        f, s, f0, s0 = fast[t], slow[t], fast[t - 1], slow[t - 1]
        assert f is not None
        assert s is not None
        assert f0 is not None
        assert s0 is not None
        return (f > s and f0 <= s0) if up else (f < s and f0 >= s0)

    cash, qty, entry, stop = p.cash, 0.0, 0.0, 0.0
    entry_bar = -1
    trades: list[tuple[int, int, float, float, str]] = []
    pending = None
    for t in range(n):
        if pending == "enter":
            entry, entry_bar = o[t], t
            qty = cash / (entry * (1 + p.fee))
            cash, stop = 0.0, entry * (1 - p.stop_pct)
        elif pending == "exit":
            cash = qty * o[t] * (1 - p.fee)
            trades.append((entry_bar, t, entry, o[t], "signal"))
            qty = 0.0
        pending = None
        if qty > 0 and p.stop_pct > 0 and lo[t] <= stop:
            fill = o[t] if o[t] < stop else stop
            cash = qty * fill * (1 - p.fee)
            trades.append((entry_bar, t, entry, fill, "stop"))
            qty = 0.0
        if t < n - 1:
            if qty == 0 and cross(t, up=True):
                pending = "enter"
            elif qty > 0 and cross(t, up=False):
                pending = "exit"
    if qty > 0:
        trades.append((entry_bar, n - 1, entry, c[-1], "open"))
    return PlainResult(trades, cash + qty * c[-1])


def random_bars(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    # gaps: the open differs from the previous close, sometimes by a lot, so stops gap through
    gap = rng.normal(0, 0.001, n) + np.where(rng.random(n) < 0.01, rng.normal(0, 0.02, n), 0.0)
    open_ = np.r_[close[0], close[:-1]] * np.exp(gap)
    high = np.maximum(open_, close) * (1 + rng.random(n) * 0.003)
    low = np.minimum(open_, close) * (1 - rng.random(n) * 0.003)
    return open_, high, low, close


def _agree(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, params: SmaCrossParams) -> int:
    fast = run_sma_cross(o, h, lo, c, params)
    plain = plain_sma_cross(o.tolist(), lo.tolist(), c.tolist(), params)
    assert fast.trades == len(plain.trades)
    got = list(zip(fast.entry_bar.tolist(), fast.exit_bar.tolist(), strict=True))
    assert got == [(e, x) for e, x, *_ in plain.trades]
    assert fast.exit_price.tolist() == pytest.approx([t[3] for t in plain.trades], rel=1e-12)
    assert math.isclose(fast.final_equity, plain.final_equity, rel_tol=1e-9)
    assert math.isclose(float(fast.equity[-1]), plain.final_equity, rel_tol=1e-9)
    return fast.trades


@pytest.mark.parametrize(
    ("seed", "fast", "slow", "fee", "stop"),
    [(1, 5, 20, 0.0, 0.0), (2, 10, 30, 0.0005, 0.01), (3, 3, 8, 0.001, 0.003), (4, 20, 50, 0.0, 0.02)],
)
def test_sma_cross_matches_plain_python_on_generated_bars(
    seed: int, fast: int, slow: int, fee: float, stop: float
) -> None:
    """P-STOP-1: stops fill at the stop, or at the open when the bar gaps through it."""
    o, h, lo, c = random_bars(20_000, seed)
    trades = _agree(o, h, lo, c, SmaCrossParams(fast, slow, fee, stop, 10_000.0))
    assert trades > 50


def test_sma_cross_matches_plain_python_on_real_btc_15m(market_fixtures: Path) -> None:
    candles = load_candles(market_fixtures / "binance_perp_15m_2023_2025" / "BTC_USDT_USDT-15m-futures.feather")
    o, h, lo, c = (np.asarray(a, dtype=np.float64) for a in (candles.open, candles.high, candles.low, candles.close))
    assert _agree(o, h, lo, c, SmaCrossParams(10, 30, 0.0005, 0.02, 10_000.0)) > 1000
    assert _agree(o, h, lo, c, SmaCrossParams(20, 100, 0.0, 0.0, 10_000.0)) > 100


def test_stop_is_active_on_the_entry_bar_and_a_stopped_trade_can_reenter() -> None:
    # closes rise (up-cross at bar 3), the entry bar (4) dips to the stop, a later up-cross enters again
    c = np.array([10, 9, 8, 9, 10, 9, 8, 7, 8, 9, 10, 11, 11], dtype=np.float64)
    o = np.r_[c[0], c[:-1]]
    lo = np.minimum(o, c) - 0.01
    lo[4] = 8.0  # far below the 2% stop under the entry at o[4] = 9
    h = np.maximum(o, c)
    result = run_sma_cross(o, h, lo, c, SmaCrossParams(1, 2, 0.0, 0.02, 100.0))
    assert result.entry_bar[0] == 4
    assert result.exit_bar[0] == 4
    assert result.reason[0] == 1
    assert result.exit_price[0] == pytest.approx(9 * 0.98)
    assert result.trades >= 2  # re-entered after the stop


def test_all_in_leaves_no_cash_and_the_last_bar_decides_nothing() -> None:
    c = np.array([5, 4, 3, 4, 5, 6], dtype=np.float64)  # the up-cross is on the last bars only
    o = c.copy()
    result = run_sma_cross(o, c, c, c, SmaCrossParams(1, 2, 0.001, 0.0, 1000.0))
    assert result.trades == 1
    assert result.reason[0] == 2
    assert result.quantity[0] == pytest.approx(1000.0 / (o[result.entry_bar[0]] * 1.001))
    last = c.copy()
    last[-1] = 7  # a cross on the very last bar is never acted on
    assert run_sma_cross(o, last, last, np.array([5, 5, 5, 5, 4, 7.0]), SmaCrossParams(1, 2)).trades == 0


@pytest.mark.parametrize("bad", [{"fast": 30, "slow": 10}, {"fee": 0.5}, {"stop_pct": 1.5}, {"cash": 0.0}])
def test_bad_parameters_are_refused_by_name(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        SmaCrossParams(**bad)  # type: ignore[arg-type]
