"""What every command shares: the loaded settings, JSON output, and how errors end a command."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from bigalpha.config import ConfigError, Settings, load_settings

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    """Options given before the command name (`bigalpha --config FILE …`)."""

    config_file: Path | None = None
    secrets_file: Path | None = None
    _settings: Settings | None = None

    def settings(self) -> Settings:
        """The validated configuration; a bad one ends the command with exit code 2 and every problem."""
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_file, self.secrets_file)
            except ConfigError as error:
                fail(str(error), code=2)
        return self._settings


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def fail(message: str, *, code: int = 1) -> NoReturn:
    """Print `message` as one error line and exit with `code`. The line is never broken by the console's width
    (a terminal wraps it itself; a log or a pipe keeps it whole, so a grep for it finds it), and brackets in the
    message (`positions.ladder.targets[0]`) are text, never markup."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    """Machine output: plain JSON on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


DURATION = re.compile(r"^(\d+)([smhd])$")


def parse_duration(text: str) -> timedelta:
    """'90s', '45m', '2h', '7d' as a timedelta; anything else is refused with the accepted forms."""
    match = DURATION.match(text.strip())
    if match is None:
        raise typer.BadParameter(f"{text!r}: give a duration such as 90s, 45m, 2h or 7d")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: amount})


def parse_moment(text: str) -> datetime:
    """A date (2025-01-01) or a time (2025-01-01T14:00, 2025-01-01 14:00:00+02:00) as an aware instant: UTC when no
    zone is given. Anything else raises `typer.BadParameter` showing the accepted forms."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give a date (2025-01-01) or a time (2025-01-01T14:00, UTC)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def missing_inputs_note(missing: Mapping[str, int], see: str) -> str:
    """A line on the entries the risk gate refused for inputs the data did not give (it fails closed, R-STALE-1),
    the most frequent first, ending with where to look (`see`); empty when there were none."""
    if not missing:
        return ""
    counts = "; ".join(f"{what} ({count}x)" for what, count in sorted(missing.items(), key=lambda kv: -kv[1]))
    return (
        f"the risk gate refused {sum(missing.values())} entries for inputs the data did not give (it fails closed): "
        f"{counts}; {see}"
    )
