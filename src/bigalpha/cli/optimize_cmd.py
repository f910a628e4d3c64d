"""`bigalpha optimize`: L-OPT-2's search of the gate and exit thresholds over backtests (Optuna), on the markets
`bigalpha backtest` takes."""

from __future__ import annotations

import itertools
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from bigalpha.cli.backtest_cmd import (
    REFERENCE,
    _bot_settings,
    _check_strategy,
    _market,
    _params,
    _Part,
    _part,
    _supervision,
    _warmup_bars,
    _with_progress_of_runs,
)
from bigalpha.cli.context import console, fail, print_json, state

if TYPE_CHECKING:
    from bigalpha.backtest.market import Market
    from bigalpha.backtest.optimize import Bound, Outcome, RunFn
    from bigalpha.backtest.results import BacktestResult
    from bigalpha.backtest.supervision import Supervision
    from bigalpha.config import Settings


def _space(settings: Settings, pairs: list[str]) -> dict[str, list[float]]:
    """`--space KEY=LOW:HIGH` (the space is then exactly those), else the configured `learning.optuna_space`."""
    if not pairs:
        return dict(settings.learning.optuna_space)
    space: dict[str, list[float]] = {}
    for pair in pairs:
        key, sep, bounds = pair.partition("=")
        low, colon, high = bounds.partition(":")
        try:
            if not sep or not colon or not key.strip():
                raise ValueError
            space[key.strip()] = [float(low), float(high)]
        except ValueError:
            fail(f"--space {pair!r}: write KEY=LOW:HIGH, e.g. --space gate.taker_min_ratio=0.9:1.5", code=2)
    return space


def _storage(settings: Settings, given: str | None) -> str:
    """`--storage`, else `learning.optuna_storage`, else SQLite in the data directory (made if missing); never the
    bot's own store, where Optuna's tables (its own migration record among them) would meet the bot's."""
    from bigalpha.store.database import database_url, safe_url

    chosen = given if given is not None else settings.learning.optuna_storage
    if chosen is not None:
        if chosen == database_url(settings):
            fail(
                f"--storage {safe_url(chosen)} is the bot's own store: keep the studies in another database "
                "(Optuna keeps tables of its own)",
                code=2,
            )
        return chosen
    folder = settings.store.data_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(f"store.data_dir: cannot create {folder} for the optimizer's studies: {error}", code=2)
    return f"sqlite:///{(folder / 'optuna.db').as_posix()}"


def _head(
    study: str, storage: str, objective: str, space: dict[str, list[float]], params: dict[str, str]
) -> dict[str, Any]:
    """What every outcome starts with: the study, where it is kept (no password), and what was searched how."""
    from bigalpha.store.database import safe_url

    return {"study": study, "storage": safe_url(storage), "objective": objective, "space": space, "params": params}


def _summary(
    settings: Settings, outcome: Outcome, storage: str, space: dict[str, list[float]], params: dict[str, str]
) -> dict[str, Any]:
    from bigalpha.backtest.optimize import config_snippet

    return {
        **_head(outcome.study, storage, outcome.objective, space, params),
        "ran": outcome.ran,
        "trials_total": len(outcome.trials),
        "best": None if outcome.best is None else outcome.best.to_dict(),
        "best_config": None if outcome.best is None else config_snippet(settings, outcome.best.params),
        "importances": outcome.importances,
        "trials": [row.to_dict() for row in outcome.trials],
    }


def register(app: typer.Typer) -> None:
    @app.command()
    def optimize(
        ctx: typer.Context,
        data: Annotated[
            Path | None, typer.Option("--data", help="history file or folder, or a `bigalpha sim --out` dataset")
        ] = None,
        sim: Annotated[bool, typer.Option("--sim", help="optimize on the built-in simulator")] = False,
        symbols: Annotated[str | None, typer.Option("--symbols", help="symbols, e.g. BTC,ETH (as backtest)")] = None,
        days: Annotated[int, typer.Option("--days", help="simulator days of 1-minute bars")] = 7,
        seed: Annotated[int, typer.Option("--seed", help="simulator seed")] = 7,
        hurst: Annotated[float | None, typer.Option("--hurst", help="simulator regime (as backtest)")] = None,
        scenario: Annotated[str | None, typer.Option("--scenario", help="simulator scenario (as backtest)")] = None,
        timeframe: Annotated[
            str | None, typer.Option("--timeframe", help="--data: which candles (as backtest)")
        ] = None,
        start: Annotated[str | None, typer.Option("--start", help="--data: first bar's open, at or after")] = None,
        end: Annotated[str | None, typer.Option("--end", help="--data: bars opening before this")] = None,
        warmup: Annotated[
            int | None,
            typer.Option(
                "--warmup",
                help="--data: bars before each backtest's first its indicators are computed over (as backtest)",
            ),
        ] = None,
        strategy: Annotated[
            str, typer.Option("--strategy", help="bot (the whole bot) or one of its strategies alone")
        ] = "bot",
        param: Annotated[
            list[str] | None, typer.Option("--param", help="key=value: a setting fixed for every trial")
        ] = None,
        resume_after: Annotated[
            str | None, typer.Option("--resume-after", help="a simulated person resumes trading (as backtest)")
        ] = None,
        reset_after: Annotated[
            str | None, typer.Option("--reset-after", help="a simulated person resets the kill switch (as backtest)")
        ] = None,
        trials: Annotated[int, typer.Option("--trials", help="backtests to run now, each one trial")] = 20,
        study: Annotated[str, typer.Option("--study", help="the study's name: runs with the same one add to it")] = (
            "bigalpha"
        ),
        storage: Annotated[
            str | None,
            typer.Option(
                "--storage",
                help="database of the studies, e.g. postgresql+psycopg://… (default: learning.optuna_storage, or "
                "SQLite in the data directory)",
            ),
        ] = None,
        objective: Annotated[
            str, typer.Option("--objective", help="what a trial maximises: net_pnl, sharpe, sortino or profit_factor")
        ] = "net_pnl",
        min_trades: Annotated[
            int, typer.Option("--min-trades", help="a trial closing fewer trades is worth nothing")
        ] = 5,
        space: Annotated[
            list[str] | None,
            typer.Option(
                "--space",
                help="KEY=LOW:HIGH, repeatable: search exactly these (default: learning.optuna_space)",
            ),
        ] = None,
        jobs: Annotated[
            int | None,
            typer.Option("--jobs", help="trials at once, each in a process of its own (default: the CPUs available)"),
        ] = None,
        sampler_seed: Annotated[
            int | None,
            typer.Option("--sampler-seed", help="seed of Optuna's sampler, for a reproducible worker"),
        ] = None,
        validate_seed: Annotated[
            int | None,
            typer.Option("--validate-seed", help="--sim: backtest the best on this seed's market too (held out)"),
        ] = None,
        validate_start: Annotated[
            str | None,
            typer.Option("--validate-start", help="--data: backtest the best on the bars from here too (held out)"),
        ] = None,
        validate_end: Annotated[
            str | None, typer.Option("--validate-end", help="--data: ... and before this (held out)")
        ] = None,
        walk_forward: Annotated[
            int | None,
            typer.Option(
                "--walk-forward",
                help="--data: cut the span into K+1 segments; fold k searches segment k-1 and tests on segment k",
            ),
        ] = None,
        anchored: Annotated[
            bool,
            typer.Option("--anchored", help="--walk-forward: fold k searches every segment up to k-1, not k-1 alone"),
        ] = False,
        json_file: Annotated[Path | None, typer.Option("--json", help="write the outcome as JSON to this file")] = None,
        report: Annotated[
            Path | None, typer.Option("--report", help="write the outcome as one HTML page (Plotly) to this file")
        ] = None,
    ) -> None:
        """L-OPT-2: search the gate and exit thresholds over backtests: `bigalpha optimize --sim --trials 50`."""
        from bigalpha.backtest.optimize import SpaceError, held_out, search_space

        settings = state(ctx).settings()
        _check_options(strategy, data, sim, trials, min_trades, objective)
        params = _params(param or [])
        settings = _bot_settings(settings, params)
        only = None if strategy == "bot" else strategy
        bounds = _space(settings, space or [])
        try:
            searched = search_space(settings, bounds)
        except SpaceError as error:
            fail(f"{'--space' if space else 'learning.optuna_space'}: {error}", code=2)
        warmup_bars = _warmup_bars(settings, warmup, sim=sim, reference=False)
        part = _part(timeframe, start, end, sim, warmup_bars)
        supervision = _supervision(resume_after, reset_after)
        held_part = _held_out_part(timeframe, validate_seed, validate_start, validate_end, sim, warmup_bars)
        _check_walk_forward(walk_forward, sim, held_part)
        if anchored and walk_forward is None:
            fail("--anchored: chooses how a walk-forward's folds search; give --walk-forward K", code=2)
        workers = _jobs(jobs)
        url = _storage(settings, storage)
        _check_only(settings, only)
        sim_args = {"symbols": symbols, "days": days, "seed": seed, "hurst": hurst, "scenario": scenario}
        study_run = _StudyRun(study, url, objective, trials, min_trades, sampler_seed, workers)
        if walk_forward is not None and data is not None:
            from bigalpha.backtest.walk_forward import Span
            from bigalpha.cli.optimize_walk import print_walk_forward
            from bigalpha.cli.optimize_walk import walk_forward as run_walk_forward

            # The span is the candles' alone: the trade files (the longest part of reading an archive, and the
            # largest in memory) are read by each fold for its own segments, the first checked before any trial.
            span = Span.of(_market(settings, data, sim_args, part, with_trades=False))
            folds = run_walk_forward(
                settings, span, data, sim_args, part, walk_forward, anchored, searched, study_run, only, supervision
            )
            summary = {**_head(study, url, objective, bounds, params), "walk_forward": folds}
            _emit(summary, json_file, report, print_walk_forward)
            return
        market = _bot_market(settings, data, sim_args, part)
        with tempfile.TemporaryDirectory(prefix="bigalpha-optimize-") as folder:
            outcome = _run_study(
                settings, _runner(market, only, supervision, Path(folder), "trial"), searched, study_run
            )
            validation = None
            if held_part is not None and outcome.best is not None:
                held_args = sim_args if validate_seed is None else {**sim_args, "seed": validate_seed}
                held_market = _bot_market(settings, data, held_args, held_part)
                validation = held_out(
                    settings, outcome.best, _runner(held_market, only, supervision, Path(folder), "held-out"), objective
                )
        summary = _summary(settings, outcome, url, bounds, params)
        summary["validation"] = validation
        _emit(summary, json_file, report, _print)


def _emit(
    summary: dict[str, Any], json_file: Path | None, report: Path | None, show: Callable[[dict[str, Any]], None]
) -> None:
    """The summary to `--report FILE` and `--json FILE` and shown, or as JSON on stdout when that is no terminal."""
    if report is not None:
        from bigalpha.backtest.optimize_report import write_optimize_report

        try:
            write_optimize_report(summary, report)
        except OSError as error:
            fail(f"--report: cannot write {report}: {error}", code=2)
    if json_file is not None:
        try:
            json_file.write_text(json.dumps(summary, indent=2) + "\n")
        except OSError as error:
            fail(f"--json: cannot write {json_file}: {error}", code=2)
    elif not sys.stdout.isatty():
        print_json(summary)
        return
    show(summary)


def _check_options(strategy: str, data: Path | None, sim: bool, trials: int, min_trades: int, objective: str) -> None:
    from bigalpha.backtest.optimize import OBJECTIVES

    _check_strategy(strategy)
    if strategy == REFERENCE:
        fail("--strategy sma_cross: the optimizer searches the bot's thresholds; sma_cross has none", code=2)
    if (data is None) == (not sim):
        fail("give exactly one market: --data FILE_OR_DIR or --sim", code=2)
    if trials < 1:
        fail(f"--trials: run at least 1, got {trials}", code=2)
    if min_trades < 0:
        fail(f"--min-trades: must be 0 or more, got {min_trades}", code=2)
    if objective not in OBJECTIVES:
        fail(f"--objective {objective!r}: choose one of {', '.join(OBJECTIVES)}", code=2)


class _StudyRun(NamedTuple):
    """Which study, where, and what this run of the optimizer adds to it."""

    study: str
    storage: str
    objective: str
    trials: int
    min_trades: int
    sampler_seed: int | None
    jobs: int


def _bot_market(settings: Settings, data: Path | None, sim_args: dict[str, Any], part: _Part) -> Market:
    """The market, refused before any trial when the bot cannot run on it (a trial would fail, and stay failed in
    the study)."""
    from bigalpha.backtest.bot import check_bot_market
    from bigalpha.backtest.market import MarketError

    market = _market(settings, data, sim_args, part)
    try:
        check_bot_market(market)
    except MarketError as error:
        fail(str(error), code=2)
    return market


def _jobs(given: int | None) -> int:
    from bigalpha.backtest.parallel import usable_cpus

    if given is not None and given < 1:
        fail(f"--jobs: must be at least 1, got {given}", code=2)
    return usable_cpus() if given is None else given


def _check_only(settings: Settings, only: str | None) -> None:
    from bigalpha.engine.build import BuildError, only_strategy

    if only is not None:
        try:
            only_strategy(settings, only)
        except BuildError as error:
            fail(f"--strategy {only}: {error}", code=2)


def _check_walk_forward(folds: int | None, sim: bool, held_part: _Part | None) -> None:
    if folds is None:
        return
    if sim:
        fail("--walk-forward: cuts a history's span (--data); on the simulator, hold out --validate-seed", code=2)
    if held_part is not None:
        fail(
            "--walk-forward tests each fold on the segment after it: leave out --validate-start/--validate-end", code=2
        )
    if folds < 1:
        fail(f"--walk-forward: give at least 1 fold (2 segments), got {folds}", code=2)


def _held_out_part(
    timeframe: str | None, seed: int | None, start: str | None, end: str | None, sim: bool, warmup_bars: int = 0
) -> _Part | None:
    """The market the best is checked on: the simulator at another seed, or another window of the history."""
    if sim and (start is not None or end is not None):
        fail("--validate-start/--validate-end: hold out part of --data; with --sim, hold out --validate-seed", code=2)
    if not sim and seed is not None:
        fail("--validate-seed: holds out another simulated market; with --data, hold out --validate-start/-end", code=2)
    if seed is None and start is None and end is None:
        return None
    return _part(timeframe, start, end, sim, warmup_bars)


def _runner(market: Market, only: str | None, supervision: Supervision, folder: Path, label: str) -> RunFn:
    """A backtest of given settings on `market`, into a store of its own in `folder` (`LABEL-PID-N.db`), deleted once
    its result is made."""
    from bigalpha.backtest.market import MarketError
    from bigalpha.backtest.runner import run_whole_bot

    numbers = itertools.count(1)

    def run(chosen: Settings) -> BacktestResult:
        path = folder / f"{label}-{os.getpid()}-{next(numbers)}.db"  # forked workers share the folder
        try:
            return run_whole_bot(chosen, market, path, only=only, supervision=supervision)
        except MarketError as error:
            fail(str(error), code=2)
        finally:
            path.unlink(missing_ok=True)

    return run


def _run_study(settings: Settings, run: RunFn, searched: tuple[Bound, ...], study_run: _StudyRun) -> Outcome:
    """The trials under one progress bar. Stopped with Ctrl-C, the run ends with what the study kept; a worker
    that dies ends it with a message saying so."""
    from bigalpha.backtest.optimize import StorageError, optimize
    from bigalpha.backtest.parallel import WorkerLost

    finished = 0

    def counting(shown: Callable[[int, int], None] | None) -> Callable[[int, int], None]:
        def done(count: int, total: int) -> None:
            nonlocal finished
            finished = count
            if shown is not None:
                shown(count, total)

        return done

    try:
        return _with_progress_of_runs(
            f"optimize ({study_run.study}, {study_run.jobs} at once)",
            study_run.trials,
            lambda shown: optimize(
                settings,
                run,
                searched,
                objective=study_run.objective,
                trials=study_run.trials,
                study=study_run.study,
                storage=study_run.storage,
                min_trades=study_run.min_trades,
                seed=study_run.sampler_seed,
                done=counting(shown),
                jobs=study_run.jobs,
            ),
        )
    except StorageError as error:
        fail(f"--storage {error}", code=2)
    except KeyboardInterrupt:
        fail(
            f"interrupted after {finished} of {study_run.trials} trials: the study {study_run.study} keeps every "
            "finished trial (one cut short is marked failed); run the same command again to go on",
            code=130,
        )
    except WorkerLost as error:
        fail(f"--jobs: {error}; run fewer at once with --jobs (each worker holds one backtest)", code=1)


_SHOWN_IMPORTANCES = 5


def _print(summary: dict[str, Any]) -> None:
    best = summary["best"]
    console.print(
        f"study {summary['study']} in {summary['storage']}: {summary['ran']} trials run now, "
        f"{summary['trials_total']} in all",
        highlight=False,
    )
    if best is None:
        console.print(
            f"no trial has a value yet: each closed too few trades or its {summary['objective']} is undefined",
            highlight=False,
        )
        return
    console.print(
        f"best: trial {best['number']}, {summary['objective']}={best['value']:.6g} ({best['trades']} trades, "
        f"max drawdown {best['max_drawdown_pct']:.3g}%)",
        highlight=False,
    )
    validation = summary.get("validation")
    objective = summary["objective"]
    if validation is None:
        console.print(
            "in-sample only: a threshold chosen on one market fits that market; check it on another "
            "(--validate-seed, --validate-start/--validate-end) before trusting it",
            highlight=False,
        )
    else:
        current, chosen = validation["current"], validation["best"]
        console.print(
            f"held out: best {objective}={chosen[objective]} ({chosen['trades']} trades) against the current "
            f"settings' {current[objective]} ({current['trades']} trades)",
            highlight=False,
        )
    # quoted where the shell would read a character (an item's brackets) as a pattern
    shares = summary.get("importances")
    if shares:
        top = ", ".join(f"{name} {share:.2f}" for name, share in list(shares.items())[:_SHOWN_IMPORTANCES])
        console.print(f"the settings that moved {objective} most (PED-ANOVA, shares of 1): {top}", highlight=False)
    flags = " ".join(f"--param {shlex.quote(f'{key}={value!r}')}" for key, value in best["params"].items())
    console.print(f"to backtest it: bigalpha backtest … {flags}", highlight=False)
    console.print(f"in the config file:\n{summary['best_config']}", highlight=False, markup=False)
