"""The root Typer app. Each context adds its commands from its own module through `register(app)`."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from bigalpha import __version__
from bigalpha.cli.context import CliState, print_json

app = typer.Typer(
    name="bigalpha",
    help="bigalpha: an institutional-style trend follower for crypto perpetual futures.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules that add commands; each defines `register(app: typer.Typer) -> None`.
_COMMAND_MODULES: tuple[str, ...] = (
    "bigalpha.cli.config_cmd",
    "bigalpha.cli.explain_cmd",
    "bigalpha.cli.validate_cmd",
    "bigalpha.cli.risk_cmd",
    "bigalpha.cli.data_group",
    "bigalpha.cli.data_check",
    "bigalpha.cli.data_cmd",
    "bigalpha.cli.sim_cmd",
    "bigalpha.cli.run_cmd",
    "bigalpha.cli.report_cmd",
    "bigalpha.cli.backtest_cmd",
    "bigalpha.cli.optimize_cmd",
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="TOML config file (default: $BIGALPHA_CONFIG, ./bigalpha.toml)"),
    ] = None,
    secrets_file: Annotated[
        Path | None,
        typer.Option("--secrets-file", help="dotenv file of BIGALPHA__SECRETS__* (default: $BIGALPHA_SECRETS_FILE)"),
    ] = None,
) -> None:
    ctx.obj = CliState(config_file=config, secrets_file=secrets_file)


@app.command()
def version(json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Print bigalpha's version."""
    if json_output:
        print_json({"version": __version__})
    else:
        typer.echo(f"bigalpha {__version__}")


for _module in _COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    app()
