"""`bigalpha run`: the bot. Paper trading on the built-in simulator by default (no keys, no network)."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from bigalpha.cli.context import (
    DURATION,
    console,
    fail,
    missing_inputs_note,
    parse_duration,
    parse_moment,
    print_json,
    state,
)
from bigalpha.domain import Mode

if TYPE_CHECKING:
    from bigalpha.config import Settings
    from bigalpha.data.ports import Feed
    from bigalpha.engine.core import Engine

# The simulated clock starts here and is moved to each tick's time by the engine.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Interrupt:
    """Ctrl-C asks the engine to stop after the tick it is on, so the store stays consistent."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = signal.getsignal(signal.SIGINT)

    def __enter__(self) -> _Interrupt:
        signal.signal(signal.SIGINT, self._handle)
        signal.signal(signal.SIGTERM, self._handle)
        return self

    def __exit__(self, *_: object) -> None:
        signal.signal(signal.SIGINT, self._previous)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


def _feed(settings: Settings, name: str, symbols: str | None, seed: int, scenario: str | None, speed: float) -> Feed:
    """`--feed`: the built-in simulated market (the default) or a recording made by an earlier run."""
    from bigalpha.data.recording import RecordingFeed
    from bigalpha.engine.build import BuildError, SimOptions, sim_feed

    chosen = tuple(s.strip().upper() for s in symbols.split(",") if s.strip()) if symbols else ()
    if name == "sim":
        try:
            return sim_feed(
                settings, SimOptions(seed=seed, symbols=chosen, scenario=scenario), speed=speed if speed > 0 else None
            )
        except (BuildError, ValueError) as error:
            fail(str(error), code=2)
    if name.startswith("recording:"):
        return RecordingFeed(Path(name.removeprefix("recording:")))
    raise typer.BadParameter(f"{name!r}: use 'sim' or 'recording:DIR'", param_hint="--feed")


def _resume_pacing(feed: Feed, engine: Engine) -> None:
    """A resumed run replays the simulated market up to where it stopped; that replay is skipped by the engine,
    so it must not be paced either — pacing starts at the first tick the engine will trade on."""
    from bigalpha.engine.pacing import PacedFeed

    resume_at = engine.last_tick
    if isinstance(feed, PacedFeed) and resume_at is not None and (feed.pace_from is None or resume_at > feed.pace_from):
        feed.pace_from = resume_at


def _until(text: str | None) -> tuple[timedelta | None, datetime | None]:
    """`--until` as a duration of market time, or as an absolute market time (UTC when no zone is given)."""
    if text is None:
        return None, None
    if DURATION.match(text.strip()):
        return parse_duration(text), None
    try:
        return None, parse_moment(text)
    except typer.BadParameter:
        raise typer.BadParameter(
            f"--until {text!r}: give a duration (90s, 45m, 2h, 7d) or a time (2025-01-01T14:00)"
        ) from None


def _past(engine: Engine, started_at: datetime | None, stop_after: timedelta | None) -> bool:
    """`--until`: market time run since start-up (or since the first tick of a fresh store)."""
    if stop_after is None or engine.last_tick is None:
        return False
    origin = started_at or engine.summary.first_tick or engine.last_tick
    return engine.last_tick - origin >= stop_after


def _stopped_by(interrupted: bool, engine: Engine, started_at: datetime | None, stop_after: timedelta | None) -> str:
    if interrupted:
        return "interrupted (Ctrl-C)"
    if _past(engine, started_at, stop_after):
        return "--until reached"
    return engine.summary.stopped_by or "done"


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        ctx: typer.Context,
        mode: Annotated[
            Mode, typer.Option("--mode", help="paper, test or live (test and live need arming)")
        ] = Mode.PAPER,
        feed_name: Annotated[str, typer.Option("--feed", help="sim (built-in market) or recording:DIR")] = "sim",
        speed: Annotated[
            float, typer.Option("--speed", min=0.0, help="market minutes per real minute; 0 = as fast as possible")
        ] = 60.0,
        symbols: Annotated[
            str | None, typer.Option("--symbols", help="comma-separated, e.g. BTC,SOL (default: config)")
        ] = None,
        max_trades: Annotated[
            int | None, typer.Option("--max-trades", min=1, help="stop after this many trades")
        ] = None,
        until: Annotated[
            str | None,
            typer.Option(
                "--until", help="stop after this much market time (2h, 3d) or at a market time (2025-01-01T14:00)"
            ),
        ] = None,
        seed: Annotated[int, typer.Option("--seed", help="simulator seed")] = 7,
        scenario: Annotated[
            str | None, typer.Option("--scenario", help="simulator scenario (see bigalpha sim --help)")
        ] = None,
        confirm: Annotated[str | None, typer.Option("--confirm", help="arming phrase for test and live modes")] = None,
        view: Annotated[bool, typer.Option("--view/--no-view", help="live terminal view (off: log lines)")] = True,
        json_output: Annotated[bool, typer.Option("--json", help="print the run summary as JSON at the end")] = False,
    ) -> None:
        """Run the bot: feed → gate → risk gate → broker, writing everything to the store. Ctrl-C stops cleanly."""
        # The engine's modules load here, not at start-up, so `bigalpha --help` and other commands stay quick.
        from rich.live import Live

        from bigalpha.cli.run_view import RunView
        from bigalpha.clock import SimulatedClock
        from bigalpha.engine.build import BuildError, build_engine
        from bigalpha.logging_setup import configure_logging
        from bigalpha.risk.arming import NotArmed, require_armed
        from bigalpha.store import StoreError

        settings = state(ctx).settings()
        try:
            require_armed(mode, settings, confirm)
        except NotArmed as error:
            fail(str(error), code=2)
        stop_after, stop_at = _until(until)
        feed = _feed(settings, feed_name, symbols, seed, scenario, speed)
        log_path = configure_logging(settings, console=not view)
        try:
            built = build_engine(
                settings,
                mode,
                feed,
                clock=SimulatedClock(EPOCH),
                record_dir=settings.store.data_dir / "recordings",
            )
        except (BuildError, StoreError) as error:
            fail(str(error), code=2)
        engine = built.engine
        run_view = RunView()
        built.engine.bus.subscribe(run_view.on_event)
        engine.start()
        _resume_pacing(feed, engine)
        started_at = engine.last_tick

        def past_until() -> bool:
            return _past(engine, started_at, stop_after)

        with _Interrupt() as interrupt:
            stop = lambda: interrupt.requested or past_until()  # noqa: E731 - read at every tick
            try:
                if view:
                    with Live(run_view.render(engine), console=console, refresh_per_second=4, transient=False) as live:
                        summary = engine.run(
                            feed,
                            max_trades=max_trades,
                            should_stop=stop,
                            on_tick=lambda e: live.update(run_view.render(e)),
                        )
                else:
                    summary = engine.run(feed, max_trades=max_trades, should_stop=stop, until=stop_at)
            finally:
                engine.stop(_stopped_by(interrupt.requested, engine, started_at, stop_after))
                feed.close()
                built.close()
        result = {
            "mode": mode.value,
            "ticks": summary.ticks,
            "signals": summary.signals,
            "entries": summary.entries,
            "closed": summary.closed,
            "first_tick": summary.first_tick,
            "last_tick": summary.last_tick,
            "stopped_by": _stopped_by(interrupt.requested, engine, started_at, stop_after),
            "missing_inputs": dict(summary.missing_inputs),
            "log": str(log_path) if log_path else None,
        }
        if json_output:
            print_json(result)
        else:
            console.print(
                f"stopped ({result['stopped_by']}): {summary.ticks} ticks, {summary.signals} signals, "
                f"{summary.entries} trades opened, {summary.closed} closed. See `bigalpha report`."
            )
            note = missing_inputs_note(
                summary.missing_inputs, "`bigalpha data check` shows which source serves each input"
            )
            if note:
                console.print(note, highlight=False)
