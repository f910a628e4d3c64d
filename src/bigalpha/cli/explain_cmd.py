"""`bigalpha explain`: run the intelligence gate on one case and show every guard's answer with its numbers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bigalpha.cli.context import fail, print_json, state
from bigalpha.domain import Decision, GuardOutcome, Verdict

if TYPE_CHECKING:
    from bigalpha.gate.case import LoadedCase

_STYLE = {Decision.ALLOW: "green", Decision.BLOCK: "bold red", Decision.RESIZE: "yellow"}


def _read_case(case_file: Path | None) -> Any:
    if case_file is not None:
        try:
            text = case_file.read_text(encoding="utf-8")
        except OSError as error:
            fail(f"--case {case_file}: cannot read: {error.strerror or error}", code=2)
        source = str(case_file)
    else:
        if sys.stdin.isatty():
            fail("give a case with --case FILE or on standard input (see `bigalpha explain --schema`)", code=2)
        text = sys.stdin.read()
        source = "standard input"
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        fail(f"{source}: not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})", code=2)


def _number(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _evidence_text(outcome: GuardOutcome) -> str:
    return "\n".join(f"{key}={_number(value)}" for key, value in outcome.evidence.items())


def verdict_json(loaded: LoadedCase, verdict: Verdict) -> dict[str, Any]:
    from bigalpha.gate.events import outcome_data, verdict_events

    """The machine form of a verdict: decision, multiplier, every outcome and the bus events it makes."""
    signal = loaded.signal
    return {
        "signal_id": signal.id,
        "symbol": signal.symbol,
        "side": signal.side.value,
        "allowed": verdict.allowed,
        "size_multiplier": verdict.size_multiplier,
        "blocked_by": None if verdict.blocked_by is None else verdict.blocked_by.value,
        "reason": None if verdict.reason is None else verdict.reason.value,
        "outcomes": [
            {"guard": outcome.guard.value, "message": outcome.message, **outcome_data(signal, outcome)}
            for outcome in verdict.outcomes
        ],
        "events": [
            {
                "id": event.id,
                "ts": event.ts.isoformat(),
                "type": event.type.value,
                "source": event.source,
                "guard": None if event.guard is None else event.guard.value,
                "symbol": event.symbol,
                "side": None if event.side is None else event.side.value,
                "message": event.message,
                "data": event.data,
            }
            for event in verdict_events(signal, verdict)
        ],
    }


def _print_table(loaded: LoadedCase, verdict: Verdict) -> None:
    console = Console(highlight=False)
    signal = loaded.signal
    if verdict.allowed:
        headline = f"[bold green]ALLOWED[/] size × {verdict.size_multiplier:g}"
    else:
        blocked_by = verdict.blocked_by.value if verdict.blocked_by else "?"
        reason = verdict.reason.value if verdict.reason else "?"
        headline = f"[bold red]BLOCKED[/] by {blocked_by} ({reason})"
    console.print(f"{signal.side.value} {signal.symbol} @ {signal.price:,.2f}, {signal.ts.isoformat()}: {headline}")
    table = Table(show_lines=True)
    table.add_column("guard", no_wrap=True)
    table.add_column("decision", no_wrap=True)
    table.add_column("×", justify="right", no_wrap=True)
    table.add_column("numbers")
    table.add_column("why")
    for outcome in verdict.outcomes:
        decision = outcome.decision.value
        if outcome.data_unavailable is not None:
            decision += " (fail-open)"
        table.add_row(
            outcome.guard.value,
            f"[{_STYLE[outcome.decision]}]{decision}[/]",
            f"{outcome.multiplier:g}",
            _evidence_text(outcome),
            outcome.message,
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command()
    def explain(
        ctx: typer.Context,
        case: Annotated[
            Path | None, typer.Option("--case", help="case file (JSON); standard input when omitted")
        ] = None,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
        schema: Annotated[bool, typer.Option("--schema", help="print the case file's JSON Schema and exit")] = False,
    ) -> None:
        """Run the intelligence gate on one case (signal + market context) and explain every guard's answer."""
        # The gate and its schemas load only for this command, so every other command starts quickly.
        from bigalpha.gate import evaluate
        from bigalpha.gate.case import case_json_schema, load_case
        from bigalpha.indicators.context import ContextError

        if schema:
            print_json(case_json_schema())
            return
        data = _read_case(case)
        try:
            loaded = load_case(data, state(ctx).settings())
        except ContextError as error:
            fail("invalid case:\n" + "\n".join(f"  {problem}" for problem in error.problems), code=2)
        try:
            verdict = evaluate(loaded.signal, loaded.context, loaded.config, loaded.learned)
        except ValueError as error:
            fail(f"invalid case: {error}", code=2)
        if json_output:
            print_json(verdict_json(loaded, verdict))
        else:
            _print_table(loaded, verdict)
