"""`bigalpha optimize --report FILE.html`: the outcome the JSON gives, as one self-contained page (Plotly inlined,
no CDN).

A study's page: every trial's value by trial number with the best so far, the share of the value each searched
setting moved (`optimize.importances`), the held-out check, the searched ranges beside the best's values, the best
trials and the best as config. A walk-forward's page: each fold's tested segment, the chosen settings against the
current ones, and the totals."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from bigalpha.backtest.report import html_page, html_table
from bigalpha.backtest.walk_forward import searched_description

_TOP_TRIALS = 20  # the best trials listed (every trial is in the JSON)
_FIGURES = ("trades", "net_pnl", "profit_factor", "win_rate", "max_drawdown_pct")


def write_optimize_report(summary: dict[str, Any], path: Path) -> None:
    """The page for `summary` (what `bigalpha optimize --json` writes) to `path`."""
    walk = summary.get("walk_forward")
    body = _walk_forward(summary, walk) if walk is not None else _study(summary)
    kind = "walk-forward" if walk is not None else "study"
    heading = f"bigalpha optimize: {kind} {summary['study']} ({summary['objective']})"
    lines = f"<p>kept in {html.escape(str(summary['storage']))}</p>"
    path.write_text(html_page(heading, heading, lines + body), encoding="utf-8")


def _study(summary: dict[str, Any]) -> str:
    objective = summary["objective"]
    trials: list[dict[str, Any]] = summary["trials"]
    valued = sorted((t for t in trials if _finite(t["value"])), key=lambda t: t["number"])
    worthless = sum(1 for t in trials if t["state"] == "COMPLETE" and not _finite(t["value"]))
    pruned = sum(1 for t in trials if t["state"] == "PRUNED")
    parts = [
        f"<p>{summary['ran']} trials run now, {summary['trials_total']} in the study: {len(valued)} with a value, "
        f"{worthless} worth nothing (too few trades, or {html.escape(objective)} undefined), {pruned} pruned (values "
        "breaking a rule between settings).</p>"
    ]
    if valued:
        parts.append(_history_chart(valued, objective))
    shares = summary.get("importances")
    if shares:
        parts.append(_importance_chart(shares, objective))
    validation = summary.get("validation")
    if validation:
        current, best = validation["current"], validation["best"]
        rows = [[name, current.get(name), best.get(name)] for name in (objective, *_FIGURES) if name in current]
        parts.append(html_table("Held out: a market the study never saw", ["figure", "current", "best"], rows))
    elif summary.get("best") is not None:
        parts.append("<p>In-sample only: no held-out market was given (--validate-seed, --validate-start).</p>")
    best = summary.get("best")
    best_params = best["params"] if best else {}
    parts.append(
        html_table(
            "Searched settings",
            ["setting", "low", "high", "best"],
            [[key, low, high, best_params.get(key)] for key, (low, high) in summary["space"].items()],
        )
    )
    if valued:
        top = sorted(valued, key=lambda t: (-t["value"], t["number"]))[:_TOP_TRIALS]
        keys = list(summary["space"])
        figures = [f for f in _FIGURES if f != objective]
        rows = [
            [t["number"], t["value"], *(t.get(f) for f in figures), *(t["params"].get(k) for k in keys)] for t in top
        ]
        parts.append(html_table(f"The best {len(top)} trials", ["trial", objective, *figures, *keys], rows))
    if summary.get("best_config"):
        parts.append(f"<h2>The best, for the config file</h2><pre>{html.escape(summary['best_config'])}</pre>")
    return "".join(parts)


def _walk_forward(summary: dict[str, Any], walk: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    objective = summary["objective"]
    folds: list[dict[str, Any]] = walk["folds"]
    labels = [f"fold {f['fold']}: {f['tested']['start'][:16]}" for f in folds]
    figure = go.Figure()
    for side, name in (("tested_chosen", "chosen by the fold's search"), ("tested_current", "current settings")):
        values = [f[side]["net_pnl"] for f in folds]
        figure.add_trace(go.Bar(x=labels, y=values, name=name))
    figure.update_layout(
        barmode="group", height=380, title="Net P&L on each tested segment", margin={"l": 40, "r": 20, "t": 40}
    )
    rows = []
    for fold in folds:
        best = fold["best"]
        shares = fold.get("importances") or {}
        first = next(iter(shares.items()), None)
        rows.append(
            [
                fold["fold"],
                f"{fold['searched']['start']} → {fold['searched']['end']}",
                f"{fold['tested']['start']} → {fold['tested']['end']}",
                fold["study"],
                fold["trials_total"],
                None if best is None else best["value"],
                fold["tested_chosen"][objective],
                fold["tested_chosen"]["trades"],
                fold["tested_current"][objective],
                fold["tested_current"]["trades"],
                "—" if first is None else f"{first[0]} ({first[1]:.2f})",
            ]
        )
    total = walk["total"]
    searched = searched_description(walk.get("anchored", False))
    header = ["fold", "searched", "tested", "study", "trials", f"best in-sample {objective}",
              f"chosen {objective}", "chosen trades", f"current {objective}", "current trades",
              "setting that moved it most"]  # fmt: skip
    totals = [
        ["folds", total["folds"]],
        ["net P&L of the chosen settings, tested segments", total["chosen"]["net_pnl"]],
        ["net P&L of the current settings, tested segments", total["current"]["net_pnl"]],
        ["trades, chosen / current", f"{total['chosen']['trades']} / {total['current']['trades']}"],
        [f"folds where the chosen {objective} was above the current", total["folds_chosen_ahead"]],
        ["folds whose search found no trial with a value (current kept)", total["folds_without_best"]],
    ]
    return (
        str(figure.to_html(full_html=False, include_plotlyjs=True))
        + html_table(f"Folds: each searched on {searched}, tested on the next", header, rows)
        + html_table("Tested segments together", ["figure", "value"], totals)
    )


def _history_chart(valued: list[dict[str, Any]], objective: str) -> str:
    import plotly.graph_objects as go

    numbers = [t["number"] for t in valued]
    values = [t["value"] for t in valued]
    best_so_far = [max(values[: k + 1]) for k in range(len(values))]
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=numbers, y=values, mode="markers", name="trial"))
    figure.add_trace(go.Scatter(x=numbers, y=best_so_far, mode="lines", name="best so far", line={"shape": "hv"}))
    figure.update_layout(
        height=380, title=f"{objective} of each trial with a value", margin={"l": 40, "r": 20, "t": 40},
        xaxis_title="trial", yaxis_title=objective,
    )  # fmt: skip
    return str(figure.to_html(full_html=False, include_plotlyjs=True))


def _importance_chart(shares: dict[str, float], objective: str) -> str:
    import plotly.graph_objects as go

    names = list(shares)[::-1]  # largest at the top
    figure = go.Figure(go.Bar(x=[shares[n] for n in names], y=names, orientation="h"))
    figure.update_layout(
        height=120 + 24 * len(names), margin={"l": 40, "r": 20, "t": 40},
        title=f"Share of {objective} each setting moved (PED-ANOVA over the trials with a value)",
    )  # fmt: skip
    # Plotly's script is inlined once, with the history chart: importances need trials with a value, so it is drawn.
    return str(figure.to_html(full_html=False, include_plotlyjs=False))


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
