"""What `bigalpha backtest` prints on a terminal: the run's figures, the guard table (L-GUARD-1) and the ablation
as tables, then a line for each latch that held and each input the data lacked. The JSON (`--json`, or stdout
when it is not a terminal) carries every figure unrounded; this view rounds for reading."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from bigalpha.cli.context import missing_inputs_note

_NONE = "—"


def backtest_view(summary: Mapping[str, Any], written: Sequence[str] = ()) -> list[RenderableType]:
    """The summary `BacktestResult.summary()` gives, as renderables in print order; `written`: the files the
    run wrote (named on the last line)."""
    parts: list[RenderableType] = [Text(_headline(summary)), _figures(summary)]
    by_symbol = summary.get("by_symbol")
    if isinstance(by_symbol, Mapping) and len(by_symbol) > 1:  # one symbol's row would repeat the figures
        parts.append(_group_table("per symbol", "symbol", by_symbol))
    by_exit = summary.get("by_exit_reason")
    if isinstance(by_exit, Mapping) and by_exit:
        parts.append(_group_table("per exit reason", "exit reason", by_exit))
    guards = summary.get("guards")
    if isinstance(guards, Mapping) and guards:
        parts.append(_guard_table(guards))
    ablation = summary.get("ablation")
    if isinstance(ablation, list) and ablation:
        parts.append(_ablation_table(ablation))
    missing = missing_inputs_note(
        summary.get("missing_inputs") or {}, "see docs/backtesting.md, 'The bot on history files'"
    )
    parts += [Text(note) for note in (_latch_note(summary), missing) if note]
    if written:
        parts.append(Text("wrote " + ", ".join(written)))
    return parts


def _headline(summary: Mapping[str, Any]) -> str:
    symbols = ", ".join(str(s) for s in summary.get("symbols") or ())
    line = f"{summary.get('strategy')} on {summary.get('source')}"
    line += f" ({symbols})" if symbols else ""
    line += f": {_count(summary.get('bars'))} bars"
    period = summary.get("period")
    if isinstance(period, Mapping):
        line += f" from {_moment(period.get('start'))} to {_moment(period.get('end'))} UTC"
    window = summary.get("window")
    if isinstance(window, Mapping):
        start, end = (_moment(window[side]) if window.get(side) else "…" for side in ("start", "end"))
        line += f" (--start {start} --end {end})"
    warmup = summary.get("warmup_ticks")
    if isinstance(warmup, int) and warmup > 0:
        line += f", after a warm-up of {warmup:,} bars the indicators alone read"
    return line


def _figures(summary: Mapping[str, Any]) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_column()
    open_trades = summary.get("open_trades") or 0
    rows: list[tuple[str, str, str]] = [
        (
            "trades",
            _count(summary.get("trades")),
            f"closed; {open_trades} open at the end" if open_trades else "closed",
        ),
        ("final equity", _number(summary.get("final_equity")), f"from {_number(summary.get('starting_equity'))}"),
        ("net P&L", _number(summary.get("net_pnl"), signed=True), _share(summary)),
        ("profit factor", _number(summary.get("profit_factor")), _pf_note(summary)),
        ("win rate", _percent_of_fraction(summary.get("win_rate")), ""),
        ("max drawdown", _percent(summary.get("max_drawdown_pct")), "of the equity's running peak"),
        ("Sharpe", _number(summary.get("sharpe")), "annualized"),
        ("Sortino", _number(summary.get("sortino")), "annualized"),
        ("exposure", _percent(summary.get("exposure_pct")), "of the bars with a position open"),
    ]
    if "signals" in summary:  # the bot's: zero says no strategy saw a setup
        rows.append(("signals", _count(summary.get("signals")), "each followed as a shadow trade (L-SHADOW-1)"))
    rows.append(
        ("speed", f"{_count(summary.get('bars_per_s'))} bars/s", f"{_number(summary.get('elapsed_s'))} s in all")
    )
    for row in rows:
        table.add_row(*row)
    return table


def _group_table(title: str, name: str, groups: Mapping[str, Mapping[str, Any]]) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        caption="open: a trade still open at the end, marked at the last close; profit factor —: no losing trade",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column(name, no_wrap=True)
    for column in ("trades", "net P&L", "win rate", "profit factor"):
        table.add_column(column, justify="right")
    for group, row in groups.items():
        table.add_row(
            group,
            _count(row.get("trades")),
            _number(row.get("net_pnl"), signed=True),
            _percent_of_fraction(row.get("win_rate")),
            _number(row.get("profit_factor")),
        )
    return table


def _guard_table(guards: Mapping[str, Mapping[str, Any]]) -> Table:
    table = Table(
        title="guards (L-GUARD-1): signals blocked or resized",
        title_justify="left",
        caption="shadow P&L: the blocked signals' shadow returns, % of entry, summed (> 0 the gains they missed, "
        "< 0 the losses they avoided)",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("guard", no_wrap=True)
    for name in ("blocked", "resized", "shadow P&L %"):
        table.add_column(name, justify="right")
    for guard, row in guards.items():
        table.add_row(
            guard,
            _count(row.get("blocked")),
            _count(row.get("resized")),
            _number(row.get("shadow_pnl"), signed=True),
        )
    return table


def _ablation_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(
        title="ablation: each guard off against the baseline",
        title_justify="left",
        caption="Δ: the run without the guard minus the baseline [95 % bootstrap interval]",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("guard off", no_wrap=True)
    table.add_column("trades (Δ)", justify="right", no_wrap=True)
    table.add_column("Δ profit factor", justify="right", no_wrap=True)
    table.add_column("Δ max drawdown %", justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            str(row.get("guard")),
            f"{_count(row.get('trades'))} ({_count(row.get('trades_delta'), signed=True)})",
            _with_interval(row.get("profit_factor_delta"), row.get("profit_factor_delta_ci95")),
            _with_interval(row.get("max_drawdown_delta"), row.get("max_drawdown_delta_ci95")),
        )
    return table


def _latch_note(summary: Mapping[str, Any]) -> str:
    """A line on how long the pause (R-M-3) and the kill switch held, when either did, and for a latch that nobody
    was modelled to lift (it then held to the end of the run), the option that models a person."""
    supervision = summary.get("supervision") or {}
    parts, options = [], []
    for what, key, option, delay in (
        ("trading paused (R-M-3)", "paused", "--resume-after", "resume_after_s"),
        ("kill switch tripped", "kill_switch", "--reset-after", "reset_after_s"),
    ):
        times = summary.get(key + "_times") or 0
        if times:
            parts.append(f"{what} {times}x, {summary[key + '_pct']:.1f}% of the run")
            if supervision.get(delay) is None:
                options.append(option)
    if not parts:
        return ""
    hint = f" (nobody lifts it in a backtest unless {' / '.join(options)} models a person)" if options else ""
    return "; ".join(parts) + hint


def _moment(text: Any) -> str:
    """An ISO time of the summary (UTC) to the minute, as a person reads it."""
    try:
        return datetime.fromisoformat(str(text)).astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(text)


def _pf_note(summary: Mapping[str, Any]) -> str:
    if summary.get("profit_factor") is None and summary.get("trades"):
        return "no losing trade"
    return "gross profit / gross loss"


def _share(summary: Mapping[str, Any]) -> str:
    pnl, start = _real(summary.get("net_pnl")), _real(summary.get("starting_equity"))
    if pnl is None or not start:
        return ""
    return f"{_percent(100.0 * pnl / start, signed=True)} of the starting equity"


def _with_interval(value: Any, interval: Any) -> str:
    text = _number(value, signed=True)
    if isinstance(interval, Sequence) and len(interval) == 2 and all(_real(v) is not None for v in interval):
        text += f" [{_number(interval[0], signed=True)}, {_number(interval[1], signed=True)}]"
    return text


def _real(value: Any) -> float | None:
    """`value` as a float when it is a finite number (JSON gives None for what was not finite), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _count(value: Any, *, signed: bool = False) -> str:
    number = _real(value)
    if number is None:
        return _NONE
    return f"{round(number):+,}" if signed else f"{round(number):,}"


def _number(value: Any, *, signed: bool = False) -> str:
    number = _real(value)
    if number is None:
        return _NONE
    return f"{number:+,.2f}" if signed else f"{number:,.2f}"


def _percent(value: Any, *, signed: bool = False) -> str:
    return _NONE if _real(value) is None else _number(value, signed=signed) + " %"


def _percent_of_fraction(value: Any) -> str:
    fraction = _real(value)
    return _NONE if fraction is None else _percent(100.0 * fraction)
