"""`bigalpha optimize --walk-forward K`: each fold's study on one segment of the history, its choice tested on the
next (`bigalpha.backtest.walk_forward`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bigalpha.cli.backtest_cmd import _Part
from bigalpha.cli.context import console, fail

if TYPE_CHECKING:
    from bigalpha.backtest.market import Market
    from bigalpha.backtest.optimize import Bound
    from bigalpha.backtest.supervision import Supervision
    from bigalpha.backtest.walk_forward import Span
    from bigalpha.backtest.window import Window
    from bigalpha.cli.optimize_cmd import _StudyRun
    from bigalpha.config import Settings


def walk_forward(
    settings: Settings,
    span: Span,
    data: Path,
    market_args: dict[str, Any],
    part: _Part,
    folds: int,
    anchored: bool,
    searched: tuple[Bound, ...],
    study_run: _StudyRun,
    only: str | None,
    supervision: Supervision,
) -> dict[str, Any]:
    """The folds over `span` (of the history `data` and `part` chose), each searched and tested on markets read
    from `data` for its segments: the `walk_forward` part of the summary."""
    from bigalpha.backtest.optimize import measured
    from bigalpha.backtest.walk_forward import FoldOutcome, WalkForwardError, plan_folds, totals
    from bigalpha.cli.optimize_cmd import _bot_market, _run_study, _runner
    from bigalpha.config.overrides import with_overrides

    try:
        plan = plan_folds(span, folds, anchored=anchored)
    except WalkForwardError as error:
        fail(str(error), code=2)
    outcomes: list[FoldOutcome] = []
    objective = study_run.objective
    tested: tuple[Window, Market] | None = None
    with tempfile.TemporaryDirectory(prefix="bigalpha-walk-forward-") as folder:
        for fold in plan:
            name = fold.study(study_run.study)
            # rolling, the segment fold k tested is the one fold k + 1 searches: read once
            searched_market = (
                tested[1]
                if tested is not None and tested[0] == fold.searched
                else _bot_market(settings, data, market_args, _Part(part.timeframe, fold.searched, part.warmup_bars))
            )
            run = _runner(searched_market, only, supervision, Path(folder), f"fold{fold.number}")
            outcome = _run_study(settings, run, searched, study_run._replace(study=name))
            del searched_market, run  # at most the searched and the tested segments' markets at once
            tested = (
                fold.tested,
                _bot_market(settings, data, market_args, _Part(part.timeframe, fold.tested, part.warmup_bars)),
            )
            test = _runner(tested[1], only, supervision, Path(folder), f"tested{fold.number}")
            current = measured(settings, test, objective)
            best = outcome.best
            chosen = current if best is None else measured(with_overrides(settings, best.params), test, objective)
            outcomes.append(
                FoldOutcome(fold, name, outcome.ran, len(outcome.trials), best, current, chosen, outcome.importances)
            )
    return {
        "anchored": anchored,
        "folds": [outcome.to_dict() for outcome in outcomes],
        "total": totals(outcomes, objective),
    }


def print_walk_forward(summary: dict[str, Any]) -> None:
    from bigalpha.backtest.walk_forward import searched_description

    walk = summary["walk_forward"]
    objective = summary["objective"]
    console.print(
        f"walk-forward in {summary['storage']}: {len(walk['folds'])} folds, each searched on "
        f"{searched_description(walk.get('anchored', False))} and tested on the next",
        highlight=False,
    )
    for fold in walk["folds"]:
        searched, tested, best = fold["searched"], fold["tested"], fold["best"]
        found = (
            f"best in-sample {objective}={best['value']:.6g} (trial {best['number']} of {fold['study']})"
            if best is not None
            else f"no trial of {fold['study']} had a value: the current settings kept"
        )
        chosen, current = fold["tested_chosen"], fold["tested_current"]
        console.print(
            f"fold {fold['fold']}: searched {searched['start']} → {searched['end']}, {found}; tested "
            f"{tested['start']} → {tested['end']}: chosen {objective}={chosen[objective]} ({chosen['trades']} trades) "
            f"against current {current[objective]} ({current['trades']} trades)",
            highlight=False,
        )
    total = walk["total"]
    chosen, current = total["chosen"], total["current"]
    console.print(
        f"out of sample, all folds: chosen net_pnl={chosen['net_pnl']:.6g} ({chosen['trades']} trades) against "
        f"current {current['net_pnl']:.6g} ({current['trades']} trades); the chosen settings' {objective} was "
        f"above the current settings' in {total['folds_chosen_ahead']} of {total['folds']} folds",
        highlight=False,
    )
    latest = walk["folds"][-1]["tested"]["start"]
    console.print(
        f"to choose settings now, search the latest segment: bigalpha optimize --data … --start {latest}",
        highlight=False,
    )
