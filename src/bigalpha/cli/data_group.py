"""The `bigalpha data` command group. Commands attach to `data_app` from their own modules
(`data_cmd` for `inspect`, others for `check` …); this module only creates the group and mounts it."""

from __future__ import annotations

import typer

data_app = typer.Typer(
    help="Market data: inspect history files and folders, check data sources.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
