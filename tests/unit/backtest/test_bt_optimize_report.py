"""What the optimizer says about a study beyond its best: how much each searched setting moved the objective
(`importances`), and the outcome as one HTML page (`bigalpha optimize --report`)."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import Any

import optuna
import pytest

from bigalpha.backtest.optimize import MIN_TRIALS_FOR_IMPORTANCE, importances
from bigalpha.backtest.optimize_report import write_optimize_report


def _trials(values: list[float | None], n: int = 30) -> list[optuna.trial.FrozenTrial]:
    """`n` trials of a study over x (drives the value), y and z (nothing); a value from `values` replaces the
    computed one where given (−∞: worth nothing)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=4))
    given = iter(values)

    def value(trial: optuna.Trial) -> float:
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_int("y", 0, 10)
        trial.suggest_float("z", 0, 1)
        forced = next(given, None)
        return forced if forced is not None else 10 * x + 0 * y

    study.optimize(value, n_trials=n)
    return study.get_trials()


def test_the_setting_that_drives_the_value_moves_the_largest_share() -> None:
    trials = _trials([])
    shares = importances(trials)
    assert shares is not None
    assert next(iter(shares)) == "x"  # largest first
    assert shares["x"] > 0.8  # rough on 30 trials TPE proposed close together, but clear
    assert sum(shares.values()) == pytest.approx(1.0)
    assert importances(trials) == shares  # the same trials, the same shares


def test_trials_worth_nothing_are_left_out_and_too_few_or_equal_values_say_nothing() -> None:
    worthless = [-math.inf] * 15
    with_worthless = importances(_trials(worthless, n=40))
    assert with_worthless is not None
    assert set(with_worthless) == {"x", "y", "z"}
    assert importances(_trials([], n=MIN_TRIALS_FOR_IMPORTANCE - 1)) is None
    assert importances(_trials([-math.inf] * 20, n=20 + MIN_TRIALS_FOR_IMPORTANCE - 1)) is None
    assert importances(_trials([1.0] * 12, n=12)) is None  # every value equal: nothing to tell apart


def _trial(number: int, value: float | None, state: str = "COMPLETE", **params: float) -> dict[str, Any]:
    figures = {"trades": 7, "net_pnl": value, "profit_factor": 1.5, "win_rate": 0.5, "max_drawdown_pct": 0.1}
    return {"number": number, "state": state, "value": value, "params": params, **figures}


def _text(page: str) -> str:
    """The page's words, its scripts left out."""
    shown = re.sub(r"<(script|style).*?</\1>", "", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", shown)).split())


def test_a_study_page_shows_each_trial_the_shares_the_held_out_check_and_the_best(tmp_path: Path) -> None:
    trials = [_trial(0, 1.5, x=0.1), _trial(1, None, x=0.2), _trial(2, None, "PRUNED", x=0.3), _trial(3, 2.25, x=0.4)]
    summary = {
        "study": "eth", "storage": "sqlite:///s.db", "objective": "net_pnl", "space": {"x": [0.0, 1.0]},
        "params": {}, "ran": 4, "trials_total": 4, "best": trials[3], "best_config": "[gate]\nx = 0.4\n",
        "importances": {"x": 1.0},
        "validation": {"current": {"net_pnl": -0.5, "trades": 2}, "best": {"net_pnl": 0.25, "trades": 3}},
        "trials": trials,
    }  # fmt: skip
    page_file = tmp_path / "study.html"
    write_optimize_report(summary, page_file)
    page = page_file.read_text()
    assert page.count("window.PlotlyConfig") == 1  # Plotly inlined once: the page opens offline
    text = _text(page)
    assert "bigalpha optimize: study eth (net_pnl)" in text
    assert "4 trials run now, 4 in the study: 2 with a value, 1 worth nothing" in text
    assert "1 pruned" in text
    assert "Share of net_pnl each setting moved" in page
    assert "Held out: a market the study never saw figure current best net_pnl -0.5000 0.2500 trades 2 3" in text
    assert "Searched settings setting low high best x 0.0000 1.0000 0.4000" in text
    assert "The best 2 trials trial net_pnl trades profit_factor" in text  # the objective once
    assert "3 2.2500 7" in text  # best first
    assert "[gate] x = 0.4" in text


def test_a_walk_forward_page_shows_each_fold_and_the_totals(tmp_path: Path) -> None:
    def figures(value: float, trades: int) -> dict[str, Any]:
        return {"net_pnl": value, "trades": trades}

    fold = {
        "fold": 1, "searched": {"start": "2025-01-01T00:00:00+00:00", "end": "2025-01-02T00:00:00+00:00"},
        "tested": {"start": "2025-01-02T00:00:00+00:00", "end": "2025-01-03T00:00:00+00:00"},
        "study": "eth-wf-20250101T0000-20250102T0000", "ran": 5, "trials_total": 5,
        "best": _trial(4, 0.75, x=0.5), "tested_current": figures(-1.0, 3), "tested_chosen": figures(0.5, 2),
        "importances": {"x": 0.8, "y": 0.2},
    }  # fmt: skip
    total = {"folds": 1, "chosen": figures(0.5, 2), "current": figures(-1.0, 3), "folds_chosen_ahead": 1,
             "folds_without_best": 0}  # fmt: skip
    summary = {"study": "eth", "storage": "sqlite:///s.db", "objective": "net_pnl", "space": {}, "params": {},
               "walk_forward": {"folds": [fold], "total": total}}  # fmt: skip
    page_file = tmp_path / "walk.html"
    write_optimize_report(summary, page_file)
    text = _text(page_file.read_text())
    assert "bigalpha optimize: walk-forward eth (net_pnl)" in text
    assert (
        "1 2025-01-01T00:00:00+00:00 → 2025-01-02T00:00:00+00:00 2025-01-02T00:00:00+00:00 → "
        "2025-01-03T00:00:00+00:00 eth-wf-20250101T0000-20250102T0000 5 0.7500 0.5000 2 -1.0000 3 x (0.80)"
    ) in text
    assert "net P&L of the chosen settings, tested segments 0.5000" in text
    assert "folds where the chosen net_pnl was above the current 1" in text
