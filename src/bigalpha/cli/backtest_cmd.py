"""`bigalpha backtest`: the bot (or the reference `sma_cross`) over history files or the simulator, fast."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeVar

import typer

from bigalpha.cli.backtest_view import backtest_view
from bigalpha.cli.context import console, fail, parse_duration, parse_moment, print_json, state

if TYPE_CHECKING:
    from bigalpha.backtest.market import Market
    from bigalpha.backtest.results import BacktestResult
    from bigalpha.backtest.supervision import Supervision
    from bigalpha.backtest.window import Window
    from bigalpha.config import Settings

T = TypeVar("T")
REFERENCE = "sma_cross"


class _Ablation(NamedTuple):
    """What `--ablate`, `--ablate-seed` and `--jobs` ask of a bot backtest."""

    on: bool
    seed: int
    jobs: int | None  # None: the CPUs available


_SMA_PARAMS = ("fast", "slow")


def _params(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            fail(f"--param {pair!r}: write key=value, e.g. --param fast=10", code=2)
        out[key.strip()] = value.strip()
    return out


def _int_param(params: dict[str, str], key: str, default: int) -> int:
    text = params.get(key)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        fail(f"--param {key}={text}: {key} must be a whole number of bars", code=2)


def _bot_settings(settings: Settings, params: dict[str, str]) -> Settings:
    """--param section.key=value overrides for the bot, validated like the config file."""
    from bigalpha.config.overrides import OverrideError, setting_value, with_overrides

    values: dict[str, object] = {}
    for key, value in params.items():
        try:
            current = setting_value(settings, key)
        except OverrideError as error:
            fail(f"--param {key}={value}: {error}", code=2)
        values[key] = _param_value(key, value, current)
    try:
        return with_overrides(settings, values)
    except OverrideError as error:
        fail(f"--param: {error}", code=2)


def _param_value(key: str, text: str, current: object) -> object:
    """The value of `--param key=text` for a setting now holding `current`: a list or a table is written as JSON
    (a list also as comma-separated items, `risk.stale_checked_feeds=funding,open_interest`); anything else is
    passed as text and converted by the setting's own type when the settings are validated."""
    if not isinstance(current, list | dict):
        return text
    if isinstance(current, list) and not text.startswith("["):
        return [item.strip() for item in text.split(",") if item.strip()]
    try:
        parsed: object = json.loads(text)
    except json.JSONDecodeError as error:
        kind = "a list" if isinstance(current, list) else "a table"
        example = """a,b or '["a", "b"]'""" if isinstance(current, list) else """'{"BTC": 0.54}'"""
        fail(f"--param {key}={text}: {key} takes {kind}, written as JSON ({error.msg}); e.g. {key}={example}", code=2)
    return parsed


def _applied(settings: Settings, params: dict[str, str]) -> dict[str, Any]:
    """Each `--param` setting as the run used it (validated and converted), for the summary: what makes it
    reproducible."""
    from bigalpha.config.overrides import setting_value

    return {key: setting_value(settings, key, mode="json") for key in params}


class _Part(NamedTuple):
    """What `--timeframe`, `--start`, `--end` and `--warmup` choose of a history."""

    timeframe: str | None
    window: Window
    warmup_bars: int = 0  # bars before `--start` kept for the indicators only


def _part(timeframe: str | None, start: str | None, end: str | None, sim: bool, warmup_bars: int = 0) -> _Part:
    from bigalpha.backtest.window import Window

    if sim and (timeframe is not None or start is not None or end is not None):
        given = next(o for o, v in (("--timeframe", timeframe), ("--start", start), ("--end", end)) if v is not None)
        fail(f"{given}: chooses part of --data; the simulator runs --days of 1-minute bars", code=2)
    moments = {}
    for option, text in (("--start", start), ("--end", end)):
        try:
            moments[option] = None if text is None else parse_moment(text)
        except typer.BadParameter as error:
            fail(f"{option}: {error}", code=2)
    try:
        window = Window(moments["--start"], moments["--end"])
    except ValueError as error:
        fail(str(error), code=2)
    return _Part(timeframe, window, warmup_bars)


def _warmup_bars(settings: Settings, given: int | None, *, sim: bool, reference: bool) -> int:
    """`--warmup` as the run uses it: the bot's default is the longest indicator window (`indicator_warmup_bars`);
    sma_cross trades every bar of the window by its stated rules, and the simulator has no bar before its first."""
    from bigalpha.backtest.window import indicator_warmup_bars

    if given is not None:
        if given < 0:
            fail(f"--warmup: a number of bars, 0 or more; got {given}", code=2)
        if sim:
            fail("--warmup: keeps bars before --start of --data; the simulator has none before its first", code=2)
        if reference and given > 0:
            fail(
                "--warmup: sma_cross's averages start inside the window by its rules; the warm-up is the bot's", code=2
            )
        return given
    return 0 if reference or sim else indicator_warmup_bars(settings.indicators)


def _market(
    settings: Settings, data: Path | None, sim_args: dict[str, Any], part: _Part, *, with_trades: bool = True
) -> Market:
    """The market `--data` (with its aggTrades files unless `with_trades` is false) or `--sim` gives."""
    from bigalpha.backtest.market import SIM_MARKET_DERIVE, MarketError, load_market, sim_market
    from bigalpha.data.sim import generate
    from bigalpha.data.sim.scenarios import UnknownScenarioError, build_scenario
    from bigalpha.data.sim.snapshots import SNAPSHOT_COLUMNS
    from bigalpha.engine.build import BuildError, SimOptions, sim_params

    levels = settings.indicators.ofi_book_levels
    symbols = (
        tuple(s.strip().upper() for s in sim_args["symbols"].split(",") if s.strip()) if sim_args["symbols"] else ()
    )
    if data is not None:
        try:
            return _with_progress(
                "reading trade files",
                lambda progress: load_market(
                    data,
                    levels,
                    part.timeframe,
                    progress=progress,
                    window=part.window,
                    symbols=symbols,
                    warmup_bars=part.warmup_bars,
                    with_trades=with_trades,
                ),
            )
        except MarketError as error:
            fail(str(error), code=2)
    days = sim_args["days"]
    if days <= 0:
        fail(f"--days: must be positive, got {days}", code=2)
    hurst = sim_args["hurst"]
    if hurst is not None and not 0.0 < hurst < 1.0:
        fail(f"--hurst: must be strictly between 0 and 1, got {hurst}", code=2)
    try:
        options = SimOptions(seed=sim_args["seed"], symbols=symbols, scenario=sim_args["scenario"], hurst=hurst)
        params = sim_params(settings, options)
        scenario = build_scenario(options.scenario, settings) if options.scenario else None
        # Without the ground-truth columns no snapshot shows (about a tenth of the dataset's memory), and with the
        # trades' notionals only (`SIM_MARKET_DERIVE`: a tenth more).
        dataset = generate(params, days, scenario, columns=SNAPSHOT_COLUMNS, derive=SIM_MARKET_DERIVE)
    except (BuildError, UnknownScenarioError, ValueError) as error:
        fail(f"--sim: {error}", code=2)
    return sim_market(dataset, f"sim(seed={sim_args['seed']}, days={days})", levels)


def _with_progress(label: str, run: Callable[[Callable[[int, int], None] | None], T]) -> T:
    """`run(progress)` with a progress bar on a terminal, shown from the first time `progress(done, total)` is
    called (a run that reports nothing shows none)."""
    if not sys.stdout.isatty():
        return run(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn(label), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(), console=console
    )
    task = bar.add_task(label, total=1)

    def progress(done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    try:
        return run(progress)
    finally:
        bar.stop()


def _with_progress_of_runs(label: str, total: int, run: Callable[[Callable[[int, int], None] | None], T]) -> T:
    """`run(done)` under one progress bar counting finished runs (on a terminal). The bar is redrawn only when a
    run finishes: a bar that refreshed itself would run a thread while `run` forks its workers."""
    if not sys.stdout.isatty():
        return run(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, auto_refresh=False) as bar:
        task = bar.add_task(label, total=total)
        bar.refresh()
        return run(lambda done, _total: bar.update(task, completed=done, refresh=True))


def _write_outputs(
    result: BacktestResult, json_file: Path | None, trades_csv: Path | None, report: Path | None
) -> None:
    from bigalpha.backtest.report import write_report
    from bigalpha.backtest.results import write_json, write_trades_csv

    writers: list[tuple[str, Path | None, Callable[[Path], None]]] = [
        ("--json", json_file, lambda p: write_json(result, p)),
        ("--trades-csv", trades_csv, lambda p: write_trades_csv(result.trades, p)),
        ("--report", report, lambda p: write_report(result, p)),
    ]
    for option, path, write in writers:
        if path is None:
            continue
        try:
            write(path)
        except OSError as error:
            fail(f"{option}: cannot write {path}: {error}", code=2)


def register(app: typer.Typer) -> None:
    @app.command()
    def backtest(
        ctx: typer.Context,
        data: Annotated[
            Path | None,
            typer.Option(
                "--data", help="history file or folder (any loader format), or a `bigalpha sim --out` dataset"
            ),
        ] = None,
        sim: Annotated[bool, typer.Option("--sim", help="backtest on the built-in simulator")] = False,
        symbols: Annotated[
            str | None,
            typer.Option(
                "--symbols",
                help="symbols to backtest, e.g. BTC,ETH: the simulator's (default: config) or of --data (default: all)",
            ),
        ] = None,
        days: Annotated[int, typer.Option("--days", help="simulator days of 1-minute bars")] = 7,
        seed: Annotated[int, typer.Option("--seed", help="simulator seed")] = 7,
        hurst: Annotated[
            float | None, typer.Option("--hurst", help="simulator regime: 0.3 noise, 0.5 random walk, 0.7 trend")
        ] = None,
        scenario: Annotated[
            str | None, typer.Option("--scenario", help="simulator scenario (see `bigalpha sim scenarios`)")
        ] = None,
        strategy: Annotated[
            str,
            typer.Option(
                "--strategy",
                help="bot (the whole bot), one of the bot's strategies (the whole bot trading it alone: alpha_ofi, "
                "s-btc-l, s-btc-s, s-sol-fade, s-xrp-sq) or sma_cross (the reference)",
            ),
        ] = "bot",
        param: Annotated[
            list[str] | None,
            typer.Option(
                "--param", help="key=value: sma_cross fast/slow; bot: any setting, e.g. gate.liq_wall_pct=0.01"
            ),
        ] = None,
        fee_bps: Annotated[
            float | None, typer.Option("--fee-bps", help="sma_cross: fee per side in bps (default: the taker fee)")
        ] = None,
        stop_pct: Annotated[
            float, typer.Option("--stop-pct", help="sma_cross: stop distance in percent of entry (0 = none)")
        ] = 0.0,
        cash: Annotated[float, typer.Option("--cash", help="sma_cross: starting cash")] = 10_000.0,
        json_file: Annotated[Path | None, typer.Option("--json", help="write the summary as JSON to this file")] = None,
        trades_csv: Annotated[
            Path | None, typer.Option("--trades-csv", help="write every trade to this CSV file")
        ] = None,
        report: Annotated[Path | None, typer.Option("--report", help="write a self-contained HTML report")] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                help="keep the backtest's own store in this folder (default: a temporary one, removed at the end)",
            ),
        ] = None,
        ablate: Annotated[bool, typer.Option("--ablate", help="bot: re-run with each guard off and compare")] = False,
        ablate_seed: Annotated[int, typer.Option("--ablate-seed", help="seed of the ablation bootstrap")] = 0,
        jobs: Annotated[
            int | None,
            typer.Option(
                "--jobs", help="--ablate: runs at once, each in a process of its own (default: the CPUs available)"
            ),
        ] = None,
        resume_after: Annotated[
            str | None,
            typer.Option(
                "--resume-after",
                help="bot: a simulated person resumes trading this long after an R-M-3 pause, e.g. 24h "
                "(default: never, as with nobody at the desk)",
            ),
        ] = None,
        reset_after: Annotated[
            str | None,
            typer.Option(
                "--reset-after",
                help="bot: a simulated person resets a tripped kill switch this long after the trip, e.g. 24h "
                "(default: never)",
            ),
        ] = None,
        timeframe: Annotated[
            str | None,
            typer.Option("--timeframe", help="--data: which candles of the folder, e.g. 1h (default: the finest)"),
        ] = None,
        start: Annotated[
            str | None,
            typer.Option(
                "--start", help="--data: backtest the bars opening at or after this date or time (UTC unless given)"
            ),
        ] = None,
        end: Annotated[
            str | None,
            typer.Option("--end", help="--data: ... and before this one, e.g. --start 2024-01-01 --end 2024-07-01"),
        ] = None,
        warmup: Annotated[
            int | None,
            typer.Option(
                "--warmup",
                help="bot, --data: bars before --start its indicators are computed over but nothing trades on "
                "(default: the longest indicator window, 100 bars; 0: none)",
            ),
        ] = None,
    ) -> None:
        """Backtest the bot or sma_cross: `bigalpha backtest --sim --days 7 --json out.json`."""
        settings = state(ctx).settings()
        _check_strategy(strategy)
        if (data is None) == (not sim):
            fail("give exactly one market: --data FILE_OR_DIR or --sim", code=2)
        params = _params(param or [])
        _check_jobs(jobs, ablate)
        if strategy == REFERENCE:
            _check_reference_options(params, ablate, resume_after, reset_after)
        else:
            for option, value, default in (
                ("--fee-bps", fee_bps, None),
                ("--stop-pct", stop_pct, 0.0),
                ("--cash", cash, 10_000.0),
            ):
                if value != default:
                    fail(
                        f"{option} applies to sma_cross; set the bot's through --param (e.g. positions.perp.taker_fee_bps=5)",
                        code=2,
                    )
            settings = _bot_settings(settings, params)
        part = _part(
            timeframe, start, end, sim, _warmup_bars(settings, warmup, sim=sim, reference=strategy == REFERENCE)
        )
        supervision = _supervision(resume_after, reset_after)
        sim_args = {"symbols": symbols, "days": days, "seed": seed, "hurst": hurst, "scenario": scenario}
        market = _market(settings, data, sim_args, part)
        if strategy == REFERENCE:
            result = _reference(settings, market, params, fee_bps, stop_pct, cash)
        else:
            only = None if strategy == "bot" else strategy
            result = _bot(settings, market, out, only, _Ablation(ablate, ablate_seed, jobs), supervision)
            result.extra["params"] = _applied(settings, params)
        if not part.window.whole:
            result.extra["window"] = part.window.to_dict()
        _write_outputs(result, json_file, trades_csv, report)
        summary = result.summary()
        if json_file is None and not sys.stdout.isatty():
            print_json(summary)
            return
        written = [str(path) for path in (json_file, trades_csv, report) if path is not None]
        for shown in backtest_view(summary, written):
            console.print(shown, highlight=False)


def _supervision(resume_after: str | None, reset_after: str | None) -> Supervision:
    from bigalpha.backtest.supervision import Supervision

    return Supervision(_delay("--resume-after", resume_after), _delay("--reset-after", reset_after))


def _delay(option: str, text: str | None) -> timedelta | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except typer.BadParameter as error:
        fail(f"{option}: {error}", code=2)


def _check_reference_options(
    params: dict[str, str], ablate: bool, resume_after: str | None, reset_after: str | None
) -> None:
    """sma_cross's own parameters only, and none of the bot's options."""
    unknown = sorted(set(params) - set(_SMA_PARAMS))
    if unknown:
        fail(f"--param {unknown[0]}: sma_cross takes {', '.join(_SMA_PARAMS)}", code=2)
    if ablate:
        fail("--ablate: ablation switches the bot's guards; use it with --strategy bot", code=2)
    for option, given in (("--resume-after", resume_after), ("--reset-after", reset_after)):
        if given is not None:
            fail(f"{option}: sma_cross has no risk gate to pause or trip; use it with the bot", code=2)


def _check_strategy(strategy: str) -> None:
    from bigalpha.engine.build import STRATEGY_SWITCHES

    choices = ["bot", *STRATEGY_SWITCHES, REFERENCE]
    if strategy not in choices:
        fail(f"--strategy {strategy!r}: unknown strategy; choose one of {', '.join(choices)}", code=2)


def _check_jobs(jobs: int | None, ablate: bool) -> None:
    if jobs is not None and not ablate:
        fail("--jobs: only the ablation's runs are run at once; use it with --ablate", code=2)
    if jobs is not None and jobs < 1:
        fail(f"--jobs: must be at least 1, got {jobs}", code=2)


def _reference(
    settings: Settings, market: Market, params: dict[str, str], fee_bps: float | None, stop_pct: float, cash: float
) -> BacktestResult:
    from bigalpha.backtest.runner import run_reference
    from bigalpha.backtest.sma_cross import SmaCrossParams

    fee = (settings.positions.perp.taker_fee_bps if fee_bps is None else fee_bps) / 10_000.0
    try:
        chosen = SmaCrossParams(
            _int_param(params, "fast", 10), _int_param(params, "slow", 30), fee, stop_pct / 100.0, cash
        )
    except ValueError as error:
        fail(f"sma_cross: {error}", code=2)
    return run_reference(market, chosen)


def _bot(
    settings: Settings,
    market: Market,
    out: Path | None,
    only: str | None,
    ablation: _Ablation,
    supervision: Supervision,
) -> BacktestResult:
    """The bot (or the bot trading `only`), with its guard ablation when `ablation.on`; every run under the same
    `supervision`. Its stores are kept in `out`; without it they are written to a temporary folder removed once
    the result is made (a store per run would otherwise pile up, ~10 MB a simulated week), and `store` is null."""
    if out is not None:
        return _bot_in(settings, market, out, only, ablation, supervision)
    with tempfile.TemporaryDirectory(prefix="bigalpha-backtest-") as folder:
        result = _bot_in(settings, market, Path(folder), only, ablation, supervision)
    result.extra["store"] = None
    return result


def _bot_in(
    settings: Settings,
    market: Market,
    folder: Path,
    only: str | None,
    ablation: _Ablation,
    supervision: Supervision,
) -> BacktestResult:
    """`_bot` with its stores in `folder`."""
    from bigalpha.backtest.ablation import BASELINE, switchable_guards
    from bigalpha.backtest.ablation import ablate as run_ablation
    from bigalpha.backtest.market import MarketError
    from bigalpha.backtest.parallel import WorkerLost, can_fork, usable_cpus
    from bigalpha.backtest.runner import run_whole_bot
    from bigalpha.engine.build import BuildError, only_strategy
    from bigalpha.store import StoreError

    if only is not None:
        try:
            only_strategy(settings, only)
        except BuildError as error:
            fail(f"--strategy {only}: {error}", code=2)

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(f"--out: cannot create {folder}: {error}", code=2)

    def run(chosen: Settings, label: str, *, shown: bool = True) -> BacktestResult:
        """One run into its own store; `shown`: with its progress bar (runs at once share one bar instead)."""
        store = folder / f"backtest-{label}.db"
        if store.exists():
            fail(f"--out: {store} exists; a backtest writes a fresh store (choose an empty folder)", code=2)
        try:
            if not shown:
                return run_whole_bot(chosen, market, store, only=only, supervision=supervision)
            return _with_progress(
                f"backtest {label}",
                lambda progress: run_whole_bot(
                    chosen, market, store, progress=progress, only=only, supervision=supervision
                ),
            )
        except (MarketError, StoreError) as error:
            fail(str(error), code=2)

    if not ablation.on:
        result = run(settings, BASELINE)
    else:
        workers = usable_cpus() if ablation.jobs is None else ablation.jobs
        if workers > 1 and can_fork():
            try:
                result, rows = _with_progress_of_runs(
                    f"backtest and ablation ({workers} at once)",
                    len(switchable_guards(settings)) + 1,
                    lambda done: run_ablation(
                        settings,
                        lambda chosen, label: run(chosen, label, shown=False),
                        seed=ablation.seed,
                        jobs=workers,
                        done=done,
                    ),
                )
            except WorkerLost as error:
                fail(f"--ablate: {error}; run fewer at once with --jobs (each worker holds one run)", code=1)
        else:
            result, rows = run_ablation(settings, run, seed=ablation.seed)
        result.extra["ablation"] = [row.to_dict() for row in rows]
    result.extra["store"] = str(folder / f"backtest-{BASELINE}.db")
    return result
