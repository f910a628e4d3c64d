"""`bigalpha data inspect PATH`: what a history file or folder holds and what is wrong with it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from bigalpha.cli.context import console, fail, print_json
from bigalpha.cli.data_group import data_app

if TYPE_CHECKING:
    # Imported when the command runs: pandas and Arrow would slow every other command's start.
    from bigalpha.data.history import HistoryData, HistoryDir

_KINDS = "candles, funding_rate, mark, trades"


def _summary(data: HistoryData) -> dict[str, Any]:
    from bigalpha.data.history import IssueCode

    summary = data.describe()
    quality = data.quality
    summary["duplicates_dropped"] = quality.count(IssueCode.EXACT_DUPLICATES_DROPPED)
    return summary


def _gap_text(summary: dict[str, Any]) -> str:
    gaps = summary["quality"]["gaps"]
    if not gaps["count"]:
        return "none"
    largest = gaps["largest"]
    return (
        f"{gaps['count']} ({gaps['missing_bars']} bars missing; largest {largest['missing']} bars "
        f"after {largest['after']})"
    )


def _print_file(summary: dict[str, Any]) -> None:
    quality = summary["quality"]
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("file", summary["source"])
    table.add_row("format", summary["format"])
    table.add_row("kind", summary["kind"])
    table.add_row("symbol", f"{summary['symbol']} (exchange: {summary['exchange']})")
    table.add_row("timeframe", summary["timeframe"] or "-")
    table.add_row("range", f"{summary['first']} → {summary['last']} (UTC)")
    table.add_row("rows", f"{summary['rows']:,} (read {quality['rows_read']:,})")
    table.add_row("time", quality["time_encoding"])
    table.add_row("gaps", _gap_text(summary))
    table.add_row("duplicates", f"{summary['duplicates_dropped']} exact duplicate(s) dropped")
    for label, issues in (("repairs", quality["repairs"]), ("problems", quality["problems"])):
        if not issues:
            table.add_row(label, "none")
        for n, issue in enumerate(issues):
            first = issue["examples"][0] if issue["examples"] else None
            where = f" (first: row {first['row']}, {first['ts']}: {first['detail']})" if first else ""
            table.add_row("" if n else label, f"{issue['code']} ×{issue['count']}: {issue['message']}{where}")
    for note in quality["notes"]:
        table.add_row("note", note)
    console.print(table)


def _print_dir(folder: HistoryDir, summaries: list[dict[str, Any]]) -> None:
    table = Table(title=str(folder.path), title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("symbol")
    table.add_column("tf")
    table.add_column("range (UTC)")
    table.add_column("rows", justify="right")
    table.add_column("gaps", justify="right")
    table.add_column("repairs / problems", overflow="fold")
    for s in summaries:
        quality = s["quality"]
        issues = [f"{i['code']}×{i['count']}" for i in (*quality["repairs"], *quality["problems"])]
        table.add_row(
            s["source"],
            s["symbol"],
            s["timeframe"] or "-",
            f"{(s['first'] or '-')[:10]} → {(s['last'] or '-')[:10]}",
            f"{s['rows']:,}",
            str(quality["gaps"]["count"]),
            " ".join(issues) or "-",
        )
    console.print(table)
    if folder.skipped:
        console.print(f"skipped (not a supported extension): {', '.join(p.name for p in folder.skipped)}")


def inspect(
    path: Annotated[Path, typer.Argument(help="a history file, or a folder of them (freqtrade data folder)")],
    *,
    json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    kind: Annotated[str | None, typer.Option(help=f"what the file holds, when its name does not say: {_KINDS}")] = None,
    symbol: Annotated[str | None, typer.Option(help="symbol, overriding the file name and columns")] = None,
    timeframe: Annotated[str | None, typer.Option(help="timeframe such as 1m, 15m, 1h, overriding the name")] = None,
    recursive: Annotated[bool, typer.Option(help="also read sub-folders")] = False,
    joined: Annotated[
        bool,
        typer.Option(help="folder: one line per series, each symbol's daily or monthly files joined (as a backtest)"),
    ] = False,
) -> None:
    """Summarise a history file or folder: format, symbol, timeframe, range, rows, gaps, duplicates, problems.

    Exit code 0 when readable (even with quality warnings), 1 when a file cannot be read safely.
    """
    from bigalpha.data.history import DataFormatError, load

    try:
        if path.is_dir():
            _inspect_dir(path, json_output=json_output, recursive=recursive, joined=joined)
            return
        if joined:
            fail("--joined applies to a folder", code=2)
        data = load(path, kind=kind, symbol=symbol, timeframe=timeframe)
    except DataFormatError as error:
        fail(str(error))
    except ValueError as error:
        fail(str(error), code=2)
    summary = _summary(data)
    if json_output:
        print_json(summary)
    else:
        _print_file(summary)


def _inspect_dir(path: Path, *, json_output: bool, recursive: bool, joined: bool) -> None:
    from bigalpha.data.history import DataFormatError, load_dir

    folder = load_dir(path, recursive=recursive, strict=False)
    if joined:
        try:
            folder = folder.joined()
        except DataFormatError as error:  # two files disagree on a row they both hold
            fail(str(error))
    summaries = [_summary(item) for item in folder.items]
    if json_output:
        print_json(
            {
                "path": str(folder.path),
                "files": summaries,
                "failures": [{"path": str(e.path), "error": str(e)} for e in folder.failures],
                "skipped": [str(p) for p in folder.skipped],
            }
        )
    else:
        _print_dir(folder, summaries)
    if folder.failures:
        fail("; ".join(str(e) for e in folder.failures))


def register(app: typer.Typer) -> None:  # noqa: ARG001 - the group is mounted by data_group.register
    data_app.command("inspect")(inspect)
