"""Walk-forward validation of L-OPT-2's search (`bigalpha optimize --walk-forward K`).

A history's span is cut into K + 1 segments of equal time. Fold k searches the thresholds on segment k − 1 (or,
anchored, on every segment up to k − 1: a study of its own) and is then tested on segment k, which its search never
saw: the settings its best trial chose, and the current settings, each backtested there. Summed over the folds, the tested segments say what re-tuning
every segment would have earned against never tuning, on bars no choice was made on. A fold whose search found no
trial with a value keeps the current settings, as a user acting on it would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bigalpha.backtest.optimize import TrialRow
from bigalpha.backtest.window import Window

if TYPE_CHECKING:
    from bigalpha.backtest.market import Market


class WalkForwardError(ValueError):
    """Folds the history cannot give; the message says why."""


@dataclass(frozen=True, slots=True)
class Fold:
    """Fold `number` (from 1): the segment its study searches and the next one, where its choice is tested."""

    number: int
    searched: Window
    tested: Window

    def study(self, base: str) -> str:
        """The fold's study: named by its searched segment, so a run over the same segment adds to it and a run
        over another never mixes markets in one study."""
        start, end = self.searched.start, self.searched.end
        if start is None or end is None:
            raise ValueError("a fold's searched segment has both ends")
        return f"{base}-wf-{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}"


@dataclass(frozen=True, slots=True)
class Span:
    """A market's time: its first traded bar's open, its last bar's close, and the length of a bar."""

    first_open: datetime
    last_close: datetime
    bar: timedelta

    @classmethod
    def of(cls, market: Market) -> Span:
        bar = timedelta(seconds=market.bar_seconds)
        first_close = datetime.fromtimestamp(int(market.traded_ns[0]) / 1e9, UTC)  # a bar's tick is its close
        return cls(first_close - bar, datetime.fromtimestamp(int(market.tick_ns[-1]) / 1e9, UTC), bar)


def searched_description(anchored: bool) -> str:
    """What each fold searched, for the printed outcome and the report."""
    return "every segment up to its own" if anchored else "one segment"


def plan_folds(span: Span, folds: int, *, anchored: bool = False) -> tuple[Fold, ...]:
    """`folds` folds over the bars of `span`: folds + 1 segments of equal time, each boundary a whole number of
    bars after the first bar's open (the last segment takes the bars left over). Fold k searches segment k − 1, or
    `anchored`, every segment from the first to k − 1; it is tested on segment k either way."""
    first_open, last_close, bar = span.first_open, span.last_close, span.bar
    if folds < 1:
        raise WalkForwardError(f"--walk-forward {folds}: give at least 1 fold (2 segments)")
    bars = math.floor((last_close - first_open) / bar)
    per_segment = bars // (folds + 1)
    if per_segment < 1:
        raise WalkForwardError(
            f"--walk-forward {folds}: {bars} bars of {bar} cannot make {folds + 1} segments of a bar or more"
        )
    bounds = [first_open + bar * per_segment * k for k in range(folds + 1)] + [last_close]
    return tuple(
        Fold(k, Window(bounds[0] if anchored else bounds[k - 1], bounds[k]), Window(bounds[k], bounds[k + 1]))
        for k in range(1, folds + 1)
    )


@dataclass(frozen=True, slots=True)
class FoldOutcome:
    """What one fold found: its study's best (None: no trial had a value) and the figures on its tested segment of
    the current settings and of the settings the fold chose (the best's, else the current ones)."""

    fold: Fold
    study: str
    ran: int
    trials_total: int
    best: TrialRow | None
    current: dict[str, Any]
    chosen: dict[str, Any]
    importances: dict[str, float] | None = None  # the fold's study's (`optimize.importances`)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fold": self.fold.number,
            "searched": self.fold.searched.to_dict(),
            "tested": self.fold.tested.to_dict(),
            "study": self.study,
            "ran": self.ran,
            "trials_total": self.trials_total,
            "best": None if self.best is None else self.best.to_dict(),
            "tested_current": self.current,
            "tested_chosen": self.chosen,
            "importances": self.importances,
        }


def totals(outcomes: list[FoldOutcome], objective: str) -> dict[str, Any]:
    """The tested segments together: trades and net P&L summed for the chosen settings and the current ones, and
    the folds where the chosen settings' objective was above the current settings' (an undefined one is never
    above)."""

    def summed(side: str, name: str) -> float:
        return sum(float(getattr(outcome, side)[name] or 0.0) for outcome in outcomes)

    ahead = sum(
        1
        for outcome in outcomes
        if outcome.chosen[objective] is not None
        and (outcome.current[objective] is None or outcome.chosen[objective] > outcome.current[objective])
    )
    return {
        "folds": len(outcomes),
        "chosen": {"net_pnl": summed("chosen", "net_pnl"), "trades": int(summed("chosen", "trades"))},
        "current": {"net_pnl": summed("current", "net_pnl"), "trades": int(summed("current", "trades"))},
        "folds_chosen_ahead": ahead,
        "folds_without_best": sum(1 for outcome in outcomes if outcome.best is None),
    }
