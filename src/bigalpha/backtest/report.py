"""`--report FILE.html`: one self-contained page (Plotly inlined, no CDN: it opens on a machine without
internet) with the equity curve (the spells when a pause or the kill switch held shaded), the drawdown, per-symbol and
per-exit-reason tables, the latch spells and the guard table."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from bigalpha.backtest.metrics import drawdown_curve_pct
from bigalpha.backtest.results import BacktestResult

_MAX_POINTS = 5_000  # the curve is decimated to this many points: a page for 1M bars stays small
_MAX_SHADED = 500  # latch spells shaded on the curve (each is a shape the browser draws)
_MAX_LATCH_ROWS = 200  # latch spells listed in the table (all of them are in the JSON)


def html_table(title: str, header: list[str], rows: list[list[Any]]) -> str:
    """A titled HTML table, every cell escaped (floats to 4 decimals, a missing or non-finite one as —)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<h2>{html.escape(title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "—" if not np.isfinite(value) else f"{value:,.4f}"
    return "—" if value is None else str(value)


def _grouped(groups: dict[str, dict[str, Any]]) -> list[list[Any]]:
    """The rows of the summary's `by_symbol` or `by_exit_reason` (a profit factor without a loss is null there)."""
    return [[name, g["trades"], g["net_pnl"], g["win_rate"], g["profit_factor"]] for name, g in groups.items()]


def write_report(result: BacktestResult, path: Path) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    step = max(1, result.equity.shape[0] // _MAX_POINTS)
    times = result.equity_ns[::step].astype("datetime64[ns]")
    equity = result.equity[::step]
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.05)
    figure.add_trace(go.Scatter(x=times, y=equity, name="equity", line={"width": 1}), row=1, col=1)
    drawdown = drawdown_curve_pct(result.equity)[::step]
    figure.add_trace(
        go.Scatter(x=times, y=drawdown, name="drawdown %", fill="tozeroy", line={"width": 1}), row=2, col=1
    )
    latches = result.extra.get("latches")
    latches = latches if isinstance(latches, list) else []
    end = str(times[-1]) if times.size else None
    for period in latches[:_MAX_SHADED]:
        # Where the account could not enter: a pause amber, a tripped kill switch red.
        colour = "#f0ad4e" if period["latch"] == "paused" else "#d9534f"
        figure.add_vrect(
            x0=period["from"], x1=period["to"] or end, fillcolor=colour, opacity=0.15, line_width=0, row=1, col=1
        )
    figure.update_layout(height=600, margin={"l": 40, "r": 20, "t": 30, "b": 30}, title=f"{result.strategy} equity")
    chart = figure.to_html(full_html=False, include_plotlyjs=True)
    summary = result.summary()
    summary_rows = [[k, v] for k, v in summary.items() if not isinstance(v, dict | list)]
    parts = [
        html_table("Summary", ["figure", "value"], summary_rows),
        html_table(
            "Per symbol",
            ["symbol", "trades", "net P&L", "win rate", "profit factor"],
            _grouped(summary["by_symbol"]),
        ),
        html_table(
            "Per exit reason",
            ["exit reason", "trades", "net P&L", "win rate", "profit factor"],
            _grouped(summary["by_exit_reason"]),
        ),
    ]
    if result.guards is not None:
        parts.append(
            html_table(
                "Guards (L-GUARD-1: blocked signals and their shadow returns)",
                ["guard", "blocked", "resized", "shadow P&L (% of entry, summed)"],
                [[g.guard, g.blocked, g.resized, g.shadow_pnl] for g in result.guards],
            )
        )
    if latches:
        shown = latches[:_MAX_LATCH_ROWS]
        title = "Trading halts (R-M-3 pauses, kill-switch trips; shaded on the equity curve)"
        if len(latches) > len(shown):
            title += f": the first {len(shown)} of {len(latches)}"
        parts.append(
            html_table(
                title,
                ["latch", "from", "to", "reason", "lifted by"],
                [[p["latch"], p["from"], p["to"] or "end of run", p["reason"], p["lifted_by"]] for p in shown],
            )
        )
    params = result.extra.get("params")
    if isinstance(params, dict) and params:
        rows = [[key, json.dumps(value)] for key, value in params.items()]
        parts.append(html_table("Settings changed for this run (--param)", ["setting", "value"], rows))
    ablation = result.extra.get("ablation")
    if isinstance(ablation, list) and ablation:
        header = list(ablation[0])
        parts.append(
            html_table("Ablation (each guard off vs the baseline)", header, [[r[h] for h in header] for r in ablation])
        )
    window = result.extra.get("window")
    span = ""
    if isinstance(window, dict):  # --start/--end: the part of the history run
        start, end = (html.escape(str(window.get(side) or "…")) for side in ("start", "end"))
        warmup = result.extra.get("warmup_ticks")
        after = (
            f", after a warm-up of {warmup:,} bars the indicators alone read"
            if isinstance(warmup, int) and warmup
            else ""
        )
        span = f"<p>bars opening in [{start}, {end}){after}</p>"
    title = f"bigalpha backtest: {result.strategy}"
    path.write_text(html_page(title, f"{title} on {result.source}", span + chart + "".join(parts)), encoding="utf-8")


def html_page(title: str, heading: str, body: str) -> str:
    """One page: `heading` (escaped) above `body` (HTML, as given)."""
    style = (
        "body{font-family:sans-serif;margin:2em;}table{border-collapse:collapse;margin-bottom:1.5em}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style>"
        f"</head><body><h1>{html.escape(heading)}</h1>{body}</body></html>"
    )
