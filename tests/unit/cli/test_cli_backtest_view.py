"""What `bigalpha backtest` prints on a terminal (`cli/backtest_view.py`): the figures rounded for reading, the guard
table (L-GUARD-1) and the ablation, each row of the summary's JSON shown; a figure the JSON leaves null as —."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from bigalpha.cli.backtest_view import backtest_view

SUMMARY: dict[str, Any] = {
    "strategy": "bot",
    "source": "sim(seed=7, days=5)",
    "symbols": ["BTC", "ETH"],
    "bars": 28_800,
    "period": {"start": "2025-01-01T00:00:00+00:00", "end": "2025-01-06T00:00:00+00:00"},
    "starting_equity": 1660.0,
    "trades": 4,
    "final_equity": 1659.8157037256283,
    "net_pnl": -0.18429627437171803,
    "profit_factor": 0.6459846348723551,
    "win_rate": 0.5,
    "max_drawdown_pct": 0.05540634918094413,
    "sharpe": -2.2967722881333787,
    "sortino": None,
    "exposure_pct": 21.145833333333332,
    "open_trades": 1,
    "elapsed_s": 2.8257867419997638,
    "bars_per_s": 10191.85190868958,
    "guards": {
        "GOLDEN_HOUR": {"blocked": 87, "resized": 0, "shadow_pnl": 0.5919635098542942},
        "ULTRA_CONVICTION": {"blocked": 0, "resized": 49, "shadow_pnl": 0.0},
        "risk:PAUSED_AFTER_LOSSES": {"blocked": 31, "resized": 0, "shadow_pnl": -10.956278560337461},
    },
    "by_symbol": {
        "BTC": {"trades": 3, "net_pnl": -2.5, "win_rate": 1 / 3, "profit_factor": 0.5},
        "ETH": {"trades": 2, "net_pnl": 2.31, "win_rate": 1.0, "profit_factor": None},
    },
    "by_exit_reason": {"open": {"trades": 1, "net_pnl": 0.2, "win_rate": 1.0, "profit_factor": None}},
    "signals": 798,
    "missing_inputs": {"R-T-3 oi_change_pct: not in history file": 3},
    "paused_times": 1,
    "paused_pct": 90.7,
    "kill_switch_times": 0,
    "kill_switch_pct": 0.0,
    "supervision": {"resume_after_s": None, "reset_after_s": None},
    "ablation": [
        {
            "guard": "golden_hour",
            "trades": 5,
            "trades_delta": 1,
            "profit_factor": None,
            "profit_factor_delta": None,
            "profit_factor_delta_ci95": [None, None],
            "max_drawdown_pct": 0.07,
            "max_drawdown_delta": 0.0154,
            "max_drawdown_delta_ci95": [-0.0206, 0.041],
        }
    ],
    "window": {"start": "2025-01-01T00:00:00+00:00", "end": None},
}


def _shown(summary: dict[str, Any], written: tuple[str, ...] = ()) -> list[str]:
    console = Console(width=160, record=True, color_system=None)
    for part in backtest_view(summary, written):
        console.print(part)
    return [" ".join(line.split()) for line in console.export_text().splitlines()]


def _row(lines: list[str], start: str) -> str:
    matches = [line for line in lines if line.startswith(start)]
    assert len(matches) == 1, (start, lines)
    return matches[0]


def test_the_figures_are_rounded_with_what_they_measure() -> None:
    lines = _shown(SUMMARY, ("o.json", "t.csv"))
    assert lines[0] == (
        "bot on sim(seed=7, days=5) (BTC, ETH): 28,800 bars from 2025-01-01 00:00 to 2025-01-06 00:00 UTC"
        " (--start 2025-01-01 00:00 --end …)"
    )
    assert _row(lines, "trades") == "trades 4 closed; 1 open at the end"
    assert _row(lines, "final equity") == "final equity 1,659.82 from 1,660.00"
    assert _row(lines, "net P&L") == "net P&L -0.18 -0.01 % of the starting equity"
    assert _row(lines, "profit factor") == "profit factor 0.65 gross profit / gross loss"
    assert _row(lines, "win rate") == "win rate 50.00 %"
    assert _row(lines, "max drawdown") == "max drawdown 0.06 % of the equity's running peak"
    assert _row(lines, "Sortino") == "Sortino — annualized"  # null in the JSON (no losing bar)
    assert _row(lines, "signals") == "signals 798 each followed as a shadow trade (L-SHADOW-1)"
    assert _row(lines, "speed") == "speed 10,192 bars/s 2.83 s in all"
    assert lines[-1] == "wrote o.json, t.csv"


def test_every_guard_and_every_ablation_row_is_a_row_of_its_table() -> None:
    """L-GUARD-1: blocks, resizes and the blocked signals' summed shadow returns, signed; the ablation's deltas with
    their bootstrap intervals, an undefined profit factor as —."""
    lines = _shown(SUMMARY)
    assert _row(lines, "GOLDEN_HOUR") == "GOLDEN_HOUR 87 0 +0.59"
    assert _row(lines, "ULTRA_CONVICTION") == "ULTRA_CONVICTION 0 49 +0.00"
    assert _row(lines, "risk:PAUSED_AFTER_LOSSES") == "risk:PAUSED_AFTER_LOSSES 31 0 -10.96"
    assert _row(lines, "golden_hour") == "golden_hour 5 (+1) — +0.02 [-0.02, +0.04]"


def test_the_trades_are_shown_per_symbol_when_there_are_several_and_per_exit_reason() -> None:
    lines = _shown(SUMMARY)
    assert _row(lines, "BTC 3") == "BTC 3 -2.50 33.33 % 0.50"
    assert _row(lines, "ETH 2") == "ETH 2 +2.31 100.00 % —"
    assert _row(lines, "open 1") == "open 1 +0.20 100.00 % —"
    one = _shown({**SUMMARY, "by_symbol": {"ETH": SUMMARY["by_symbol"]["ETH"]}})
    assert "per symbol" not in " ".join(one)  # one symbol's row would repeat the figures
    assert "per exit reason" in " ".join(one)


def test_the_latch_and_the_missing_inputs_are_said_after_the_tables() -> None:
    text = " ".join(_shown(SUMMARY))
    assert "trading paused (R-M-3) 1x, 90.7% of the run (nobody lifts it in a backtest unless --resume-after" in text
    assert "the risk gate refused 3 entries for inputs the data did not give" in text
    assert text.index("ablation") < text.index("trading paused")


def test_the_reference_strategy_shows_no_gate() -> None:
    """sma_cross has no gate, signals or latches: none of their lines, and a profit factor without a losing trade."""
    reference = {
        key: SUMMARY[key]
        for key in ("strategy", "source", "symbols", "bars", "period", "starting_equity", "elapsed_s", "bars_per_s")
    }
    lines = _shown({**reference, "strategy": "sma_cross", "trades": 3, "profit_factor": None, "open_trades": 0})
    assert _row(lines, "trades") == "trades 3 closed"
    assert _row(lines, "profit factor") == "profit factor — no losing trade"
    text = " ".join(lines)
    for absent in ("guards", "ablation", "signals", "paused", "refused", "wrote"):
        assert absent not in text
