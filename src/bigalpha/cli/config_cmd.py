"""`bigalpha config show|schema`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bigalpha.cli.context import console, print_json, state
from bigalpha.config import Settings
from bigalpha.config.reference import configuration_reference


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)

    @config_app.command("show")
    def show(
        ctx: typer.Context,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Print the effective configuration (defaults < file < secrets file < environment), secrets redacted."""
        settings = state(ctx).settings()
        data = settings.redacted()
        if json_output:
            print_json(data)
            return
        for section, values in data.items():
            console.rule(f"[bold]{section}")
            console.print_json(json.dumps(values, default=str))

    @config_app.command("schema")
    def schema() -> None:
        """Print the configuration's JSON Schema (every key, type, range, default and SPEC rule ID)."""
        print_json(Settings.model_json_schema())

    @config_app.command("reference")
    def reference() -> None:
        """Print the configuration reference as Markdown (the source of docs/configuration.md)."""
        typer.echo(configuration_reference(), nl=False)
        typer.echo()

    app.add_typer(config_app, name="config")
