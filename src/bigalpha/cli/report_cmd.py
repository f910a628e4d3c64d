"""`bigalpha report`: trades, P&L and events from the store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from bigalpha.cli.context import console, fail, print_json, state


def _money(value: Any) -> str:
    return "-" if value is None else f"{float(value):,.2f}"


def _utc(moment: datetime | None) -> datetime | None:
    """A time given without a zone is UTC, as everywhere in bigalpha."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        ctx: typer.Context,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
        events: Annotated[int, typer.Option("--events", min=0, help="how many recent events to show")] = 20,
        since: Annotated[
            datetime | None, typer.Option("--since", help="only trades closed since (ISO time, UTC)")
        ] = None,
    ) -> None:
        """Trades, P&L, open positions and recent events from the store."""
        from bigalpha.reporting import report_data
        from bigalpha.store import Store, StoreError

        settings = state(ctx).settings()
        try:
            store = Store.open(settings)
        except StoreError as error:
            fail(str(error))
        try:
            data = report_data(
                store, events=events, since=since.replace(tzinfo=since.tzinfo or None) if since else None
            )
        finally:
            store.close()
        if json_output:
            print_json(data)
            return
        s = data["summary"]
        pf = "-" if s["profit_factor"] is None else f"{s['profit_factor']:.2f}"
        wr = "-" if s["win_rate"] is None else f"{100 * s['win_rate']:.0f}%"
        wallet = s["wallet"] or {}
        console.print(
            f"[bold]{s['trades']} trades[/], win rate {wr}, profit factor {pf}, net P&L {_money(s['net_pnl'])} "
            f"(fees {_money(s['fees'])}, funding {_money(s['funding'])}); wallet {_money(wallet.get('balance'))}; "
            f"signals {s['signals']}, taken {s['taken']}, open positions {s['open_positions']}"
        )
        if s["refused_by"]:
            console.print("refused by: " + ", ".join(f"{k} {v}" for k, v in s["refused_by"].items()))
        trades = Table(title="trades")
        for column in ("closed", "symbol", "side", "strategy", "entry", "exit", "qty", "net P&L", "reason", "trend"):
            trades.add_column(column)
        for t in data["trades"]:
            trades.add_row(
                str(t["closed_at"])[:19],
                t["symbol"],
                t["side"],
                t["strategy"],
                _money(t["entry_price"]),
                _money(t["exit_price"]),
                t["quantity"],
                _money(t["net_pnl"]),
                str(t["exit_reason"]),
                "TRUE TREND" if t["true_trend"] else "",
            )
        console.print(trades)
        if data["open_positions"]:
            positions = Table(title="open positions")
            for column in ("symbol", "side", "opened", "entry", "qty", "stop", "targets"):
                positions.add_column(column)
            for p in data["open_positions"]:
                positions.add_row(
                    p["symbol"],
                    p["side"],
                    str(p["opened_at"])[:19],
                    _money(p["entry_price"]),
                    p["quantity"],
                    _money(p["stop_price"]),
                    ", ".join(_money(t) for t in p["targets"]),
                )
            console.print(positions)
        if data["events"]:
            table = Table(title=f"last {len(data['events'])} events")
            for column in ("time", "type", "symbol", "message"):
                table.add_column(column)
            for e in data["events"]:
                table.add_row(str(e["ts"])[:19], e["type"], e["symbol"] or "", e["message"])
            console.print(table)
