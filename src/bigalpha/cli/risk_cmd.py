"""`bigalpha kill-switch status|trip|reset`, `bigalpha flatten`, `bigalpha resume`, `bigalpha risk status|ledger`
(R-K-4, R-M-3, R-LEDGER-1, I-CLI-1).

They act on the configured store and publish their events on the signal bus, so a running engine (which
re-reads the latches every tick) and the dashboard see them at once. Trip, reset, flatten and resume ask
for confirmation unless `--yes`.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from bigalpha.cli.context import console, fail, print_json, state
from bigalpha.clock import WallClock
from bigalpha.domain import Mode

if TYPE_CHECKING:
    from bigalpha.bus import SignalBus
    from bigalpha.config import Settings

# The risk package and the store (SQLAlchemy) are imported by the commands that use them, not when the program
# starts: every other command would pay for them (tests/unit/cli/test_cli_start.py).

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (kept with the record)")]
ByOpt = Annotated[str | None, typer.Option("--by", help="who acts (default: cli:<login name>)")]


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def _bus(settings: Settings) -> Iterator[SignalBus]:
    from bigalpha.bus import SignalBus
    from bigalpha.store import Store, StoreError

    try:
        store = Store.open(settings)
    except (StoreError, OSError) as error:
        fail(f"cannot open the store: {error}")
    try:
        yield SignalBus(store)
    finally:
        store.close()


def _confirm(question: str, yes: bool) -> None:
    if not yes and not typer.confirm(question, default=False):
        fail("not confirmed; nothing changed", code=1)


def _status_data(settings: Settings, bus: SignalBus) -> dict[str, Any]:
    from bigalpha.risk.kill_switch import load_kill_switch, pending_flatten
    from bigalpha.risk.latches import RiskStateError
    from bigalpha.risk.rebuild import account_from_store

    now = WallClock().now()
    try:
        switch = load_kill_switch(bus.store)
        flatten = pending_flatten(bus.store)
        account = account_from_store(bus.store, settings, now, mode=Mode.PAPER)
    except RiskStateError as error:
        fail(f"stored risk state is damaged ({error}); `bigalpha kill-switch reset` rewrites it")
    return {
        "kill_switch": switch.to_dict(),
        "flatten_pending": None if flatten is None else flatten.to_dict(),
        "trading_state": account.trading_state.value,
        "pause": account.pause.to_dict(),
        "consecutive_losses": account.consecutive_losses,
        "trades_today": account.trades_today,
        "open_positions": len(account.open_positions),
    }


def _print_status(data: dict[str, Any]) -> None:
    switch = data["kill_switch"]
    if switch["tripped"]:
        console.print(
            f"[bold red]kill switch TRIPPED[/] ({switch['cause']}) at {switch['at']} by {switch['by']}: {switch['reason']}"
        )
    else:
        reset = f" (last reset {switch['reset_at']} by {switch['reset_by']})" if switch["reset_at"] else ""
        console.print(f"[green]kill switch armed, not tripped[/]{reset}")
    if data["flatten_pending"]:
        console.print(f"flatten pending since {data['flatten_pending']['requested_at']}")
    console.print(
        f"trading state {data['trading_state']}; consecutive losses {data['consecutive_losses']}; "
        f"trades today {data['trades_today']}; open positions {data['open_positions']}"
    )


def _kill_switch_app() -> typer.Typer:
    app = typer.Typer(help="The kill switch (R-K-4): status, manual trip, reset by a person.", no_args_is_help=True)

    @app.command("status")
    def status(ctx: typer.Context, json_output: JsonOpt = False) -> None:
        """Show the kill switch, a pending flatten, the pause and the counters."""
        settings = state(ctx).settings()
        with _bus(settings) as bus:
            data = _status_data(settings, bus)
        if json_output:
            print_json(data)
        else:
            _print_status(data)

    @app.command("trip")
    def trip(
        ctx: typer.Context,
        reason: ReasonOpt = "manual emergency stop",
        by: ByOpt = None,
        yes: YesOpt = False,
        json_output: JsonOpt = False,
    ) -> None:
        """Trip the kill switch: no new entries until a person resets it (survives restarts)."""
        from bigalpha.risk.kill_switch import trip_kill_switch
        from bigalpha.risk.latches import KillCause

        settings = state(ctx).settings()
        _confirm("Trip the kill switch? No new entries until a person resets it.", yes)
        with _bus(settings) as bus:
            switch = trip_kill_switch(bus, KillCause.MANUAL, reason, _who(by), WallClock().now())
        _done(switch.to_dict(), json_output, f"kill switch tripped ({switch.cause}) by {switch.by}: {switch.reason}")

    @app.command("reset")
    def reset(
        ctx: typer.Context,
        reason: ReasonOpt = "reviewed",
        by: ByOpt = None,
        yes: YesOpt = False,
        json_output: JsonOpt = False,
    ) -> None:
        """Reset a tripped kill switch (a person's decision; it is recorded with who and why)."""
        from bigalpha.risk.kill_switch import reset_kill_switch

        settings = state(ctx).settings()
        _confirm("Reset the kill switch and allow new entries again?", yes)
        with _bus(settings) as bus:
            switch = reset_kill_switch(bus, _who(by), reason, WallClock().now())
        _done(switch.to_dict(), json_output, f"kill switch reset by {switch.reset_by}: {switch.reset_reason}")

    return app


def _done(data: dict[str, Any], json_output: bool, message: str) -> None:
    if json_output:
        print_json(data)
    else:
        console.print(message)


def _risk_app() -> typer.Typer:
    app = typer.Typer(help="Risk limits, counters and accounts.", no_args_is_help=True)

    @app.command("status")
    def status(
        ctx: typer.Context,
        mode: Annotated[Mode, typer.Option("--mode", help="whose limits to show")] = Mode.PAPER,
        json_output: JsonOpt = False,
    ) -> None:
        """Effective limits of a mode, counters rebuilt from the store, kill switch and pause."""
        from bigalpha.risk.arming import mode_limits

        settings = state(ctx).settings()
        with _bus(settings) as bus:
            data = {"mode": mode.value, "limits": mode_limits(mode, settings), **_status_data(settings, bus)}
        if json_output:
            print_json(data)
            return
        table = Table(title=f"limits in {mode.value} mode")
        table.add_column("limit")
        table.add_column("value")
        for key, value in data["limits"].items():
            table.add_row(key, str(value))
        console.print(table)
        _print_status(data)

    @app.command("ledger")
    def ledger(ctx: typer.Context, json_output: JsonOpt = False) -> None:
        """The accounts: the trading account and the read-only ones, monitored only (R-LEDGER-1)."""
        from bigalpha.risk.ledger import ledger_summary

        accounts = ledger_summary(state(ctx).settings())
        if json_output:
            print_json(
                [
                    {"name": a.name, "balance_usd": format(a.balance_usd, "f"), "read_only": a.read_only}
                    for a in accounts
                ]
            )
            return
        table = Table(title="accounts")
        for column in ("account", "balance (USD)", "access"):
            table.add_column(column)
        for a in accounts:
            table.add_row(a.name, format(a.balance_usd, "f"), "READ-ONLY" if a.read_only else "trading")
        console.print(table)

    return app


def _flatten_command() -> Callable[..., None]:
    def flatten(
        ctx: typer.Context,
        reason: ReasonOpt = "manual flatten",
        by: ByOpt = None,
        yes: YesOpt = False,
        json_output: JsonOpt = False,
    ) -> None:
        """Emergency flatten (R-K-4): trips the kill switch and asks the engine to close every position."""
        from bigalpha.risk.kill_switch import request_flatten

        settings = state(ctx).settings()
        _confirm("Close EVERY open position and trip the kill switch?", yes)
        with _bus(settings) as bus:
            request, switch = request_flatten(bus, _who(by), reason, WallClock().now())
        data = {"flatten": request.to_dict(), "kill_switch": switch.to_dict()}
        _done(
            data,
            json_output,
            "flatten recorded and kill switch tripped: a running engine closes every position on its next tick, a "
            "starting engine does it first of all. Reset with `bigalpha kill-switch reset` afterwards.",
        )

    return flatten


def _resume_command() -> Callable[..., None]:
    def resume(
        ctx: typer.Context,
        reason: ReasonOpt = "reviewed",
        by: ByOpt = None,
        yes: YesOpt = False,
        json_output: JsonOpt = False,
    ) -> None:
        """Resume trading after an R-M-3 pause (two consecutive losses)."""
        from bigalpha.risk.rebuild import resume_trading

        settings = state(ctx).settings()
        with _bus(settings) as bus:
            data = _status_data(settings, bus)
            if not data["pause"]["paused"]:
                _done(data["pause"], json_output, "trading is not paused; nothing to resume")
                return
            _confirm(f"Resume trading after {data['consecutive_losses']} consecutive losses?", yes)
            record = resume_trading(bus, _who(by), reason, WallClock().now())
        _done(record.to_dict(), json_output, f"trading resumed by {record.resumed_by}")

    return resume


def register(app: typer.Typer) -> None:
    app.add_typer(_kill_switch_app(), name="kill-switch")
    app.add_typer(_risk_app(), name="risk")
    app.command("flatten")(_flatten_command())
    app.command("resume")(_resume_command())
