"""`bigalpha sim …`: generate a simulated market dataset, list scenarios, calibrate against real data."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bigalpha.cli.context import console, fail, print_json, state
from bigalpha.data.sim.params import RegimeSegment, SimParams, default_symbols
from bigalpha.data.sim.scenarios import SCENARIOS, Scenario, UnknownScenarioError, build_scenario

if TYPE_CHECKING:
    from bigalpha.data.sim.dataset import SimDataset

_KNOWN = tuple(s.symbol for s in default_symbols())


def _symbols(text: str) -> tuple[str, ...]:
    names = tuple(part.strip().upper() for part in text.split(",") if part.strip())
    if not names:
        fail("--symbols: give at least one symbol, e.g. BTC,ETH")
    unknown = [n for n in names if n not in _KNOWN]
    if unknown:
        fail(f"--symbols: unknown symbol(s) {', '.join(unknown)}; the simulator knows {', '.join(_KNOWN)}")
    if len(set(names)) != len(names):
        fail(f"--symbols: {text!r} lists a symbol twice")
    return names


def _start(text: str) -> datetime:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        fail(f"--start: {text!r} is not a date like 2025-01-01")
    return day


def _check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        fail(f"--out: {out} exists and is not a directory")
    from bigalpha.data.sim.dataset import MANIFEST  # the dataset module loads the Numba generator

    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        fail(f"--out: {out} is not empty and holds no simulator dataset; choose an empty or new directory")
    parent = out if out.is_dir() else out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        fail(f"--out: {out} is not writable")


def _build_params(symbols: tuple[str, ...], seed: int, start: datetime, hurst: float | None) -> SimParams:
    chosen = tuple(s for s in default_symbols() if s.symbol in symbols)
    ordered = tuple(sorted(chosen, key=lambda s: symbols.index(s.symbol)))
    params = SimParams(seed=seed, start=start, symbols=ordered)
    if hurst is not None:
        params = params.model_copy(update={"regimes": (RegimeSegment(hurst=hurst),)})
    return params


def _scenario(ctx: typer.Context, name: str | None, symbols: tuple[str, ...]) -> Scenario | None:
    if name is None:
        return None
    try:
        scenario = build_scenario(name, state(ctx).settings())
    except UnknownScenarioError as error:
        fail(f"--scenario: {error}")
    missing = [s for s in scenario.symbols if s not in symbols]
    if missing:
        fail(f"--scenario {name}: needs symbol(s) {', '.join(missing)} in --symbols")
    return scenario


def sim(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option("--out", help="directory to write the dataset to")] = None,
    symbols: Annotated[str, typer.Option("--symbols", help="comma-separated symbols")] = ",".join(_KNOWN),
    days: Annotated[int, typer.Option("--days", help="days of 1-minute data")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="random seed; same seed, same files")] = 7,
    hurst: Annotated[
        float | None, typer.Option("--hurst", help="one regime throughout: 0.3 noise, 0.5 random walk, 0.7 trend")
    ] = None,
    scenario: Annotated[str | None, typer.Option("--scenario", help="scripted event, see `sim scenarios`")] = None,
    start: Annotated[str, typer.Option("--start", help="first day, UTC (YYYY-MM-DD)")] = "2025-01-01",
    json_output: Annotated[bool, typer.Option("--json", help="print the manifest as JSON")] = False,
) -> None:
    """Generate a dataset: `bigalpha sim --days 30 --seed 7 --out DIR`."""
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        fail("--out: give the directory to write the dataset to (e.g. --out data/sim)")
    if days <= 0:
        fail(f"--days: must be positive, got {days}")
    if seed < 0:
        fail(f"--seed: must not be negative, got {seed}")
    if hurst is not None and not 0.0 < hurst < 1.0:
        fail(f"--hurst: must be strictly between 0 and 1, got {hurst}")
    names = _symbols(symbols)
    chosen = _scenario(ctx, scenario, names)
    if chosen is not None and days < chosen.days_needed():
        fail(f"--days: scenario {chosen.name} needs at least {chosen.days_needed()} day(s)")
    _check_out_dir(out)
    params = _build_params(names, seed, _start(start), hurst)
    began = time.perf_counter()
    from bigalpha.data.sim.dataset import DatasetError, write_dataset

    dataset = _generate_with_progress(params, days, chosen, show=sys.stdout.isatty() and not json_output)
    try:
        manifest = write_dataset(dataset, out)
    except (OSError, DatasetError) as error:
        fail(f"--out: cannot write {out}: {error}")
    elapsed = time.perf_counter() - began
    if json_output:
        print_json(manifest)
        return
    table = Table(title=f"{out} ({days} days, seed {seed}, {elapsed:.1f} s)")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("sha256")
    for name, entry in manifest["files"].items():
        table.add_row(name, f"{entry['rows']:,}", entry["sha256"][:16] + "…")
    console.print(table)


def _generate_with_progress(params: SimParams, days: int, scenario: Scenario | None, *, show: bool) -> SimDataset:
    from bigalpha.data.sim.dataset import generate

    if not show:
        return generate(params, days, scenario)
    with Progress(
        TextColumn("generating"), BarColumn(), TextColumn("{task.completed}/{task.total} days"), TimeRemainingColumn(),
        console=console,
    ) as progress:  # fmt: skip
        task = progress.add_task("days", total=days)
        return generate(params, days, scenario, progress=lambda done, _total: progress.update(task, completed=done))


def scenarios(
    ctx: typer.Context, json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False
) -> None:
    """List the scripted scenarios `--scenario` accepts."""
    settings = state(ctx).settings()
    described = {name: build_scenario(name, settings) for name in SCENARIOS}
    if json_output:
        print_json({n: {"description": s.description, "days": s.days_needed()} for n, s in described.items()})
        return
    for name, sc in described.items():
        console.print(f"[bold]{name}[/]: {sc.description}", highlight=False)


def calibrate_cmd(
    real: Annotated[Path, typer.Option("--real", help="real market data, e.g. ../shared/fixtures/market")],
    out: Annotated[Path | None, typer.Option("--out", help="also write the Markdown table to this file")] = None,
    days: Annotated[int, typer.Option("--days", help="days of simulated market to measure")] = 120,
    seed: Annotated[int, typer.Option("--seed", help="random seed of the simulated market")] = 7,
) -> None:
    """Stylized facts of real data and of the simulator's defaults, side by side (Markdown)."""
    # Calibration pulls in pandas and scipy.stats (~2 s); only this command pays for them.
    from bigalpha.data.sim.calibration import calibrate, markdown_table

    if not real.is_dir():
        fail(f"--real: {real} is not a directory (expected ../shared/fixtures/market)")
    if days <= 0:
        fail(f"--days: must be positive, got {days}")
    facts = calibrate(real, SimParams(seed=seed), days)
    text = markdown_table(facts, days=days, seed=seed)
    if out is not None:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as error:
            fail(f"--out: cannot write {out}: {error}")
    sys.stdout.write(text)


def register(app: typer.Typer) -> None:
    sim_app = typer.Typer(
        help="The market simulator (D-SIM-1): generate datasets, list scenarios, calibrate.",
        invoke_without_command=True,
    )
    sim_app.callback()(sim)
    sim_app.command("scenarios")(scenarios)
    sim_app.command("calibrate")(calibrate_cmd)
    app.add_typer(sim_app, name="sim")
