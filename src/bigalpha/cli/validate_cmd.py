"""`bigalpha validate`: pre-flight of config, storage and every component, exit 0 only if all pass."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from bigalpha.cli.context import console, print_json, state


def register(app: typer.Typer) -> None:
    @app.command()
    def validate(
        ctx: typer.Context,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Validate-only pre-flight: config, storage and each component. Exit 0 when all pass."""
        from bigalpha.preflight import run_all  # storage and every component load only for this command

        settings = state(ctx).settings()
        results = run_all(settings)
        failed = [result for result in results if not result.ok]
        if json_output:
            print_json({"ok": not failed, "checks": [asdict(result) for result in results]})
        else:
            table = Table(title="bigalpha pre-flight")
            for column in ("component", "check", "result", "detail"):
                table.add_column(column)
            for result in results:
                mark = "[green]pass[/]" if result.ok else "[bold red]FAIL[/]"
                table.add_row(result.component, result.check, mark, result.detail)
            console.print(table)
            console.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
        if failed:
            raise typer.Exit(1)
