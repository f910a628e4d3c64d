"""`bigalpha data check`: which provider serves each data kind, whether the plan and keys allow it, the
value's age, and why not where not (D-SRC-1, D-CG-5, D-FAILOPEN). Exit 0 only when every kind the risk
gate requires (`data.required_kinds`, funding by default) is served."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from bigalpha.cli.context import console, fail, print_json, state
from bigalpha.cli.data_group import data_app
from bigalpha.clock import WallClock
from bigalpha.config import Settings
from bigalpha.config.data import DataKind
from bigalpha.data.providers import GUARD_KINDS, OTHER_CONSUMERS, Attempt, Unavailable
from bigalpha.domain import Observed


def _kind_row(
    kind: DataKind, names: tuple[str, ...], result: object, attempts: tuple[Attempt, ...], now: datetime
) -> dict[str, Any]:
    row: dict[str, Any] = {"kind": kind.value, "providers": list(names), "attempts": []}
    for attempt in attempts:
        entry: dict[str, Any] = {"provider": attempt.provider, "served": isinstance(attempt.result, Observed)}
        if isinstance(attempt.result, Unavailable):
            entry["reason"] = attempt.result.reason
            entry["allowed"] = not attempt.result.permanent
        else:
            entry["allowed"] = True
        row["attempts"].append(entry)
    if isinstance(result, Observed):
        row.update(served=True, served_by=result.source, age_s=round(result.age_s(now), 1), reason=None)
        first = attempts[0].provider if attempts else None
        row["fallback"] = bool(attempts) and attempts[-1].provider != first
    else:
        reason = result.reason if isinstance(result, Unavailable) else "unknown"
        row.update(served=False, served_by=None, age_s=None, reason=reason, fallback=False)
    return row


def _consumer_row(
    name: str, kinds: tuple[DataKind, ...], rows: dict[DataKind, dict[str, Any]], *, guard: bool
) -> dict[str, Any]:
    missing = [k for k in kinds if not rows[k]["served"]]
    fallback = [k for k in kinds if rows[k]["served"] and rows[k]["fallback"]]
    if missing:
        reasons = "; ".join(f"{k.value}: {rows[k]['reason']}" for k in missing)
        status = "fails open" if guard else "stands down"
    elif fallback:
        reasons = ", ".join(f"{k.value} from {rows[k]['served_by']}" for k in fallback)
        status = "fallback"
    else:
        reasons = ", ".join(f"{k.value} from {rows[k]['served_by']}" for k in kinds)
        status = "served"
    return {"consumer": name, "kinds": [k.value for k in kinds], "status": status, "detail": reasons}


async def collect(settings: Settings, symbol: str) -> dict[str, Any]:
    """Ask every chain once for `symbol` and report (no exception escapes: failures are rows)."""
    # The live sources bring the HTTP client: imported by the one command that asks them, not at every start.
    from bigalpha.data.live import GLOBAL_KINDS, build_sources

    clock = WallClock()
    sources = build_sources(settings, clock)
    try:
        plan = await sources.start()
        kinds = list(DataKind)
        answers = await asyncio.gather(*(sources.chains[k].fetch_with_attempts(symbol) for k in kinds))
        now = clock.now()
        rows = {
            kind: _kind_row(kind, sources.chains[kind].names, result, attempts, now)
            for kind, (result, attempts) in zip(kinds, answers, strict=True)
        }
        coinglass: dict[str, Any] = {"configured": sources.coinglass is not None}
        if sources.coinglass is not None:
            api = sources.coinglass
            coinglass.update(
                plan=api.plan.value if api.plan is not None else None,
                plan_error=api.plan_error,
                serves={k.value: reason for k, reason in api.validate().items()},
                calls_sent=api.calls_sent,
            )
            if isinstance(plan, Unavailable):
                coinglass["plan_error"] = plan.reason
    finally:
        await sources.aclose()
    required = settings.data.required_kinds
    return {
        "symbol": symbol,
        "coinglass": coinglass,
        "kinds": [rows[k] | {"global": k in GLOBAL_KINDS, "required": k in required} for k in kinds],
        "guards": [_consumer_row(g.value, ks, rows, guard=True) for g, ks in GUARD_KINDS.items()],
        "risk_and_positions": [_consumer_row(n, ks, rows, guard=False) for n, ks in OTHER_CONSUMERS.items()],
        "required_served": all(rows[k]["served"] for k in required),
    }


def _print_tables(report: dict[str, Any]) -> None:
    cg = report["coinglass"]
    if cg.get("configured"):
        plan = cg.get("plan") or f"unknown ({cg.get('plan_error')})"
        console.print(f"CoinGlass plan: [bold]{plan}[/]")
    kinds = Table(title=f"Data kinds for {report['symbol']}")
    for column in ("kind", "providers", "served by", "age (s)", "why not / notes"):
        kinds.add_column(column)
    for row in report["kinds"]:
        notes = row["reason"] or "; ".join(
            f"{a['provider']}: {a['reason']}" for a in row["attempts"] if not a["served"]
        )
        kinds.add_row(
            row["kind"] + (" (required)" if row["required"] else ""),
            ", ".join(row["providers"]) or "-",
            row["served_by"] or "[red]unavailable[/]",
            "-" if row["age_s"] is None else f"{row['age_s']:.0f}",
            notes,
        )
    console.print(kinds)
    consumers = Table(title="Guards, risk gate and positions")
    for column in ("consumer", "status", "detail"):
        consumers.add_column(column)
    for row in report["guards"] + report["risk_and_positions"]:
        colour = {"served": "green", "fallback": "yellow"}.get(row["status"], "red")
        consumers.add_row(row["consumer"], f"[{colour}]{row['status']}[/]", row["detail"])
    console.print(consumers)


def register(app: typer.Typer) -> None:
    del app  # `check` belongs to the `data` group, mounted by bigalpha.cli.data_group

    @data_app.command("check")
    def check(
        ctx: typer.Context,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
        symbol: Annotated[
            str | None, typer.Option("--symbol", help="symbol to probe (default: the first configured)")
        ] = None,
    ) -> None:
        """Probe every data source once: who serves each kind, the plan, data ages, and what fails open."""
        settings = state(ctx).settings()
        chosen = symbol or settings.data.symbols[0]
        if chosen not in settings.data.symbols:
            fail(f"--symbol {chosen!r} is not among data.symbols {settings.data.symbols}", code=2)
        try:
            report = asyncio.run(collect(settings, chosen))
        except ValueError as error:  # a source cannot even be built: bad exchange id or URL override
            fail(f"data sources: {error}", code=2)
        if json_output:
            print_json(report)
        else:
            _print_tables(report)
        if not report["required_served"]:
            missing = [r["kind"] for r in report["kinds"] if r["required"] and not r["served"]]
            if not json_output:
                console.print(f"[bold red]not ready:[/] required data not served: {', '.join(missing)}")
            raise typer.Exit(1)
